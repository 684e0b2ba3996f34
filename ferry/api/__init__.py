"""S3 over ASGI: routing, authentication, handlers, error mapping.

May import store, protocol, config, core (and, later, control/replication/events facades).
"""

from __future__ import annotations

__all__: list[str] = []
