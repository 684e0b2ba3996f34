"""S3 error codes, their HTTP statuses and default messages; S3Error for protocol faults."""

from __future__ import annotations

from enum import StrEnum
from typing import Any


class S3ErrorCode(StrEnum):
    AccessDenied = "AccessDenied"
    AuthorizationHeaderMalformed = "AuthorizationHeaderMalformed"
    AuthorizationQueryParametersError = "AuthorizationQueryParametersError"
    BadDigest = "BadDigest"
    BucketAlreadyExists = "BucketAlreadyExists"
    BucketAlreadyOwnedByYou = "BucketAlreadyOwnedByYou"
    BucketNotEmpty = "BucketNotEmpty"
    CrossLocationLoggingProhibited = "CrossLocationLoggingProhibited"
    # AWS has no bucket quota; MinIO's code, so MinIO-aware tools recognise it (docs/quotas.md).
    BucketQuotaExceeded = "XMinioAdminBucketQuotaExceeded"
    EntityTooLarge = "EntityTooLarge"
    EntityTooSmall = "EntityTooSmall"
    ExpiredToken = "ExpiredToken"
    IllegalLocationConstraintException = "IllegalLocationConstraintException"
    IllegalVersioningConfigurationException = "IllegalVersioningConfigurationException"
    IncompleteBody = "IncompleteBody"
    IncorrectNumberOfFilesInPostRequest = "IncorrectNumberOfFilesInPostRequest"
    InternalError = "InternalError"
    InvalidAccessKeyId = "InvalidAccessKeyId"
    InvalidArgument = "InvalidArgument"
    InvalidBucketName = "InvalidBucketName"
    InvalidBucketState = "InvalidBucketState"
    InvalidDigest = "InvalidDigest"
    InvalidLocationConstraint = "InvalidLocationConstraint"
    InvalidObjectState = "InvalidObjectState"
    InvalidPart = "InvalidPart"
    InvalidPartNumber = "InvalidPartNumber"
    InvalidPartOrder = "InvalidPartOrder"
    InvalidPolicyDocument = "InvalidPolicyDocument"
    InvalidRange = "InvalidRange"
    InvalidRequest = "InvalidRequest"
    InvalidStorageClass = "InvalidStorageClass"
    InvalidTag = "InvalidTag"
    InvalidTargetBucketForLogging = "InvalidTargetBucketForLogging"
    InvalidURI = "InvalidURI"
    KeyTooLongError = "KeyTooLongError"
    MalformedACLError = "MalformedACLError"
    MalformedPOSTRequest = "MalformedPOSTRequest"
    MalformedPolicy = "MalformedPolicy"
    MalformedXML = "MalformedXML"
    MetadataTooLarge = "MetadataTooLarge"
    MethodNotAllowed = "MethodNotAllowed"
    MissingContentLength = "MissingContentLength"
    MissingSecurityHeader = "MissingSecurityHeader"
    NoSuchBucket = "NoSuchBucket"
    NoSuchBucketPolicy = "NoSuchBucketPolicy"
    NoSuchLifecycleConfiguration = "NoSuchLifecycleConfiguration"
    NoSuchKey = "NoSuchKey"
    NoSuchTagSet = "NoSuchTagSet"
    NoSuchUpload = "NoSuchUpload"
    NoSuchVersion = "NoSuchVersion"
    NoSuchReplicationConfiguration = "ReplicationConfigurationNotFoundError"
    NotImplemented = "NotImplemented"
    NotModified = "NotModified"
    OperationAborted = "OperationAborted"
    StorageFull = "XFerryStorageFull"
    PermanentRedirect = "PermanentRedirect"
    PreconditionFailed = "PreconditionFailed"
    RequestHeaderSectionTooLarge = "RequestHeaderSectionTooLarge"
    RequestTimeTooSkewed = "RequestTimeTooSkewed"
    RequestTimeout = "RequestTimeout"
    ServiceUnavailable = "ServiceUnavailable"
    SignatureDoesNotMatch = "SignatureDoesNotMatch"
    SlowDown = "SlowDown"
    TooManyParts = "TooManyParts"
    XAmzContentSHA256Mismatch = "XAmzContentSHA256Mismatch"
    # server-side encryption (KMS errors keep AWS's "KMS." prefix in S3 responses)
    InvalidEncryptionAlgorithmError = "InvalidEncryptionAlgorithmError"
    KMSNotFoundException = "KMS.NotFoundException"
    KMSDisabledException = "KMS.DisabledException"
    KMSInvalidStateException = "KMS.KMSInvalidStateException"
    ServerSideEncryptionConfigurationNotFoundError = (
        "ServerSideEncryptionConfigurationNotFoundError"
    )
    # Object Lock
    ObjectLockConfigurationNotFoundError = "ObjectLockConfigurationNotFoundError"
    NoSuchObjectLockConfiguration = "NoSuchObjectLockConfiguration"
    # ACLs, Object Ownership, Block Public Access, CORS
    AccessControlListNotSupported = "AccessControlListNotSupported"
    InvalidBucketAclWithObjectOwnership = "InvalidBucketAclWithObjectOwnership"
    OwnershipControlsNotFoundError = "OwnershipControlsNotFoundError"
    NoSuchPublicAccessBlockConfiguration = "NoSuchPublicAccessBlockConfiguration"
    UnresolvableGrantByEmailAddress = "UnresolvableGrantByEmailAddress"
    NoSuchCORSConfiguration = "NoSuchCORSConfiguration"
    AccessForbidden = "AccessForbidden"  # a CORS preflight no rule allows
    BadRequest = "BadRequest"


