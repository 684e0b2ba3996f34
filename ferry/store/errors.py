"""Store errors. Each carries structured fields; `api/errors.py` maps them to S3 codes."""

from __future__ import annotations

from typing import Any

from ferry.core.errors import Conflict, FerryError, Invalid, NotFound


class NoSuchBucket(NotFound):
    """The specified bucket does not exist"""


class NoSuchKey(NotFound):
    """The specified key does not exist."""


class NoSuchVersion(NotFound):
    """The specified version does not exist."""


class NoSuchUpload(NotFound):
    """The specified upload does not exist. The upload ID may be invalid, or the upload may
    have been aborted or completed."""


class NoSuchTagSet(NotFound):
    """The TagSet does not exist"""


class NoSuchBucketPolicy(NotFound):
    """The bucket policy does not exist"""


class ObjectLockConfigurationNotFound(NotFound):
    """Object Lock configuration does not exist for this bucket"""


class NoSuchObjectLockConfiguration(NotFound):
    """The specified object does not have a ObjectLock configuration"""


class ObjectLockMissing(Invalid):
    """The bucket has no Object Lock, which the request needs (AWS: InvalidRequest)."""

    def __init__(self, **fields: Any) -> None:
        super().__init__("Bucket is missing Object Lock Configuration", **fields)


class ObjectLocked(FerryError):
    """The version is under Object Lock (AWS: AccessDenied)."""

    def __init__(self, **fields: Any) -> None:
        super().__init__("Access Denied because object protected by object lock.", **fields)


class NoSuchLifecycleConfiguration(NotFound):
    """The lifecycle configuration does not exist"""


class OwnershipControlsNotFound(NotFound):
    """The bucket ownership controls were not found"""


class NoSuchPublicAccessBlockConfiguration(NotFound):
    """The public access block configuration was not found"""


class NoSuchCORSConfiguration(NotFound):
    """The CORS configuration does not exist"""


class InvalidBucketAclWithObjectOwnership(Invalid):
    """Bucket cannot have ACLs set with ObjectOwnership's BucketOwnerEnforced setting"""


class BucketAlreadyExists(Conflict):
    """The requested bucket name is not available."""


class BucketAlreadyOwnedByYou(Conflict):
    """Your previous request to create the named bucket succeeded and you already own it."""


class BucketNotEmpty(Conflict):
    """The bucket you tried to delete is not empty"""


class DeleteMarkerHit(NotFound):
    """The latest version of the key is a delete marker (GET/HEAD without a version ID)."""


class MethodNotAllowedOnDeleteMarker(Conflict):
    """The specified method is not allowed against this resource."""


class PreconditionFailed(Conflict):
    """At least one of the pre-conditions you specified did not hold"""


class NotModified(Conflict):
    """Not Modified"""


class InvalidRange(Invalid):
    """The requested range is not satisfiable"""


class InvalidPart(Invalid):
    """One or more of the specified parts could not be found."""


class InvalidPartOrder(Invalid):
    """The list of parts was not in ascending order."""


class EntityTooSmall(Invalid):
    """Your proposed upload is smaller than the minimum allowed object size."""


class InvalidArgument(Invalid):
    """Invalid Argument"""


class InvalidBucketState(Conflict):
    """The request is not valid with the current state of the bucket."""


class VersioningNotEnabled(Invalid):
    """The bucket's versioning is not Enabled, which a replication configuration needs."""

    def __init__(self, **fields: Any) -> None:
        super().__init__(
            "Versioning must be 'Enabled' on the bucket to apply a replication configuration",
            **fields,
        )


class Busy(FerryError):
    """The metadata database is busy; try again."""


class StorageFull(FerryError):
    """The storage device is full."""


class StoreConflict(Conflict):
    """A concurrent change conflicted with this one."""


class BadReplicaDigest(Invalid):
    """The replica's bytes do not match the source version's size and ETag."""


class DestinationUnversioned(Conflict):
    """Destination bucket must have versioning enabled."""


class BucketQuotaExceeded(FerryError):
    """Bucket quota exceeded"""


class DatabaseUnavailable(FerryError):
    """The metadata database cannot be reached."""

    def __init__(self, *, key: str, url: str, reason: str) -> None:
        super().__init__(f"{key}: cannot use the database at {url}: {reason}", key=key, url=url)


class SchemaMismatch(FerryError):
    """The database's schema is not the one this Ferry knows (too new, or not migrated)."""
