"""The audit event of one request, built by the app's pipeline once the response is sent:
from what the API family's pipeline noted (`CallNote`: the verified principal, the operation,
the bucket and key), the response's status and a few of its headers, and the timings.

Nothing is read from the request's credentials but the access key ID; the request URI loses
its signature parameters (`records.redact_query`), and only named response headers become
responseElements. A replica batch becomes one event per replica it wrote, as its items' own
requests would have been recorded.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass, replace
from urllib.parse import quote

from ferry.api.auth import Principal, PrincipalKind
from ferry.api.context import ApiCall, CallNote, ItemNote
from ferry.api.http import Request, Response
from ferry.events.trail import REPLICATION_SESSION, S3_SERVICE, TrailEvent, redact_query
from ferry.replication.identity import REPLICATION_ROLE_HEADER

# CloudTrail's eventSource per API family (`app.FAMILIES`); S3 Control's calls are S3's.
EVENT_SOURCES = {
    "s3": "s3.amazonaws.com",
    "iam": "iam.amazonaws.com",
    "sts": "sts.amazonaws.com",
    "kms": "kms.amazonaws.com",
    "s3-control": "s3.amazonaws.com",
    "admin": "admin.ferry",
}
# A replica write is recorded as the object operation it makes (AWS: invokedBy S3).
REPLICA_OPERATIONS = {
    "ReplicateObject": "PutObject",
    "ReplicateDelete": "DeleteObject",
    "ReplicateTags": "PutObjectTagging",
}
RESPONSE_ELEMENTS = ("x-amz-version-id", "x-amz-delete-marker", "x-amz-server-side-encryption")
_XML_CODE = re.compile(rb"<Code>([^<]{1,128})</Code>")
_XML_MESSAGE = re.compile(rb"<Message>([^<]{0,512})</Message>")
_JSON_CODE = re.compile(rb'"(?:__type|Code|code)"\s*:\s*"([^"]{1,128})"')
_JSON_MESSAGE = re.compile(rb'"(?:message|Message)"\s*:\s*"([^"]{0,512})"')
_CONTROL_JOB = re.compile(r"^/v20180820/jobs/[^/]+(/status|/priority)?$")


@dataclass(frozen=True, slots=True, kw_only=True)
class Timing:
    start_ms: int
    first_byte_ms: int  # the response's status line went out
    end_ms: int
    bytes_sent: int


def trail_events(
    call: ApiCall, family: str, response: Response, timing: Timing
) -> list[TrailEvent]:
    """The request's events; [] for what is not an API call (`/_ferry/health`)."""
    source = EVENT_SOURCES.get(family)
    if source is None:
        return []
    note, request = call.note, call.request
    name = _event_name(note, family, request)
    base = _event(call, source, name, response, timing)
    if not note.items:
        return [base]
    return [_item_event(base, item, index) for index, item in enumerate(note.items)]


def _event_name(note: CallNote, family: str, request: Request) -> str:
    if family == "s3-control":
        return _control_operation(request)
    if family == "admin":
        return f"{request.method.title()}Admin{note.operation.title()}"
    if note.operation:
        return REPLICA_OPERATIONS.get(note.operation, note.operation)
    return f"{request.method.title()}Unknown"


def _control_operation(request: Request) -> str:
    if request.path.rstrip("/") == "/v20180820/jobs":
        return "CreateJob" if request.method == "POST" else "ListJobs"
    found = _CONTROL_JOB.match(request.path)
    if found is None:
        return "Unknown"
    return {None: "DescribeJob", "/status": "UpdateJobStatus", "/priority": "UpdateJobPriority"}[
        found.group(1)
    ]


def _event(call: ApiCall, source: str, name: str, response: Response, timing: Timing) -> TrailEvent:
    request, note = call.request, call.note
    headers = request.headers
    identity = _identity(note.principal, headers)
    error_code, error_message = _error_of(response)
    query = redact_query(request.query_string.decode("latin-1"))
    elements = {n: v for n, v in response.headers if n in RESPONSE_ELEMENTS}
    signature, auth_type = _authentication(request)
    return TrailEvent(
        time_ms=timing.start_ms, event_source=source, event_name=name,
        region=call.services.region.name, source_ip=request.client_host or "",
        user_agent=headers.get("user-agent", ""), **identity,
        bucket=note.bucket, key=note.key,
        version_id=request.params.get("versionId") or elements.get("x-amz-version-id", ""),
        error_code=error_code, error_message=error_message,
        request_id=call.request_id, event_id=_event_id(call.request_id, 0),
        http_status=response.status, method=request.method,
        request_uri=request.raw_path + (f"?{query}" if query else ""),
        bytes_sent=timing.bytes_sent, object_size=_object_size(request, response),
        total_ms=timing.end_ms - timing.start_ms,
        turnaround_ms=timing.first_byte_ms - timing.start_ms,
        referer=headers.get("referer", ""), host=headers.get("host", ""),
        signature_version=signature, auth_type=auth_type, bucket_owner="",
        response_elements=json.dumps(elements, separators=(",", ":")) if elements else "",
    )  # fmt: skip


# The method each replica's own request would have used (the access log's REST.<METHOD>.…).
ITEM_METHODS = {"PutObject": "PUT", "DeleteObject": "DELETE", "PutObjectTagging": "PUT"}


