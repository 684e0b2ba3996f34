from __future__ import annotations

from datetime import UTC, datetime
from email.utils import format_datetime
from typing import Any
from urllib.parse import urlsplit

import pytest
from botocore.auth import HmacV1Auth, HmacV1QueryAuth
from botocore.awsrequest import AWSRequest
from botocore.config import Config
from botocore.credentials import Credentials
from botocore.utils import switch_to_virtual_host_style

from ferry.api.auth import ANONYMOUS, Authenticated, Principal, authenticate
from ferry.api.http import Request
from ferry.config import DEFAULT_VIRTUAL_HOST_DOMAINS
from ferry.core import FakeClock
from ferry.protocol import sigv2, sigv4
from ferry.protocol.errors import S3Error, S3ErrorCode
from ferry.protocol.paths import host_bucket
from ferry.protocol.sigv4 import PayloadMode

from .builders import (
    ACCESS_KEY,
    NOW,
    PRINCIPAL,
    REGION,
    SECRET_KEY,
    FakeKeys,
    boto3_request,
    botocore_presigned,
    botocore_signed,
    build_request,
    from_botocore,
)

pytestmark = pytest.mark.usefixtures("botocore_now")
C = S3ErrorCode
URL = "http://localhost:9000/bucket/key.txt"
ODD_KEYS = ["a b.txt", "ключ/日本語.bin", "a+b=c&d.txt", "100%~tilde", "x!'()*$@,;:.txt", "a//b"]


def _as_the_app(request: Request, keys: FakeKeys, clock: FakeClock) -> Authenticated:
    """As app.py calls it: the virtual-hosted bucket comes from the Host header."""
    bucket = host_bucket(request.headers.get("host", ""), DEFAULT_VIRTUAL_HOST_DOMAINS)
    return authenticate(request, keys, clock, REGION, virtual_bucket=bucket)


def accepted(request: Request, keys: FakeKeys, clock: FakeClock) -> Authenticated:
    return _as_the_app(request, keys, clock)


def rejected(request: Request, keys: FakeKeys, clock: FakeClock, code: S3ErrorCode) -> S3Error:
    with pytest.raises(S3Error) as caught:
        _as_the_app(request, keys, clock)
    assert caught.value.code is code, caught.value.message
    return caught.value


def signed(method: str = "PUT", url: str = URL, body: bytes = b"data", **kwargs: Any) -> Request:
    return from_botocore(botocore_signed(method, url, body=body, **kwargs))


# ---- accepted


@pytest.mark.parametrize("key", ODD_KEYS)
def test_botocore_signed_put_with_odd_key_is_accepted(
    key: str, keys: FakeKeys, clock: FakeClock
) -> None:
    url = "http://localhost:9000/bucket/" + sigv4.uri_encode(key, keep_slash=True)
    auth = accepted(signed("PUT", url, b"hello"), keys, clock)
    assert auth.principal == PRINCIPAL
    assert auth.payload_mode is PayloadMode.SHA256
    assert auth.content_sha256 == "2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824"
    assert auth.streaming_signer is None


@pytest.mark.parametrize(
    "params",
    [
        {"list-type": "2", "prefix": "a b+c", "delimiter": "/"},
        {"prefix": "100% ~ é=&", "start-after": "x", "encoding-type": "url"},
        {"versions": "", "key-marker": "ключ"},
    ],
)
def test_botocore_signed_get_with_odd_query_is_accepted(
    params: dict[str, str], keys: FakeKeys, clock: FakeClock
) -> None:
    request = signed("GET", "http://localhost:9000/bucket", b"", params=params)
    assert accepted(request, keys, clock).principal == PRINCIPAL


def test_boto3_put_object_over_https_uses_unsigned_trailer(
    keys: FakeKeys, real_clock: FakeClock
) -> None:
    prepared = boto3_request("https://localhost:8443", "put_object", Bucket="b", Key="k", Body=b"x")
    auth = accepted(from_botocore(prepared), keys, real_clock)
    assert auth.payload_mode is PayloadMode.STREAMING_UNSIGNED_TRAILER
    assert auth.content_sha256 is None


@pytest.mark.parametrize("key", ODD_KEYS)
def test_boto3_put_object_over_http_signs_the_payload(
    key: str, keys: FakeKeys, real_clock: FakeClock
) -> None:
    prepared = boto3_request("http://127.0.0.1:9000", "put_object", Bucket="b", Key=key, Body=b"x")
    auth = accepted(from_botocore(prepared), keys, real_clock)
    assert auth.payload_mode is PayloadMode.SHA256


def test_boto3_list_objects_with_odd_prefix_is_accepted(
    keys: FakeKeys, real_clock: FakeClock
) -> None:
    prepared = boto3_request(
        "http://127.0.0.1:9000", "list_objects_v2", Bucket="b", Prefix="a b+c%~/ü", StartAfter="="
    )
    assert accepted(from_botocore(prepared), keys, real_clock).principal == PRINCIPAL


def test_boto3_presigned_url_is_accepted(keys: FakeKeys, real_clock: FakeClock) -> None:
    import boto3
    from botocore.config import Config

    client = boto3.session.Session().client(
        "s3",
        endpoint_url="http://127.0.0.1:9000",
        region_name=REGION,
        aws_access_key_id=ACCESS_KEY,
        aws_secret_access_key=SECRET_KEY,
        config=Config(s3={"addressing_style": "path"}, signature_version="s3v4"),
    )
    url = client.generate_presigned_url(
        "get_object", Params={"Bucket": "b", "Key": "a b/ключ+~.txt"}, ExpiresIn=600
    )
    auth = accepted(build_request("GET", url, {}), keys, real_clock)
    assert auth.principal == PRINCIPAL
    assert auth.payload_mode is PayloadMode.UNSIGNED


def test_botocore_presigned_put_with_signed_content_type(keys: FakeKeys, clock: FakeClock) -> None:
    presigned = botocore_presigned("PUT", URL, headers={"Content-Type": "text/plain"})
    request = build_request("PUT", presigned.url, {"content-type": "text/plain"}, b"x")
    assert accepted(request, keys, clock).principal == PRINCIPAL


