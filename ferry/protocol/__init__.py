"""Pure S3 wire format: paths, SigV4, aws-chunked, checksums, XML codecs, error codes.

No I/O. Imports only `ferry.core`. Shared by `api` (inbound) and `client` (outbound).
"""

from __future__ import annotations

from ferry.protocol.errors import MESSAGE, STATUS, S3Error, S3ErrorCode

__all__ = ["MESSAGE", "STATUS", "S3Error", "S3ErrorCode"]
