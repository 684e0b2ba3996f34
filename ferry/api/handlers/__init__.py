"""S3's handlers, one module per S3 operation family; each handler is parse → call one
service → encode, reached only through `api/routing.py`'s route table.

May import the shared `api` modules (context, http, access, errors, placement, body) and the
packages below `api`; never `app.py` nor another API family's package."""

from __future__ import annotations

__all__: list[str] = []