def test_presigned_url_from_our_own_signer(keys: FakeKeys, clock: FakeClock) -> None:
    url = sigv4.presign_url("GET", URL, ACCESS_KEY, SECRET_KEY, REGION, clock.now(), 60)
    assert accepted(build_request("GET", url, {}), keys, clock).principal == PRINCIPAL


def test_presigned_request_may_declare_its_payload_hash(keys: FakeKeys, clock: FakeClock) -> None:
    presigned = botocore_presigned("PUT", URL)
    digest = sigv4.EMPTY_SHA256
    request = build_request("PUT", presigned.url, {"x-amz-content-sha256": digest})
    # The declared hash replaces UNSIGNED-PAYLOAD in the canonical request, so it must be signed.
    rejected(request, keys, clock, C.SignatureDoesNotMatch)


def test_sign_headers_request_is_accepted(keys: FakeKeys, clock: FakeClock) -> None:
    headers = {"Content-Type": "text/plain", "X-Amz-Meta-Note": "a  b"}
    added = sigv4.sign_headers(
        "PUT", URL, headers, "UNSIGNED-PAYLOAD", ACCESS_KEY, SECRET_KEY, REGION, clock.now()
    )
    auth = accepted(build_request("PUT", URL, headers | added), keys, clock)
    assert auth.payload_mode is PayloadMode.UNSIGNED


def test_date_header_instead_of_x_amz_date(keys: FakeKeys, clock: FakeClock) -> None:
    date = format_datetime(clock.now(), usegmt=True)
    request = signed(headers={"Date": date})
    assert "x-amz-date" not in request.headers
    assert accepted(request, keys, clock).principal == PRINCIPAL


def test_session_token_is_signed_along(keys: FakeKeys, clock: FakeClock) -> None:
    added = sigv4.sign_headers(
        "GET", URL, {}, sigv4.EMPTY_SHA256, ACCESS_KEY, SECRET_KEY, REGION, clock.now(),
        session_token="token",
    )  # fmt: skip
    assert added["x-amz-security-token"] == "token"
    assert "x-amz-security-token" in added["authorization"]
    assert accepted(build_request("GET", URL, added), keys, clock).principal == PRINCIPAL


def test_date_header_is_checked_for_skew(keys: FakeKeys, clock: FakeClock) -> None:
    request = signed(headers={"Date": "ignored: botocore sets its own"})
    late = {k: v for k, v in request.headers.items()} | {"date": "Thu, 01 Jan 2026 13:00:00 GMT"}
    error = rejected(build_request("PUT", URL, late), keys, clock, C.RequestTimeTooSkewed)
    assert error.fields["RequestTime"] == "20260101T130000Z"


def test_unencoded_path_signed_in_aws_encoding_is_accepted(
    keys: FakeKeys, clock: FakeClock
) -> None:
    # A client that sends "!" raw but signs it as %21, as a strict SDK encoder would.
    prepared = botocore_signed("GET", "http://localhost:9000/bucket/a%21b")
    request = build_request("GET", "http://localhost:9000/bucket/a!b", prepared.headers.items())
    assert accepted(request, keys, clock).principal == PRINCIPAL


# ---- AWS documentation example: "Transferring Payload in Multiple Chunks"

DOC_SEED = "4f232c4386841ef735655705268965c44a0e4690baa4adea153f7db9fa80a0a9"
DOC_CHUNKED_HEADERS = {
    "host": "s3.amazonaws.com",
    "x-amz-date": "20130524T000000Z",
    "x-amz-storage-class": "REDUCED_REDUNDANCY",
    "authorization": "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/"
    "aws4_request,SignedHeaders=content-encoding;content-length;host;x-amz-content-sha256;"
    f"x-amz-date;x-amz-decoded-content-length;x-amz-storage-class,Signature={DOC_SEED}",
    "x-amz-content-sha256": "STREAMING-AWS4-HMAC-SHA256-PAYLOAD",
    "content-encoding": "aws-chunked",
    "x-amz-decoded-content-length": "66560",
    "content-length": "66824",
}
DOC_KEYS = FakeKeys(
    {"AKIAIOSFODNN7EXAMPLE": ("wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", PRINCIPAL)}
)
DOC_CLOCK_START = datetime(2013, 5, 24, 0, 5, tzinfo=UTC)


def test_example_seed_signature_gives_a_streaming_signer() -> None:
    request = build_request(
        "PUT", "http://s3.amazonaws.com/examplebucket/chunkObject.txt", DOC_CHUNKED_HEADERS
    )
    auth = authenticate(request, DOC_KEYS, FakeClock(DOC_CLOCK_START), "us-east-1")
    assert auth.payload_mode is PayloadMode.STREAMING_SIGNED
    signer = auth.streaming_signer
    assert signer is not None
    assert signer.seed_signature == DOC_SEED
    assert signer.timestamp == "20130524T000000Z"
    assert signer.scope == "20130524/us-east-1/s3/aws4_request"


def test_presigned_request_cannot_send_a_signed_chunked_body(
    keys: FakeKeys, clock: FakeClock
) -> None:
    streaming = "STREAMING-AWS4-HMAC-SHA256-PAYLOAD"
    base = sigv4.presign_url("PUT", URL, ACCESS_KEY, SECRET_KEY, REGION, clock.now())
    base = base.split("&X-Amz-Signature=")[0]
    parts = urlsplit(base)
    canonical = sigv4.canonical_request(
        "PUT", parts.path, sigv4.canonical_query(parts.query), {"host": "localhost:9000"},
        ["host"], streaming,
    )  # fmt: skip
    scope = f"20260101/{REGION}/s3/aws4_request"
    key = sigv4.signing_key(SECRET_KEY, "20260101", REGION, "s3")
    signature = sigv4.sign(key, sigv4.string_to_sign("20260101T120000Z", scope, canonical))
    url = f"{base}&X-Amz-Signature={signature}"
    request = build_request("PUT", url, {"x-amz-content-sha256": streaming})
    error = rejected(request, keys, clock, C.InvalidRequest)
    assert "Authorization header" in error.message


