from __future__ import annotations

from ferry.protocol.errors import S3Error, S3ErrorCode
from ferry.protocol.xml import ErrorBody, error_body, render_error


def test_error_body_matches_the_aws_error_document() -> None:
    body = ErrorBody(
        code="NoSuchKey",
        message="The resource you requested does not exist",
        resource="/mybucket/myfoto.jpg",
        request_id="4442587FB7D0A2F9",
    )
    assert render_error(body) == (
        b'<?xml version="1.0" encoding="UTF-8"?>\n'
        b"<Error><Code>NoSuchKey</Code>"
        b"<Message>The resource you requested does not exist</Message>"
        b"<Resource>/mybucket/myfoto.jpg</Resource>"
        b"<RequestId>4442587FB7D0A2F9</RequestId></Error>"
    )


def test_s3_error_with_extra_fields_parses_in_botocore(parse_output) -> None:
    error = S3Error(S3ErrorCode.NoSuchBucket, BucketName="my <bucket>")
    body = error_body(error, resource="/my <bucket>/k & v", request_id="REQ1", host_id="HOST/2=")
    parsed = parse_output("GetObject", render_error(body), status=404)
    assert parsed == {
        "Error": {
            "Code": "NoSuchBucket",
            "Message": "The specified bucket does not exist",
            "BucketName": "my <bucket>",
            "Resource": "/my <bucket>/k & v",
        },
    }


def test_error_without_optional_elements_still_parses(parse_output) -> None:
    body = ErrorBody(code=S3ErrorCode.MalformedXML.value, message="bad \x01 xml")
    rendered = render_error(body)
    assert b"<Message>bad &#x1; xml</Message>" in rendered
    assert b"Resource" not in rendered and b"RequestId" not in rendered


def test_error_root_has_no_namespace_so_botocore_reads_it_as_an_s3_error(parse_output) -> None:
    # botocore recognises S3's error shape by the bare tag `Error`, and takes RequestId
    # and HostId from the response headers, dropping the body's copies.
    rendered = render_error(ErrorBody(code="AccessDenied", message="Access Denied", request_id="R"))
    assert b"<Error><Code>" in rendered and b"<RequestId>R</RequestId>" in rendered
    parsed = parse_output("PutObject", rendered, status=403)
    assert parsed == {"Error": {"Code": "AccessDenied", "Message": "Access Denied"}}
