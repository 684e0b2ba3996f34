"""Tag sets: the `Tagging` document and the `x-amz-tagging` header, with AWS's limits."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import parse_qsl, quote, urlencode

from ferry.protocol.errors import S3Error, S3ErrorCode
from ferry.protocol.xml._xml import (
    children,
    document,
    escape,
    find_child,
    malformed,
    parse_document,
    required_text,
)

MAX_TAG_KEY_CHARS = 128
MAX_TAG_VALUE_CHARS = 256


@dataclass(frozen=True, slots=True, kw_only=True)
class Tag:
    key: str
    value: str


@dataclass(frozen=True, slots=True, kw_only=True)
class Tagging:
    tags: tuple[Tag, ...] = ()


@dataclass(frozen=True, slots=True, kw_only=True)
class TagLimit:
    """How many tags a resource may carry, and what AWS says when there are more."""

    max_tags: int
    message: str


OBJECT_TAG_LIMIT = TagLimit(max_tags=10, message="Object tags cannot be greater than 10")
BUCKET_TAG_LIMIT = TagLimit(max_tags=50, message="Bucket tag count cannot be greater than 50")


def validate_tags(tags: tuple[Tag, ...], *, limit: TagLimit) -> None:
    """AWS's checks, in its order: count, then each key and value, then duplicates."""
    if len(tags) > limit.max_tags:
        raise S3Error(S3ErrorCode.InvalidTag, limit.message)
    seen: set[str] = set()
    for tag in tags:
        if not 1 <= len(tag.key) <= MAX_TAG_KEY_CHARS:
            raise S3Error(S3ErrorCode.InvalidTag, "The TagKey you have provided is invalid")
        if len(tag.value) > MAX_TAG_VALUE_CHARS:
            raise S3Error(S3ErrorCode.InvalidTag, "The TagValue you have provided is invalid")
        if tag.key in seen:
            raise S3Error(S3ErrorCode.InvalidTag, "Cannot provide multiple Tags with the same key")
        seen.add(tag.key)


def parse_tagging(body: bytes, *, limit: TagLimit) -> Tagging:
    """`<Tagging><TagSet><Tag><Key/><Value/></Tag>…</TagSet></Tagging>`, validated."""
    root = parse_document(body, "Tagging")
    tag_set = find_child(root, "TagSet")
    if tag_set is None:
        raise malformed()
    tags = tuple(
        Tag(key=required_text(tag, "Key"), value=required_text(tag, "Value"))
        for tag in children(tag_set, "Tag")
    )
    validate_tags(tags, limit=limit)
    return Tagging(tags=tags)


def parse_tagging_header(value: str, *, limit: TagLimit = OBJECT_TAG_LIMIT) -> Tagging:
    """`x-amz-tagging: k1=v1&k2=v2` (URL query encoding), validated like the document."""
    pairs = parse_qsl(value, keep_blank_values=True)
    tags = tuple(Tag(key=key, value=tag_value) for key, tag_value in pairs)
    validate_tags(tags, limit=limit)
    return Tagging(tags=tags)


def render_tagging_header(tagging: Tagging) -> str:
    """The `x-amz-tagging` header value for a tag set (spaces as `%20`)."""
    return urlencode([(tag.key, tag.value) for tag in tagging.tags], quote_via=quote)


def render_tagging(tagging: Tagging) -> bytes:
    tags = "".join(
        f"<Tag><Key>{escape(tag.key)}</Key><Value>{escape(tag.value)}</Value></Tag>"
        for tag in tagging.tags
    )
    return document("Tagging", f"<TagSet>{tags}</TagSet>")
