"""botocore as the judge: its own parser and serializer, driven by the S3 service model."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from botocore import handlers
from botocore.model import ServiceModel
from botocore.parsers import RestXMLParser
from botocore.serialize import create_serializer
from botocore.session import get_session

ParseOutput = Callable[..., dict[str, Any]]
SerializeInput = Callable[[str, dict[str, Any]], bytes]

# Keys XML 1.0 can carry as text: every codec must round-trip them through botocore.
_AWKWARD_KEYS = (
    "plain.txt",
    "with spaces  and  more.txt",
    "ünïcødé/日本語/ファイル.jpg",
    "emoji-🪣.bin",
    "tab\there",
    "new\nline",
    "carriage\rreturn\r\n",
    "]]>",
    "<![CDATA[x]]>",
    "&amp; <tag attr=\"v\"> 'quoted'",
    "plus+sign%20percent~tilde*star",
)
# Keys only `encoding-type=url` can carry to an XML 1.0 parser such as botocore's.
_CONTROL_KEYS = ("a\x01b", "\x1funit separator", "\x0bvertical\x0cfeed\x7fdelete", "\x08")


@pytest.fixture(scope="session")
def awkward_keys() -> tuple[str, ...]:
    return _AWKWARD_KEYS


@pytest.fixture(scope="session")
def request_keys() -> tuple[str, ...]:
    """The awkward keys a botocore request body can carry. Its serializer writes a carriage
    return raw, which every XML parser (S3's too) must read back as a newline."""
    return tuple(key for key in _AWKWARD_KEYS if "\r" not in key)


@pytest.fixture(scope="session")
def control_keys() -> tuple[str, ...]:
    return _CONTROL_KEYS


@pytest.fixture(scope="session")
def s3_model() -> ServiceModel:
    return get_session().get_service_model("s3")


@pytest.fixture(scope="session")
def parse_output(s3_model: ServiceModel) -> ParseOutput:
    """Parse a response body as botocore does for `operation` (errors too, by status)."""

    def parse(operation: str, body: bytes, status: int = 200) -> dict[str, Any]:
        shape = s3_model.operation_model(operation).output_shape
        response = {"body": body, "headers": {}, "status_code": status}
        parsed: dict[str, Any] = RestXMLParser().parse(response, shape)
        parsed.pop("ResponseMetadata", None)
        return parsed

    return parse


@pytest.fixture(scope="session")
def parse_listing(parse_output: ParseOutput) -> ParseOutput:
    """Parse a listing as boto3 sees it: it asks for `encoding-type=url`, then decodes."""
    decoders = {
        "ListObjects": handlers.decode_list_object,
        "ListObjectsV2": handlers.decode_list_object_v2,
        "ListObjectVersions": handlers.decode_list_object_versions,
    }

    def parse(operation: str, body: bytes) -> dict[str, Any]:
        parsed = parse_output(operation, body)
        decoders[operation](parsed=parsed, context={"encoding_type_auto_set": True})
        return parsed

    return parse


@pytest.fixture(scope="session")
def serialize_input(s3_model: ServiceModel) -> SerializeInput:
    """The request body botocore sends for `operation` with `params` (unvalidated, as a
    careless client could send it)."""
    serializer = create_serializer("rest-xml", include_validation=False)

    def serialize(operation: str, params: dict[str, Any]) -> bytes:
        request = serializer.serialize_to_request(params, s3_model.operation_model(operation))
        body = request["body"]
        assert isinstance(body, bytes)
        return body

    return serialize