# ---- anonymous and unsupported mechanisms


def test_no_credentials_is_anonymous(keys: FakeKeys, clock: FakeClock) -> None:
    auth = accepted(build_request("GET", URL, {}), keys, clock)
    assert auth.principal is ANONYMOUS
    assert auth.principal.is_anonymous
    assert not PRINCIPAL.is_anonymous
    assert auth.payload_mode is PayloadMode.UNSIGNED


def test_anonymous_body_modes(keys: FakeKeys, clock: FakeClock) -> None:
    digest = sigv4.EMPTY_SHA256.upper()
    auth = accepted(build_request("PUT", URL, {"x-amz-content-sha256": digest}), keys, clock)
    assert auth.payload_mode is PayloadMode.SHA256
    assert auth.content_sha256 == sigv4.EMPTY_SHA256
    trailer = {"x-amz-content-sha256": "STREAMING-UNSIGNED-PAYLOAD-TRAILER"}
    auth = accepted(build_request("PUT", URL, trailer), keys, clock)
    assert auth.payload_mode is PayloadMode.STREAMING_UNSIGNED_TRAILER
    streaming = {"x-amz-content-sha256": "STREAMING-AWS4-HMAC-SHA256-PAYLOAD"}
    rejected(build_request("PUT", URL, streaming), keys, clock, C.AccessDenied)


def test_header_and_query_auth_together_are_refused(keys: FakeKeys, clock: FakeClock) -> None:
    presigned = botocore_presigned("GET", URL)
    request = build_request("GET", presigned.url, {"authorization": "AWS4-HMAC-SHA256 x"})
    error = rejected(request, keys, clock, C.InvalidArgument)
    assert error.fields["ArgumentName"] == "Authorization"


def test_unknown_scheme_is_malformed(keys: FakeKeys, clock: FakeClock) -> None:
    request = build_request("GET", URL, {"authorization": "Bearer token"})
    rejected(request, keys, clock, C.AuthorizationHeaderMalformed)


# ---- header authentication failures


def test_unknown_access_key(keys: FakeKeys, clock: FakeClock) -> None:
    error = rejected(signed(access_key="AKIAUNKNOWN"), keys, clock, C.InvalidAccessKeyId)
    assert error.status == 403
    assert error.fields == {"AWSAccessKeyId": "AKIAUNKNOWN"}


def test_wrong_secret_does_not_match(keys: FakeKeys, clock: FakeClock) -> None:
    error = rejected(signed(secret_key="wrong"), keys, clock, C.SignatureDoesNotMatch)
    assert error.status == 403
    assert error.fields["AWSAccessKeyId"] == ACCESS_KEY
    assert error.fields["StringToSign"].startswith("AWS4-HMAC-SHA256\n20260101T120000Z\n")
    assert error.fields["CanonicalRequest"].startswith("PUT\n/bucket/key.txt\n")
    assert len(error.fields["SignatureProvided"]) == 64


def test_a_signature_error_never_echoes_an_sse_c_key(keys: FakeKeys, clock: FakeClock) -> None:
    secret = "c2VjcmV0LWN1c3RvbWVyLWtleS0zMi1ieXRlcy0hISE="
    request = signed(
        secret_key="wrong",
        headers={
            "x-amz-server-side-encryption-customer-key": secret,
            "x-amz-copy-source-server-side-encryption-customer-key": secret,
        },
    )
    error = rejected(request, keys, clock, C.SignatureDoesNotMatch)
    canonical = error.fields["CanonicalRequest"]
    assert secret not in canonical
    assert "x-amz-server-side-encryption-customer-key:<redacted>" in canonical


def test_non_ascii_signature_does_not_match(keys: FakeKeys, clock: FakeClock) -> None:
    prepared = botocore_signed("GET", URL)
    header = prepared.headers["Authorization"][:-1] + "é"
    headers = {k: v for k, v in prepared.headers.items()} | {"Authorization": header}
    rejected(build_request("GET", URL, headers), keys, clock, C.SignatureDoesNotMatch)


def test_changed_signed_header_does_not_match(keys: FakeKeys, clock: FakeClock) -> None:
    prepared = botocore_signed("PUT", URL, headers={"x-amz-meta-a": "1"}, body=b"d")
    headers = {k: v for k, v in prepared.headers.items()} | {"x-amz-meta-a": "2"}
    rejected(build_request("PUT", URL, headers), keys, clock, C.SignatureDoesNotMatch)


def test_changed_query_does_not_match(keys: FakeKeys, clock: FakeClock) -> None:
    prepared = botocore_signed("GET", URL, params={"versionId": "1"})
    request = build_request("GET", f"{URL}?versionId=2", prepared.headers.items())
    rejected(request, keys, clock, C.SignatureDoesNotMatch)


@pytest.mark.parametrize("minutes", [16, -16])
def test_clock_skew_beyond_15_minutes(minutes: int, keys: FakeKeys, clock: FakeClock) -> None:
    request = signed()
    clock.advance(minutes * 60)
    error = rejected(request, keys, clock, C.RequestTimeTooSkewed)
    assert error.status == 403
    assert error.fields["RequestTime"] == "20260101T120000Z"
    assert error.fields["MaxAllowedSkewMilliseconds"] == "900000"


@pytest.mark.parametrize("minutes", [14, -14])
def test_clock_skew_within_15_minutes(minutes: int, keys: FakeKeys, clock: FakeClock) -> None:
    request = signed()
    clock.advance(minutes * 60)
    assert accepted(request, keys, clock).principal == PRINCIPAL


def test_wrong_region(keys: FakeKeys, clock: FakeClock) -> None:
    error = rejected(signed(region="us-east-1"), keys, clock, C.AuthorizationHeaderMalformed)
    assert error.message == (
        "The authorization header is malformed; the region 'us-east-1' is wrong; "
        f"expecting '{REGION}'"
    )
    assert error.fields == {"Region": REGION}


