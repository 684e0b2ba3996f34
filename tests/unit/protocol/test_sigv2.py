from __future__ import annotations

from typing import Any
from urllib.parse import parse_qsl, urlsplit

import pytest
from botocore.auth import HmacV1Auth, HmacV1QueryAuth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
from botocore.utils import percent_encode_sequence, switch_to_virtual_host_style

from ferry.protocol import sigv2, sigv4
from ferry.protocol.errors import S3Error, S3ErrorCode

ACCESS_KEY = "AKIAIOSFODNN7EXAMPLE"
SECRET_KEY = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
ODD_KEYS = ["a b.txt", "ключ/日本語.bin", "a+b=c&d.txt", "100%~tilde", "x!'()*$@,;:.txt", "a//b"]


def _doc(
    method: str,
    path: str,
    headers: dict[str, str],
    *,
    query: str = "",
    bucket: str | None = None,
    expires: str | None = None,
) -> list[str]:
    resource = sigv2.canonical_resource(path, query, virtual_bucket=bucket)
    return sigv2.strings_to_sign(method, headers, resource, expires=expires)


# ---- AWS documentation: "Signing and Authenticating REST Requests", authentication examples.
# The current page renamed johnsmith to awsexamplebucket1 but kept the signatures, which were
# computed for johnsmith (and static.johnsmith.net): these are the original examples.


def test_example_object_get() -> None:
    headers = {"host": "johnsmith.s3.amazonaws.com", "date": "Tue, 27 Mar 2007 19:36:42 +0000"}
    [to_sign] = _doc("GET", "/photos/puppy.jpg", headers, bucket="johnsmith")
    assert to_sign == "GET\n\n\nTue, 27 Mar 2007 19:36:42 +0000\n/johnsmith/photos/puppy.jpg"
    assert sigv2.sign(SECRET_KEY, to_sign) == "bWq2s1WEIj+Ydj0vQ697zp+IXMU="


def test_example_object_put() -> None:
    headers = {
        "content-type": "image/jpeg",
        "content-length": "94328",
        "host": "johnsmith.s3.amazonaws.com",
        "date": "Tue, 27 Mar 2007 21:15:45 +0000",
    }
    [to_sign] = _doc("PUT", "/photos/puppy.jpg", headers, bucket="johnsmith")
    assert to_sign == (
        "PUT\n\nimage/jpeg\nTue, 27 Mar 2007 21:15:45 +0000\n/johnsmith/photos/puppy.jpg"
    )
    assert sigv2.sign(SECRET_KEY, to_sign) == "MyyxeRY7whkBe+bq8fHCL/2kKUg="


def test_example_list() -> None:
    headers = {
        "user-agent": "Mozilla/5.0",
        "host": "johnsmith.s3.amazonaws.com",
        "date": "Tue, 27 Mar 2007 19:42:41 +0000",
    }
    query = "prefix=photos&max-keys=50&marker=puppy"
    [to_sign] = _doc("GET", "/", headers, query=query, bucket="johnsmith")
    # The trailing slash stays, and no query parameter is signed.
    assert to_sign == "GET\n\n\nTue, 27 Mar 2007 19:42:41 +0000\n/johnsmith/"
    assert sigv2.sign(SECRET_KEY, to_sign) == "htDYFYduRNen8P9ZfE/s9SuKy0U="


def test_example_fetch_acl() -> None:
    headers = {"host": "johnsmith.s3.amazonaws.com", "date": "Tue, 27 Mar 2007 19:44:46 +0000"}
    [to_sign] = _doc("GET", "/", headers, query="acl", bucket="johnsmith")
    assert to_sign == "GET\n\n\nTue, 27 Mar 2007 19:44:46 +0000\n/johnsmith/?acl"
    assert sigv2.sign(SECRET_KEY, to_sign) == "c2WLPFtWHVgbEmeEG93a4cG37dM="


