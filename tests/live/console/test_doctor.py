"""The Doctor tab in a browser (issue 14): `ferry doctor`'s findings for a bucket whose
destination, in another region, has versioning suspended — each with its fix — and "no
problems found" for a healthy pair; anyone but the deployment root is told why it sees none."""

from __future__ import annotations

from tests.live.console.browser import Browser
from tests.live.console.test_replication_lab import EAST, WEST, sign_in_as_user
from tests.live.replication_support import Deployment, replicate, v2_rule, versioned_bucket
from tests.live.server import ACCESS_KEY, SECRET_KEY

S3_EVERYTHING = {
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "*"}],
}


def replicated_pair(deployment: Deployment, name: str) -> None:
    """`name`-src in the east replicating everything to `name`-dst in the west (role `r`)."""
    east, west = deployment.client(EAST), deployment.client(WEST)
    versioned_bucket(east, f"{name}-src", EAST)
    versioned_bucket(west, f"{name}-dst", WEST)
    replicate(east, f"{name}-src", v2_rule(f"{name}-dst", rule_id=name))


def test_the_doctor_tab_shows_a_suspended_destination_with_its_fix_and_a_healthy_pair(
    browser: Browser, deployment: Deployment
) -> None:
    replicated_pair(deployment, "doc-ok")
    replicated_pair(deployment, "doc-bad")
    deployment.client(WEST).put_bucket_versioning(
        Bucket="doc-bad-dst", VersioningConfiguration={"Status": "Suspended"}
    )
    browser.sign_in(ACCESS_KEY, SECRET_KEY)
    browser.open("/_console/buckets/doc-ok-src")
    browser.click("#tab-doctor")
    browser.wait_text("#doctor-healthy", "doc-ok-src: no problems found")
    assert not browser.all("#doctor-findings")

    browser.open("/_console/buckets/doc-bad-src")
    browser.click("#tab-doctor")
    browser.wait_text("#doctor-summary", "1 error(s)")
    rows = [row.text for row in browser.all("#doctor-findings tbody tr")]
    suspended = [row for row in rows if "ERROR" in row and "doc-bad-dst" in row]
    assert suspended, rows
    assert "put-bucket-versioning --bucket doc-bad-dst" in suspended[0]  # the fix
    assert "Status=Enabled" in suspended[0]
    assert not browser.all("#doctor-healthy")
    browser.screenshot("doctor-findings")


def test_an_iam_user_is_told_the_doctor_needs_the_deployment_roots_credentials(
    browser: Browser, deployment: Deployment
) -> None:
    replicated_pair(deployment, "doc-user")
    sign_in_as_user(browser, deployment.endpoint(EAST), "doctor-reader", S3_EVERYTHING)
    browser.open("/_console/buckets/doc-user-src/doctor")
    browser.wait_text("#doctor-needs-root", "needs the deployment root's credentials")
    assert "AccessDenied" in browser.find("#doctor-needs-root").text
    assert not browser.all("#doctor-findings") and not browser.all("#doctor-healthy")
