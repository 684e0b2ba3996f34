from __future__ import annotations

import hashlib
from datetime import UTC, datetime
from urllib.parse import parse_qsl, urlsplit

import botocore.auth
import pytest
from botocore.auth import S3SigV4Auth, S3SigV4QueryAuth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

from ferry.protocol import sigv4
from ferry.protocol.errors import S3Error, S3ErrorCode
from ferry.protocol.sigv4 import PayloadMode

ACCESS_KEY = "AKIAIOSFODNN7EXAMPLE"
SECRET_KEY = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
HOST = "examplebucket.s3.amazonaws.com"
DATE = "20130524T000000Z"
SCOPE = "20130524/us-east-1/s3/aws4_request"
DOC_NOW = datetime(2013, 5, 24, tzinfo=UTC)
E = sigv4.EMPTY_SHA256


def _doc_signature(
    method: str, path: str, query: bytes, headers: dict[str, str], payload: str
) -> tuple[str, str]:
    """(sha256 of the canonical request, signature) for an AWS documentation example."""
    names = sorted(headers)
    canonical = sigv4.canonical_request(
        method, sigv4.canonical_uri(path), sigv4.canonical_query(query), headers, names, payload
    )
    key = sigv4.signing_key(SECRET_KEY, "20130524", "us-east-1", "s3")
    to_sign = sigv4.string_to_sign(DATE, SCOPE, canonical)
    return hashlib.sha256(canonical.encode()).hexdigest(), sigv4.sign(key, to_sign)


# ---- AWS documentation: "Signature Calculations for the Authorization Header:
# ---- Transferring Payload in a Single Chunk (AWS Signature Version 4)"


def test_example_get_object() -> None:
    headers = {"host": HOST, "range": "bytes=0-9", "x-amz-content-sha256": E, "x-amz-date": DATE}
    canonical_hash, signature = _doc_signature("GET", "/test.txt", b"", headers, E)
    assert canonical_hash == "7344ae5b7ee6c3e7e6b0fe0640412a37625d1fbfff95c48bbb2dc43964946972"
    assert signature == "f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41"


def test_example_put_object() -> None:
    payload = hashlib.sha256(b"Welcome to Amazon S3.").hexdigest()
    assert payload == "44ce7dd67c959e0d3524ffac1771dfbba87d2b6b4b4e99e42034a8b803f8b072"
    headers = {
        "date": "Fri, 24 May 2013 00:00:00 GMT",
        "host": HOST,
        "x-amz-content-sha256": payload,
        "x-amz-date": DATE,
        "x-amz-storage-class": "REDUCED_REDUNDANCY",
    }
    canonical_hash, signature = _doc_signature("PUT", "/test%24file.text", b"", headers, payload)
    assert canonical_hash == "9e0e90d9c76de8fa5b200d8c849cd5b8dc7a3be3951ddb7f6a76b4158342019d"
    assert signature == "98ad721746da40c64f1a55b78f14c238d841ea1380cd77a1b5971af0ece108bd"


def test_example_get_bucket_lifecycle() -> None:
    headers = {"host": HOST, "x-amz-content-sha256": E, "x-amz-date": DATE}
    canonical_hash, signature = _doc_signature("GET", "/", b"lifecycle", headers, E)
    assert canonical_hash == "9766c798316ff2757b517bc739a67f6213b4ab36dd5da2f94eaebf79c77395ca"
    assert signature == "fea454ca298b7da1c68078a5d1bdbfbbe0d65c699e0f91ac7a200a0136783543"


def test_example_get_bucket_list_objects() -> None:
    headers = {"host": HOST, "x-amz-content-sha256": E, "x-amz-date": DATE}
    canonical_hash, signature = _doc_signature("GET", "/", b"max-keys=2&prefix=J", headers, E)
    assert canonical_hash == "df57d21db20da04d7fa30298dd4488ba3a2b47ca3a489c74750e0f1e7df1b9b7"
    assert signature == "34b48302e7b5fa45bde8084f4b7868a86f0a534bc59db6670ed5711ef69dc6f7"


