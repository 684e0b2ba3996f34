"""Which S3 resource a request addresses: the service, a bucket, or an object.

Path style (`/bucket/key`) or virtual-hosted style (`bucket.domain[:port]/key`), decided from
the Host header and the configured virtual-host domains.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Root:
    pass


@dataclass(frozen=True, slots=True)
class BucketPath:
    bucket: str


@dataclass(frozen=True, slots=True)
class ObjectPath:
    bucket: str
    key: str


S3Path = Root | BucketPath | ObjectPath


def host_bucket(host: str, domains: tuple[str, ...]) -> str | None:
    """The bucket named by a virtual-hosted Host header, if any."""
    name = host.rsplit(":", 1)[0] if not host.endswith("]") else host
    name = name.lower().rstrip(".")
    for domain in domains:
        if name.endswith("." + domain):
            return name[: -len(domain) - 1]
    return None


def parse_s3_path(host: str, path: str, domains: tuple[str, ...]) -> S3Path:
    """`path` is already percent-decoded; keys keep every byte after the bucket's slash."""
    bucket = host_bucket(host, domains)
    if bucket is not None:
        key = path[1:] if path.startswith("/") else path
        return ObjectPath(bucket, key) if key else BucketPath(bucket)
    trimmed = path[1:] if path.startswith("/") else path
    if not trimmed:
        return Root()
    bucket, slash, key = trimmed.partition("/")
    if not slash or not key:
        return BucketPath(bucket)
    return ObjectPath(bucket, key)
