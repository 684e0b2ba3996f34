"""Ferry's storage benchmark: Ferry against peer S3 servers, plus the machine's own ceiling.

Run `python -m bench.storage --help`. Imports only `ferry.protocol.sigv4` (optionally) from Ferry.
"""

from __future__ import annotations