def test_wrong_service(keys: FakeKeys, clock: FakeClock) -> None:
    prepared = botocore_signed("GET", URL)
    header = prepared.headers["Authorization"].replace(f"/{REGION}/s3/", f"/{REGION}/sqs/")
    headers = {k: v for k, v in prepared.headers.items()} | {"Authorization": header}
    error = rejected(
        build_request("GET", URL, headers), keys, clock, C.AuthorizationHeaderMalformed
    )
    assert 'incorrect service "sqs"' in error.message


def test_credential_date_must_match_x_amz_date(keys: FakeKeys, clock: FakeClock) -> None:
    prepared = botocore_signed("GET", URL)
    header = prepared.headers["Authorization"].replace("/20260101/", "/20251231/")
    headers = {k: v for k, v in prepared.headers.items()} | {"Authorization": header}
    error = rejected(
        build_request("GET", URL, headers), keys, clock, C.AuthorizationHeaderMalformed
    )
    assert "Date is not the same as X-Amz-Date" in error.message


def test_host_must_be_signed(keys: FakeKeys, clock: FakeClock) -> None:
    added = sigv4.sign_headers(
        "GET", URL, {}, sigv4.EMPTY_SHA256, ACCESS_KEY, SECRET_KEY, REGION, clock.now()
    )
    added["authorization"] = added["authorization"].replace("SignedHeaders=host;", "SignedHeaders=")
    error = rejected(build_request("GET", URL, added), keys, clock, C.AccessDenied)
    assert error.fields["HeadersNotSigned"] == "host"


def test_unsigned_amz_headers_are_refused(keys: FakeKeys, clock: FakeClock) -> None:
    prepared = botocore_signed("PUT", URL, body=b"x")
    headers = [*prepared.headers.items(), ("x-amz-acl", "public-read")]
    error = rejected(build_request("PUT", URL, headers, b"x"), keys, clock, C.AccessDenied)
    assert error.fields["HeadersNotSigned"] == "x-amz-acl"


def test_unsigned_amz_header_on_presigned_url_is_refused(keys: FakeKeys, clock: FakeClock) -> None:
    presigned = botocore_presigned("PUT", URL)
    request = build_request("PUT", presigned.url, {"x-amz-acl": "public-read"})
    rejected(request, keys, clock, C.AccessDenied)


def test_missing_content_sha256_header(keys: FakeKeys, clock: FakeClock) -> None:
    prepared = botocore_signed("GET", URL)
    headers = {k: v for k, v in prepared.headers.items() if k != "X-Amz-Content-SHA256"}
    error = rejected(build_request("GET", URL, headers), keys, clock, C.InvalidRequest)
    assert error.message == "Missing required header for this request: x-amz-content-sha256"


def test_invalid_content_sha256_header(keys: FakeKeys, clock: FakeClock) -> None:
    added = sigv4.sign_headers(
        "GET", URL, {}, "not-a-hash", ACCESS_KEY, SECRET_KEY, REGION, clock.now()
    )
    rejected(build_request("GET", URL, added), keys, clock, C.InvalidArgument)


@pytest.mark.parametrize(
    "headers",
    [
        {"x-amz-date": "2026-01-01T12:00:00Z"},
        {"date": "yesterday"},
        {"date": "Thu, 32 Jan 2026 12:00:00 GMT"},
        {},
    ],
)
def test_missing_or_invalid_request_date(
    headers: dict[str, str], keys: FakeKeys, clock: FakeClock
) -> None:
    prepared = botocore_signed("GET", URL)
    base = {k: v for k, v in prepared.headers.items() if k.lower() != "x-amz-date"}
    error = rejected(build_request("GET", URL, base | headers), keys, clock, C.AccessDenied)
    assert error.message == "AWS authentication requires a valid Date or x-amz-date header"


def test_malformed_authorization_header(keys: FakeKeys, clock: FakeClock) -> None:
    request = build_request("GET", URL, {"authorization": "AWS4-HMAC-SHA256 Credential=x"})
    rejected(request, keys, clock, C.AuthorizationHeaderMalformed)


# ---- presigned failures


def test_presigned_url_expires(keys: FakeKeys, clock: FakeClock) -> None:
    request = build_request("GET", botocore_presigned("GET", URL, expires=60).url, {})
    clock.advance(60)
    assert accepted(request, keys, clock).principal == PRINCIPAL
    clock.advance(1)
    error = rejected(request, keys, clock, C.AccessDenied)
    assert error.message == "Request has expired"
    assert error.fields["X-Amz-Expires"] == "60"
    assert error.fields["Expires"] == "20260101T120100Z"
    assert error.fields["ServerTime"] == "20260101T120101Z"


def test_presigned_url_from_the_future(keys: FakeKeys, clock: FakeClock) -> None:
    request = build_request("GET", botocore_presigned("GET", URL).url, {})
    clock.advance(-16 * 60)
    error = rejected(request, keys, clock, C.AccessDenied)
    assert error.message == "Request is not valid yet"


def test_presigned_wrong_region(keys: FakeKeys, clock: FakeClock) -> None:
    request = build_request("GET", botocore_presigned("GET", URL, region="us-west-2").url, {})
    error = rejected(request, keys, clock, C.AuthorizationQueryParametersError)
    assert error.message == (
        "Error parsing the X-Amz-Credential parameter; the region 'us-west-2' is wrong; "
        f"expecting '{REGION}'"
    )


def test_presigned_tampered_query(keys: FakeKeys, clock: FakeClock) -> None:
    url = botocore_presigned("GET", URL, params={"versionId": "1"}).url
    request = build_request("GET", url.replace("versionId=1", "versionId=2"), {})
    rejected(request, keys, clock, C.SignatureDoesNotMatch)


def test_presigned_unknown_key(keys: FakeKeys, clock: FakeClock) -> None:
    url = sigv4.presign_url("GET", URL, "AKIANOBODY", SECRET_KEY, REGION, clock.now())
    rejected(build_request("GET", url, {}), keys, clock, C.InvalidAccessKeyId)


def test_presigned_credential_date_must_match(keys: FakeKeys, clock: FakeClock) -> None:
    url = botocore_presigned("GET", URL).url.replace("%2F20260101%2F", "%2F20251231%2F")
    error = rejected(
        build_request("GET", url, {}), keys, clock, C.AuthorizationQueryParametersError
    )
    assert "Date is not the same as X-Amz-Date" in error.message