def test_example_delete_with_x_amz_date() -> None:
    headers = {
        "user-agent": "dotnet",
        "host": "s3.amazonaws.com",
        "date": "Tue, 27 Mar 2007 21:20:27 +0000",
        "x-amz-date": "Tue, 27 Mar 2007 21:20:26 +0000",
    }
    readings = _doc("DELETE", "/johnsmith/photos/puppy.jpg", headers)
    # AWS's prose: the Date line is empty and x-amz-date is signed as an x-amz-* header.
    assert readings[0] == (
        "DELETE\n\n\n\nx-amz-date:Tue, 27 Mar 2007 21:20:26 +0000\n/johnsmith/photos/puppy.jpg"
    )
    # AWS's worked example instead puts x-amz-date on the Date line, and only there.
    example = "DELETE\n\n\nTue, 27 Mar 2007 21:20:26 +0000\n/johnsmith/photos/puppy.jpg"
    assert example in readings
    assert sigv2.sign(SECRET_KEY, example) == "lx3byBScXR6KzyMaifNkardMwNk="


def test_example_upload_with_amz_headers_to_a_cname_bucket() -> None:
    headers = {
        "user-agent": "curl/7.15.5",
        "host": "static.johnsmith.net:8080",
        "date": "Tue, 27 Mar 2007 21:06:08 +0000",
        "x-amz-acl": "public-read",
        "content-type": "application/x-download",
        "content-md5": "4gJE4saaMU4BqNR0kLY+lw==",
        "x-amz-meta-reviewedby": "joe@johnsmith.net,jane@johnsmith.net",
        "x-amz-meta-filechecksum": "0x02661779",
        "x-amz-meta-checksumalgorithm": "crc32",
        "content-disposition": "attachment; filename=database.dat",
        "content-encoding": "gzip",
        "content-length": "5913339",
    }
    [to_sign] = _doc("PUT", "/db-backup.dat.gz", headers, bucket="static.johnsmith.net")
    assert to_sign == (
        "PUT\n4gJE4saaMU4BqNR0kLY+lw==\napplication/x-download\n"
        "Tue, 27 Mar 2007 21:06:08 +0000\n"
        "x-amz-acl:public-read\n"
        "x-amz-meta-checksumalgorithm:crc32\n"
        "x-amz-meta-filechecksum:0x02661779\n"
        "x-amz-meta-reviewedby:joe@johnsmith.net,jane@johnsmith.net\n"
        "/static.johnsmith.net/db-backup.dat.gz"
    )
    assert sigv2.sign(SECRET_KEY, to_sign) == "ilyl83RwaSoYIEdixDQcA4OnAnc="


def test_example_list_all_my_buckets() -> None:
    headers = {"host": "s3.amazonaws.com", "date": "Wed, 28 Mar 2007 01:29:59 +0000"}
    [to_sign] = _doc("GET", "/", headers)
    assert to_sign == "GET\n\n\nWed, 28 Mar 2007 01:29:59 +0000\n/"
    assert sigv2.sign(SECRET_KEY, to_sign) == "qGdzdERIC03wnaRNKh6OqZehG9s="


def test_example_unicode_keys_are_signed_as_sent() -> None:
    headers = {"host": "s3.amazonaws.com", "date": "Wed, 28 Mar 2007 01:49:49 +0000"}
    [to_sign] = _doc("GET", "/dictionary/fran%C3%A7ais/pr%c3%a9f%c3%a8re", headers)
    assert to_sign.endswith("\n/dictionary/fran%C3%A7ais/pr%c3%a9f%c3%a8re")
    assert sigv2.sign(SECRET_KEY, to_sign) == "DNEZGsoieTZ92F3bUfSPQcbGmlM="


