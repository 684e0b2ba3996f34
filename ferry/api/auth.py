"""Who sent this request: SigV4 header or presigned URL, SigV2 header or presigned URL,
or nobody.

Only this module turns a request into a `Principal`; handlers receive the verified result and
never look at signatures again (Garage's `VerifiedRequest`). Authentication reads the method,
path, query and headers only; the body is verified later, as it streams, by `api/body.py`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime
from enum import StrEnum
from typing import Protocol

from ferry.api.http import Request
from ferry.core.clock import Clock
from ferry.core.secret import Secret
from ferry.protocol import sigv2, sigv4
from ferry.protocol.errors import S3Error, S3ErrorCode
from ferry.protocol.sigv4 import PayloadMode, SignedAuth, StreamingSigner

MAX_CLOCK_SKEW = timedelta(minutes=15)
SERVICE = "s3"
_C = S3ErrorCode


class PrincipalKind(StrEnum):
    ANONYMOUS = "anonymous"
    DEPLOYMENT_ROOT = "deployment-root"  # the operator's credentials from ferry.toml
    ACCOUNT_ROOT = "account-root"  # an account's own root user
    USER = "user"  # an IAM user
    ROLE = "role"  # a role, as replication workers act
    REPLICATION = "replication"  # the internal identity workers sign with


@dataclass(frozen=True, slots=True, kw_only=True)
class Principal:
    access_key: str
    account_id: str
    arn: str
    is_root: bool = False  # the deployment root: full access everywhere, admin APIs
    kind: PrincipalKind = PrincipalKind.USER

    @property
    def is_anonymous(self) -> bool:
        return not self.access_key


ANONYMOUS = Principal(access_key="", account_id="", arn="*", kind=PrincipalKind.ANONYMOUS)


class KeyLookup(Protocol):
    def lookup(self, access_key: str) -> tuple[Secret, Principal] | None: ...


@dataclass(frozen=True, slots=True, kw_only=True)
class Authenticated:
    """A verified request: who sent it, and what `api/body.py` needs to verify the body."""

    principal: Principal
    payload_mode: PayloadMode
    content_sha256: str | None = None  # lower-case hex when payload_mode is SHA256
    streaming_signer: StreamingSigner | None = None  # for STREAMING-AWS4-HMAC-SHA256-*


def authenticate(
    request: Request,
    keys: KeyLookup,
    clock: Clock,
    region: str,
    *,
    virtual_bucket: str | None = None,
    service: str = SERVICE,
    any_region: bool = False,
    body_sha256: str | None = None,
) -> Authenticated:
    """`virtual_bucket` is the bucket the Host header names (`paths.host_bucket`): a SigV2
    signature covers it although the path does not carry it. `service` is the SigV4 service
    the credential scope must name (`iam`, `sts`, `kms` for those APIs); `any_region` accepts
    any scope region (IAM and STS are global services). `body_sha256` is the hex SHA-256 of a
    body read before authenticating: SDKs sign the body of query/JSON protocol requests
    (IAM, STS, KMS) without sending x-amz-content-sha256."""
    authorization = request.headers.get("authorization")
    params = request.params
    presigned = "X-Amz-Algorithm" in params
    if authorization is not None and (
        presigned or "X-Amz-Signature" in params or "Signature" in params
    ):
        raise S3Error(
            _C.InvalidArgument,
            "Only one auth mechanism allowed; only the X-Amz-Algorithm query parameter, "
            "Signature query string parameter or the Authorization header should be specified",
            ArgumentName="Authorization",
            ArgumentValue=authorization,
        )
    if authorization is not None:
        if authorization.startswith(sigv2.SCHEME + " "):
            return _verify_v2_header(request, authorization, keys, clock, virtual_bucket)
        return _verify(
            request,
            sigv4.parse_authorization(authorization),
            keys,
            clock,
            region,
            service,
            any_region,
            body_sha256,
        )
    if presigned:
        return _verify(
            request,
            sigv4.parse_presigned(params),
            keys,
            clock,
            region,
            service,
            any_region,
            body_sha256,
        )
    if "Signature" in params or "AWSAccessKeyId" in params:
        return _verify_v2_query(request, keys, clock, virtual_bucket)
    return _anonymous(request)


def _declared_body(request: Request) -> tuple[PayloadMode, str | None]:
    """The body mode declared by a request that has no SigV4 signature, and its hex digest."""
    declared = request.headers.get("x-amz-content-sha256")
    mode = sigv4.parse_payload_mode(declared) if declared else PayloadMode.UNSIGNED
    return mode, _hex(mode, declared)


def _anonymous(request: Request) -> Authenticated:
    mode, digest = _declared_body(request)
    if mode.is_signed_streaming:
        raise S3Error(_C.AccessDenied, "Signed aws-chunked bodies need a signed request.")
    return Authenticated(principal=ANONYMOUS, payload_mode=mode, content_sha256=digest)


def _hex(mode: PayloadMode, declared: str | None) -> str | None:
    return declared.lower() if mode is PayloadMode.SHA256 and declared else None


def _lookup(keys: KeyLookup, access_key: str) -> tuple[Secret, Principal]:
    found = keys.lookup(access_key)
    if found is None:
        raise S3Error(_C.InvalidAccessKeyId, AWSAccessKeyId=access_key)
    return found


def _verify(
    request: Request,
    auth: SignedAuth,
    keys: KeyLookup,
    clock: Clock,
    region: str,
    service: str = SERVICE,
    any_region: bool = False,
    body_sha256: str | None = None,
) -> Authenticated:
    credential = auth.credential
    scope_region = credential.region if any_region else region
    sigv4.check_scope(credential, region=scope_region, service=service, presigned=auth.presigned)
    timestamp, moment = _request_time(request, auth)
    if credential.date != timestamp[:8]:
        code = (
            _C.AuthorizationQueryParametersError
            if auth.presigned
            else _C.AuthorizationHeaderMalformed
        )
        raise S3Error(code, "Invalid credential date. Date is not the same as X-Amz-Date.")
    secret, principal = _lookup(keys, credential.access_key)
    _check_time(auth, moment, clock.now())
    _check_signed_headers(request, auth)
    declared = request.headers.get("x-amz-content-sha256") or body_sha256
    if declared:
        mode = sigv4.parse_payload_mode(declared)
    elif auth.presigned:
        mode = PayloadMode.UNSIGNED
    else:
        raise S3Error(
            _C.InvalidRequest, "Missing required header for this request: x-amz-content-sha256"
        )
    key = sigv4.signing_key(secret.reveal(), credential.date, credential.region, credential.service)
    _check_signature(request, auth, key, timestamp, declared or PayloadMode.UNSIGNED.value)
    streaming = None
    if mode.is_signed_streaming:
        if auth.presigned:
            raise S3Error(
                _C.InvalidRequest, "Signed aws-chunked bodies need the Authorization header."
            )
        streaming = StreamingSigner(
            key=key, timestamp=timestamp, scope=credential.scope, seed_signature=auth.signature
        )
    return Authenticated(
        principal=principal,
        payload_mode=mode,
        content_sha256=_hex(mode, declared),
        streaming_signer=streaming,
    )


def _check_signature(
    request: Request, auth: SignedAuth, key: bytes, timestamp: str, payload_hash: str
) -> None:
    query = sigv4.canonical_query(
        request.query_string, exclude="X-Amz-Signature" if auth.presigned else None
    )

    def attempt(uri: str) -> tuple[bool, str, str]:
        canonical = sigv4.canonical_request(
            request.method, uri, query, request.headers, auth.signed_headers, payload_hash
        )
        to_sign = sigv4.string_to_sign(timestamp, auth.credential.scope, canonical)
        return sigv4.signatures_equal(sigv4.sign(key, to_sign), auth.signature), canonical, to_sign

    uri = sigv4.canonical_uri(request.raw_path)
    matched, canonical, to_sign = attempt(uri)
    if matched:
        return
    # The path as sent is what SDKs sign; a client that left characters unencoded (or used
    # lower-case escapes) signed the AWS-encoded form instead. Tried only after a mismatch.
    alternative = sigv4.reencoded_uri(request.raw_path)
    if alternative != uri and attempt(alternative)[0]:
        return
    raise S3Error(
        _C.SignatureDoesNotMatch,
        AWSAccessKeyId=auth.credential.access_key,
        StringToSign=to_sign,
        SignatureProvided=auth.signature,
        CanonicalRequest=_redacted(canonical),
    )


# Signed headers whose values are secrets (SSE-C keys): an error body must not echo them.
_SECRET_HEADERS = (
    "x-amz-server-side-encryption-customer-key:",
    "x-amz-copy-source-server-side-encryption-customer-key:",
)


def _redacted(canonical: str) -> str:
    return "\n".join(
        line.split(":", 1)[0] + ":<redacted>" if line.startswith(_SECRET_HEADERS) else line
        for line in canonical.split("\n")
    )


_NO_DATE = "AWS authentication requires a valid Date or x-amz-date header"


def _request_time(request: Request, auth: SignedAuth) -> tuple[str, datetime]:
    """The signing timestamp (as it goes in the string-to-sign) and the moment it names."""
    if auth.presigned:
        moment = sigv4.parse_amz_date(auth.timestamp)
        assert moment is not None  # parse_presigned validated it
        return auth.timestamp, moment
    amz_date = request.headers.get("x-amz-date")
    if amz_date is not None:
        moment = sigv4.parse_amz_date(amz_date)
        if moment is None:
            raise S3Error(_C.AccessDenied, _NO_DATE)
        return amz_date, moment
    parsed = _parse_http_date(request.headers.get("date"))
    if parsed is None:
        raise S3Error(_C.AccessDenied, _NO_DATE)
    return sigv4.format_amz_date(parsed), parsed


def _parse_http_date(value: str | None) -> datetime | None:
    try:
        parsed = parsedate_to_datetime(value) if value else None
    except (TypeError, ValueError):
        return None
    if parsed is not None and parsed.tzinfo is None:  # "-0000" parses naive: it means UTC
        parsed = parsed.replace(tzinfo=UTC)
    return parsed


def _check_time(auth: SignedAuth, moment: datetime, now: datetime) -> None:
    if auth.presigned:
        if moment - now > MAX_CLOCK_SKEW:
            raise S3Error(_C.AccessDenied, "Request is not valid yet")
        if now > moment + timedelta(seconds=auth.expires_s):
            error = S3Error(_C.AccessDenied, "Request has expired")
            error.fields["X-Amz-Expires"] = str(auth.expires_s)
            error.fields["Expires"] = sigv4.format_amz_date(
                moment + timedelta(seconds=auth.expires_s)
            )
            error.fields["ServerTime"] = sigv4.format_amz_date(now)
            raise error
    elif abs(now - moment) > MAX_CLOCK_SKEW:
        raise S3Error(
            _C.RequestTimeTooSkewed,
            RequestTime=sigv4.format_amz_date(moment),
            ServerTime=sigv4.format_amz_date(now),
            MaxAllowedSkewMilliseconds=int(MAX_CLOCK_SKEW.total_seconds() * 1000),
        )


def _check_signed_headers(request: Request, auth: SignedAuth) -> None:
    """Host must be signed, and so must every x-amz-* header sent, or a holder of a signed
    request (a presigned URL above all) could add x-amz-acl: public-read and still pass."""
    signed = auth.signed_headers
    unsigned = [
        name
        for name in request.headers
        if name.startswith("x-amz-") and name not in signed and name != "x-amz-content-sha256"
    ]
    if "host" not in signed:
        unsigned.insert(0, "host")
    if unsigned:
        raise S3Error(
            _C.AccessDenied,
            "There were headers present in the request which were not signed",
            HeadersNotSigned=", ".join(unsigned),
        )


# ---- Signature Version 2 -------------------------------------------------------------------

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_ISO_FORMAT = "%Y-%m-%dT%H:%M:%SZ"  # how AWS writes times in SigV2 errors


def _verify_v2_header(
    request: Request,
    authorization: str,
    keys: KeyLookup,
    clock: Clock,
    virtual_bucket: str | None,
) -> Authenticated:
    access_key, signature = sigv2.parse_authorization(authorization)
    sent = request.headers.get("x-amz-date", request.headers.get("date"))
    moment = (sigv4.parse_amz_date(sent) or _parse_http_date(sent)) if sent else None
    if sent is None or moment is None:
        raise S3Error(_C.AccessDenied, _NO_DATE)
    secret, principal = _lookup(keys, access_key)
    now = clock.now()
    if abs(now - moment) > MAX_CLOCK_SKEW:
        raise S3Error(
            _C.RequestTimeTooSkewed,
            RequestTime=sent,
            ServerTime=now.strftime(_ISO_FORMAT),
            MaxAllowedSkewMilliseconds=int(MAX_CLOCK_SKEW.total_seconds() * 1000),
        )
    _check_v2_signature(
        request, request.headers, None, secret, access_key, signature, virtual_bucket
    )
    return _v2_authenticated(request, principal)


def _verify_v2_query(
    request: Request, keys: KeyLookup, clock: Clock, virtual_bucket: str | None
) -> Authenticated:
    access_key, signature, expires = sigv2.parse_query(request.params)
    secret, principal = _lookup(keys, access_key)
    now = clock.now()
    if now.timestamp() > expires:  # no upper bound: SigV2 URLs may live for years
        raise S3Error(
            _C.AccessDenied,
            "Request has expired",
            Expires=(_EPOCH + timedelta(seconds=expires)).strftime(_ISO_FORMAT),
            ServerTime=now.strftime(_ISO_FORMAT),
        )
    headers = sigv2.query_headers(request.headers, request.query)
    expires_sent = request.params["Expires"]
    _check_v2_signature(
        request, headers, expires_sent, secret, access_key, signature, virtual_bucket
    )
    return _v2_authenticated(request, principal)


def _check_v2_signature(
    request: Request,
    headers: Mapping[str, str],
    expires: str | None,
    secret: Secret,
    access_key: str,
    provided: str,
    virtual_bucket: str | None,
) -> None:
    """Each reading a known client signs (`sigv2.strings_to_sign`), AWS's first; which one
    matched depends only on the request's shape, never on the secret."""
    key = secret.reveal()
    resources = sigv2.canonical_resources(
        request.raw_path, request.query_string, virtual_bucket=virtual_bucket
    )
    first = ""
    for resource in resources:
        for to_sign in sigv2.strings_to_sign(request.method, headers, resource, expires=expires):
            first = first or to_sign
            if sigv2.signatures_equal(sigv2.sign(key, to_sign), provided):
                return
    raise S3Error(
        _C.SignatureDoesNotMatch,
        AWSAccessKeyId=access_key,
        StringToSign=first,
        SignatureProvided=provided,
        StringToSignBytes=" ".join([f"{byte:02x}" for byte in first.encode()]),
    )


