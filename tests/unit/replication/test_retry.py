"""The retry policy: permanent reasons give up at once, transient ones back off with jitter."""

from __future__ import annotations

import random

import pytest

from ferry.replication.retry import FailureReason, GiveUp, RetryIn, RetryPolicy

PERMANENT = [r for r in FailureReason if not r.is_transient]
TRANSIENT = [r for r in FailureReason if r.is_transient]


@pytest.mark.parametrize("reason", PERMANENT)
def test_permanent_reasons_give_up_immediately(reason: FailureReason) -> None:
    assert RetryPolicy().decide(reason, 1, random.Random(0)) == GiveUp()


@pytest.mark.parametrize("reason", TRANSIENT)
def test_transient_reasons_retry_forever(reason: FailureReason) -> None:
    decision = RetryPolicy().decide(reason, 10_000, random.Random(0))
    assert isinstance(decision, RetryIn)


def test_backoff_doubles_within_half_to_full_ceiling_and_is_capped() -> None:
    policy = RetryPolicy(base_delay_s=1.0, max_delay_s=60.0)
    rng = random.Random(42)
    for attempts, ceiling in [(1, 1), (2, 2), (3, 4), (6, 32), (7, 60), (50, 60)]:
        delays = [
            policy.decide(FailureReason.DstRegionUnavailable, attempts, rng) for _ in range(200)
        ]
        values = [d.delay_s for d in delays if isinstance(d, RetryIn)]
        assert len(values) == 200
        assert min(values) >= ceiling / 2 and max(values) <= ceiling
        assert max(values) - min(values) > ceiling / 10  # jittered, not in lockstep


def test_aws_reason_names_are_aws_spelling() -> None:
    assert FailureReason.DstBucketUnversioned.value == "DstBucketUnversioned"
    assert FailureReason.DstDelObjNotPermitted.value == "DstDelObjNotPermitted"
    assert not hasattr(FailureReason, "DstBucketVersioningNotEnabled")
