"""Control-plane errors.

A name claimed in the bucket directory fails with the store's bucket errors, which already
carry the AWS meaning (`BucketAlreadyExists`, `BucketAlreadyOwnedByYou`); they are re-exported
here so callers of the control plane need not know where they live.
"""

from __future__ import annotations

from ferry.store.errors import BucketAlreadyExists, BucketAlreadyOwnedByYou

__all__ = ["BucketAlreadyExists", "BucketAlreadyOwnedByYou"]
