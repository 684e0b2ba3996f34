"""Buckets: CreateBucketConfiguration in; ListAllMyBucketsResult and LocationConstraint out."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from ferry.protocol.xml._xml import (
    children,
    document,
    escape,
    find_child,
    format_timestamp,
    optional_element,
    optional_text,
    parse_document,
    required_text,
)
from ferry.protocol.xml.owner import Owner, render_owner
from ferry.protocol.xml.tagging import BUCKET_TAG_LIMIT, Tag, validate_tags

US_EAST_1 = "us-east-1"


@dataclass(frozen=True, slots=True, kw_only=True)
class CreateBucketConfiguration:
    """None for `location_constraint` means us-east-1, as does an empty body."""

    location_constraint: str | None = None
    tags: tuple[Tag, ...] = ()


def parse_create_bucket_configuration(body: bytes) -> CreateBucketConfiguration:
    """The optional CreateBucket body; an empty one is the default configuration."""
    if not body.strip():
        return CreateBucketConfiguration()
    root = parse_document(body, "CreateBucketConfiguration")
    location = optional_text(root, "LocationConstraint")
    tags_element = find_child(root, "Tags")
    tags: tuple[Tag, ...] = ()
    if tags_element is not None:
        tags = tuple(
            Tag(key=required_text(tag, "Key"), value=required_text(tag, "Value"))
            for tag in children(tags_element, "Tag")
        )
        validate_tags(tags, limit=BUCKET_TAG_LIMIT)
    return CreateBucketConfiguration(location_constraint=location or None, tags=tags)


@dataclass(frozen=True, slots=True, kw_only=True)
class ListedBucket:
    name: str
    creation_date: datetime
    region: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class ListBucketsResult:
    """`continuation_token` is the next page's token; `prefix` echoes the request's."""

    owner: Owner
    buckets: tuple[ListedBucket, ...] = ()
    continuation_token: str | None = None
    prefix: str | None = None


def render_list_buckets(result: ListBucketsResult) -> bytes:
    buckets = "".join(
        f"<Bucket><Name>{escape(bucket.name)}</Name>"
        f"<CreationDate>{format_timestamp(bucket.creation_date)}</CreationDate>"
        f"{optional_element('BucketRegion', bucket.region)}</Bucket>"
        for bucket in result.buckets
    )
    return document(
        "ListAllMyBucketsResult",
        render_owner(result.owner)
        + f"<Buckets>{buckets}</Buckets>"
        + optional_element("ContinuationToken", result.continuation_token)
        + optional_element("Prefix", result.prefix),
    )


def render_location_constraint(region: str) -> bytes:
    """GetBucketLocation's body: the region, or an empty element for us-east-1."""
    return document("LocationConstraint", "" if region == US_EAST_1 else escape(region))