_C = S3ErrorCode

STATUS: dict[S3ErrorCode, int] = {
    _C.AccessDenied: 403,
    _C.MalformedPolicy: 400,
    _C.NoSuchBucketPolicy: 404,
    _C.NoSuchLifecycleConfiguration: 404,
    _C.AuthorizationHeaderMalformed: 400,
    _C.AuthorizationQueryParametersError: 400,
    _C.BadDigest: 400,
    _C.BucketAlreadyExists: 409,
    _C.BucketAlreadyOwnedByYou: 409,
    _C.BucketNotEmpty: 409,
    _C.CrossLocationLoggingProhibited: 403,
    _C.InvalidTargetBucketForLogging: 400,
    _C.BucketQuotaExceeded: 400,
    _C.EntityTooLarge: 400,
    _C.EntityTooSmall: 400,
    _C.ExpiredToken: 400,
    _C.IllegalLocationConstraintException: 400,
    _C.IllegalVersioningConfigurationException: 400,
    _C.IncompleteBody: 400,
    _C.IncorrectNumberOfFilesInPostRequest: 400,
    _C.InternalError: 500,
    _C.InvalidAccessKeyId: 403,
    _C.InvalidArgument: 400,
    _C.InvalidBucketName: 400,
    _C.InvalidBucketState: 409,
    _C.InvalidDigest: 400,
    _C.InvalidLocationConstraint: 400,
    _C.InvalidObjectState: 403,
    _C.InvalidPart: 400,
    _C.InvalidPartNumber: 416,
    _C.InvalidPartOrder: 400,
    _C.InvalidPolicyDocument: 400,
    _C.InvalidRange: 416,
    _C.InvalidRequest: 400,
    _C.InvalidStorageClass: 400,
    _C.InvalidTag: 400,
    _C.InvalidURI: 400,
    _C.KeyTooLongError: 400,
    _C.MalformedACLError: 400,
    _C.MalformedPOSTRequest: 400,
    _C.MalformedXML: 400,
    _C.MetadataTooLarge: 400,
    _C.MethodNotAllowed: 405,
    _C.MissingContentLength: 411,
    _C.MissingSecurityHeader: 400,
    _C.NoSuchBucket: 404,
    _C.NoSuchKey: 404,
    _C.NoSuchTagSet: 404,
    _C.NoSuchUpload: 404,
    _C.NoSuchVersion: 404,
    _C.NoSuchReplicationConfiguration: 404,
    _C.NotImplemented: 501,
    _C.NotModified: 304,
    _C.OperationAborted: 409,
    _C.StorageFull: 507,
    _C.PermanentRedirect: 301,
    _C.PreconditionFailed: 412,
    _C.RequestHeaderSectionTooLarge: 400,
    _C.RequestTimeTooSkewed: 403,
    _C.RequestTimeout: 400,
    _C.ServiceUnavailable: 503,
    _C.SignatureDoesNotMatch: 403,
    _C.SlowDown: 503,
    _C.TooManyParts: 400,
    _C.XAmzContentSHA256Mismatch: 400,
    _C.InvalidEncryptionAlgorithmError: 400,
    _C.KMSNotFoundException: 400,
    _C.KMSDisabledException: 400,
    _C.KMSInvalidStateException: 400,
    _C.ServerSideEncryptionConfigurationNotFoundError: 404,
    _C.ObjectLockConfigurationNotFoundError: 404,
    _C.NoSuchObjectLockConfiguration: 404,
    _C.AccessControlListNotSupported: 400,
    _C.InvalidBucketAclWithObjectOwnership: 400,
    _C.OwnershipControlsNotFoundError: 404,
    _C.NoSuchPublicAccessBlockConfiguration: 404,
    _C.UnresolvableGrantByEmailAddress: 400,
    _C.NoSuchCORSConfiguration: 404,
    _C.AccessForbidden: 403,
    _C.BadRequest: 400,
}

