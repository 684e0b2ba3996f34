"""IAM for live replication tests: the role a replication rule names must exist, trust
s3.amazonaws.com and hold the permissions of reference §4.1, as on AWS."""

from __future__ import annotations

import json
from typing import Any

import boto3
from botocore.config import Config
from botocore.exceptions import ClientError

from tests.live.server import ACCESS_KEY, SECRET_KEY

ROOT_ACCOUNT = "000000000001"
REPLICATION_TRUST = {
    "Version": "2012-10-17",
    "Statement": [
        {
            "Effect": "Allow",
            "Principal": {"Service": ["s3.amazonaws.com", "batchoperations.s3.amazonaws.com"]},
            "Action": "sts:AssumeRole",
        }
    ],
}
SOURCE_ACTIONS = (
    "s3:GetReplicationConfiguration",
    "s3:ListBucket",
    "s3:GetObjectVersionForReplication",
    "s3:GetObjectVersionAcl",
    "s3:GetObjectVersionTagging",
    "s3:InitiateReplication",  # the same role re-drives failures as a batch job's RoleArn
    "s3:GetObjectRetention",  # Object Lock sources (AWS: "replicating objects with Object Lock")
    "s3:GetObjectLegalHold",
)
DESTINATION_ACTIONS = (
    "s3:ReplicateObject",
    "s3:ReplicateDelete",
    "s3:ReplicateTags",
    "s3:ObjectOwnerOverrideToBucketOwner",
)
KMS_ACTIONS = ("kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey")


def replication_policy(*, without: tuple[str, ...] = ()) -> dict[str, Any]:
    """The role permissions AWS documents for replication, minus `without`."""
    actions = [a for a in (*SOURCE_ACTIONS, *DESTINATION_ACTIONS, *KMS_ACTIONS) if a not in without]
    return {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": actions, "Resource": "*"}],
    }


def iam_client(endpoint: str, *, access_key: str = ACCESS_KEY, secret_key: str = SECRET_KEY) -> Any:
    return boto3.client(
        "iam",
        endpoint_url=endpoint,
        aws_access_key_id=access_key,
        aws_secret_access_key=secret_key,
        region_name="us-east-1",
        config=Config(retries={"max_attempts": 3}),
    )


def role_arn(name: str, account: str = ROOT_ACCOUNT) -> str:
    return f"arn:aws:iam::{account}:role/{name}"


def ensure_replication_role(
    endpoint: str,
    name: str,
    *,
    policy: dict[str, Any] | None = None,
    trust: dict[str, Any] | None = None,
    access_key: str = ACCESS_KEY,
    secret_key: str = SECRET_KEY,
) -> str:
    """Create role `name` (or keep it) with `policy` as its inline policy "replication";
    returns its ARN."""
    iam = iam_client(endpoint, access_key=access_key, secret_key=secret_key)
    try:
        created = iam.create_role(
            RoleName=name, AssumeRolePolicyDocument=json.dumps(trust or REPLICATION_TRUST)
        )
        arn: str = created["Role"]["Arn"]
    except ClientError as error:
        if error.response["Error"]["Code"] != "EntityAlreadyExists":
            raise
        arn = iam.get_role(RoleName=name)["Role"]["Arn"]
    iam.put_role_policy(
        RoleName=name,
        PolicyName="replication",
        PolicyDocument=json.dumps(policy or replication_policy()),
    )
    return arn
