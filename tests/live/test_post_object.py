"""Browser-based uploads (POST Object) against a live server: boto3's
`generate_presigned_post` signs the SigV4 form, httpx posts it as multipart/form-data."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import parse_qs, urlsplit
from xml.etree import ElementTree

import httpx
import pytest
from botocore.exceptions import ClientError

from tests.live.conftest import make_client
from tests.live.server import ACCESS_KEY, SECRET_KEY, FerryServer

pytestmark = pytest.mark.live


def post(url: str, fields: dict[str, Any], content: bytes, filename: str = "f.bin") -> Any:
    files = {"file": (filename, content, "application/octet-stream")}
    return httpx.post(url, data=fields, files=files, timeout=30, follow_redirects=False)


def error_of(response: Any) -> tuple[str, str]:
    root = ElementTree.fromstring(response.content)
    return root.findtext("Code") or "", root.findtext("Message") or ""


_V4: dict[str, Any] = {}


def signed(s3: Any, bucket: str, key: str, **kwargs: Any) -> dict[str, Any]:
    """A SigV4 form (x-amz-algorithm/-credential/-date/-signature): boto3 signs POST forms
    with SigV2 unless the client is configured for s3v4."""
    endpoint = s3.meta.endpoint_url
    if endpoint not in _V4:
        _V4[endpoint] = make_client(endpoint, signature_version="s3v4")
    form: dict[str, Any] = _V4[endpoint].generate_presigned_post(bucket, key, **kwargs)
    assert form["fields"]["x-amz-algorithm"] == "AWS4-HMAC-SHA256"
    return form


def test_sigv4_form_upload_writes_the_object(s3: Any, bucket: str) -> None:
    form = signed(s3, bucket, "up/hello.txt")
    response = post(form["url"], form["fields"], b"hello from a browser")
    assert response.status_code == 204, response.text
    got = s3.get_object(Bucket=bucket, Key="up/hello.txt")
    assert got["Body"].read() == b"hello from a browser"
    assert response.headers["etag"] == got["ETag"]


def test_large_file_streams_through(s3: Any, bucket: str) -> None:
    data = os.urandom(9 * 1024 * 1024 + 7)
    form = signed(s3, bucket, "big.bin")
    response = post(form["url"], form["fields"], data)
    assert response.status_code == 204, response.text
    body = s3.get_object(Bucket=bucket, Key="big.bin")["Body"].read()
    assert hashlib.sha256(body).digest() == hashlib.sha256(data).digest()


def test_success_action_status_201_returns_post_response(s3: Any, bucket: str) -> None:
    form = signed(
        s3, bucket, "k201",
        Fields={"success_action_status": "201"},
        Conditions=[{"success_action_status": "201"}],
    )  # fmt: skip
    response = post(form["url"], form["fields"], b"x")
    assert response.status_code == 201, response.text
    root = ElementTree.fromstring(response.content)
    assert root.tag == "PostResponse"
    assert root.findtext("Bucket") == bucket
    assert root.findtext("Key") == "k201"
    assert root.findtext("ETag") == s3.head_object(Bucket=bucket, Key="k201")["ETag"]
    assert root.findtext("Location", "").endswith(f"/{bucket}/k201")


def test_success_action_status_200_and_unknown_status_falls_back_to_204(
    s3: Any, bucket: str
) -> None:
    for status, expected in (("200", 200), ("404", 204)):
        form = signed(
            s3, bucket, f"k{status}",
            Fields={"success_action_status": status},
            Conditions=[{"success_action_status": status}],
        )  # fmt: skip
        response = post(form["url"], form["fields"], b"x")
        assert response.status_code == expected, response.text
        assert response.content == b""


def test_success_action_redirect_answers_303_with_bucket_key_and_etag(s3: Any, bucket: str) -> None:
    target = "http://example.com/done?from=form"
    form = signed(
        s3, bucket, "a key",
        Fields={"success_action_redirect": target},
        Conditions=[{"success_action_redirect": target}],
    )  # fmt: skip
    response = post(form["url"], form["fields"], b"x")
    assert response.status_code == 303, response.text
    location = urlsplit(response.headers["location"])
    assert location.netloc == "example.com" and location.path == "/done"
    query = parse_qs(location.query)
    assert query["from"] == ["form"]
    assert query["bucket"] == [bucket]
    assert query["key"] == ["a key"]
    assert query["etag"] == [s3.head_object(Bucket=bucket, Key="a key")["ETag"]]


def test_content_length_range_refuses_too_large_and_too_small(s3: Any, bucket: str) -> None:
    form = signed(s3, bucket, "sized", Conditions=[["content-length-range", 10, 20]])
    big = post(form["url"], form["fields"], b"x" * 21)
    assert big.status_code == 400
    assert error_of(big)[0] == "EntityTooLarge"
    small = post(form["url"], form["fields"], b"x" * 9)
    assert small.status_code == 400
    assert error_of(small)[0] == "EntityTooSmall"
    with pytest.raises(ClientError):
        s3.head_object(Bucket=bucket, Key="sized")
    assert post(form["url"], form["fields"], b"x" * 15).status_code == 204


def test_expired_policy_is_refused(s3: Any, bucket: str) -> None:
    form = signed(s3, bucket, "late", ExpiresIn=-10)
    response = post(form["url"], form["fields"], b"x")
    assert response.status_code == 403
    assert error_of(response) == ("AccessDenied", "Invalid according to Policy: Policy expired.")


def test_failed_condition_and_extra_field_are_refused(s3: Any, bucket: str) -> None:
    form = signed(s3, bucket, "${filename}", Conditions=[["starts-with", "$key", "uploads/"]])
    fields = dict(form["fields"], key="elsewhere/x")
    response = post(form["url"], fields, b"x")
    assert response.status_code == 403
    code, message = error_of(response)
    assert code == "AccessDenied"
    assert message == (
        'Invalid according to Policy: Policy Condition failed: ["starts-with", "$key", "uploads/"]'
    )
    extra = post(form["url"], dict(form["fields"], key="uploads/x", **{"x-amz-meta-a": "1"}), b"")
    assert extra.status_code == 403
    assert error_of(extra)[1] == "Invalid according to Policy: Extra input fields: x-amz-meta-a"


def test_filename_variable_names_the_key(s3: Any, bucket: str) -> None:
    form = signed(
        s3, bucket, "uploads/${filename}", Conditions=[["starts-with", "$key", "uploads/"]]
    )
    response = post(form["url"], form["fields"], b"photo", filename="cat.jpg")
    assert response.status_code == 204, response.text
    assert s3.get_object(Bucket=bucket, Key="uploads/cat.jpg")["Body"].read() == b"photo"


def test_object_fields_become_metadata_tags_and_encryption(s3: Any, bucket: str) -> None:
    tagging = "<Tagging><TagSet><Tag><Key>team</Key><Value>web</Value></Tag></TagSet></Tagging>"
    fields = {
        "Content-Type": "text/plain",
        "Cache-Control": "max-age=60",
        "x-amz-meta-colour": "blue",
        "tagging": tagging,
        "x-amz-server-side-encryption": "AES256",
        "x-amz-storage-class": "STANDARD_IA",
    }
    form = signed(s3, bucket, "rich", Fields=fields, Conditions=[{k: v} for k, v in fields.items()])
    response = post(form["url"], form["fields"], b"rich body")
    assert response.status_code == 204, response.text
    assert response.headers["x-amz-server-side-encryption"] == "AES256"
    head = s3.head_object(Bucket=bucket, Key="rich")
    assert head["ContentType"] == "text/plain"
    assert head["CacheControl"] == "max-age=60"
    assert head["Metadata"] == {"colour": "blue"}
    assert head["ServerSideEncryption"] == "AES256"
    assert head["StorageClass"] == "STANDARD_IA"
    tags = s3.get_object_tagging(Bucket=bucket, Key="rich")["TagSet"]
    assert tags == [{"Key": "team", "Value": "web"}]


def test_bad_signature_and_unknown_key_are_refused(s3: Any, bucket: str) -> None:
    form = signed(s3, bucket, "k")
    forged = dict(form["fields"], **{"x-amz-signature": "0" * 64})
    response = post(form["url"], forged, b"x")
    assert response.status_code == 403, response.text
    assert error_of(response)[0] == "SignatureDoesNotMatch"
    credential = form["fields"]["x-amz-credential"].replace(ACCESS_KEY, "NOSUCHKEY0000000000A")
    unknown = post(form["url"], dict(form["fields"], **{"x-amz-credential": credential}), b"x")
    assert unknown.status_code == 403
    assert error_of(unknown)[0] == "InvalidAccessKeyId"


def v2_form(bucket: str, key: str, conditions: list[Any]) -> dict[str, str]:
    expiration = (datetime.now(UTC) + timedelta(minutes=5)).strftime("%Y-%m-%dT%H:%M:%SZ")
    document = {"expiration": expiration, "conditions": [{"bucket": bucket}, *conditions]}
    policy = base64.b64encode(json.dumps(document).encode()).decode()
    signature = base64.b64encode(
        hmac.new(SECRET_KEY.encode(), policy.encode(), hashlib.sha1).digest()
    ).decode()
    return {"key": key, "AWSAccessKeyId": ACCESS_KEY, "policy": policy, "signature": signature}


def test_sigv2_form_upload(server: FerryServer, s3: Any, bucket: str) -> None:
    fields = v2_form(bucket, "v2.txt", [["eq", "$key", "v2.txt"]])
    response = post(f"{server.endpoint}/{bucket}", fields, b"version two")
    assert response.status_code == 204, response.text
    assert s3.get_object(Bucket=bucket, Key="v2.txt")["Body"].read() == b"version two"
    fields["signature"] = base64.b64encode(b"x" * 20).decode()
    assert post(f"{server.endpoint}/{bucket}", fields, b"x").status_code == 403


def test_missing_key_file_and_malformed_policy(server: FerryServer, bucket: str) -> None:
    url = f"{server.endpoint}/{bucket}"
    fields = v2_form(bucket, "k", [["starts-with", "$key", ""]])
    no_key = {k: v for k, v in fields.items() if k != "key"}
    response = post(url, no_key, b"x")
    assert response.status_code == 400
    assert error_of(response)[0] == "InvalidArgument"
    no_file = httpx.post(url, files={"key": (None, "k"), "other": (None, "v")}, timeout=10)
    assert no_file.status_code == 400
    assert error_of(no_file)[0] == "InvalidArgument"
    bad = dict(fields, policy=base64.b64encode(b'{"conditions": []}').decode())
    bad["signature"] = base64.b64encode(
        hmac.new(SECRET_KEY.encode(), bad["policy"].encode(), hashlib.sha1).digest()
    ).decode()
    response = post(url, bad, b"x")
    assert response.status_code == 400
    assert error_of(response) == (
        "InvalidPolicyDocument",
        "Invalid Policy: Policy missing expiration.",
    )
    garbage = httpx.post(url, content=b"not a form", headers={"content-type": "text/plain"})
    assert garbage.status_code == 400


def test_anonymous_post_needs_the_bucket_to_allow_it(
    server: FerryServer, s3: Any, bucket: str
) -> None:
    url = f"{server.endpoint}/{bucket}"
    denied = post(url, {"key": "anon.txt"}, b"x")
    assert denied.status_code == 403
    assert error_of(denied)[0] == "AccessDenied"
    policy = {
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "Principal": "*", "Action": "s3:PutObject",
             "Resource": f"arn:aws:s3:::{bucket}/public/*"},
        ],
    }  # fmt: skip
    s3.delete_public_access_block(Bucket=bucket)  # new buckets block public policies, as AWS's
    s3.put_bucket_policy(Bucket=bucket, Policy=json.dumps(policy))
    assert post(url, {"key": "anon.txt"}, b"x").status_code == 403  # outside the grant
    allowed = post(url, {"key": "public/anon.txt"}, b"anonymous")
    assert allowed.status_code == 204, allowed.text
    assert s3.get_object(Bucket=bucket, Key="public/anon.txt")["Body"].read() == b"anonymous"


def test_versioned_bucket_answers_version_id(s3: Any, versioned_bucket: str) -> None:
    form = signed(s3, versioned_bucket, "v")
    response = post(form["url"], form["fields"], b"one")
    assert response.status_code == 204, response.text
    versions = s3.list_object_versions(Bucket=versioned_bucket)["Versions"]
    assert [v["VersionId"] for v in versions] == [response.headers["x-amz-version-id"]]
