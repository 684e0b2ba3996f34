"""The key state machine, transition by transition (AWS "Key states of KMS keys")."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from ferry.crypto import key_states
from ferry.crypto.errors import KmsAccessDenied, KmsKeyDisabled, KmsKeyInvalidState, KmsValidation
from ferry.crypto.kms_records import KeyManager, KeyMetadata, KeyState

NOW = datetime(2026, 3, 1, tzinfo=UTC)
E, D, P = KeyState.ENABLED, KeyState.DISABLED, KeyState.PENDING_DELETION


def key(state: KeyState, manager: KeyManager = KeyManager.CUSTOMER) -> KeyMetadata:
    deletion = NOW + timedelta(days=7) if state is P else None
    return KeyMetadata(
        key_id="k", arn="arn:aws:kms:us-east-1:111122223333:key/k", account_id="111122223333",
        description="", state=state, manager=manager, created=NOW, deletion=deletion,
    )  # fmt: skip


@pytest.mark.parametrize(
    ("transition", "before", "after"),
    [
        (key_states.enable, E, E),
        (key_states.enable, D, E),
        (key_states.enable, P, None),
        (key_states.disable, E, D),
        (key_states.disable, D, D),
        (key_states.disable, P, None),
        (key_states.schedule_deletion(None), E, P),
        (key_states.schedule_deletion(7), D, P),
        (key_states.schedule_deletion(30), P, None),
        (key_states.cancel_deletion, P, D),
        (key_states.cancel_deletion, E, None),
        (key_states.cancel_deletion, D, None),
    ],
)
def test_transitions(
    transition: key_states.Transition, before: KeyState, after: KeyState | None
) -> None:
    if after is None:
        with pytest.raises(KmsKeyInvalidState):
            transition(key(before), NOW)
        return
    changed = transition(key(before), NOW)
    assert changed.state is after
    assert (changed.deletion is not None) == (after is P)


def test_deletion_date_is_the_window_after_scheduling() -> None:
    assert key_states.schedule_deletion(None)(key(E), NOW).deletion == NOW + timedelta(days=30)
    assert key_states.schedule_deletion(9)(key(E), NOW).deletion == NOW + timedelta(days=9)
    for days in (6, 31):
        with pytest.raises(KmsValidation):
            key_states.schedule_deletion(days)


def test_only_enabled_keys_are_usable() -> None:
    key_states.check_usable(key(E))
    with pytest.raises(KmsKeyDisabled):
        key_states.check_usable(key(D))
    with pytest.raises(KmsKeyInvalidState):
        key_states.check_usable(key(P))


def test_aws_managed_keys_are_not_the_customers_to_change() -> None:
    key_states.check_customer_managed(key(E))
    with pytest.raises(KmsAccessDenied):
        key_states.check_customer_managed(key(E, KeyManager.AWS))
