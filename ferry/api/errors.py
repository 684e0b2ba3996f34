"""The single mapping from domain exceptions to S3 errors, and the error response itself."""

from __future__ import annotations

import logging
from email.utils import format_datetime
from xml.sax.saxutils import escape

from ferry import replication
from ferry.api.http import Response
from ferry.control.errors import AccessDenied, MalformedPolicy
from ferry.core.errors import FerryError
from ferry.core.names import InvalidBucketName, InvalidObjectKey, KeyTooLong
from ferry.crypto import errors as crypto
from ferry.crypto import sse_errors as sse
from ferry.protocol.errors import S3Error, S3ErrorCode
from ferry.store import errors as store
from ferry.store.records import Version

log = logging.getLogger("ferry.api")

_C = S3ErrorCode

# Walked along the exception's MRO: the most specific type wins.
ERROR_CODES: dict[type[FerryError], S3ErrorCode] = {
    sse.InvalidEncryptionArgument: _C.InvalidArgument,
    sse.InvalidEncryptionAlgorithm: _C.InvalidEncryptionAlgorithmError,
    sse.CustomerKeyMd5Mismatch: _C.InvalidArgument,
    sse.CustomerKeyRequired: _C.InvalidRequest,
    sse.EncryptionNotApplicable: _C.InvalidRequest,
    sse.CustomerKeyMismatch: _C.AccessDenied,
    sse.NoSuchEncryptionConfiguration: _C.ServerSideEncryptionConfigurationNotFoundError,
    crypto.KmsKeyNotFound: _C.KMSNotFoundException,
    crypto.KmsKeyDisabled: _C.KMSDisabledException,
    crypto.KmsKeyInvalidState: _C.KMSInvalidStateException,
    crypto.KmsAccessDenied: _C.AccessDenied,
    store.NoSuchBucket: _C.NoSuchBucket,
    store.NoSuchKey: _C.NoSuchKey,
    store.DeleteMarkerHit: _C.NoSuchKey,
    store.NoSuchVersion: _C.NoSuchVersion,
    store.NoSuchUpload: _C.NoSuchUpload,
    store.NoSuchTagSet: _C.NoSuchTagSet,
    store.NoSuchBucketPolicy: _C.NoSuchBucketPolicy,
    store.NoSuchLifecycleConfiguration: _C.NoSuchLifecycleConfiguration,
    store.OwnershipControlsNotFound: _C.OwnershipControlsNotFoundError,
    store.NoSuchPublicAccessBlockConfiguration: _C.NoSuchPublicAccessBlockConfiguration,
    store.NoSuchCORSConfiguration: _C.NoSuchCORSConfiguration,
    store.InvalidBucketAclWithObjectOwnership: _C.InvalidBucketAclWithObjectOwnership,
    MalformedPolicy: _C.MalformedPolicy,
    AccessDenied: _C.AccessDenied,
    store.BucketAlreadyExists: _C.BucketAlreadyExists,
    store.BucketAlreadyOwnedByYou: _C.BucketAlreadyOwnedByYou,
    store.BucketNotEmpty: _C.BucketNotEmpty,
    store.BucketQuotaExceeded: _C.BucketQuotaExceeded,
    store.MethodNotAllowedOnDeleteMarker: _C.MethodNotAllowed,
    store.PreconditionFailed: _C.PreconditionFailed,
    store.NotModified: _C.NotModified,
    store.InvalidRange: _C.InvalidRange,
    store.InvalidPart: _C.InvalidPart,
    store.InvalidPartOrder: _C.InvalidPartOrder,
    store.EntityTooSmall: _C.EntityTooSmall,
    store.InvalidArgument: _C.InvalidArgument,
    store.InvalidBucketState: _C.InvalidBucketState,
    store.ObjectLockConfigurationNotFound: _C.ObjectLockConfigurationNotFoundError,
    store.NoSuchObjectLockConfiguration: _C.NoSuchObjectLockConfiguration,
    store.ObjectLockMissing: _C.InvalidRequest,
    store.ObjectLocked: _C.AccessDenied,
    store.VersioningNotEnabled: _C.InvalidRequest,
    store.Busy: _C.SlowDown,
    store.StorageFull: _C.StorageFull,
    store.StoreConflict: _C.OperationAborted,
    store.DestinationUnversioned: _C.InvalidBucketState,
    store.BadReplicaDigest: _C.BadDigest,
    InvalidBucketName: _C.InvalidBucketName,
    KeyTooLong: _C.KeyTooLongError,
    InvalidObjectKey: _C.InvalidArgument,
    replication.InvalidReplicationConfiguration: _C.InvalidRequest,
    replication.ReplicationConfigurationArgumentError: _C.InvalidArgument,
    replication.MalformedReplicationConfiguration: _C.MalformedXML,
    replication.InvalidReplicationStorageClass: _C.InvalidStorageClass,
    replication.NoSuchReplicationConfiguration: _C.NoSuchReplicationConfiguration,
}