def test_example_get_object_via_sign_headers() -> None:
    added = sigv4.sign_headers(
        "GET",
        f"https://{HOST}/test.txt",
        {"Range": "bytes=0-9", "User-Agent": "not signed"},
        E,
        ACCESS_KEY,
        SECRET_KEY,
        "us-east-1",
        DOC_NOW,
    )
    assert added == {
        "x-amz-date": DATE,
        "x-amz-content-sha256": E,
        "authorization": f"AWS4-HMAC-SHA256 Credential={ACCESS_KEY}/{SCOPE}, "
        "SignedHeaders=host;range;x-amz-content-sha256;x-amz-date, "
        "Signature=f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41",
    }


# ---- AWS documentation: "Authenticating Requests: Using Query Parameters"


def test_example_presigned_url() -> None:
    url = sigv4.presign_url(
        "GET", f"https://{HOST}/test.txt", ACCESS_KEY, SECRET_KEY, "us-east-1", DOC_NOW, 86400
    )
    assert url == (
        f"https://{HOST}/test.txt?X-Amz-Algorithm=AWS4-HMAC-SHA256"
        f"&X-Amz-Credential=AKIAIOSFODNN7EXAMPLE%2F20130524%2Fus-east-1%2Fs3%2Faws4_request"
        "&X-Amz-Date=20130524T000000Z&X-Amz-Expires=86400&X-Amz-SignedHeaders=host"
        "&X-Amz-Signature=aeeed9bbccd4d02ee5c0109b86d86835f995330da4c265957d157751f604d404"
    )


def test_presign_url_keeps_existing_query_and_port_and_token() -> None:
    url = sigv4.presign_url(
        "put",
        "http://127.0.0.1:9000/b/k?partNumber=1&uploadId=u",
        ACCESS_KEY,
        SECRET_KEY,
        "eu-west-1",
        DOC_NOW,
        headers={"Content-Type": "text/plain"},
        session_token="tok/en",
    )
    parts = urlsplit(url)
    params = dict(parse_qsl(parts.query))
    assert parts.query.startswith("partNumber=1&uploadId=u&")
    assert params["X-Amz-SignedHeaders"] == "content-type;host"
    assert params["X-Amz-Security-Token"] == "tok/en"
    signed = sigv4.parse_presigned(params)
    headers = {"host": "127.0.0.1:9000", "content-type": "text/plain"}
    canonical = sigv4.canonical_request(
        "PUT",
        parts.path,
        sigv4.canonical_query(parts.query, exclude="X-Amz-Signature"),
        headers,
        signed.signed_headers,
        "UNSIGNED-PAYLOAD",
    )
    key = sigv4.signing_key(SECRET_KEY, "20130524", "eu-west-1", "s3")
    to_sign = sigv4.string_to_sign(DATE, signed.credential.scope, canonical)
    assert sigv4.sign(key, to_sign) == signed.signature


# ---- cross-checks against botocore's own signer


@pytest.fixture
def frozen_botocore(monkeypatch: pytest.MonkeyPatch) -> datetime:
    now = datetime(2026, 1, 1, 12, 0, 0)
    monkeypatch.setattr(botocore.auth, "get_current_datetime", lambda: now)
    return now.replace(tzinfo=UTC)


ODD_PARAMS = [
    {"prefix": "a b", "delimiter": "/"},
    {"prefix": "a+b", "marker": "x=y", "list-type": "2"},
    {"prefix": "100%", "start-after": "~tilde", "empty": ""},
    {"prefix": "ключ/日本", "encoding-type": "url"},
    {"tagging": "", "versionId": "3/L4kqtJl40Nr8X8gdRQBpUMLUo"},
]
ODD_KEYS = ["a b.txt", "ключ/日本語.bin", "a+b=c&d.txt", "100%25~tilde", "x!'()*$@,;:.txt", "a//b"]


