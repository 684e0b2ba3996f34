"""Seed 002 in a browser: a prefix-limited rule with a storage class override, an image that
replicates (COMPLETED / REPLICA, same ETag and version, STANDARD_IA) beside a file the rule
leaves home, then tags and public read set on the object's page and seen on the replica; and an
IAM user whose tag and ACL changes are refused with AWS's code and message."""

from __future__ import annotations

import struct
import zlib
from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import ClientError

from tests.live.console.browser import Browser
from tests.live.console.test_replication_lab import create_bucket_in_the_console, sign_in_as_user
from tests.live.iam_support import ensure_replication_role
from tests.live.replication_support import Deployment, versioned_bucket
from tests.live.server import ACCESS_KEY, SECRET_KEY
from tests.live.test_ownership_acl import enable_acls

EAST, WEST = "us-east-1", "eu-west-1"
ORIGIN, DESTINATION = "csa-crr-origin", "csa-crr-destination"
ALL_USERS = "http://acs.amazonaws.com/groups/global/AllUsers"


def png_pixel() -> bytes:
    """A valid one-pixel PNG, so the browser sends it as image/png."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
        )

    header = struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0)
    pixels = zlib.compress(b"\x00\xff\x00\x00")
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", pixels) + chunk(b"IEND", b"")
    )


def object_page(bucket: str, key: str) -> str:
    return f"/_console/buckets/{bucket}/object?key={key.replace('/', '%2F')}"


def test_seed_002_prefix_rule_storage_class_tags_and_acl_in_the_console(
    browser: Browser, deployment: Deployment, tmp_path: Path
) -> None:
    image, notes = tmp_path / "tulips.png", tmp_path / "todo.txt"
    image.write_bytes(png_pixel())
    notes.write_text("stays home\n")
    role = ensure_replication_role(deployment.endpoint(EAST), "seed-002-crr")
    browser.sign_in(ACCESS_KEY, SECRET_KEY)
    browser.wait_text("h1", "Buckets")
    create_bucket_in_the_console(browser, ORIGIN, EAST)
    create_bucket_in_the_console(browser, DESTINATION, WEST)
    # new buckets have ACLs disabled and public access blocked, as on AWS: seed 002 replicates
    # a public-read ACL, so both buckets enable ACLs first
    enable_acls(deployment.client(EAST), ORIGIN)
    enable_acls(deployment.client(WEST), DESTINATION)

    browser.open(f"/_console/buckets/{ORIGIN}/replication")
    browser.fill("#rule-id", "png-to-eu")
    browser.click("#scope-prefix")
    browser.fill("#rule-prefix", "images/")
    browser.fill("#rule-destination", DESTINATION)
    browser.select("#rule-storage-class", "STANDARD_IA")
    browser.fill("#rule-role", role)
    browser.click("#save-rule")
    browser.wait_text("#notice", "Saved the rule")
    rule = browser.find('#rules tr[data-rule="png-to-eu"]').text
    assert "images/" in rule and "STANDARD_IA" in rule and DESTINATION in rule

    browser.open(f"/_console/buckets/{ORIGIN}?prefix=images/")
    browser.upload("#upload-files", image)
    browser.wait_until(
        lambda: bool(browser.all('#objects tr[data-key="images/tulips.png"]')), "the image listed"
    )
    browser.open(f"/_console/buckets/{ORIGIN}")
    browser.upload("#upload-files", notes)
    browser.wait_until(lambda: bool(browser.all('#objects tr[data-key="todo.txt"]')), "todo.txt")

    browser.open(object_page(ORIGIN, "images/tulips.png"))
    browser.wait_text("#replication-status", "COMPLETED", reload=True)
    etag, version = browser.find("#etag").text, browser.find("#version-id").text
    assert browser.find("#storage-class").text == "STANDARD"
    assert "image/png" in browser.text
    browser.open(object_page(DESTINATION, "images/tulips.png"))
    browser.wait_text("#replication-status", "REPLICA")
    assert browser.find("#etag").text == etag
    assert browser.find("#version-id").text == version
    assert browser.find("#storage-class").text == "STANDARD_IA"

    browser.open(object_page(ORIGIN, "todo.txt"))
    assert browser.find("#replication-status").text == "—", "outside the prefix: no status"
    browser.open(f"/_console/buckets/{DESTINATION}")
    assert browser.all('#objects tr[data-key="images/"], #objects tr.folder')
    assert not browser.all('#objects tr[data-key="todo.txt"]'), "the rule's prefix was ignored"
    with pytest.raises(ClientError, match="404"):
        deployment.client(WEST).head_object(Bucket=DESTINATION, Key="todo.txt")

    browser.open(object_page(ORIGIN, "images/tulips.png"))
    browser.fill('input[name="tag_key_0"]', "EmployeeID")
    browser.fill('input[name="tag_value_0"]', "123456")
    browser.click("#add-tag")
    browser.fill('input[name="tag_key_1"]', "Environment")
    browser.fill('input[name="tag_value_1"]', "Production")
    browser.screenshot("seed-002-tag-editor")
    browser.click("#save-tags")
    browser.wait_text("#notice", "Saved 2 tags")
    assert tags_shown(browser) == {"EmployeeID": "123456", "Environment": "Production"}
    browser.open(object_page(DESTINATION, "images/tulips.png"))
    browser.wait_until(
        lambda: tags_shown(browser) == {"EmployeeID": "123456", "Environment": "Production"},
        "the tags on the replica",
        reload=True,
    )

    browser.open(object_page(ORIGIN, "images/tulips.png"))
    browser.wait_text("#replication-status", "COMPLETED", reload=True)  # the tags replicated
    assert not public_read_shown(browser)
    browser.click("#public-read")
    browser.click("#save-acl")
    browser.wait_text("#notice", "Everyone may now read the object")
    assert public_read_shown(browser) and browser.find("#public-read").is_selected()
    browser.open(object_page(DESTINATION, "images/tulips.png"))
    browser.wait_until(
        lambda: public_read_shown(browser), "AllUsers READ on the replica", reload=True
    )
    assert "Everyone (public access)" in browser.find("#acl-grants").text
    assert browser.find("#version-id").text == version, "metadata changes keep the version"
    browser.screenshot("seed-002-replica")


def tags_shown(browser: Browser) -> dict[str, str]:
    names = [e.text for e in browser.all("#tags dt")]
    return dict(zip(names, [e.text for e in browser.all("#tags dd")], strict=True))


def public_read_shown(browser: Browser) -> bool:
    row = f'#acl-grants tr[data-grantee="{ALL_USERS}"][data-permission="READ"]'
    return bool(browser.all(row))


def test_an_iam_user_without_tagging_and_acl_writes_is_refused_on_the_object_page(
    browser: Browser, deployment: Deployment
) -> None:
    east = deployment.client(EAST)
    versioned_bucket(east, "tags-denied", EAST)
    east.put_object(Bucket="tags-denied", Key="doc.txt", Body=b"payload")
    sign_in_as_user(browser, deployment.endpoint(EAST), "tag-reader", reader_policy())
    browser.open(object_page("tags-denied", "doc.txt"))
    browser.fill('input[name="tag_key_0"]', "Environment")
    browser.fill('input[name="tag_value_0"]', "Production")
    browser.click("#save-tags")
    browser.wait_text("#tags-error", "AccessDenied")
    assert "Access Denied" in browser.find("#tags-error").text
    browser.click("#public-read")
    browser.click("#save-acl")
    browser.wait_text("#acl-error", "AccessDenied")
    assert east.get_object_tagging(Bucket="tags-denied", Key="doc.txt")["TagSet"] == []
    grants = east.get_object_acl(Bucket="tags-denied", Key="doc.txt")["Grants"]
    assert all(g["Grantee"].get("URI") != ALL_USERS for g in grants)


def reader_policy() -> dict[str, Any]:
    return {
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "Action": "s3:*", "Resource": "*"},
            {
                "Effect": "Deny",
                "Action": ["s3:PutObjectTagging", "s3:DeleteObjectTagging", "s3:PutObjectAcl"],
                "Resource": "*",
            },
        ],
    }
