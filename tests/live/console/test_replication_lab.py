"""The seed labs (002, 003) in a browser: sign in, two buckets in two regions, the two-way
rules, an upload that replicates (COMPLETED / REPLICA), a delete whose marker a V2 rule does not
replicate, a broken role's FAILED object re-driven from the failures view, and the refusals
(an IAM user's missing permission, a forged form, an expired session)."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import boto3
import pytest

from tests.live.console.browser import Browser
from tests.live.iam_support import ensure_replication_role, iam_client, replication_policy
from tests.live.replication_support import Deployment, v2_rule, versioned_bucket
from tests.live.server import ACCESS_KEY, SECRET_KEY

EAST, WEST = "us-east-1", "eu-west-1"
POLICY_TTL_S = 1.2  # a policy change reaches every region's workers within a second


def create_bucket_in_the_console(browser: Browser, name: str, region: str) -> None:
    browser.open("/_console/")
    browser.fill("#bucket-name", name)
    browser.select("#bucket-region", region)
    browser.click("#create")
    browser.wait_text("#notice", f"Created bucket {name}")


def sign_in_as_user(browser: Browser, endpoint: str, user: str, policy: dict[str, Any]) -> None:
    """A new IAM user with `policy` inline, signed in with a key of its own."""
    iam = iam_client(endpoint)
    iam.create_user(UserName=user)
    iam.put_user_policy(UserName=user, PolicyName="console", PolicyDocument=json.dumps(policy))
    key = iam.create_access_key(UserName=user)["AccessKey"]
    browser.sign_in(key["AccessKeyId"], key["SecretAccessKey"])
    browser.wait_text("#who", f"user/{user}")


def test_sign_in_refuses_a_wrong_secret_and_never_shows_the_secret(
    browser: Browser, deployment: Deployment
) -> None:
    browser.sign_in(ACCESS_KEY, "not-the-secret")
    browser.wait_text("#signin-error", "Sign-in failed")
    assert "SignatureDoesNotMatch" in browser.text or "signature" in browser.text.lower()
    browser.screenshot("signin-refused")
    browser.sign_in(ACCESS_KEY, SECRET_KEY)
    browser.wait_text("h1", "Buckets")
    assert ":root" in browser.find("#who").text
    assert SECRET_KEY not in browser.driver.page_source
    cookie = browser.driver.get_cookie("ferry_console")
    assert cookie is not None and cookie["httpOnly"] and cookie["sameSite"] == "Strict"
    assert SECRET_KEY not in cookie["value"]
    loaded = browser.driver.execute_script(
        "return performance.getEntriesByType('resource').map(e => e.name)"
    )
    assert loaded and all(name.startswith(browser.base + "/_console/") for name in loaded)


def test_the_two_way_lab_replicates_and_a_v2_rule_keeps_the_delete_marker_home(
    browser: Browser, deployment: Deployment, upload_file: Path
) -> None:
    role = ensure_replication_role(deployment.endpoint(EAST), "console-lab")
    browser.sign_in(ACCESS_KEY, SECRET_KEY)
    create_bucket_in_the_console(browser, "lab-east", EAST)
    create_bucket_in_the_console(browser, "lab-west", WEST)
    rows = {row.get_attribute("data-bucket"): row.text for row in browser.all("#buckets tbody tr")}
    assert EAST in rows["lab-east"] and "Enabled" in rows["lab-east"]
    assert WEST in rows["lab-west"] and "Enabled" in rows["lab-west"]
    browser.screenshot("buckets")

    west_key = kms_client(deployment, WEST).create_key()["KeyMetadata"]["Arn"]
    browser.open("/_console/buckets/lab-east/replication")
    offered = [o.get_attribute("value") for o in browser.all("#kms-keys option")]
    assert west_key in offered, "the editor offers every region's KMS keys"
    browser.fill("#rule-priority", "x")  # checked live, with PutBucketReplication's message
    browser.wait_text("#rule-validation", "MalformedXML")
    browser.fill("#rule-priority", "1")
    browser.fill("#rule-id", "to-west")
    browser.fill("#rule-destination", "lab-west")
    browser.fill("#rule-role", role)
    browser.click("#save-rule")
    browser.wait_text("#notice", "Saved the rule")
    assert "lab-west" in browser.find('#rules tr[data-rule="to-west"]').text
    browser.click('[data-replicate-back="to-west"]')
    browser.wait_text("#notice", "Added rule to-west-back back to lab-east")
    assert "lab-east" in browser.find('#rules tr[data-rule="to-west-back"]').text
    browser.screenshot("replication-rules")

    browser.open("/_console/buckets/lab-east")
    browser.upload("#upload-files", upload_file)
    browser.wait_until(
        lambda: bool(browser.all('#objects tr[data-key="seed-lab.txt"]')),
        "the uploaded object listed",
    )
    browser.screenshot("objects")
    browser.open("/_console/buckets/lab-east/object?key=seed-lab.txt")
    browser.wait_text("#replication-status", "COMPLETED", reload=True)
    browser.screenshot("object-completed")
    version = browser.find("#version-id").text
    browser.open("/_console/buckets/lab-east/failures")
    row = '#backlog-table tr[data-rule="to-west"]'
    browser.wait_text(row, "to-west")
    assert " s / " in browser.find(row).text, "the rule's latency is shown"
    browser.open("/_console/buckets/lab-west/object?key=seed-lab.txt")
    browser.wait_text("#replication-status", "REPLICA")
    assert browser.find("#version-id").text == version

    browser.open("/_console/buckets/lab-east")
    browser.click('#objects tr[data-key="seed-lab.txt"] button.danger', confirm=True)
    browser.wait_text("#notice", "Deleted seed-lab.txt")
    browser.open("/_console/buckets/lab-east?versions=1")
    assert browser.all("#objects tr.marker"), "the delete created a marker"
    browser.screenshot("versions")
    time.sleep(2)  # time enough for a (wrong) marker replication to land
    browser.open("/_console/buckets/lab-west?versions=1")
    assert not browser.all("#objects tr.marker"), "a V2 rule without DMR replicated the marker"
    assert browser.all(f'#objects tr[data-version="{version}"]')


def kms_client(deployment: Deployment, region: str) -> Any:
    return boto3.client(
        "kms",
        endpoint_url=deployment.endpoint(region),
        region_name=region,
        aws_access_key_id=ACCESS_KEY,
        aws_secret_access_key=SECRET_KEY,
    )


def test_a_broken_role_shows_failed_with_its_reason_and_redrive_completes(
    browser: Browser, deployment: Deployment
) -> None:
    east, west = deployment.client(EAST), deployment.client(WEST)
    versioned_bucket(east, "fix-east", EAST)
    versioned_bucket(west, "fix-west", WEST)
    broken = replication_policy(without=("s3:ReplicateObject",))
    role = ensure_replication_role(deployment.endpoint(EAST), "console-broken", policy=broken)
    east.put_bucket_replication(
        Bucket="fix-east",
        ReplicationConfiguration={
            "Role": role,
            "Rules": [v2_rule("fix-west", rule_id="to-fix-west")],
        },
    )
    east.put_object(Bucket="fix-east", Key="doc.txt", Body=b"payload")
    browser.sign_in(ACCESS_KEY, SECRET_KEY)
    browser.open("/_console/buckets/fix-east/object?key=doc.txt")
    browser.wait_text("#replication-status", "FAILED", reload=True)
    destination = browser.find('#replication-destinations tr[data-destination="fix-west"]').text
    assert "FAILED" in destination and "DstPutObjectNotPermitted" in destination
    browser.screenshot("object-failed")

    ensure_replication_role(deployment.endpoint(EAST), "console-broken")  # the fix
    time.sleep(POLICY_TTL_S)
    browser.open("/_console/buckets/fix-east/failures?rule=to-fix-west")
    browser.select("#filter-reason", "DstPutObjectNotPermitted")
    browser.find("#failure-filter button").click()
    browser.wait_text("#failures", "doc.txt")
    browser.wait_text('#backlog-table tr[data-rule="to-fix-west"]', "to-fix-west")
    browser.wait_text("#backlog-scale", "last 6 s")  # the live chart has a few samples
    browser.screenshot("failures")
    browser.click("#redrive")
    browser.wait_text("#job-status", "Complete")
    assert "1 succeeded, 0 failed of 1" in browser.find("#job-counts").text
    browser.wait_text("#job-results", "succeeded", reload=True)  # the completion report
    assert "doc.txt" in browser.find("#job-results").text
    # The manifest and the report live in the account's batch bucket, which nothing
    # replicates, not in the source bucket (a catch-all rule would replicate them).
    assert "s3://ferry-batch-000000000001-us-east-1/" in browser.find("#job-report").text
    assert east.list_objects_v2(Bucket="fix-east", Prefix="ferry-redrive/")["KeyCount"] == 0
    browser.screenshot("redrive-job")
    browser.open("/_console/jobs")
    assert "Complete" in browser.find("#jobs").text and "console re-drive fix-east" in browser.text
    browser.open("/_console/buckets/fix-east/object?key=doc.txt")
    browser.wait_text("#replication-status", "COMPLETED", reload=True)
    assert (
        "COMPLETED"
        in browser.find('#replication-destinations tr[data-destination="fix-west"]').text
    )


def test_an_iam_user_without_put_replication_is_refused_with_the_reason(
    browser: Browser, deployment: Deployment
) -> None:
    east = deployment.client(EAST)
    versioned_bucket(east, "iam-src", EAST)
    versioned_bucket(deployment.client(WEST), "iam-dst", WEST)
    role = ensure_replication_role(deployment.endpoint(EAST), "console-lab")
    sign_in_as_user(browser, deployment.endpoint(EAST), "console-operator", operator_policy())
    browser.open("/_console/buckets/iam-src/replication")
    browser.fill("#rule-id", "denied")
    browser.fill("#rule-destination", "iam-dst")
    browser.fill("#rule-role", role)
    browser.click("#save-rule")
    browser.wait_text("#rule-error", "AccessDenied")
    browser.screenshot("denied")
    with pytest.raises(Exception, match="ReplicationConfigurationNotFoundError"):
        east.get_bucket_replication(Bucket="iam-src")


def operator_policy() -> dict[str, Any]:
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Action": ["s3:*", "iam:ListRoles", "iam:PassRole"],
                "Resource": "*",
            },
            {"Effect": "Deny", "Action": "s3:PutReplicationConfiguration", "Resource": "*"},
        ],
    }


def test_a_form_with_a_forged_csrf_token_is_refused(
    browser: Browser, deployment: Deployment
) -> None:
    browser.sign_in(ACCESS_KEY, SECRET_KEY)
    browser.wait_text("h1", "Buckets")
    browser.fill("#bucket-name", "forged-bucket")
    browser.driver.execute_script(
        "document.querySelector('#create-bucket input[name=csrf]').value = 'forged'"
    )
    browser.click("#create")
    browser.wait_until(lambda: "CSRF token" in browser.text, "the CSRF refusal")
    names = [b["Name"] for b in deployment.client(EAST).list_buckets()["Buckets"]]
    assert "forged-bucket" not in names


def test_an_expired_session_sends_the_user_back_to_sign_in(
    browser: Browser, tmp_path: Path
) -> None:
    short = Deployment(root=tmp_path / "short", regions=(EAST,))
    short.root.mkdir(parents=True)
    short.write_config()
    with short.config_path.open("a") as config:
        config.write("[console]\nsession_ttl_s = 2.0\n")
    short.start_region(EAST)
    base = browser.base
    try:
        browser.base = short.endpoint(EAST)
        browser.sign_in(ACCESS_KEY, SECRET_KEY)
        browser.wait_text("h1", "Buckets")
        cookie = browser.driver.get_cookie("ferry_console")
        assert cookie is not None
        time.sleep(2.2)
        # The browser drops the cookie at its Max-Age; the server must refuse it anyway, so
        # send it again as a client that ignored Max-Age would.
        browser.driver.add_cookie(
            {"name": cookie["name"], "value": cookie["value"], "path": "/_console"}
        )
        browser.open("/_console/")
        browser.wait_text("#signin-error", "Your session has expired")
        assert browser.driver.current_url.endswith("/_console/signin?expired=1")
    finally:
        browser.base = base
        short.stop()