def _botocore_signed(method: str, url: str, params: dict[str, str], body: bytes) -> AWSRequest:
    request = AWSRequest(method=method, url=url, params=params, data=body)
    request.context["payload_signing_enabled"] = True
    S3SigV4Auth(Credentials(ACCESS_KEY, SECRET_KEY), "s3", "us-east-1").add_auth(request)
    return request.prepare()


def _verify(method: str, url: str, headers: dict[str, str], auth: sigv4.SignedAuth) -> str:
    parts = urlsplit(url)
    canonical = sigv4.canonical_request(
        method,
        sigv4.canonical_uri(parts.path),
        sigv4.canonical_query(parts.query.encode(), exclude="X-Amz-Signature"),
        headers,
        auth.signed_headers,
        headers.get("x-amz-content-sha256", "UNSIGNED-PAYLOAD"),
    )
    timestamp = auth.timestamp or headers["x-amz-date"]
    key = sigv4.signing_key(SECRET_KEY, auth.credential.date, "us-east-1", "s3")
    return sigv4.sign(key, sigv4.string_to_sign(timestamp, auth.credential.scope, canonical))


@pytest.mark.parametrize("key", ODD_KEYS)
@pytest.mark.parametrize("params", ODD_PARAMS)
def test_signature_matches_botocore_for_odd_keys_and_query_values(
    frozen_botocore: datetime, key: str, params: dict[str, str]
) -> None:
    url = "http://localhost:9000/bucket/" + sigv4.uri_encode(key, keep_slash=True)
    prepared = _botocore_signed("PUT", url, params, b"body")
    headers = {k.lower(): v for k, v in prepared.headers.items()}
    headers["host"] = "localhost:9000"
    auth = sigv4.parse_authorization(headers["authorization"])
    assert _verify("PUT", prepared.url, headers, auth) == auth.signature


@pytest.mark.parametrize("key", ODD_KEYS)
def test_sign_headers_matches_botocore(frozen_botocore: datetime, key: str) -> None:
    url = "https://localhost:8443/bucket/" + sigv4.uri_encode(key, keep_slash=True)
    params = {"x-id": "PutObject", "q": "a b+c"}
    prepared = _botocore_signed("PUT", url, params, b"body")
    payload = hashlib.sha256(b"body").hexdigest()
    ours = sigv4.sign_headers(
        "PUT",
        prepared.url,
        {"Content-Type": "application/octet-stream", "Transfer-Encoding": "chunked"},
        payload,
        ACCESS_KEY,
        SECRET_KEY,
        "us-east-1",
        frozen_botocore,
    )
    # botocore signs params as it encodes them (%20) but sends a space as '+' in the URL.
    assert "q=a+b%2Bc" in prepared.url
    theirs = AWSRequest(
        method="PUT",
        url=url,
        params=params,
        data=b"body",
        headers={"Content-Type": "application/octet-stream"},
    )
    S3SigV4Auth(Credentials(ACCESS_KEY, SECRET_KEY), "s3", "us-east-1").add_auth(theirs)
    assert ours["authorization"] == theirs.headers["Authorization"]
    assert ours["x-amz-content-sha256"] == theirs.headers["X-Amz-Content-SHA256"]


