"""Bucket names and object keys: AWS validation in the only constructors."""

from __future__ import annotations

import ipaddress
import re
from typing import NewType

from ferry.core.errors import Invalid

BucketName = NewType("BucketName", str)
ObjectKey = NewType("ObjectKey", str)

MAX_KEY_BYTES = 1024
_BUCKET_RE = re.compile(r"^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$")


class InvalidBucketName(Invalid):
    """The specified bucket is not valid."""


class KeyTooLong(Invalid):
    """Your key is too long."""


class InvalidObjectKey(Invalid):
    """Object key is not valid."""


def parse_bucket_name(name: str) -> BucketName:
    """Validate a name for CreateBucket (AWS general-purpose bucket naming rules)."""
    if (
        not _BUCKET_RE.match(name)
        or ".." in name
        or ".-" in name
        or "-." in name
        or name.startswith(("xn--", "sthree-", "amzn-s3-demo-"))
        or name.endswith(("-s3alias", "--ol-s3", ".mrap", "--x-s3", "--table-s3"))
        or _is_ip_address(name)
    ):
        raise InvalidBucketName(bucket=name)
    return BucketName(name)


def _is_ip_address(name: str) -> bool:
    try:
        ipaddress.IPv4Address(name)
    except ValueError:
        return False
    return True


def parse_object_key(key: str) -> ObjectKey:
    if key == "":
        raise InvalidObjectKey(key=key)
    try:
        encoded = key.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise InvalidObjectKey(key=key) from exc
    if len(encoded) > MAX_KEY_BYTES:
        raise KeyTooLong(key=key[:64] + "...")
    return ObjectKey(key)