def _item_event(base: TrailEvent, item: ItemNote, index: int) -> TrailEvent:
    elements = {"x-amz-version-id": item.version_id} if not item.error_code else {}
    uri = f"/{base.bucket}/{quote(item.key)}"
    if item.operation == "PutObjectTagging":
        uri += "?tagging"
    return replace(
        base, event_name=item.operation, key=item.key, version_id=item.version_id,
        error_code=item.error_code, error_message=item.error_message,
        event_id=_event_id(base.request_id, index + 1), object_size=item.size,
        http_status=item.status, method=ITEM_METHODS.get(item.operation, base.method),
        request_uri=uri,
        response_elements=json.dumps(elements, separators=(",", ":")) if elements else "",
    )  # fmt: skip


def _identity(principal: Principal | None, headers: dict[str, str]) -> dict[str, str]:
    if principal is None or principal.is_anonymous:
        return _identity_fields("AWSAccount", account_id="anonymous" if principal else "")
    if principal.kind is PrincipalKind.REPLICATION:
        role = headers.get(REPLICATION_ROLE_HEADER, "")
        return _replication_identity(principal, role)
    kind = principal.kind
    if kind in (PrincipalKind.DEPLOYMENT_ROOT, PrincipalKind.ACCOUNT_ROOT) or principal.is_root:
        return _identity_fields(
            "Root", principal_id=principal.account_id, arn=principal.arn,
            account_id=principal.account_id, access_key_id=principal.access_key,
        )  # fmt: skip
    if kind is PrincipalKind.ROLE:
        return _identity_fields(
            "AssumedRole", principal_id=_unique_id("AROA", principal.arn), arn=principal.arn,
            account_id=principal.account_id, access_key_id=principal.access_key,
        )  # fmt: skip
    return _identity_fields(
        "IAMUser", principal_id=_unique_id("AIDA", principal.arn), arn=principal.arn,
        account_id=principal.account_id, access_key_id=principal.access_key,
    )  # fmt: skip


def _replication_identity(principal: Principal, role_arn: str) -> dict[str, str]:
    """S3 acting as the rule's role (AWS: an assumed-role session, invokedBy S3)."""
    parts = role_arn.split(":", 5)
    account = parts[4] if len(parts) == 6 else principal.account_id
    role_name = role_arn.rsplit("/", 1)[-1] if role_arn else "replication"
    session_arn = f"arn:aws:sts::{account}:assumed-role/{role_name}/{REPLICATION_SESSION}"
    return _identity_fields(
        "AssumedRole", principal_id=f"{_unique_id('AROA', role_arn)}:{REPLICATION_SESSION}",
        arn=session_arn, account_id=account, access_key_id=principal.access_key,
        invoked_by=S3_SERVICE, session_issuer=role_arn,
    )  # fmt: skip


def _identity_fields(
    type_: str, *, principal_id: str = "", arn: str = "", account_id: str = "",
    access_key_id: str = "", invoked_by: str = "", session_issuer: str = "",
) -> dict[str, str]:  # fmt: skip
    return {
        "identity_type": type_, "principal_id": principal_id, "arn": arn,
        "account_id": account_id, "access_key_id": access_key_id, "invoked_by": invoked_by,
        "session_issuer": session_issuer,
    }  # fmt: skip


def _unique_id(prefix: str, arn: str) -> str:
    """A stable IAM-style unique ID derived from the ARN (Ferry keeps none of its own)."""
    return prefix + hashlib.sha256(arn.encode()).hexdigest()[:17].upper()


def _event_id(request_id: str, index: int) -> str:
    digest = hashlib.md5(f"{request_id}/{index}".encode(), usedforsecurity=False).hexdigest()
    return f"{digest[:8]}-{digest[8:12]}-{digest[12:16]}-{digest[16:20]}-{digest[20:32]}"


def _authentication(request: Request) -> tuple[str, str]:
    authorization = request.headers.get("authorization", "")
    if authorization.startswith("AWS4-"):
        return "SigV4", "AuthHeader"
    if authorization.startswith("AWS "):
        return "SigV2", "AuthHeader"
    if "X-Amz-Signature" in request.params:
        return "SigV4", "QueryString"
    if "Signature" in request.params:
        return "SigV2", "QueryString"
    return "", ""


def _object_size(request: Request, response: Response) -> int:
    if request.method in ("PUT", "POST"):
        declared = request.headers.get("x-amz-decoded-content-length") or request.headers.get(
            "content-length", ""
        )
        return int(declared) if declared.isdigit() else 0
    if isinstance(response.body, bytes):
        return len(response.body) if response.status < 300 else 0
    return response.content_length or 0


def _error_of(response: Response) -> tuple[str, str]:
    """The error code and message of an error response (XML or JSON), from its body."""
    if response.status < 400 or not isinstance(response.body, bytes):
        return "", ""
    body = response.body[:4096]
    code = _XML_CODE.search(body) or _JSON_CODE.search(body)
    message = _XML_MESSAGE.search(body) or _JSON_MESSAGE.search(body)
    return (
        code.group(1).decode("utf-8", "replace").rsplit("#", 1)[-1]
        if code
        else str(response.status),
        message.group(1).decode("utf-8", "replace") if message else "",
    )