@pytest.mark.parametrize("key", ODD_KEYS)
@pytest.mark.parametrize("params", ODD_PARAMS[:3])
def test_presigned_signature_matches_botocore(
    frozen_botocore: datetime, key: str, params: dict[str, str]
) -> None:
    url = "https://localhost/bucket/" + sigv4.uri_encode(key, keep_slash=True)
    request = AWSRequest(method="GET", url=url, params=params)
    signer = S3SigV4QueryAuth(Credentials(ACCESS_KEY, SECRET_KEY), "s3", "us-east-1", 900)
    signer.add_auth(request)
    query = dict(parse_qsl(urlsplit(request.url).query, keep_blank_values=True))
    auth = sigv4.parse_presigned(query)
    assert auth.expires_s == 900
    assert _verify("GET", request.url, {"host": "localhost"}, auth) == auth.signature
    ours = sigv4.presign_url(
        "GET", url, ACCESS_KEY, SECRET_KEY, "us-east-1", frozen_botocore, expires_s=900
    )
    ours_query = dict(parse_qsl(urlsplit(ours).query, keep_blank_values=True))
    assert (
        _verify("GET", ours, {"host": "localhost"}, sigv4.parse_presigned(ours_query))
        == (ours_query["X-Amz-Signature"])
    )


# ---- canonical forms


def test_canonical_query_reencodes_and_sorts_by_name_then_value() -> None:
    raw = b"b=2&a=z&a=y&c&d=%7e&e=a+b&f=%2b&g=%c3%a9&h=%2F"
    assert sigv4.canonical_query(raw) == "a=y&a=z&b=2&c=&d=~&e=a%20b&f=%2B&g=%C3%A9&h=%2F"


def test_canonical_query_excludes_signature_and_keeps_invalid_utf8() -> None:
    assert sigv4.canonical_query("X-Amz-Signature=abc&x=%ff", exclude="X-Amz-Signature") == "x=%FF"
    assert sigv4.canonical_query(b"raw=\xe9&utf8=\xc3\xa9") == "raw=%E9&utf8=%C3%A9"
    assert sigv4.canonical_query(b"") == ""
    assert sigv4.canonical_query("&&a=1&") == "a=1"


def test_canonical_uri_is_the_path_as_sent() -> None:
    assert sigv4.canonical_uri("/b/a%20b/c%2Fd") == "/b/a%20b/c%2Fd"
    assert sigv4.canonical_uri("") == "/"
    assert sigv4.reencoded_uri("/b/a b!/%7e%2f") == "/b/a%20b%21/~%2F"


def test_canonical_headers_trim_and_collapse_spaces() -> None:
    headers = {"a": "  x   y\tz ", "b": "plain", "c": "multi\n line"}
    canonical = sigv4.canonical_request("GET", "/", "", headers, ["a", "b", "c", "d"], E)
    assert canonical.split("\n")[3:7] == ["a:x y z", "b:plain", "c:multi line", "d:"]


def test_uri_encode_follows_aws_rules() -> None:
    assert sigv4.uri_encode("aZ09-_.~ /+=é") == "aZ09-_.~%20%2F%2B%3D%C3%A9"
    assert sigv4.uri_encode("a b/c", keep_slash=True) == "a%20b/c"
    assert sigv4.uri_encode(b"\xff") == "%FF"


def test_signing_key_is_cached() -> None:
    sigv4.signing_key.cache_clear()
    first = sigv4.signing_key(SECRET_KEY, "20130524", "us-east-1", "s3")
    assert sigv4.signing_key(SECRET_KEY, "20130524", "us-east-1", "s3") is first
    assert sigv4.signing_key.cache_info().hits == 1


# ---- Authorization header and presigned query parsing


@pytest.mark.parametrize(
    "value",
    [
        f"AWS4-HMAC-SHA256 Credential={ACCESS_KEY}/{SCOPE}, SignedHeaders=host;x-amz-date, "
        "Signature=abc",
        f"AWS4-HMAC-SHA256 Credential={ACCESS_KEY}/{SCOPE},SignedHeaders=host;x-amz-date,"
        "Signature=abc",
        f"  AWS4-HMAC-SHA256   Credential={ACCESS_KEY}/{SCOPE} ,  SignedHeaders=host;x-amz-date"
        " Signature=abc ",
    ],
)
def test_parse_authorization_tolerates_spacing(value: str) -> None:
    auth = sigv4.parse_authorization(value)
    assert auth.credential == sigv4.Credential(
        access_key=ACCESS_KEY, date="20130524", region="us-east-1", service="s3"
    )
    assert auth.credential.scope == SCOPE
    assert auth.signed_headers == ("host", "x-amz-date")
    assert auth.signature == "abc"
    assert not auth.presigned