def test_example_query_string_authentication() -> None:
    # "Query string request authentication". The page's first query example
    # (Expires=1141889120, Signature=vjbyPxybdZaNmGa%2ByT272YEAiv4%3D) reproduces from no
    # string-to-sign, with the example key or the old 0PN5J17HBGZHT7JJ3X82 one, so it is left out.
    query = (
        "AWSAccessKeyId=AKIAIOSFODNN7EXAMPLE&Signature=NpgCjnDzrM%2BWFzoENXmpNDUsSn8%3D"
        "&Expires=1175139620"
    )
    access_key, signature, expires = sigv2.parse_query(dict(parse_qsl(query)))
    assert (access_key, expires) == (ACCESS_KEY, 1175139620)
    headers = {"host": "johnsmith.s3.amazonaws.com"}
    [to_sign] = _doc(
        "GET", "/photos/puppy.jpg", headers, query=query, bucket="johnsmith", expires="1175139620"
    )
    assert to_sign == "GET\n\n\n1175139620\n/johnsmith/photos/puppy.jpg"
    assert sigv2.sign(SECRET_KEY, to_sign) == signature == "NpgCjnDzrM+WFzoENXmpNDUsSn8="


# ---- canonical resource


@pytest.mark.parametrize(
    ("path", "query", "bucket", "expected"),
    [
        ("/b", "", None, "/b"),
        ("/", "", "b", "/b/"),
        ("", "", "b", "/b/"),
        ("", "", None, "/"),
        ("/b/k", "versionId=v%2B1&acl", None, "/b/k?acl&versionId=v+1"),
        ("/b/k", "uploadId=u&partNumber=2&x-id=UploadPart", None, "/b/k?partNumber=2&uploadId=u"),
        ("/b/k", "response-content-type=text%2Fplain%3B%20a%3Db", None,
         "/b/k?response-content-type=text/plain; a=b"),
        ("/b/k", "response-content-disposition=a+b%C3%A9", None,
         "/b/k?response-content-disposition=a bé"),
        ("/b", "list-type=2&prefix=x&delimiter=%2F&encryption", None, "/b?encryption"),
        ("/b", "tagging=&versionId=", None, "/b?tagging=&versionId="),
        ("/b", "versions&versions", None, "/b?versions&versions"),
    ],
)  # fmt: skip
def test_canonical_resource(path: str, query: str, bucket: str | None, expected: str) -> None:
    assert sigv2.canonical_resource(path, query, virtual_bucket=bucket) == expected
    assert sigv2.canonical_resource(path, query.encode(), virtual_bucket=bucket) == expected


def test_canonical_resources_cover_what_other_clients_sign() -> None:
    # botocore leaves `encryption` unsigned; an empty value may be signed bare.
    assert sigv2.canonical_resources("/b/k", "encryption=&acl") == [
        "/b/k?acl&encryption=",
        "/b/k?acl&encryption",
        "/b/k?acl",
    ]
    # botocore signs a path-style bucket request with the slash of its authPath.
    assert sigv2.canonical_resources("/b", "acl") == ["/b?acl", "/b/?acl"]
    # A path sent with raw characters may have been signed in AWS's encoding.
    assert sigv2.canonical_resources("/b/a!b", "") == ["/b/a!b", "/b/a%21b"]
    assert sigv2.canonical_resources("/k", "acl", virtual_bucket="b") == ["/b/k?acl"]
    assert sigv2.canonical_resources("/", "", virtual_bucket="b") == ["/b/"]
    assert sigv2.canonical_resources("/", "") == ["/"]


def test_canonical_amz_headers_are_lower_cased_sorted_and_trimmed() -> None:
    headers = {"X-Amz-Meta-B": "  two ", "x-amz-meta-a": "one", "Content-Type": "x"}
    assert sigv2.canonical_amz_headers(headers) == "x-amz-meta-a:one\nx-amz-meta-b:two\n"
    assert sigv2.canonical_amz_headers({"x-amz-meta-f": "a\r\n  b"}) == "x-amz-meta-f:a b\n"


# ---- string to sign


def test_query_expires_replaces_date_and_x_amz_date() -> None:
    headers = {"date": "ignored", "x-amz-date": "ignored too", "content-md5": "bWQ1"}
    to_sign = sigv2.string_to_sign("GET", headers, "/b/k", expires="42")
    assert to_sign == "GET\nbWQ1\n\n42\nx-amz-date:ignored too\n/b/k"
    assert sigv2.strings_to_sign("GET", headers, "/b/k", expires="42") == [to_sign]


