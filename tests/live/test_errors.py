"""Bad input gets a clear S3 error: right code, right status, XML body, never a stack trace."""

from __future__ import annotations

import socket
from datetime import UTC, datetime, timedelta
from typing import Any
from xml.etree import ElementTree

import httpx
import pytest

from ferry.protocol.sigv4 import sign_headers
from tests.live.server import ACCESS_KEY, SECRET_KEY, FerryServer


def signed(
    server: FerryServer,
    method: str,
    path: str,
    body: bytes = b"",
    *,
    headers: dict[str, str] | None = None,
    secret: str = SECRET_KEY,
    access: str = ACCESS_KEY,
    now: datetime | None = None,
) -> httpx.Response:
    import hashlib

    url = server.endpoint + path
    all_headers = {"host": f"127.0.0.1:{server.port}", **(headers or {})}
    all_headers.update(
        sign_headers(
            method,
            url,
            all_headers,
            hashlib.sha256(body).hexdigest(),
            access,
            secret,
            "us-east-1",
            now or datetime.now(UTC),
        )
    )
    return httpx.request(method, url, headers=all_headers, content=body)


def error_of(response: httpx.Response) -> dict[str, str]:
    root = ElementTree.fromstring(response.content)
    return {child.tag: child.text or "" for child in root}


def test_error_body_has_code_message_resource_request_id(server: FerryServer) -> None:
    response = signed(server, "GET", "/no-such-bucket-xyz/key")
    assert response.status_code == 404
    assert response.headers["content-type"] == "application/xml"
    error = error_of(response)
    assert error["Code"] == "NoSuchBucket"
    assert error["Message"] and error["RequestId"] == response.headers["x-amz-request-id"]
    assert error["Resource"] == "/no-such-bucket-xyz/key"


def test_wrong_secret_is_signature_does_not_match(server: FerryServer) -> None:
    response = signed(server, "GET", "/", secret="wrong")
    assert response.status_code == 403
    assert error_of(response)["Code"] == "SignatureDoesNotMatch"


def test_unknown_access_key_is_invalid_access_key_id(server: FerryServer) -> None:
    response = signed(server, "GET", "/", access="AKIANOBODY0000000000")
    assert response.status_code == 403
    assert error_of(response)["Code"] == "InvalidAccessKeyId"


def test_skewed_clock_is_request_time_too_skewed(server: FerryServer) -> None:
    response = signed(server, "GET", "/", now=datetime.now(UTC) - timedelta(hours=1))
    assert response.status_code == 403
    assert error_of(response)["Code"] == "RequestTimeTooSkewed"


def test_anonymous_request_is_access_denied(server: FerryServer) -> None:
    response = httpx.get(server.endpoint + "/")
    assert response.status_code == 403
    assert error_of(response)["Code"] == "AccessDenied"


@pytest.mark.parametrize(
    "document",
    [
        b"not xml at all",
        b"<VersioningConfiguration><Status>Enabled</Status>",
        b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
        b'<!ENTITY lol2 "&lol;&lol;&lol;&lol;">]>'
        b"<VersioningConfiguration><Status>&lol2;</Status></VersioningConfiguration>",
        b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>'
        b"<VersioningConfiguration><Status>&xxe;</Status></VersioningConfiguration>",
        b"<VersioningConfiguration><Status>Sometimes</Status></VersioningConfiguration>",
        b"<WrongRoot/>",
    ],
)
def test_malformed_or_hostile_xml_is_malformed_xml(
    server: FerryServer, s3: Any, bucket: str, document: bytes
) -> None:
    response = signed(server, "PUT", f"/{bucket}?versioning", document)
    assert response.status_code == 400
    assert error_of(response)["Code"] in ("MalformedXML", "IllegalVersioningConfigurationException")


def test_huge_xml_document_is_refused(server: FerryServer, bucket: str) -> None:
    document = (
        b"<Tagging><TagSet>"
        + b"<Tag><Key>k</Key><Value>v</Value></Tag>" * 200_000
        + b"</TagSet></Tagging>"
    )
    response = signed(server, "PUT", f"/{bucket}?tagging", document)
    assert response.status_code == 400
    assert error_of(response)["Code"] == "MalformedXML"


def test_unknown_subresource_is_not_implemented(server: FerryServer, bucket: str) -> None:
    response = signed(server, "GET", f"/{bucket}?website")
    assert response.status_code == 501
    assert error_of(response)["Code"] == "NotImplemented"


def test_payload_hash_mismatch_is_rejected_and_nothing_stored(
    server: FerryServer, s3: Any, bucket: str
) -> None:
    import hashlib

    url = f"{server.endpoint}/{bucket}/tampered"
    headers = {"host": f"127.0.0.1:{server.port}"}
    headers.update(
        sign_headers(
            "PUT",
            url,
            headers,
            hashlib.sha256(b"original").hexdigest(),
            ACCESS_KEY,
            SECRET_KEY,
            "us-east-1",
            datetime.now(UTC),
        )
    )
    response = httpx.put(url, headers=headers, content=b"tampered")
    assert response.status_code == 400
    assert error_of(response)["Code"] == "XAmzContentSHA256Mismatch"
    assert s3.list_objects_v2(Bucket=bucket).get("KeyCount") == 0


def test_huge_header_is_rejected_cleanly(server: FerryServer, bucket: str) -> None:
    response = signed(server, "PUT", f"/{bucket}/h", b"x", headers={"x-amz-meta-big": "v" * 9000})
    assert response.status_code == 400


def test_truncated_body_leaves_nothing_behind(server: FerryServer, s3: Any, bucket: str) -> None:
    """A client that promises 1 MiB, sends half and hangs up: no object appears."""
    request = (
        f"PUT /{bucket}/partial HTTP/1.1\r\nHost: 127.0.0.1:{server.port}\r\n"
        "x-amz-content-sha256: UNSIGNED-PAYLOAD\r\nContent-Length: 1048576\r\n"
    )
    signature = sign_headers(
        "PUT",
        f"{server.endpoint}/{bucket}/partial",
        {"host": f"127.0.0.1:{server.port}", "content-length": "1048576"},
        "UNSIGNED-PAYLOAD",
        ACCESS_KEY,
        SECRET_KEY,
        "us-east-1",
        datetime.now(UTC),
    )
    request += "".join(f"{k}: {v}\r\n" for k, v in signature.items() if k != "x-amz-content-sha256")
    with socket.create_connection(("127.0.0.1", server.port), timeout=5) as sock:
        sock.sendall(request.encode() + b"\r\n" + b"x" * 524288)
    s3.head_bucket(Bucket=bucket)  # the server is still fine
    assert s3.list_objects_v2(Bucket=bucket).get("KeyCount") == 0
