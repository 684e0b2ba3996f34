"""Who may call what, until IAM policies arrive: authenticated principals may use the S3 API;
the internal replication identity may use only the replica write path (and the two bucket
reads a PutBucketReplication check needs), and nobody else may use that path."""

from __future__ import annotations

from ferry.api.auth import Principal
from ferry.api.routing import Op, Route
from ferry.protocol.errors import S3Error, S3ErrorCode
from ferry.replication.identity import is_replication_arn

REPLICA_WRITES = frozenset({Op.ReplicateObject, Op.ReplicateDelete, Op.ReplicateTags})
REPLICATION_IDENTITY_OPS = REPLICA_WRITES | {Op.HeadBucket, Op.GetBucketVersioning}


def authorize(principal: Principal, route: Route) -> None:
    if principal.is_anonymous:
        raise S3Error(S3ErrorCode.AccessDenied)
    if is_replication_arn(principal.arn):
        if route.op not in REPLICATION_IDENTITY_OPS:
            raise S3Error(S3ErrorCode.AccessDenied)
    elif route.op in REPLICA_WRITES:
        raise S3Error(S3ErrorCode.AccessDenied)
