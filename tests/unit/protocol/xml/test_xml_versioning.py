from __future__ import annotations

import pytest

from ferry.protocol.errors import S3Error, S3ErrorCode
from ferry.protocol.xml import (
    MfaDeleteStatus,
    VersioningConfiguration,
    VersioningStatus,
    parse_versioning_configuration,
    render_versioning_configuration,
)


@pytest.mark.parametrize("status", ["Enabled", "Suspended"])
@pytest.mark.parametrize("mfa_delete", ["Enabled", "Disabled", None])
def test_versioning_configuration_as_botocore_sends_it(
    serialize_input, status: str, mfa_delete: str | None
) -> None:
    config = {"Status": status} | ({"MFADelete": mfa_delete} if mfa_delete else {})
    body = serialize_input(
        "PutBucketVersioning", {"Bucket": "b", "VersioningConfiguration": config}
    )
    assert parse_versioning_configuration(body) == VersioningConfiguration(
        status=VersioningStatus(status),
        mfa_delete=MfaDeleteStatus(mfa_delete) if mfa_delete else None,
    )


@pytest.mark.parametrize(
    "body",
    [
        b"<VersioningConfiguration><Status>enabled</Status></VersioningConfiguration>",
        b"<VersioningConfiguration><Status>Disabled</Status></VersioningConfiguration>",
        b"<VersioningConfiguration><Status></Status></VersioningConfiguration>",
        b"<VersioningConfiguration><Status>Enabled</Status><Status>Enabled</Status>"
        b"</VersioningConfiguration>",
        b"<VersioningConfiguration><MfaDelete>On</MfaDelete></VersioningConfiguration>",
        b"<VersioningConfiguration><Status><b>Enabled</b></Status></VersioningConfiguration>",
    ],
)
def test_invalid_versioning_status_is_malformed_xml(body: bytes) -> None:
    with pytest.raises(S3Error) as caught:
        parse_versioning_configuration(body)
    assert caught.value.code is S3ErrorCode.MalformedXML


def test_versioning_configuration_without_status_sets_nothing() -> None:
    body = b'<VersioningConfiguration xmlns="http://s3.amazonaws.com/doc/2006-03-01/"/>'
    assert parse_versioning_configuration(body) == VersioningConfiguration()


def test_never_versioned_bucket_renders_an_empty_configuration(parse_output) -> None:
    body = render_versioning_configuration(VersioningConfiguration())
    assert body == (
        b'<?xml version="1.0" encoding="UTF-8"?>\n'
        b'<VersioningConfiguration xmlns="http://s3.amazonaws.com/doc/2006-03-01/"/>'
    )
    assert parse_output("GetBucketVersioning", body) == {}


def test_versioning_configuration_parses_in_botocore(parse_output) -> None:
    config = VersioningConfiguration(
        status=VersioningStatus.SUSPENDED, mfa_delete=MfaDeleteStatus.DISABLED
    )
    body = render_versioning_configuration(config)
    assert parse_output("GetBucketVersioning", body) == {
        "Status": "Suspended",
        "MFADelete": "Disabled",
    }
    assert parse_versioning_configuration(body) == config