_AUTH = "AWS4-HMAC-SHA256 Credential="
_REST = ", SignedHeaders=host, Signature=a"


@pytest.mark.parametrize(
    ("value", "fragment"),
    [
        ("AWS4-HMAC-SHA1 Credential=a", "mechanism"),
        (f"{_AUTH}{ACCESS_KEY}/{SCOPE}, Signature=abc", "three components"),
        (f"{_AUTH}{ACCESS_KEY}/{SCOPE}, SignedHeaders=host", "three"),
        (f"{_AUTH}{_REST}", "three"),
        (f"{_AUTH}{ACCESS_KEY}/{SCOPE}, Foo=1{_REST}", "three"),
        (f"{_AUTH}a, Credential=b", "component"),
        ("AWS4-HMAC-SHA256 Credential", "component"),
        (f"{_AUTH}AK/2013/us-east-1/s3/aws4_request{_REST}", "mal-formed"),
        (f"{_AUTH}AK/20130524/us-east-1/s3{_REST}", "mal-formed"),
        (f"{_AUTH}/20130524/us-east-1/s3/aws4_request{_REST}", "mal-formed"),
        (f"{_AUTH}AK/20130524/us-east-1/s3/aws5{_REST}", 'terminal "aws5"'),
    ],
)
def test_parse_authorization_rejects_malformed_headers(value: str, fragment: str) -> None:
    with pytest.raises(S3Error) as caught:
        sigv4.parse_authorization(value)
    assert caught.value.code is S3ErrorCode.AuthorizationHeaderMalformed
    assert caught.value.message.startswith("The authorization header is malformed; ")
    assert fragment in caught.value.message


def test_check_scope_uses_aws_wording() -> None:
    credential = sigv4.Credential(
        access_key="AK", date="20130524", region="us-east-1", service="s3"
    )
    sigv4.check_scope(credential, region="us-east-1", service="s3", presigned=False)
    with pytest.raises(S3Error) as caught:
        sigv4.check_scope(credential, region="eu-west-1", service="s3", presigned=False)
    assert caught.value.code is S3ErrorCode.AuthorizationHeaderMalformed
    assert caught.value.message == (
        "The authorization header is malformed; the region 'us-east-1' is wrong; "
        "expecting 'eu-west-1'"
    )
    assert caught.value.fields == {"Region": "eu-west-1"}
    with pytest.raises(S3Error) as caught:
        sigv4.check_scope(credential, region="us-east-1", service="iam", presigned=True)
    assert caught.value.code is S3ErrorCode.AuthorizationQueryParametersError
    assert caught.value.message == (
        'Error parsing the X-Amz-Credential parameter; incorrect service "s3". '
        'This endpoint belongs to "iam".'
    )


PRESIGNED = {
    "X-Amz-Algorithm": "AWS4-HMAC-SHA256",
    "X-Amz-Credential": f"{ACCESS_KEY}/{SCOPE}",
    "X-Amz-Date": DATE,
    "X-Amz-Expires": "86400",
    "X-Amz-SignedHeaders": "host",
    "X-Amz-Signature": "abc",
}


