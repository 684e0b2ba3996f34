"""The KMS key state machine (AWS "Key states of KMS keys"), as pure transitions.

    Enabled ⇄ Disabled            EnableKey / DisableKey
    Enabled | Disabled → PendingDeletion   ScheduleKeyDeletion (7 to 30 days)
    PendingDeletion → Disabled    CancelKeyDeletion (AWS does not re-enable it)

Any other transition is KMSInvalidStateException. Only an Enabled key may be used; AWS managed
keys never change state.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import datetime, timedelta

from ferry.crypto.errors import (
    KmsAccessDenied,
    KmsKeyDisabled,
    KmsKeyInvalidState,
    KmsValidation,
)
from ferry.crypto.kms_records import KeyManager, KeyMetadata, KeyState

MIN_PENDING_WINDOW_DAYS = 7
MAX_PENDING_WINDOW_DAYS = 30
DEFAULT_PENDING_WINDOW_DAYS = 30

Transition = Callable[[KeyMetadata, datetime], KeyMetadata]


def check_usable(key: KeyMetadata) -> None:
    """Cryptographic operations (Decrypt included) need an Enabled key."""
    if key.state is KeyState.DISABLED:
        raise KmsKeyDisabled(f"{key.arn} is disabled.")
    if key.state is KeyState.PENDING_DELETION:
        raise invalid_state(key)


def check_customer_managed(key: KeyMetadata) -> None:
    """AWS managed keys belong to their service: nobody disables, deletes or aliases them."""
    if key.manager is KeyManager.AWS:
        raise KmsAccessDenied(f"{key.arn} is an AWS managed key")


def enable(key: KeyMetadata, now: datetime) -> KeyMetadata:
    if key.state is KeyState.PENDING_DELETION:
        raise invalid_state(key)
    return replace(key, state=KeyState.ENABLED)


def disable(key: KeyMetadata, now: datetime) -> KeyMetadata:
    if key.state is KeyState.PENDING_DELETION:
        raise invalid_state(key)
    return replace(key, state=KeyState.DISABLED)


def schedule_deletion(days: int | None) -> Transition:
    """The transition to PendingDeletion, deleted `days` (default 30) after it happens."""
    window = DEFAULT_PENDING_WINDOW_DAYS if days is None else days
    if not MIN_PENDING_WINDOW_DAYS <= window <= MAX_PENDING_WINDOW_DAYS:
        raise KmsValidation(
            f"PendingWindowInDays must be between {MIN_PENDING_WINDOW_DAYS} and "
            f"{MAX_PENDING_WINDOW_DAYS}: {window}"
        )

    def schedule(key: KeyMetadata, now: datetime) -> KeyMetadata:
        if key.state is KeyState.PENDING_DELETION:
            raise invalid_state(key)
        return replace(key, state=KeyState.PENDING_DELETION, deletion=now + timedelta(days=window))

    return schedule


def cancel_deletion(key: KeyMetadata, now: datetime) -> KeyMetadata:
    if key.state is not KeyState.PENDING_DELETION:
        raise invalid_state(key)
    return replace(key, state=KeyState.DISABLED, deletion=None)


def invalid_state(key: KeyMetadata) -> KmsKeyInvalidState:
    return KmsKeyInvalidState(f"{key.arn} is {key.state.value}")