def test_presigned_missing_parameter(keys: FakeKeys, clock: FakeClock) -> None:
    url = botocore_presigned("GET", URL).url
    without = "&".join(p for p in url.split("&") if not p.startswith("X-Amz-SignedHeaders"))
    rejected(build_request("GET", without, {}), keys, clock, C.AuthorizationQueryParametersError)


def test_principal_is_a_frozen_value() -> None:
    principal = Principal(access_key="a", account_id="1", arn="arn")
    assert not principal.is_root
    with pytest.raises(AttributeError):
        principal.access_key = "b"  # type: ignore[misc]


# ---- Signature Version 2 (HmacV1): boto3's default presigned URLs, legacy header signing

V2_DATE = format_datetime(NOW, usegmt=True)
V2_URL = "http://localhost:9000/bucket/key.txt"
NO_DATE = "AWS authentication requires a valid Date or x-amz-date header"


class _V2Auth(HmacV1Auth):  # type: ignore[misc]  # botocore is untyped
    """botocore's signer, dated NOW instead of the real time."""

    def _get_date(self) -> str:
        return V2_DATE


class _V2QueryAuth(HmacV1QueryAuth):  # type: ignore[misc]  # botocore is untyped
    def _get_date(self) -> str:
        return str(int(NOW.timestamp()) + self._expires)


def _v2_prepare(
    method: str, url: str, headers: dict[str, str] | None, body: bytes, virtual: bool
) -> AWSRequest:
    request = AWSRequest(method=method, url=url, headers=dict(headers or {}), data=body)
    if virtual:  # botocore's own switch: bucket into the host, full path kept for signing
        switch_to_virtual_host_style(request, "s3")
    return request


def v2_signed(
    method: str = "PUT",
    url: str = V2_URL,
    *,
    headers: dict[str, str] | None = None,
    body: bytes = b"data",
    virtual: bool = False,
    access_key: str = ACCESS_KEY,
    secret_key: str = SECRET_KEY,
) -> Request:
    request = _v2_prepare(method, url, headers, body, virtual)
    _V2Auth(Credentials(access_key, secret_key)).add_auth(request)
    return from_botocore(request.prepare())


def v2_presigned(
    method: str = "GET",
    url: str = V2_URL,
    *,
    expires: int = 3600,
    headers: dict[str, str] | None = None,
    virtual: bool = False,
    access_key: str = ACCESS_KEY,
) -> str:
    request = _v2_prepare(method, url, headers, b"", virtual)
    _V2QueryAuth(Credentials(access_key, SECRET_KEY), expires).add_auth(request)
    url = request.url
    assert isinstance(url, str)
    return url


def boto3_v2_client(**s3: str) -> Any:
    """boto3 as users get it: no region (so us-east-1) and, for presigning, SigV2."""
    import boto3

    return boto3.session.Session().client(
        "s3",
        endpoint_url="http://localhost:9000",
        aws_access_key_id=ACCESS_KEY,
        aws_secret_access_key=SECRET_KEY,
        config=Config(s3=s3, retries={"max_attempts": 1}),
    )


def boto3_v2_request(addressing_style: str, operation: str, **params: Any) -> Request:
    """What boto3 with signature_version="s3" puts on the wire for one call."""
    import boto3

    client = boto3.session.Session().client(
        "s3",
        endpoint_url="http://localhost:9000",
        region_name="us-east-1",
        aws_access_key_id=ACCESS_KEY,
        aws_secret_access_key=SECRET_KEY,
        config=Config(
            signature_version="s3",
            s3={"addressing_style": addressing_style},
            retries={"max_attempts": 1},
        ),
    )
    seen: list[Any] = []

    class Captured(Exception):
        pass

    def before_send(request: Any, **_: Any) -> None:
        seen.append(request)
        raise Captured

    client.meta.events.register("before-send.s3", before_send)
    with pytest.raises(Captured):
        getattr(client, operation)(**params)
    return from_botocore(seen[0])


# ---- SigV2 accepted


@pytest.mark.parametrize("style", ["path", "virtual"])
@pytest.mark.parametrize("key", ODD_KEYS)
def test_boto3_default_presigned_get_url_is_sigv2_and_accepted(
    style: str, key: str, keys: FakeKeys, real_clock: FakeClock
) -> None:
    url = boto3_v2_client(addressing_style=style).generate_presigned_url(
        "get_object",
        Params={
            "Bucket": "bucket",
            "Key": key,
            "VersionId": "v+1",
            "ResponseContentDisposition": 'attachment; filename="a b.txt"',
        },
        ExpiresIn=600,
    )
    assert "AWSAccessKeyId=" in url and "X-Amz-" not in url
    host = urlsplit(url).netloc
    assert host == ("bucket.localhost:9000" if style == "virtual" else "localhost:9000")
    auth = accepted(build_request("GET", url, {}), keys, real_clock)
    assert auth.principal == PRINCIPAL
    assert auth.payload_mode is PayloadMode.UNSIGNED
    assert auth.content_sha256 is None
    assert auth.streaming_signer is None


def test_virtual_hosted_sigv2_needs_the_bucket_from_the_host(
    keys: FakeKeys, real_clock: FakeClock
) -> None:
    url = boto3_v2_client(addressing_style="virtual").generate_presigned_url(
        "list_objects_v2", Params={"Bucket": "bucket"}
    )
    assert urlsplit(url).path == "/"
    request = build_request("GET", url, {})
    assert accepted(request, keys, real_clock).principal == PRINCIPAL
    with pytest.raises(S3Error) as caught:
        authenticate(request, keys, real_clock, REGION)  # no virtual_bucket
    assert caught.value.code is C.SignatureDoesNotMatch
    assert caught.value.fields["StringToSign"].endswith("\n/")
    other = build_request("GET", url.replace("//bucket.", "//other."), {})
    rejected(other, keys, real_clock, C.SignatureDoesNotMatch)


