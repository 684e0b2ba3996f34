"""Outbound S3 client (SigV4-signed httpx), used by replication to reach other regions.

Imports only protocol and core. No httpx exception leaves this package: transport problems
become TransportFailure, S3 error responses become RemoteS3Error.
"""

from __future__ import annotations

from ferry.client.errors import RemoteS3Error, TransportFailure
from ferry.client.s3 import Credentials, RemoteS3, SigV4Auth

__all__ = ["Credentials", "RemoteS3", "RemoteS3Error", "SigV4Auth", "TransportFailure"]
