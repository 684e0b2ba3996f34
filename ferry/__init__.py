"""Ferry: an S3-compatible object store built around cross-region replication."""

from __future__ import annotations

__all__: list[str] = []
