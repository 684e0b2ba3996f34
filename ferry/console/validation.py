"""The rule editor's live check: the document-only half of PutBucketReplication (the codec and
`replication.validate_configuration`), answered with the code and message the API would give."""

from __future__ import annotations

from ferry.protocol.errors import S3Error
from ferry.protocol.xml import parse_replication_configuration
from ferry.replication import (
    InvalidReplicationConfiguration,
    InvalidReplicationStorageClass,
    MalformedReplicationConfiguration,
    ReplicationConfigurationArgumentError,
    validate_configuration,
)

# The codes `api/errors.py` answers these with (most specific first).
_CODES: tuple[tuple[type[InvalidReplicationConfiguration], str], ...] = (
    (ReplicationConfigurationArgumentError, "InvalidArgument"),
    (MalformedReplicationConfiguration, "MalformedXML"),
    (InvalidReplicationStorageClass, "InvalidStorageClass"),
    (InvalidReplicationConfiguration, "InvalidRequest"),
)


def document_problem(document: bytes, source_bucket: str) -> tuple[str, str] | None:
    """(code, message) of the first problem PutBucketReplication would find in `document`
    alone; None: none."""
    try:
        validate_configuration(parse_replication_configuration(document),
                               source_bucket=source_bucket)  # fmt: skip
    except S3Error as exc:
        return str(exc.code), exc.message
    except InvalidReplicationConfiguration as exc:
        code = next(code for kind, code in _CODES if isinstance(exc, kind))
        return code, exc.message
    return None