def test_boto3_presigned_put_signs_content_type_and_acl_from_the_query(
    keys: FakeKeys, real_clock: FakeClock
) -> None:
    url = boto3_v2_client().generate_presigned_url(
        "put_object",
        Params={"Bucket": "bucket", "Key": "k", "ContentType": "text/plain", "ACL": "private"},
    )
    assert "content-type=text%2Fplain" in url and "x-amz-acl=private" in url
    for headers in ({"content-type": "text/plain"}, {}, {"x-amz-acl": "private"}):
        request = build_request("PUT", url, headers, b"x")
        assert accepted(request, keys, real_clock).principal == PRINCIPAL
    for headers in ({"content-type": "image/png"}, {"x-amz-acl": "public-read"}):
        request = build_request("PUT", url, headers, b"x")
        rejected(request, keys, real_clock, C.SignatureDoesNotMatch)


@pytest.mark.parametrize("style", ["path", "virtual"])
@pytest.mark.parametrize(
    ("operation", "params"),
    [
        ("put_object", {"Bucket": "bucket", "Key": "a b/ключ+~.txt", "Body": b"x"}),
        ("put_object", {"Bucket": "bucket", "Key": "k", "Body": b"x", "Metadata": {"a": " b "}}),
        ("get_object", {"Bucket": "bucket", "Key": "k", "VersionId": "v/1", "PartNumber": 1}),
        ("get_bucket_acl", {"Bucket": "bucket"}),
        ("get_bucket_encryption", {"Bucket": "bucket"}),  # botocore leaves ?encryption unsigned
        ("list_objects_v2", {"Bucket": "bucket", "Prefix": "a b+c%~/ü", "StartAfter": "="}),
        ("list_object_versions", {"Bucket": "bucket", "KeyMarker": "ключ"}),
        ("list_buckets", {}),
        ("delete_objects", {"Bucket": "bucket", "Delete": {"Objects": [{"Key": "a"}]}}),
        ("create_multipart_upload", {"Bucket": "bucket", "Key": "k", "ACL": "private"}),
    ],
)
def test_boto3_sigv2_header_signed_requests_are_accepted(
    style: str, operation: str, params: dict[str, Any], keys: FakeKeys, real_clock: FakeClock
) -> None:
    request = boto3_v2_request(style, operation, **params)
    assert request.headers["authorization"].startswith(f"AWS {ACCESS_KEY}:")
    auth = accepted(request, keys, real_clock)
    assert auth.principal == PRINCIPAL
    assert auth.payload_mode is PayloadMode.UNSIGNED


@pytest.mark.parametrize("virtual", [False, True])
@pytest.mark.parametrize("key", ODD_KEYS)
def test_botocore_hmac_v1_signed_put_with_odd_key_is_accepted(
    key: str, virtual: bool, keys: FakeKeys, clock: FakeClock
) -> None:
    url = "http://localhost:9000/bucket/" + sigv4.uri_encode(key, keep_slash=True) + "?tagging"
    headers = {"Content-Type": "text/plain", "Content-MD5": "bWQ1", "x-amz-meta-k": "v"}
    request = v2_signed("PUT", url, headers=headers, virtual=virtual)
    assert accepted(request, keys, clock).principal == PRINCIPAL


def test_sigv2_declared_content_sha256_still_checks_the_body(
    keys: FakeKeys, clock: FakeClock
) -> None:
    digest = sigv4.EMPTY_SHA256.upper()
    auth = accepted(v2_signed(headers={"x-amz-content-sha256": digest}), keys, clock)
    assert auth.payload_mode is PayloadMode.SHA256
    assert auth.content_sha256 == sigv4.EMPTY_SHA256
    trailer = {"x-amz-content-sha256": "STREAMING-UNSIGNED-PAYLOAD-TRAILER"}
    auth = accepted(v2_signed(headers=trailer), keys, clock)
    assert auth.payload_mode is PayloadMode.STREAMING_UNSIGNED_TRAILER


def _hand_signed(
    method: str, url: str, headers: dict[str, str], to_sign: str, *, secret: str = SECRET_KEY
) -> Request:
    signature = sigv2.sign(secret, to_sign)
    return build_request(method, url, headers | {"authorization": f"AWS {ACCESS_KEY}:{signature}"})


def test_x_amz_date_signed_as_aws_documents_it(keys: FakeKeys, clock: FakeClock) -> None:
    headers = {"x-amz-date": V2_DATE, "date": "Thu, 01 Jan 2026 13:00:00 GMT"}
    # AWS's prose (boto2, the Java SDK): empty Date line, x-amz-date signed as a header.
    to_sign = f"GET\n\n\n\nx-amz-date:{V2_DATE}\n/bucket/key.txt"
    assert accepted(_hand_signed("GET", V2_URL, headers, to_sign), keys, clock)
    # AWS's Delete example: x-amz-date on the Date line.
    to_sign = f"GET\n\n\n{V2_DATE}\n/bucket/key.txt"
    assert accepted(_hand_signed("GET", V2_URL, headers, to_sign), keys, clock)


def test_empty_sub_resource_signed_bare_is_accepted(keys: FakeKeys, clock: FakeClock) -> None:
    # Go clients send "?acl=" and sign "?acl"; botocore would sign "?acl=".
    to_sign = f"GET\n\n\n{V2_DATE}\n/bucket?acl"
    url = "http://localhost:9000/bucket?acl="
    assert accepted(_hand_signed("GET", url, {"date": V2_DATE}, to_sign), keys, clock)


def test_signature_with_an_unencoded_plus_is_accepted(keys: FakeKeys, clock: FakeClock) -> None:
    for _ in range(40):  # find a signature with a '+' in it
        url = v2_presigned(expires=3600 + _)
        if "%2B" in url:
            break
    assert "%2B" in url
    assert accepted(build_request("GET", url.replace("%2B", "+"), {}), keys, clock)


# ---- AWS documentation: "Signing and Authenticating REST Requests" (johnsmith examples)

DOC_V2_KEYS = FakeKeys(
    {"AKIAIOSFODNN7EXAMPLE": ("wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", PRINCIPAL)}
)