MESSAGE: dict[S3ErrorCode, str] = {
    _C.AccessDenied: "Access Denied",
    _C.MalformedPolicy: "This policy contains invalid Json",
    _C.NoSuchBucketPolicy: "The bucket policy does not exist",
    _C.NoSuchLifecycleConfiguration: "The lifecycle configuration does not exist",
    _C.AuthorizationHeaderMalformed: "The authorization header is malformed.",
    _C.AuthorizationQueryParametersError: "Query-string authentication parameters are invalid.",
    _C.BadDigest: "The Content-MD5 or checksum you specified did not match what we received.",
    _C.BucketAlreadyExists: "The requested bucket name is not available. The bucket namespace "
    "is shared by all users of the system. Please select a different name and try again.",
    _C.BucketAlreadyOwnedByYou: "Your previous request to create the named bucket succeeded "
    "and you already own it.",
    _C.BucketNotEmpty: "The bucket you tried to delete is not empty",
    _C.CrossLocationLoggingProhibited: "Cross S3 location logging not allowed.",
    _C.InvalidTargetBucketForLogging: "The target bucket for logging does not exist",
    _C.BucketQuotaExceeded: "Bucket quota exceeded",
    _C.EntityTooLarge: "Your proposed upload exceeds the maximum allowed size",
    _C.EntityTooSmall: "Your proposed upload is smaller than the minimum allowed object size.",
    _C.ExpiredToken: "The provided token has expired.",
    _C.IllegalLocationConstraintException: "The specified location-constraint is not valid "
    "for this endpoint.",
    _C.IllegalVersioningConfigurationException: "The versioning configuration specified in "
    "the request is invalid.",
    _C.IncompleteBody: "You did not provide the number of bytes specified by the "
    "Content-Length HTTP header.",
    _C.InternalError: "We encountered an internal error. Please try again.",
    _C.InvalidAccessKeyId: "The AWS Access Key Id you provided does not exist in our records.",
    _C.InvalidArgument: "Invalid Argument",
    _C.InvalidBucketName: "The specified bucket is not valid.",
    _C.InvalidBucketState: "The request is not valid with the current state of the bucket.",
    _C.InvalidDigest: "The Content-MD5 or checksum you specified is not valid.",
    _C.InvalidLocationConstraint: "The specified location constraint is not valid.",
    _C.InvalidObjectState: "The operation is not valid for the current state of the object.",
    _C.InvalidPart: "One or more of the specified parts could not be found. The part may not "
    "have been uploaded, or the specified entity tag may not match the part's entity tag.",
    _C.InvalidPartNumber: "The requested partnumber is not satisfiable",
    _C.InvalidPartOrder: "The list of parts was not in ascending order. The parts list must "
    "be specified in order by part number.",
    _C.InvalidRange: "The requested range is not satisfiable",
    _C.InvalidPolicyDocument: "The content of the form does not meet the conditions "
    "specified in the policy document.",
    _C.IncorrectNumberOfFilesInPostRequest: "POST requires exactly one file upload per request.",
    _C.MalformedPOSTRequest: "The body of your POST request is not well-formed "
    "multipart/form-data.",
    _C.InvalidRequest: "Invalid Request",
    _C.InvalidStorageClass: "The storage class you specified is not valid",
    _C.InvalidTag: "The tag provided was not a valid tag.",
    _C.InvalidURI: "Couldn't parse the specified URI.",
    _C.KeyTooLongError: "Your key is too long",
    _C.MalformedACLError: "The XML you provided was not well-formed or did not validate "
    "against our published schema",
    _C.MalformedXML: "The XML you provided was not well-formed or did not validate against "
    "our published schema",
    _C.MetadataTooLarge: "Your metadata headers exceed the maximum allowed metadata size",
    _C.MethodNotAllowed: "The specified method is not allowed against this resource.",
    _C.MissingContentLength: "You must provide the Content-Length HTTP header.",
    _C.MissingSecurityHeader: "Your request is missing a required header.",
    _C.NoSuchBucket: "The specified bucket does not exist",
    _C.NoSuchKey: "The specified key does not exist.",
    _C.NoSuchTagSet: "The TagSet does not exist",
    _C.NoSuchUpload: "The specified upload does not exist. The upload ID may be invalid, or "
    "the upload may have been aborted or completed.",
    _C.NoSuchVersion: "The specified version does not exist.",
    _C.NoSuchReplicationConfiguration: "The replication configuration was not found",
    _C.NotImplemented: "A header you provided implies functionality that is not implemented",
    _C.NotModified: "Not Modified",
    _C.OperationAborted: "A conflicting conditional operation is currently in progress "
    "against this resource. Please try again.",
    _C.StorageFull: "The server has no space left to store this object.",
    _C.PermanentRedirect: "The bucket you are attempting to access must be addressed using "
    "the specified endpoint. Please send all future requests to this endpoint.",
    _C.PreconditionFailed: "At least one of the pre-conditions you specified did not hold",
    _C.RequestHeaderSectionTooLarge: "Your request header section exceeds the maximum "
    "allowed size.",
    _C.RequestTimeTooSkewed: "The difference between the request time and the current time "
    "is too large.",
    _C.RequestTimeout: "Your socket connection to the server was not read from or written to "
    "within the timeout period.",
    _C.ServiceUnavailable: "Please reduce your request rate.",
    _C.SignatureDoesNotMatch: "The request signature we calculated does not match the "
    "signature you provided. Check your key and signing method.",
    _C.SlowDown: "Please reduce your request rate.",
    _C.TooManyParts: "You have attempted to upload more parts than allowed.",
    _C.XAmzContentSHA256Mismatch: "The provided 'x-amz-content-sha256' header does not match "
    "what was computed.",
    _C.InvalidEncryptionAlgorithmError: "The encryption request you specified is not valid. "
    "The valid value is AES256.",
    _C.KMSNotFoundException: "Invalid keyId",
    _C.KMSDisabledException: "The KMS key is disabled.",
    _C.KMSInvalidStateException: "The KMS key is pending deletion.",
    _C.ServerSideEncryptionConfigurationNotFoundError: "The server side encryption "
    "configuration was not found",
    _C.ObjectLockConfigurationNotFoundError: "Object Lock configuration does not exist for "
    "this bucket",
    _C.NoSuchObjectLockConfiguration: "The specified object does not have a ObjectLock "
    "configuration",
    _C.AccessControlListNotSupported: "The bucket does not allow ACLs",
    _C.InvalidBucketAclWithObjectOwnership: "Bucket cannot have ACLs set with "
    "ObjectOwnership's BucketOwnerEnforced setting",
    _C.OwnershipControlsNotFoundError: "The bucket ownership controls were not found",
    _C.NoSuchPublicAccessBlockConfiguration: "The public access block configuration was not found",
    _C.UnresolvableGrantByEmailAddress: "The e-mail address you provided does not match any "
    "account on record.",
    _C.NoSuchCORSConfiguration: "The CORS configuration does not exist",
    _C.AccessForbidden: "CORSResponse: This CORS request is not allowed. This is usually "
    "because the evalution of Origin, request method / Access-Control-Request-Method or "
    "Access-Control-Request-Headers are not whitelisted by the resource's CORS spec.",
    _C.BadRequest: "Bad Request",
}


class S3Error(Exception):
    """A protocol-level S3 error: code, message and extra XML fields (e.g. BucketName).

    Handlers raise this only for protocol faults (malformed XML, missing header); domain
    failures are domain exceptions mapped in `api/errors.py`.
    """

    def __init__(
        self,
        code: S3ErrorCode,
        message: str | None = None,
        *,
        headers: dict[str, str] | None = None,
        **fields: Any,
    ) -> None:
        self.code = code
        self.message = message or MESSAGE[code]
        self.headers = headers or {}
        self.fields = {k: str(v) for k, v in fields.items()}
        super().__init__(f"{code}: {self.message}")

    @property
    def status(self) -> int:
        return STATUS[self.code]
