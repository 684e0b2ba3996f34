"""The regional key service's API: AWS KMS's JSON protocol on every region's endpoint.

Every answer, authentication failures included, is KMS's shape: JSON, and for errors HTTP
4xx/5xx with `{"__type": "...Exception", "message": "..."}`. One pipeline
(`pipeline.handle_kms`: authenticate → parse → authorise → operation → encode) and one error
serialiser (`errors.error_response`). Who may use a key: principals of the key's account,
users and roles as their identity policies allow (`access.py`, docs/encryption.md).

May import the rest of `api` (auth, access, context, http, permissions) and the packages
below it (crypto, control, protocol, core); only `api/app.py` (and tests) import it.
"""

from __future__ import annotations

from ferry.api.kms.errors import KmsApiError
from ferry.api.kms.operations import OPERATIONS
from ferry.api.kms.params import Params
from ferry.api.kms.pipeline import SERVICE, handle_kms, has_kms_target

__all__ = ["OPERATIONS", "SERVICE", "KmsApiError", "Params", "handle_kms", "has_kms_target"]