def _v2_authenticated(request: Request, principal: Principal) -> Authenticated:
    """SigV2 signs no body hash; an x-amz-content-sha256 header (signed, as every x-amz-*
    header is) still says how to read and check the body."""
    mode, digest = _declared_body(request)
    if mode.is_signed_streaming:
        raise S3Error(_C.InvalidRequest, "Signed aws-chunked bodies need AWS4-HMAC-SHA256.")
    return Authenticated(principal=principal, payload_mode=mode, content_sha256=digest)


# ---- POST forms (browser-based uploads) ----------------------------------------------------


def _form_field_missing(name: str) -> S3Error:
    return S3Error(
        _C.InvalidArgument,
        f"Bucket POST must contain a field named '{name}'.  If it is specified, please check "
        "the order of the fields.",
        ArgumentName=name,
        ArgumentValue="",
    )


def authenticate_form(fields: Mapping[str, str], keys: KeyLookup, region: str) -> Authenticated:
    """Who signed a POST form (`fields`: lower-case names): SigV4 (`x-amz-signature`, the
    hex HMAC-SHA256 of the base64 policy with the signing key), SigV2 (`signature`, the base64
    HMAC-SHA1 of it with the secret), or nobody when the form has neither credential nor
    policy. The policy's expiration and conditions are checked by the caller."""
    policy = fields.get("policy")
    if "x-amz-signature" in fields or "x-amz-credential" in fields:
        principal = _verify_form_v4(fields, policy, keys, region)
    elif "awsaccesskeyid" in fields or "signature" in fields:
        access_key = fields.get("awsaccesskeyid")
        if not access_key:
            raise _form_field_missing("AWSAccessKeyId")
        provided = fields.get("signature")
        if provided is None:
            raise _form_field_missing("Signature")
        if policy is None:
            raise _form_field_missing("Policy")
        secret, principal = _lookup(keys, access_key)
        if not sigv2.signatures_equal(sigv2.sign(secret.reveal(), policy), provided):
            raise S3Error(
                _C.SignatureDoesNotMatch, AWSAccessKeyId=access_key, StringToSign=policy,
                SignatureProvided=provided,
            )  # fmt: skip
    elif policy is not None:
        raise _form_field_missing("AWSAccessKeyId")
    else:
        principal = ANONYMOUS
    return Authenticated(principal=principal, payload_mode=PayloadMode.UNSIGNED)


