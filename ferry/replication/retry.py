"""Which failures are retried, and when (procrastinate's RetryStrategy; Garage's resync backoff).

Pure: no I/O, randomness injected. Transient failures (destination down, timeouts, throttling,
server errors) are retried with capped exponential backoff and jitter, for as long as it takes;
permanent ones (AWS failure reasons) end the task FAILED at once.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from enum import StrEnum


class FailureReason(StrEnum):
    # AWS's replication failure reasons (reference §5.3): permanent.
    AssumeRoleNotPermitted = "AssumeRoleNotPermitted"
    InitiateReplicationNotPermitted = "InitiateReplicationNotPermitted"  # batch jobs
    DstBucketNotFound = "DstBucketNotFound"
    DstBucketObjectLockConfigMissing = "DstBucketObjectLockConfigMissing"
    DstBucketUnversioned = "DstBucketUnversioned"
    DstPutObjectNotPermitted = "DstPutObjectNotPermitted"
    DstDelObjNotPermitted = "DstDelObjNotPermitted"
    DstKmsKeyInvalidState = "DstKmsKeyInvalidState"
    DstKmsKeyNotFound = "DstKmsKeyNotFound"
    DstPutTaggingNotPermitted = "DstPutTaggingNotPermitted"
    DstVersionNotFound = "DstVersionNotFound"
    SrcBucketNotFound = "SrcBucketNotFound"
    SrcBucketReplicationConfigMissing = "SrcBucketReplicationConfigMissing"
    SrcGetAclNotPermitted = "SrcGetAclNotPermitted"
    SrcGetObjectNotPermitted = "SrcGetObjectNotPermitted"
    SrcHeadObjectNotPermitted = "SrcHeadObjectNotPermitted"
    SrcKeyNotFound = "SrcKeyNotFound"
    SrcKmsKeyInvalidState = "SrcKmsKeyInvalidState"
    SrcVersionNotFound = "SrcVersionNotFound"
    SrcObjectNotEligible = "SrcObjectNotEligible"
    # Ferry's own reasons. Transient: the task stays PENDING and is retried.
    DstRegionUnavailable = "DstRegionUnavailable"
    DstThrottled = "DstThrottled"
    DstServerError = "DstServerError"
    InternalError = "InternalError"  # a bug or a surprise here: retry, never drop
    # Permanent, not in AWS's list: the bytes did not match the version's ETag, or the
    # destination refused the write for a reason no other code names.
    ChecksumMismatch = "ChecksumMismatch"
    # Permanent, Ferry's own (AWS has no bucket quotas): the destination bucket's quota refused
    # the replica. Raising the quota and re-driving the rule's failures completes it.
    DstBucketQuotaExceeded = "DstBucketQuotaExceeded"
    Unknown = "Unknown"

    @property
    def is_transient(self) -> bool:
        return self in _TRANSIENT


_TRANSIENT = frozenset(
    {
        FailureReason.DstRegionUnavailable,
        FailureReason.DstThrottled,
        FailureReason.DstServerError,
        FailureReason.InternalError,
    }
)


@dataclass(frozen=True, slots=True)
class RetryIn:
    delay_s: float


@dataclass(frozen=True, slots=True)
class GiveUp:
    pass


RetryDecision = RetryIn | GiveUp

MAX_EXPONENT = 16


@dataclass(frozen=True, slots=True, kw_only=True)
class RetryPolicy:
    base_delay_s: float = 1.0
    max_delay_s: float = 60.0

    def decide(self, reason: FailureReason, attempts: int, rng: random.Random) -> RetryDecision:
        """`attempts` counts the attempt that just failed (1 for the first)."""
        if not reason.is_transient:
            return GiveUp()
        exponent = min(max(attempts - 1, 0), MAX_EXPONENT)
        ceiling = min(self.max_delay_s, self.base_delay_s * 2**exponent)
        # "Equal jitter": never less than half the backoff, so a sick destination is not
        # hammered, and spread over the other half, so retries do not arrive in waves.
        return RetryIn(ceiling / 2 + rng.uniform(0, ceiling / 2))
