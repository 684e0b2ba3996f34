from __future__ import annotations

from datetime import UTC, datetime
from email.utils import format_datetime
from typing import Any
from urllib.parse import urlsplit

import pytest

from ferry.api.auth import ANONYMOUS, Authenticated, Principal, authenticate
from ferry.api.http import Request
from ferry.core import FakeClock
from ferry.protocol import sigv4
from ferry.protocol.errors import S3Error, S3ErrorCode
from ferry.protocol.sigv4 import PayloadMode

from .builders import (
    ACCESS_KEY,
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


def accepted(request: Request, keys: FakeKeys, clock: FakeClock) -> Authenticated:
    return authenticate(request, keys, clock, REGION)


def rejected(request: Request, keys: FakeKeys, clock: FakeClock, code: S3ErrorCode) -> S3Error:
    with pytest.raises(S3Error) as caught:
        authenticate(request, keys, clock, REGION)
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


def test_sigv2_header_is_refused(keys: FakeKeys, clock: FakeClock) -> None:
    request = build_request("GET", URL, {"authorization": f"AWS {ACCESS_KEY}:c2lnbmF0dXJl"})
    error = rejected(request, keys, clock, C.InvalidRequest)
    assert error.message.endswith("Please use AWS4-HMAC-SHA256.")
    assert error.status == 400


def test_sigv2_query_is_refused(keys: FakeKeys, clock: FakeClock) -> None:
    url = f"{URL}?AWSAccessKeyId={ACCESS_KEY}&Expires=1&Signature=abc"
    rejected(build_request("GET", url, {}), keys, clock, C.InvalidRequest)


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
