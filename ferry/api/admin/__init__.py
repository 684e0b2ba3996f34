"""Ferry's own admin API under `/_ferry/` (failures, accounts, bucket quotas, event outbox,
replication's verify/doctor/explain): JSON, SigV4-signed like S3 requests, for the
deployment's root credentials only.

One pipeline (`pipeline.handle_admin`: resource → authorise → handler) and one error
serialiser (`errors.error_response`); one module per resource. May import the rest of `api`
(auth, context, http, errors), and the services' packages below it (store, replication,
control, events, protocol, core); nothing imports this package but `api/app.py` (and tests).
"""

from __future__ import annotations

from ferry.api.admin.errors import AdminError
from ferry.api.admin.pipeline import RESOURCES, handle_admin, is_admin_request

__all__ = ["RESOURCES", "AdminError", "handle_admin", "is_admin_request"]