def _doc_request(method: str, url: str, headers: list[tuple[str, str]], signature: str) -> Request:
    return build_request(
        method, url, [*headers, ("authorization", f"AWS AKIAIOSFODNN7EXAMPLE:{signature}")]
    )


def test_example_object_get_is_accepted() -> None:
    request = _doc_request(
        "GET",
        "http://johnsmith.s3.amazonaws.com/photos/puppy.jpg",
        [("date", "Tue, 27 Mar 2007 19:36:42 +0000")],
        "bWq2s1WEIj+Ydj0vQ697zp+IXMU=",
    )
    clock = FakeClock(datetime(2007, 3, 27, 19, 40, tzinfo=UTC))
    auth = authenticate(request, DOC_V2_KEYS, clock, "us-east-1", virtual_bucket="johnsmith")
    assert auth.principal == PRINCIPAL


def test_example_delete_with_x_amz_date_is_accepted() -> None:
    request = _doc_request(
        "DELETE",
        "http://s3.amazonaws.com/johnsmith/photos/puppy.jpg",
        [
            ("user-agent", "dotnet"),
            ("date", "Tue, 27 Mar 2007 21:20:27 +0000"),
            ("x-amz-date", "Tue, 27 Mar 2007 21:20:26 +0000"),
        ],
        "lx3byBScXR6KzyMaifNkardMwNk=",
    )
    clock = FakeClock(datetime(2007, 3, 27, 21, 20, 30, tzinfo=UTC))
    assert authenticate(request, DOC_V2_KEYS, clock, "us-east-1").principal == PRINCIPAL


def test_example_upload_with_repeated_amz_headers_is_accepted() -> None:
    request = _doc_request(
        "PUT",
        "http://static.johnsmith.net:8080/db-backup.dat.gz",
        [
            ("user-agent", "curl/7.15.5"),
            ("date", "Tue, 27 Mar 2007 21:06:08 +0000"),
            ("x-amz-acl", "public-read"),
            ("content-type", "application/x-download"),
            ("Content-MD5", "4gJE4saaMU4BqNR0kLY+lw=="),
            ("X-Amz-Meta-ReviewedBy", "joe@johnsmith.net"),
            ("X-Amz-Meta-ReviewedBy", "jane@johnsmith.net"),
            ("X-Amz-Meta-FileChecksum", "0x02661779"),
            ("X-Amz-Meta-ChecksumAlgorithm", "crc32"),
            ("Content-Disposition", "attachment; filename=database.dat"),
            ("Content-Encoding", "gzip"),
            ("Content-Length", "5913339"),
        ],
        "ilyl83RwaSoYIEdixDQcA4OnAnc=",
    )
    clock = FakeClock(datetime(2007, 3, 27, 21, 6, 8, tzinfo=UTC))
    auth = authenticate(
        request, DOC_V2_KEYS, clock, "us-east-1", virtual_bucket="static.johnsmith.net"
    )
    assert auth.principal == PRINCIPAL


def test_example_query_string_authentication_is_accepted() -> None:
    url = (
        "http://johnsmith.s3.amazonaws.com/photos/puppy.jpg?AWSAccessKeyId=AKIAIOSFODNN7EXAMPLE"
        "&Signature=NpgCjnDzrM%2BWFzoENXmpNDUsSn8%3D&Expires=1175139620"
    )
    request = build_request("GET", url, {})
    before = FakeClock(datetime(2007, 3, 29, 3, 40, 20, tzinfo=UTC))  # == Expires
    auth = authenticate(request, DOC_V2_KEYS, before, "us-east-1", virtual_bucket="johnsmith")
    assert auth.principal == PRINCIPAL
    before.advance(1)
    with pytest.raises(S3Error) as caught:
        authenticate(request, DOC_V2_KEYS, before, "us-east-1", virtual_bucket="johnsmith")
    assert caught.value.message == "Request has expired"


# ---- SigV2 rejected


@pytest.mark.parametrize("value", [f"AWS {ACCESS_KEY}", f"AWS {ACCESS_KEY}:", "AWS :c2ln"])
def test_sigv2_malformed_header(value: str, keys: FakeKeys, clock: FakeClock) -> None:
    request = build_request("GET", V2_URL, {"authorization": value, "date": V2_DATE})
    error = rejected(request, keys, clock, C.InvalidArgument)
    assert error.status == 400
    assert error.fields == {"ArgumentName": "Authorization", "ArgumentValue": value}


def test_sigv2_unknown_access_key(keys: FakeKeys, clock: FakeClock) -> None:
    error = rejected(v2_signed(access_key="AKIAUNKNOWN"), keys, clock, C.InvalidAccessKeyId)
    assert error.status == 403
    assert error.fields == {"AWSAccessKeyId": "AKIAUNKNOWN"}
    url = v2_presigned(access_key="AKIAUNKNOWN")
    rejected(build_request("GET", url, {}), keys, clock, C.InvalidAccessKeyId)


def test_sigv2_wrong_secret_does_not_match(keys: FakeKeys, clock: FakeClock) -> None:
    request = v2_signed("GET", body=b"", secret_key="wrong")
    error = rejected(request, keys, clock, C.SignatureDoesNotMatch)
    assert error.status == 403
    to_sign = f"GET\n\n\n{V2_DATE}\n/bucket/key.txt"
    assert error.fields["AWSAccessKeyId"] == ACCESS_KEY
    assert error.fields["StringToSign"] == to_sign
    assert error.fields["StringToSignBytes"].startswith("47 45 54 0a 0a 0a 54 68 75 2c")
    assert error.fields["SignatureProvided"] == sigv2.sign("wrong", to_sign)


