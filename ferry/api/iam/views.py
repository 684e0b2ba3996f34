"""IAM records as the query protocol's result fields (shapes from botocore's `iam` model)."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar
from urllib.parse import quote

from ferry.control.iam_records import (
    AccessKey,
    AttachedPolicy,
    ManagedPolicy,
    NewAccessKey,
    Page,
    Role,
    User,
)
from ferry.protocol.xml.iam import Field, Value, members

T = TypeVar("T")


def url_encoded(document: str) -> str:
    """IAM returns policy documents URL-encoded (RFC 3986); the aws CLI decodes them."""
    return quote(document, safe="-_.~")


def user(found: User) -> list[Field]:
    return [
        ("Path", found.path),
        ("UserName", found.name),
        ("UserId", found.user_id),
        ("Arn", found.arn),
        ("CreateDate", found.created),
    ]


def role(found: Role) -> list[Field]:
    return [
        ("Path", found.path),
        ("RoleName", found.name),
        ("RoleId", found.role_id),
        ("Arn", found.arn),
        ("CreateDate", found.created),
        ("AssumeRolePolicyDocument", url_encoded(found.trust_policy)),
        ("Description", found.description),
        ("MaxSessionDuration", found.max_session_s),
    ]


def managed_policy(found: ManagedPolicy) -> list[Field]:
    return [
        ("PolicyName", found.name),
        ("PolicyId", found.policy_id),
        ("Arn", found.arn),
        ("Path", found.path),
        ("DefaultVersionId", ManagedPolicy.DEFAULT_VERSION_ID),
        ("AttachmentCount", found.attachment_count),
        ("PermissionsBoundaryUsageCount", 0),
        ("IsAttachable", True),
        ("Description", found.description),
        ("CreateDate", found.created),
        ("UpdateDate", found.created),
    ]


def policy_version(found: ManagedPolicy) -> list[Field]:
    return [
        ("Document", url_encoded(found.document)),
        ("VersionId", ManagedPolicy.DEFAULT_VERSION_ID),
        ("IsDefaultVersion", True),
        ("CreateDate", found.created),
    ]


def access_key_metadata(key: AccessKey) -> list[Field]:
    return [
        ("UserName", key.user_name),
        ("AccessKeyId", key.access_key_id),
        ("Status", key.status.value),
        ("CreateDate", key.created),
    ]


def new_access_key(created: NewAccessKey) -> list[Field]:
    key = created.key
    return [
        ("UserName", key.user_name),
        ("AccessKeyId", key.access_key_id),
        ("Status", key.status.value),
        ("SecretAccessKey", created.secret.reveal()),
        ("CreateDate", key.created),
    ]


def attached_policy(found: AttachedPolicy) -> list[Field]:
    return [("PolicyName", found.name), ("PolicyArn", found.arn)]


def page(name: str, listed: Page[T], render: Callable[[T], Value]) -> list[Field]:
    """`<name><member>…</member></name><IsTruncated>…` and the next page's `<Marker>`."""
    return [
        (name, members(render(item) for item in listed.items)),
        ("IsTruncated", listed.is_truncated),
        ("Marker", listed.marker),
    ]
