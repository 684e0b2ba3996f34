"""What a handler receives: the verified principal, the addressed resource, the services."""

from __future__ import annotations

from dataclasses import dataclass

from ferry.api.auth import Authenticated, Principal
from ferry.api.http import Request
from ferry.config import RegionConfig
from ferry.core.clock import Clock
from ferry.store import Buckets, Listings, Objects, Uploads


@dataclass(frozen=True, slots=True, kw_only=True)
class Services:
    """Facades of one region; built only by `region.py`."""

    buckets: Buckets
    objects: Objects
    uploads: Uploads
    listings: Listings
    clock: Clock
    region: RegionConfig
    owner_id: str  # canonical ID of the root account, shown as Owner


@dataclass(frozen=True, slots=True, kw_only=True)
class RequestContext:
    request: Request
    auth: Authenticated
    bucket: str
    key: str
    request_id: str
    services: Services

    @property
    def principal(self) -> Principal:
        return self.auth.principal

    def param(self, name: str, default: str | None = None) -> str | None:
        return self.request.params.get(name, default)

    def header(self, name: str, default: str | None = None) -> str | None:
        return self.request.headers.get(name, default)