# Domain fields that S3 shows as extra elements of <Error>.
_FIELD_ELEMENTS = {
    "bucket": "BucketName",
    "key": "Key",
    "version_id": "VersionId",
    "upload_id": "UploadId",
    "part_number": "PartNumber",
    "etag": "ETag",
    "condition": "Condition",
    "size": "ProposedSize",
    "min_size": "MinSizeAllowed",
    "actual_size": "ActualObjectSize",
    "argument_name": "ArgumentName",
    "argument_value": "ArgumentValue",
}


def to_s3_error(exc: FerryError) -> S3Error:
    for cls in type(exc).__mro__:
        code = ERROR_CODES.get(cls)
        if code is not None:
            break
    else:
        raise exc
    fields = {
        element: value
        for name, element in _FIELD_ELEMENTS.items()
        if (value := exc.fields.get(name)) is not None
    }
    message = exc.message if type(exc).__doc__ and exc.message != _doc(exc) else None
    error = S3Error(code, message, headers=_headers_for(exc), **fields)
    if code is _C.NoSuchBucket and "BucketName" not in error.fields:
        error.fields["BucketName"] = str(exc.fields.get("bucket", ""))
    return error


def _doc(exc: FerryError) -> str:
    return (type(exc).__doc__ or "").strip()


def _headers_for(exc: FerryError) -> dict[str, str]:
    version = exc.fields.get("version")
    if not isinstance(version, Version):
        return {}
    headers = {"x-amz-delete-marker": "true", "x-amz-version-id": version.version_id}
    if isinstance(exc, store.MethodNotAllowedOnDeleteMarker):
        headers["allow"] = "DELETE"
        headers["last-modified"] = format_datetime(version.last_modified, usegmt=True)
    return headers


def render_error(error: S3Error, resource: str, request_id: str) -> bytes:
    extra = "".join(f"<{name}>{escape(value)}</{name}>" for name, value in error.fields.items())
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        f"<Error><Code>{error.code.value}</Code><Message>{escape(error.message)}</Message>"
        f"{extra}<Resource>{escape(resource)}</Resource>"
        f"<RequestId>{request_id}</RequestId></Error>"
    ).encode()


def error_response(exc: BaseException, *, resource: str, request_id: str, method: str) -> Response:
    """Any exception → an S3 error response. Unknown ones are logged once and become 500."""
    if isinstance(exc, FerryError):
        try:
            exc = to_s3_error(exc)
        except FerryError:
            pass
    if not isinstance(exc, S3Error):
        log.error(
            "unhandled error", exc_info=exc, extra={"request_id": request_id, "resource": resource}
        )
        exc = S3Error(_C.InternalError)
    headers = list(exc.headers.items())
    if exc.status == 304 or method == "HEAD":
        return Response(status=exc.status, headers=headers, body=b"")
    headers.append(("content-type", "application/xml"))
    return Response(
        status=exc.status, headers=headers, body=render_error(exc, resource, request_id)
    )
