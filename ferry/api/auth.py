"""Who sent this request: SigV4 header, presigned URL, or nobody.

Only this module turns a request into a `Principal`; handlers receive the verified result and
never look at signatures again (Garage's `VerifiedRequest`). Authentication reads the method,
path, query and headers only; the body is verified later, as it streams, by `api/body.py`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime
from typing import Protocol

from ferry.api.http import Request
from ferry.core.clock import Clock
from ferry.core.secret import Secret
from ferry.protocol import sigv4
from ferry.protocol.errors import S3Error, S3ErrorCode
from ferry.protocol.sigv4 import PayloadMode, SignedAuth, StreamingSigner

MAX_CLOCK_SKEW = timedelta(minutes=15)
SERVICE = "s3"
_C = S3ErrorCode


@dataclass(frozen=True, slots=True, kw_only=True)
class Principal:
    access_key: str
    account_id: str
    arn: str
    is_root: bool = False

    @property
    def is_anonymous(self) -> bool:
        return not self.access_key


ANONYMOUS = Principal(access_key="", account_id="", arn="*")


class KeyLookup(Protocol):
    def lookup(self, access_key: str) -> tuple[Secret, Principal] | None: ...


@dataclass(frozen=True, slots=True, kw_only=True)
class Authenticated:
    """A verified request: who sent it, and what `api/body.py` needs to verify the body."""

    principal: Principal
    payload_mode: PayloadMode
    content_sha256: str | None = None  # lower-case hex when payload_mode is SHA256
    streaming_signer: StreamingSigner | None = None  # for STREAMING-AWS4-HMAC-SHA256-*


_UNSUPPORTED = (
    "The authorization mechanism you have provided is not supported. Please use AWS4-HMAC-SHA256."
)


def authenticate(request: Request, keys: KeyLookup, clock: Clock, region: str) -> Authenticated:
    authorization = request.headers.get("authorization")
    params = request.params
    presigned = "X-Amz-Algorithm" in params
    if authorization is not None and (presigned or "X-Amz-Signature" in params):
        raise S3Error(
            _C.InvalidArgument,
            "Only one auth mechanism allowed; only the X-Amz-Algorithm query parameter, "
            "Signature query string parameter or the Authorization header should be specified",
            ArgumentName="Authorization",
            ArgumentValue=authorization,
        )
    if authorization is not None:
        if authorization.startswith("AWS "):
            raise S3Error(_C.InvalidRequest, _UNSUPPORTED)
        return _verify(request, sigv4.parse_authorization(authorization), keys, clock, region)
    if presigned:
        return _verify(request, sigv4.parse_presigned(params), keys, clock, region)
    if "Signature" in params and "AWSAccessKeyId" in params:
        raise S3Error(_C.InvalidRequest, _UNSUPPORTED)
    return _anonymous(request)


def _anonymous(request: Request) -> Authenticated:
    declared = request.headers.get("x-amz-content-sha256")
    mode = sigv4.parse_payload_mode(declared) if declared else PayloadMode.UNSIGNED
    if mode.is_signed_streaming:
        raise S3Error(_C.AccessDenied, "Signed aws-chunked bodies need a signed request.")
    return Authenticated(
        principal=ANONYMOUS, payload_mode=mode, content_sha256=_hex(mode, declared)
    )


def _hex(mode: PayloadMode, declared: str | None) -> str | None:
    return declared.lower() if mode is PayloadMode.SHA256 and declared else None


def _verify(
    request: Request, auth: SignedAuth, keys: KeyLookup, clock: Clock, region: str
) -> Authenticated:
    credential = auth.credential
    sigv4.check_scope(credential, region=region, service=SERVICE, presigned=auth.presigned)
    timestamp, moment = _request_time(request, auth)
    if credential.date != timestamp[:8]:
        code = (
            _C.AuthorizationQueryParametersError
            if auth.presigned
            else _C.AuthorizationHeaderMalformed
        )
        raise S3Error(code, "Invalid credential date. Date is not the same as X-Amz-Date.")
    found = keys.lookup(credential.access_key)
    if found is None:
        raise S3Error(_C.InvalidAccessKeyId, AWSAccessKeyId=credential.access_key)
    secret, principal = found
    _check_time(auth, moment, clock.now())
    _check_signed_headers(request, auth)
    declared = request.headers.get("x-amz-content-sha256")
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
        CanonicalRequest=canonical,
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
    date = request.headers.get("date")
    try:
        parsed = parsedate_to_datetime(date) if date else None
    except (TypeError, ValueError):
        parsed = None
    if parsed is None:
        raise S3Error(_C.AccessDenied, _NO_DATE)
    if parsed.tzinfo is None:  # "-0000", which botocore sends, parses naive: it means UTC
        parsed = parsed.replace(tzinfo=UTC)
    return sigv4.format_amz_date(parsed), parsed


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
