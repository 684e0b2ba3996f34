"""The control plane's IAM rows, as frozen values."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Generic, TypeVar

from ferry.core.secret import Secret

T = TypeVar("T")


class AccessKeyStatus(StrEnum):
    ACTIVE = "Active"
    INACTIVE = "Inactive"


@dataclass(frozen=True, slots=True, kw_only=True)
class Account:
    account_id: str
    name: str
    canonical_id: str
    created: datetime
    email: str | None = None  # what ACL grants by e-mail address resolve to this account


@dataclass(frozen=True, slots=True, kw_only=True)
class User:
    account_id: str
    name: str
    user_id: str
    path: str
    arn: str
    created: datetime


@dataclass(frozen=True, slots=True, kw_only=True)
class AccessKey:
    access_key_id: str
    account_id: str
    user_name: str | None  # None: the account's root user
    status: AccessKeyStatus
    created: datetime


@dataclass(frozen=True, slots=True, kw_only=True)
class NewAccessKey:
    """A key just created: the only time its secret is ever returned."""

    key: AccessKey
    secret: Secret


@dataclass(frozen=True, slots=True, kw_only=True)
class Role:
    account_id: str
    name: str
    role_id: str
    path: str
    arn: str
    trust_policy: str
    description: str | None
    max_session_s: int
    created: datetime


@dataclass(frozen=True, slots=True, kw_only=True)
class ManagedPolicy:
    account_id: str
    name: str
    policy_id: str
    path: str
    arn: str
    description: str | None
    document: str
    attachment_count: int
    created: datetime

    DEFAULT_VERSION_ID = "v1"  # Ferry keeps one version per policy (no CreatePolicyVersion)


@dataclass(frozen=True, slots=True, kw_only=True)
class AttachedPolicy:
    name: str
    arn: str


@dataclass(frozen=True, slots=True, kw_only=True)
class Page(Generic[T]):
    """One page of a listing; `marker` is where the next begins (None: the last page)."""

    items: Sequence[T]
    marker: str | None = None

    @property
    def is_truncated(self) -> bool:
        return self.marker is not None
