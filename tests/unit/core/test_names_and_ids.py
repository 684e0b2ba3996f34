"""Bucket names, object keys and identifiers."""

from __future__ import annotations

import pytest

from ferry.core.ids import new_blob_id, new_request_id, new_upload_id, new_version_id
from ferry.core.names import (
    InvalidBucketName,
    InvalidObjectKey,
    KeyTooLong,
    parse_bucket_name,
    parse_object_key,
)
from ferry.core.secret import Secret
from ferry.protocol.paths import BucketPath, ObjectPath, Root, host_bucket, parse_s3_path


@pytest.mark.parametrize("name", ["abc", "my.bucket-1", "a" * 63, "123"])
def test_valid_bucket_names(name: str) -> None:
    assert parse_bucket_name(name) == name


@pytest.mark.parametrize(
    "name",
    ["ab", "a" * 64, "Abc", "a_b", "-ab", "ab-", "a..b", "a.-b", "a-.b", "10.0.0.1",
     "xn--ab", "sthree-x", "amzn-s3-demo-x", "ab-s3alias", "ab--ol-s3", "ab.mrap", "ab--x-s3"],
)  # fmt: skip
def test_invalid_bucket_names(name: str) -> None:
    with pytest.raises(InvalidBucketName):
        parse_bucket_name(name)


def test_object_keys_limit_is_1024_utf8_bytes() -> None:
    assert parse_object_key("é" * 512) == "é" * 512
    with pytest.raises(KeyTooLong):
        parse_object_key("é" * 513)
    with pytest.raises(InvalidObjectKey):
        parse_object_key("")


def test_version_ids_sort_by_creation_and_are_unique() -> None:
    ids = [new_version_id() for _ in range(2000)]
    assert ids == sorted(ids)
    assert len(set(ids)) == len(ids)
    assert all(len(i) == 32 for i in ids)
    assert len(new_upload_id()) == 48
    assert new_blob_id() != new_blob_id()
    assert new_request_id() != new_request_id()


def test_secret_never_prints_itself() -> None:
    secret = Secret("hunter2")
    assert "hunter2" not in repr(secret) and "hunter2" not in str(secret)
    assert "hunter2" not in f"{secret}"
    assert secret.reveal() == "hunter2"


@pytest.mark.parametrize(
    ("host", "path", "expected"),
    [
        ("127.0.0.1:9000", "/", Root()),
        ("127.0.0.1:9000", "/b", BucketPath("b")),
        ("127.0.0.1:9000", "/b/", BucketPath("b")),
        ("127.0.0.1:9000", "/b/k/x", ObjectPath("b", "k/x")),
        ("127.0.0.1:9000", "/b//k", ObjectPath("b", "/k")),
        ("b.localhost:9000", "/", BucketPath("b")),
        ("b.localhost:9000", "/k", ObjectPath("b", "k")),
        ("my.dotted.bucket.localhost", "/k", ObjectPath("my.dotted.bucket", "k")),
        ("localhost:9000", "/b/k", ObjectPath("b", "k")),
    ],
)
def test_s3_paths_from_host_and_path(host: str, path: str, expected: object) -> None:
    assert parse_s3_path(host, path, ("localhost",)) == expected


def test_host_bucket_ignores_unknown_domains() -> None:
    assert host_bucket("b.example.com", ("localhost",)) is None
    assert host_bucket("B.LOCALHOST:1", ("localhost",)) == "b"