def test_x_amz_date_readings() -> None:
    headers = {"x-amz-date": "Thu, 01 Jan 2026 12:00:00 GMT", "date": "Thu, 01 Jan 2026"}
    assert sigv2.strings_to_sign("GET", headers, "/") == [
        "GET\n\n\n\nx-amz-date:Thu, 01 Jan 2026 12:00:00 GMT\n/",
        "GET\n\n\nThu, 01 Jan 2026 12:00:00 GMT\n/",
        "GET\n\n\nThu, 01 Jan 2026\nx-amz-date:Thu, 01 Jan 2026 12:00:00 GMT\n/",
    ]
    only_amz = {"x-amz-date": "Thu, 01 Jan 2026 12:00:00 GMT"}
    assert len(sigv2.strings_to_sign("GET", only_amz, "/")) == 2


def test_query_headers_take_amz_and_content_headers_from_the_query() -> None:
    query = [("Content-Type", "text/plain"), ("x-amz-security-token", "tok"), ("prefix", "p")]
    headers = {"Content-Type": "image/png", "x-amz-meta-a": "1"}
    assert sigv2.query_headers(headers, query) == {
        "content-type": "image/png",
        "x-amz-meta-a": "1",
        "x-amz-security-token": "tok",
    }


# ---- parsing


def test_parse_authorization() -> None:
    assert sigv2.parse_authorization("AWS AKID:c2ln+/=") == ("AKID", "c2ln+/=")


@pytest.mark.parametrize("value", ["AWS AKID", "AWS :sig", "AWS AKID:", "AWS4 AKID:sig", "AWS"])
def test_malformed_authorization(value: str) -> None:
    with pytest.raises(S3Error) as caught:
        sigv2.parse_authorization(value)
    error = caught.value
    assert error.code is S3ErrorCode.InvalidArgument
    assert (
        error.message == "AWS authorization header is invalid.  Expected AwsAccessKeyId:signature"
    )
    assert error.fields == {"ArgumentName": "Authorization", "ArgumentValue": value}


def test_parse_query_restores_a_plus_sent_unencoded() -> None:
    params = {"AWSAccessKeyId": "AK", "Signature": "a b/c=", "Expires": "0012"}
    assert sigv2.parse_query(params) == ("AK", "a+b/c=", 12)


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"AWSAccessKeyId": "AK", "Signature": "s"}, "Query-string authentication requires"),
        ({"AWSAccessKeyId": "AK", "Expires": "1"}, "Query-string authentication requires"),
        ({"Signature": "s", "Expires": "1"}, "Query-string authentication requires"),
        ({"AWSAccessKeyId": "", "Signature": "s", "Expires": "1"}, "Query-string"),
        ({"AWSAccessKeyId": "AK", "Signature": "s", "Expires": "-1"}, "Invalid date"),
        ({"AWSAccessKeyId": "AK", "Signature": "s", "Expires": "soon"}, "Invalid date"),
        ({"AWSAccessKeyId": "AK", "Signature": "s", "Expires": "١٢"}, "Invalid date"),
    ],
)
def test_malformed_query(params: dict[str, str], message: str) -> None:
    with pytest.raises(S3Error) as caught:
        sigv2.parse_query(params)
    assert caught.value.code is S3ErrorCode.AccessDenied
    assert caught.value.message.startswith(message)


def test_signatures_equal_survives_non_ascii() -> None:
    assert sigv2.signatures_equal("abc=", "abc=")
    assert not sigv2.signatures_equal("abc=", "abé=")


# ---- botocore is the judge: HmacV1Auth and HmacV1QueryAuth


class _FixedDateAuth(HmacV1Auth):  # type: ignore[misc]  # botocore is untyped
    def _get_date(self) -> str:
        return "Thu, 01 Jan 2026 12:00:00 GMT"


