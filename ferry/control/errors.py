"""Control-plane errors.

A name claimed in the bucket directory fails with the store's bucket errors, which already
carry the AWS meaning (`BucketAlreadyExists`, `BucketAlreadyOwnedByYou`); they are re-exported
here so callers of the control plane need not know where they live.
"""

from __future__ import annotations

from ferry.core.errors import FerryError, Invalid
from ferry.store.errors import BucketAlreadyExists, BucketAlreadyOwnedByYou


class AccessDenied(FerryError):
    """Access Denied"""


class MalformedPolicy(Invalid):
    """This policy contains invalid Json"""


class PolicyTooLarge(MalformedPolicy):
    """The policy document exceeds the maximum allowed size."""

    # fields: limit, size (IAM answers LimitExceeded; S3 answers MalformedPolicy)


__all__ = [
    "AccessDenied",
    "BucketAlreadyExists",
    "BucketAlreadyOwnedByYou",
    "MalformedPolicy",
    "PolicyTooLarge",
]
