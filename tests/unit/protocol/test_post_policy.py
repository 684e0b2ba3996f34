"""POST policies: parsing the base64 JSON document and checking a form against it."""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from ferry.protocol.errors import S3Error, S3ErrorCode
from ferry.protocol.post_policy import check_fields, check_length, parse_policy

NOW = datetime(2026, 1, 1, tzinfo=UTC)


def encoded(document: Any) -> str:
    return base64.b64encode(json.dumps(document).encode()).decode()


def policy(*conditions: Any, expiration: str = "2026-01-01T00:10:00.000Z") -> str:
    return encoded({"expiration": expiration, "conditions": list(conditions)})


def fault(call: Any) -> S3Error:
    with pytest.raises(S3Error) as caught:
        call()
    return caught.value


def test_conditions_of_every_kind_hold_for_a_matching_form() -> None:
    parsed = parse_policy(
        policy(
            {"bucket": "b"}, ["StArTs-WiTh", "$KeY", "up/"], ["eq", "$acl", "private"],
            ["starts-with", "$Content-Type", "image/"], ["content-length-range", 1, 10],
        )
    )  # fmt: skip
    assert (parsed.min_length, parsed.max_length) == (1, 10)
    fields = {"bucket": "b", "key": "up/x", "acl": "private", "content-type": "image/a,image/b"}
    check_fields(parsed, fields, NOW)
    check_fields(parsed, {**fields, "x-ignore-me": "1", "x-amz-checksum-sha256": "abc"}, NOW)


def test_a_failed_condition_is_quoted_as_aws_quotes_it() -> None:
    parsed = parse_policy(policy({"bucket": "b"}, ["starts-with", "$key", "up/"]))
    error = fault(lambda: check_fields(parsed, {"bucket": "b", "key": "down"}, NOW))
    assert error.code is S3ErrorCode.AccessDenied
    assert error.message == (
        'Invalid according to Policy: Policy Condition failed: ["starts-with", "$key", "up/"]'
    )
    content_type = parse_policy(policy({"bucket": "b"}, ["starts-with", "$Content-Type", "a/"]))
    mixed = {"bucket": "b", "content-type": "a/x, b/y"}
    assert fault(lambda: check_fields(content_type, mixed, NOW)).code is S3ErrorCode.AccessDenied


def test_extra_fields_missing_bucket_and_expiry_are_denied() -> None:
    parsed = parse_policy(policy({"bucket": "b"}, {"key": "k"}))
    extra = fault(lambda: check_fields(parsed, {"bucket": "b", "key": "k", "acl": "x"}, NOW))
    assert extra.message == "Invalid according to Policy: Extra input fields: acl"
    no_bucket = parse_policy(policy({"key": "k"}))
    error = fault(lambda: check_fields(no_bucket, {"bucket": "b", "key": "k"}, NOW))
    assert "$bucket" in error.message
    late = NOW + timedelta(hours=1)
    expired = fault(lambda: check_fields(parsed, {"bucket": "b", "key": "k"}, late))
    assert expired.message == "Invalid according to Policy: Policy expired."


@pytest.mark.parametrize(
    "document",
    [
        "not base64!",
        base64.b64encode(b"not json").decode(),
        encoded(["a list"]),
        encoded({"conditions": []}),
        encoded({"expiration": "2026-01-01T00:00:00Z"}),
        encoded({"expiration": "2026-01-01 00:00:00", "conditions": []}),
        encoded({"expiration": 5, "conditions": []}),
        encoded({"expiration": "2026-01-01T00:00:00Z", "conditions": {}}),
        policy({}),
        policy({"a": "1", "b": "2"}),
        policy({"a": 1}),
        policy(["eq", "$a"]),
        policy(["gt", "$a", "1"]),
        policy(["eq", "a", "1"]),
        policy(["eq", "$a", 1]),
        policy("text"),
        policy(["content-length-range", 0]),
        policy(["content-length-range", "0", 10]),
        policy(["content-length-range", True, 10]),
        policy(["content-length-range", -1, 0]),
        policy(["content-length-range", 5, 1]),
    ],
)
def test_malformed_policies_are_invalid_policy_documents(document: str) -> None:
    assert fault(lambda: parse_policy(document)).code is S3ErrorCode.InvalidPolicyDocument


def test_content_length_range_as_the_file_streams() -> None:
    parsed = parse_policy(policy({"bucket": "b"}, ["content-length-range", 2, 4]))
    check_length(parsed, 1, final=False)  # more may come
    check_length(parsed, 3, final=True)
    assert fault(lambda: check_length(parsed, 5, final=False)).code is S3ErrorCode.EntityTooLarge
    assert fault(lambda: check_length(parsed, 1, final=True)).code is S3ErrorCode.EntityTooSmall
    check_length(None, 10**9, final=True)
    check_length(parse_policy(policy({"bucket": "b"})), 10**9, final=True)