def test_sigv2_tampered_requests_do_not_match(keys: FakeKeys, clock: FakeClock) -> None:
    prepared = v2_signed("GET", f"{V2_URL}?versionId=1", body=b"", headers={"x-amz-meta-a": "1"})
    original = dict(prepared.headers)
    tampered = [
        build_request("GET", f"{V2_URL}?versionId=2", original),
        build_request("GET", f"{V2_URL}?versionId=1&acl", original),
        build_request("GET", f"{V2_URL}.bak?versionId=1", original),
        build_request("HEAD", f"{V2_URL}?versionId=1", original),
        build_request("GET", f"{V2_URL}?versionId=1", original | {"x-amz-meta-a": "2"}),
        build_request("GET", f"{V2_URL}?versionId=1", original | {"x-amz-acl": "public-read"}),
        build_request("GET", f"{V2_URL}?versionId=1", original | {"content-type": "text/html"}),
    ]
    assert accepted(build_request("GET", f"{V2_URL}?versionId=1", original), keys, clock)
    for request in tampered:
        rejected(request, keys, clock, C.SignatureDoesNotMatch)


@pytest.mark.parametrize("minutes", [16, -16])
def test_sigv2_clock_skew_beyond_15_minutes(minutes: int, keys: FakeKeys, clock: FakeClock) -> None:
    request = v2_signed()
    clock.advance(minutes * 60)
    error = rejected(request, keys, clock, C.RequestTimeTooSkewed)
    assert error.status == 403
    assert error.fields["RequestTime"] == V2_DATE
    assert error.fields["ServerTime"] == (
        "2026-01-01T12:16:00Z" if minutes > 0 else "2026-01-01T11:44:00Z"
    )
    assert error.fields["MaxAllowedSkewMilliseconds"] == "900000"


@pytest.mark.parametrize("minutes", [14, -14])
def test_sigv2_clock_skew_within_15_minutes(minutes: int, keys: FakeKeys, clock: FakeClock) -> None:
    request = v2_signed()
    clock.advance(minutes * 60)
    assert accepted(request, keys, clock).principal == PRINCIPAL


def test_sigv2_x_amz_date_is_the_time_checked(keys: FakeKeys, clock: FakeClock) -> None:
    late = "Thu, 01 Jan 2026 13:00:00 GMT"
    to_sign = f"GET\n\n\n\nx-amz-date:{late}\n/bucket/key.txt"
    request = _hand_signed("GET", V2_URL, {"x-amz-date": late, "date": V2_DATE}, to_sign)
    error = rejected(request, keys, clock, C.RequestTimeTooSkewed)
    assert error.fields["RequestTime"] == late
    iso = "20260101T120500Z"  # the SigV4 form is accepted too
    to_sign = f"GET\n\n\n\nx-amz-date:{iso}\n/bucket/key.txt"
    assert accepted(_hand_signed("GET", V2_URL, {"x-amz-date": iso}, to_sign), keys, clock)


@pytest.mark.parametrize(
    "headers",
    [{}, {"date": "yesterday"}, {"x-amz-date": "soon", "date": V2_DATE}, {"date": ""}],
)
def test_sigv2_missing_or_invalid_date(
    headers: dict[str, str], keys: FakeKeys, clock: FakeClock
) -> None:
    request = build_request("GET", V2_URL, headers | {"authorization": f"AWS {ACCESS_KEY}:c2ln"})
    error = rejected(request, keys, clock, C.AccessDenied)
    assert error.message == NO_DATE


def test_sigv2_header_and_query_signature_together(keys: FakeKeys, clock: FakeClock) -> None:
    url = v2_presigned()
    request = build_request("GET", url, {"authorization": f"AWS {ACCESS_KEY}:c2ln"})
    error = rejected(request, keys, clock, C.InvalidArgument)
    assert error.fields["ArgumentName"] == "Authorization"


def test_sigv2_cannot_send_a_signed_chunked_body(keys: FakeKeys, clock: FakeClock) -> None:
    streaming = {"x-amz-content-sha256": "STREAMING-AWS4-HMAC-SHA256-PAYLOAD"}
    error = rejected(v2_signed(headers=streaming), keys, clock, C.InvalidRequest)
    assert "AWS4-HMAC-SHA256" in error.message


def test_sigv2_presigned_url_expires(keys: FakeKeys, clock: FakeClock) -> None:
    request = build_request("GET", v2_presigned(expires=60), {})
    clock.advance(60)
    assert accepted(request, keys, clock).principal == PRINCIPAL
    clock.advance(1)
    error = rejected(request, keys, clock, C.AccessDenied)
    assert error.status == 403
    assert error.message == "Request has expired"
    assert error.fields == {"Expires": "2026-01-01T12:01:00Z", "ServerTime": "2026-01-01T12:01:01Z"}


def test_sigv2_presigned_url_ignores_date_headers(keys: FakeKeys, clock: FakeClock) -> None:
    headers = {"date": "Thu, 01 Jan 2015 00:00:00 GMT"}
    request = build_request("GET", v2_presigned(expires=10 * 365 * 86400), headers)
    clock.advance(5 * 365 * 86400)  # SigV2 URLs have no one-week limit
    assert accepted(request, keys, clock).principal == PRINCIPAL


@pytest.mark.parametrize(
    ("query", "message"),
    [
        (f"AWSAccessKeyId={ACCESS_KEY}&Signature=c2ln", "Query-string authentication requires"),
        ("Signature=c2ln&Expires=1767272400", "Query-string authentication requires"),
        (f"AWSAccessKeyId={ACCESS_KEY}&Expires=1767272400", "Query-string authentication"),
        (f"AWSAccessKeyId={ACCESS_KEY}&Signature=c2ln&Expires=1e9", "Invalid date"),
    ],
)
def test_sigv2_malformed_query(query: str, message: str, keys: FakeKeys, clock: FakeClock) -> None:
    error = rejected(build_request("GET", f"{V2_URL}?{query}", {}), keys, clock, C.AccessDenied)
    assert error.message.startswith(message)


def test_sigv2_presigned_tampered(keys: FakeKeys, clock: FakeClock) -> None:
    url = v2_presigned(url=f"{V2_URL}?versionId=1")
    rejected(build_request("GET", url.replace("versionId=1", "versionId=2"), {}), keys, clock,
             C.SignatureDoesNotMatch)  # fmt: skip
    rejected(build_request("PUT", url, {}), keys, clock, C.SignatureDoesNotMatch)
    later = url.replace("Expires=", "Expires=9")
    rejected(build_request("GET", later, {}), keys, clock, C.SignatureDoesNotMatch)
