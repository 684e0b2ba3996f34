"""Replication errors. `api/errors.py` maps each type to its S3 error code.

    InvalidReplicationConfiguration            PutBucketReplication refused (InvalidRequest)
    ├── ReplicationConfigurationArgumentError  … answered as InvalidArgument
    ├── MalformedReplicationConfiguration      … answered as MalformedXML
    └── InvalidReplicationStorageClass         … answered as InvalidStorageClass
    NoSuchReplicationConfiguration             the bucket has none (GetBucketReplication)

AWS answers a bad configuration with one of several codes, always with a precise message;
the subclass carries the code, the message is given where the error is raised.
"""

from __future__ import annotations

from ferry.core.errors import Invalid, NotFound


class InvalidReplicationConfiguration(Invalid):
    """The replication configuration is not valid."""


class ReplicationConfigurationArgumentError(InvalidReplicationConfiguration):
    """Invalid Argument"""


class MalformedReplicationConfiguration(InvalidReplicationConfiguration):
    """The XML you provided was not well-formed or did not validate against our published schema"""


class InvalidReplicationStorageClass(InvalidReplicationConfiguration):
    """The storage class you specified is not valid"""


class NoSuchReplicationConfiguration(NotFound):
    """The replication configuration was not found"""
