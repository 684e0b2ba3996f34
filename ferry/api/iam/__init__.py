"""IAM and STS over the AWS query protocol (form-encoded requests, XML responses), on every
region's endpoint; the state lives in the control plane, so IAM is global as in AWS.

A request is told apart from S3 by the SigV4 service it is signed for (`iam`, `sts`; see
`api/app.py`); any scope region is accepted. One pipeline (`pipeline.py`: parse →
authenticate → operation → render) and one error serialiser (`errors.error_response`, the
query protocol's `ErrorResponse`, never S3's, never carrying a secret); one module per
resource (users, roles, inline and managed policies).

May import the rest of `api` (auth, access, context, http) and the packages below it
(control, protocol, core); only `api/app.py` (and tests) import it.
"""

from __future__ import annotations

from ferry.api.iam.pipeline import handle_iam, handle_sts

__all__ = ["handle_iam", "handle_sts"]
