"""PublicAccessBlockConfiguration (S3's and S3 Control's) and PolicyStatus."""

from __future__ import annotations

from dataclasses import dataclass

from ferry.protocol.xml._xml import (
    XML_DECLARATION,
    document,
    format_bool,
    optional_text,
    parse_bool,
    parse_document,
)

FLAGS = ("BlockPublicAcls", "IgnorePublicAcls", "BlockPublicPolicy", "RestrictPublicBuckets")


@dataclass(frozen=True, slots=True, kw_only=True)
class PublicAccessBlockConfiguration:
    block_public_acls: bool = False
    ignore_public_acls: bool = False
    block_public_policy: bool = False
    restrict_public_buckets: bool = False


def parse_public_access_block(body: bytes) -> PublicAccessBlockConfiguration:
    """A missing flag is false, as on AWS; a value other than true/false is MalformedXML."""
    root = parse_document(body, "PublicAccessBlockConfiguration")
    values = [optional_text(root, name) for name in FLAGS]
    acls, ignore, policy, restrict = (parse_bool(v) if v is not None else False for v in values)
    return PublicAccessBlockConfiguration(
        block_public_acls=acls,
        ignore_public_acls=ignore,
        block_public_policy=policy,
        restrict_public_buckets=restrict,
    )


def render_public_access_block(
    config: PublicAccessBlockConfiguration, *, xmlns: str | None = None
) -> bytes:
    """`xmlns`: S3 Control's namespace for its own document (None: S3's)."""
    values = (
        config.block_public_acls,
        config.ignore_public_acls,
        config.block_public_policy,
        config.restrict_public_buckets,
    )
    body = "".join(f"<{n}>{format_bool(v)}</{n}>" for n, v in zip(FLAGS, values, strict=True))
    if xmlns is None:
        return document("PublicAccessBlockConfiguration", body)
    return (
        f'{XML_DECLARATION}<PublicAccessBlockConfiguration xmlns="{xmlns}">{body}'
        "</PublicAccessBlockConfiguration>"
    ).encode()


def render_policy_status(is_public: bool) -> bytes:
    return document("PolicyStatus", f"<IsPublic>{format_bool(is_public)}</IsPublic>")
