"""Every API of a region's endpoint over ASGI: S3, and beside it the families that share its
endpoint, each a package with one pipeline and one error serialiser: `admin/` (Ferry's own
`/_ferry/` admin API, JSON), `iam/` (IAM and STS, query protocol), `kms/` (KMS, JSON 1.1),
`s3control/` (batch jobs, rest-xml). `app.py` picks the family per request from one table.
S3's pipeline is app.py → auth → routing → access → `handlers/`, its errors in `errors.py`.

May import every package below it (replication, control, events, crypto, client, store,
protocol, config, core); only `region.py` (the composition root) imports it. No family
package imports another (an import-linter contract); all of them may import the shared
modules (auth, access, context, http, errors).
"""

from __future__ import annotations

from ferry.api.app import S3App
from ferry.api.auth import Principal, PrincipalKind
from ferry.api.context import Services

__all__ = ["Principal", "PrincipalKind", "S3App", "Services"]