def _verify_form_v4(
    fields: Mapping[str, str], policy: str | None, keys: KeyLookup, region: str
) -> Principal:
    for name in ("x-amz-algorithm", "x-amz-credential", "x-amz-date", "x-amz-signature"):
        if name not in fields:
            raise _form_field_missing(name)
    if fields["x-amz-algorithm"] != sigv4.ALGORITHM:
        raise S3Error(
            _C.InvalidArgument, "Unsupported signing algorithm",
            ArgumentName="x-amz-algorithm", ArgumentValue=fields["x-amz-algorithm"],
        )  # fmt: skip
    if policy is None:
        raise _form_field_missing("Policy")
    credential = sigv4.parse_form_credential(fields["x-amz-credential"])
    sigv4.check_scope(credential, region=region, service=SERVICE, presigned=True)
    if sigv4.parse_amz_date(fields["x-amz-date"]) is None:
        raise S3Error(
            _C.InvalidArgument, "X-Amz-Date must be in the ISO8601 Long Format",
            ArgumentName="x-amz-date", ArgumentValue=fields["x-amz-date"],
        )  # fmt: skip
    if credential.date != fields["x-amz-date"][:8]:
        raise S3Error(
            _C.AuthorizationQueryParametersError,
            "Invalid credential date. Date is not the same as X-Amz-Date.",
        )
    secret, principal = _lookup(keys, credential.access_key)
    key = sigv4.signing_key(secret.reveal(), credential.date, credential.region, SERVICE)
    provided = fields["x-amz-signature"]
    if not sigv4.signatures_equal(sigv4.sign(key, policy), provided):
        raise S3Error(
            _C.SignatureDoesNotMatch, AWSAccessKeyId=credential.access_key,
            StringToSign=policy, SignatureProvided=provided,
        )  # fmt: skip
    return principal