class _FixedExpiresQueryAuth(HmacV1QueryAuth):  # type: ignore[misc]  # botocore is untyped
    def _get_date(self) -> str:
        return "1767272400"


def _botocore_request(
    method: str, key: str, params: dict[str, str], headers: dict[str, str], virtual: bool
) -> AWSRequest:
    """As botocore builds it before signing: path-style URL, query already encoded, then
    (virtual) the bucket moved into the host with the full path kept as auth_path."""
    url = "http://s3.localhost:9000/bucket/" + sigv4.uri_encode(key, keep_slash=True)
    if params:
        url += "?" + percent_encode_sequence(params)
    request = AWSRequest(method=method, url=url, headers=dict(headers))
    if virtual:
        switch_to_virtual_host_style(request, "s3")
        assert urlsplit(request.url).netloc == "bucket.s3.localhost:9000"
    return request


def _ours(request: AWSRequest, *, virtual: bool, expires: str | None = None) -> tuple[str, str]:
    parts = urlsplit(request.url)
    headers = {k.lower(): v for k, v in request.headers.items()}
    if expires is not None:
        headers = sigv2.query_headers(headers, parse_qsl(parts.query, keep_blank_values=True))
    resource = sigv2.canonical_resource(
        parts.path, parts.query, virtual_bucket="bucket" if virtual else None
    )
    to_sign = sigv2.string_to_sign(request.method, headers, resource, expires=expires)
    return to_sign, sigv2.sign(SECRET_KEY, to_sign)


CASES: list[tuple[str, dict[str, str], dict[str, str]]] = [
    ("GET", {}, {}),
    ("GET", {"versionId": "v+1/é", "response-content-disposition": 'attachment; f="a b"'}, {}),
    ("PUT", {"partNumber": "3", "uploadId": "u/+="}, {"Content-MD5": "bWQ1PT0=",
                                                       "Content-Type": "text/plain"}),
    ("PUT", {"tagging": ""}, {"x-amz-meta-Ключ": "v", "X-Amz-Acl": " private "}),
    ("DELETE", {"versionId": "null"}, {"x-amz-mfa": "123 456"}),
]  # fmt: skip


@pytest.mark.parametrize("virtual", [False, True], ids=["path", "virtual"])
@pytest.mark.parametrize("key", ODD_KEYS)
@pytest.mark.parametrize(("method", "params", "headers"), CASES)
def test_matches_botocore_hmac_v1_auth(
    method: str, params: dict[str, str], headers: dict[str, str], key: str, virtual: bool
) -> None:
    request = _botocore_request(method, key, params, headers, virtual)
    signer = _FixedDateAuth(Credentials(ACCESS_KEY, SECRET_KEY))
    signer.add_auth(request)
    expected = signer.canonical_string(
        request.method, urlsplit(request.url), request.headers, auth_path=request.auth_path
    )
    to_sign, signature = _ours(request, virtual=virtual)
    assert to_sign == expected
    assert request.headers["Authorization"] == f"AWS {ACCESS_KEY}:{signature}"


@pytest.mark.parametrize("virtual", [False, True], ids=["path", "virtual"])
@pytest.mark.parametrize("key", ODD_KEYS)
@pytest.mark.parametrize(("method", "params", "headers"), CASES)
def test_matches_botocore_hmac_v1_query_auth(
    method: str, params: dict[str, str], headers: dict[str, str], key: str, virtual: bool
) -> None:
    request = _botocore_request(method, key, params, headers, virtual)
    _FixedExpiresQueryAuth(Credentials(ACCESS_KEY, SECRET_KEY)).add_auth(request)
    query: dict[str, Any] = dict(parse_qsl(urlsplit(request.url).query, keep_blank_values=True))
    assert query["Expires"] == "1767272400"
    # The URL's holder sends no headers: botocore moved the signed ones into the query.
    bare = AWSRequest(method=method, url=request.url, headers={})
    _, signature = _ours(bare, virtual=virtual, expires=query["Expires"])
    assert sigv2.parse_query(query) == (ACCESS_KEY, signature, 1767272400)
