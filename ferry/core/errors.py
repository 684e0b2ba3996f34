"""Root of Ferry's exception tree.

    FerryError
    ├── NotFound        a named thing does not exist (store: NoSuchBucket, NoSuchKey, ...)
    ├── Conflict        the request clashes with current state (BucketNotEmpty, ...)
    └── Invalid         the request itself is wrong (InvalidArgument, KeyTooLong, ...)

Each package defines its own subclasses in its `errors.py`. A domain exception carries
structured fields and its docstring is its default message; it never knows an HTTP status:
`api/errors.py` maps types to S3 error codes.
"""

from __future__ import annotations

from typing import Any


class FerryError(Exception):
    """Ferry failed."""

    def __init__(self, message: str | None = None, **fields: Any) -> None:
        self.message = message or (type(self).__doc__ or type(self).__name__).strip()
        self.fields = fields
        super().__init__(self.message)

    def __getattr__(self, name: str) -> Any:
        # Structured fields read as attributes: err.bucket, err.key.
        fields = self.__dict__.get("fields", {})
        if name in fields:
            return fields[name]
        raise AttributeError(name)


class NotFound(FerryError):
    """The resource does not exist."""


class Conflict(FerryError):
    """The request conflicts with the current state of the resource."""


class Invalid(FerryError):
    """The request is invalid."""
