"""Ferry's own admin API under `/_ferry/` (failures, accounts, bucket quotas, event outbox,
replication's verify/doctor/explain, replication status): JSON, SigV4-signed like S3
requests, for the deployment's root credentials only; and `GET /_ferry/metrics` (Prometheus
text, `metrics.py`), with its own authentication (`[metrics]`).

One pipeline (`pipeline.handle_admin`: resource → authorise → handler) and one error
serialiser (`errors.error_response`); one module per resource. May import the rest of `api`
(auth, context, http, errors), and the services' packages below it (store, replication,
control, events, protocol, core); nothing imports this package but `api/app.py` (and tests).
"""

from __future__ import annotations

from ferry.api.admin.errors import AdminError
from ferry.api.admin.metrics import handle_metrics, is_metrics_request
from ferry.api.admin.pipeline import RESOURCES, handle_admin, is_admin_request

__all__ = [
    "RESOURCES",
    "AdminError",
    "handle_admin",
    "handle_metrics",
    "is_admin_request",
    "is_metrics_request",
]
