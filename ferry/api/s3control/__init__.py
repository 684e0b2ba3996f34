"""S3 Control on the region's endpoint (rest-xml, SigV4 service `s3`): Batch Operations' jobs
under `/v20180820/jobs`.

S3 Control has its own error document (`<ErrorResponse><Error>…`) and codes, so its requests
do not go through the S3 route table. One pipeline (`pipeline.handle_control`: authenticate →
own account → jobs → encode) and one error serialiser (`errors.error_response`).

May import the rest of `api` (auth, access, context, errors, http) and the packages below it
(replication, control, protocol, core); only `api/app.py` (and tests) import it.
"""

from __future__ import annotations

from ferry.api.s3control.pipeline import handle_control, is_control_request

__all__ = ["handle_control", "is_control_request"]
