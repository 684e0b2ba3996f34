"""Bucket lifecycle: what a bucket's rules ask of its versions (rules.py, pure), whether a
version may be acted on now (eligibility.py), and the per-region worker that applies them
durably (worker.py). The configuration's wire format is protocol's; what is stored, and the
changes themselves, are the store's.

May import store, protocol, config and core only.
"""

from __future__ import annotations

from ferry.lifecycle.eligibility import may_expire
from ferry.lifecycle.rules import expiration_of
from ferry.lifecycle.worker import LifecycleWorker, PassReport

__all__ = ["LifecycleWorker", "PassReport", "expiration_of", "may_expire"]