def test_parse_presigned_reads_every_parameter() -> None:
    auth = sigv4.parse_presigned(PRESIGNED)
    assert auth.presigned
    assert auth.timestamp == DATE
    assert auth.expires_s == 86400
    assert auth.signed_headers == ("host",)
    assert auth.credential.access_key == ACCESS_KEY


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"X-Amz-Algorithm": "AWS4-HMAC-SHA1"}, 'X-Amz-Algorithm only supports "AWS4-HMAC-SHA256"'),
        ({"X-Amz-Signature": ""}, "requires the X-Amz-Algorithm"),
        ({"X-Amz-Date": "2013-05-24T00:00:00Z"}, "ISO8601 Long Format"),
        ({"X-Amz-Date": "20131324T000000Z"}, "ISO8601 Long Format"),
        ({"X-Amz-Expires": "soon"}, "X-Amz-Expires should be a number"),
        ({"X-Amz-Expires": "-1"}, "X-Amz-Expires must be non-negative"),
        ({"X-Amz-Expires": "604801"}, "X-Amz-Expires must be less than a week"),
        ({"X-Amz-Credential": "AK/20130524/us-east-1/s3"}, "Error parsing the X-Amz-Credential"),
    ],
)
def test_parse_presigned_rejects_bad_parameters(change: dict[str, str], message: str) -> None:
    with pytest.raises(S3Error) as caught:
        sigv4.parse_presigned(PRESIGNED | change)
    assert caught.value.code is S3ErrorCode.AuthorizationQueryParametersError
    assert message in caught.value.message


def test_parse_presigned_accepts_a_week() -> None:
    assert sigv4.parse_presigned(PRESIGNED | {"X-Amz-Expires": "604800"}).expires_s == 604800


# ---- payload modes and dates


@pytest.mark.parametrize(
    ("value", "mode"),
    [
        ("UNSIGNED-PAYLOAD", PayloadMode.UNSIGNED),
        (E, PayloadMode.SHA256),
        (E.upper(), PayloadMode.SHA256),
        ("STREAMING-AWS4-HMAC-SHA256-PAYLOAD", PayloadMode.STREAMING_SIGNED),
        ("STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER", PayloadMode.STREAMING_SIGNED_TRAILER),
        ("STREAMING-UNSIGNED-PAYLOAD-TRAILER", PayloadMode.STREAMING_UNSIGNED_TRAILER),
    ],
)
def test_parse_payload_mode(value: str, mode: PayloadMode) -> None:
    assert sigv4.parse_payload_mode(value) is mode


def test_payload_mode_properties() -> None:
    assert not PayloadMode.SHA256.is_streaming
    assert PayloadMode.STREAMING_UNSIGNED_TRAILER.is_streaming
    assert not PayloadMode.STREAMING_UNSIGNED_TRAILER.is_signed_streaming
    assert PayloadMode.STREAMING_SIGNED.is_signed_streaming
    assert not PayloadMode.STREAMING_SIGNED.has_trailer
    assert PayloadMode.STREAMING_SIGNED_TRAILER.has_trailer


@pytest.mark.parametrize(
    "value", ["SHA256", "abc", E[:-1] + "g", "streaming-unsigned-payload-trailer"]
)
def test_parse_payload_mode_rejects_anything_else(value: str) -> None:
    with pytest.raises(S3Error) as caught:
        sigv4.parse_payload_mode(value)
    assert caught.value.code is S3ErrorCode.InvalidArgument


def test_amz_dates_round_trip() -> None:
    assert sigv4.parse_amz_date(DATE) == DOC_NOW
    assert sigv4.format_amz_date(DOC_NOW) == DATE
    assert sigv4.parse_amz_date("20130524T000000") is None
    assert sigv4.parse_amz_date("20130524T250000Z") is None
    assert sigv4.parse_amz_date("2013052xT000000Z") is None
    assert sigv4.parse_amz_date("20130524T00000 Z") is None


def test_chunk_and_trailer_strings_to_sign() -> None:
    assert sigv4.chunk_string_to_sign(DATE, SCOPE, "prev", "hash") == (
        f"AWS4-HMAC-SHA256-PAYLOAD\n{DATE}\n{SCOPE}\nprev\n{E}\nhash"
    )
    assert sigv4.trailer_string_to_sign(DATE, SCOPE, "prev", "hash") == (
        f"AWS4-HMAC-SHA256-TRAILER\n{DATE}\n{SCOPE}\nprev\nhash"
    )
