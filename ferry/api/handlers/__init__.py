"""One module per S3 operation family; each handler is parse → call one service → encode."""

from __future__ import annotations

__all__: list[str] = []
