"""The web console at `/_console/`: the seed labs in a browser (buckets, objects, replication
rules, replication status, the failure store with re-drive, batch jobs).

Server-rendered pages (Jinja2) over raw ASGI, with one small script and stylesheet served
from `static/`. Every action is sent to the S3/IAM/S3 Control API of the bucket's region
through `client`, signed as the signed-in user, so the API's policy engine and validation judge
it (docs/console.md); the regional failure store is read from `replication`.

Same layer as `api`, which it never imports. May import replication, control, client, protocol,
config and core.
"""

from __future__ import annotations

from ferry.console.app import MOUNT, ConsoleApp
from ferry.console.deps import ConsoleDeps
from ferry.console.http import ASGIApp
from ferry.console.sessions import Sessions

__all__ = ["ASGIApp", "MOUNT", "ConsoleApp", "ConsoleDeps", "Sessions"]
