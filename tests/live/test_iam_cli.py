"""IAM, STS and accounts against a real two-region deployment, driven by the aws CLI (the
operations and their error shapes) and boto3 (the S3 calls the new credentials make)."""

from __future__ import annotations

import base64
import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from tests.live.server import ACCESS_KEY, SECRET_KEY, FerryDeployment

EAST, WEST = "us-east-1", "eu-west-1"
ROOT = (ACCESS_KEY, SECRET_KEY)
ALLOW_S3 = json.dumps(
    {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "*"}]}
)
TRUST = json.dumps(
    {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"Service": "s3.amazonaws.com"},
                "Action": "sts:AssumeRole",
            }
        ],
    }
)
CACHE_TTL_S = 1.1  # policy and key changes reach every region within a second


@pytest.fixture(scope="module")
def deployment(tmp_path_factory: pytest.TempPathFactory) -> Iterator[FerryDeployment]:
    running = FerryDeployment(root=tmp_path_factory.mktemp("iam")).start()
    yield running
    running.stop()


def aws(
    deployment: FerryDeployment, *args: str, creds: tuple[str, str] = ROOT, region: str = EAST
) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "FERRY_ROOT_"))}
    env.update(
        AWS_ACCESS_KEY_ID=creds[0],
        AWS_SECRET_ACCESS_KEY=creds[1],
        AWS_DEFAULT_REGION=region,
        AWS_CONFIG_FILE=os.devnull,
        AWS_SHARED_CREDENTIALS_FILE=os.devnull,
    )
    command = [os.path.join(os.path.dirname(sys.executable), "aws")]
    return subprocess.run(
        [*command, "--endpoint-url", deployment.endpoint(region), "--output", "json", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )


def ok(deployment: FerryDeployment, *args: str, **kwargs: Any) -> Any:
    result = aws(deployment, *args, **kwargs)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout) if result.stdout.strip() else None


def fails(deployment: FerryDeployment, code: str, *args: str, **kwargs: Any) -> str:
    result = aws(deployment, *args, **kwargs)
    assert result.returncode != 0, result.stdout
    assert f"({code})" in result.stderr, result.stderr
    return result.stderr


def client(
    deployment: FerryDeployment, service: str, creds: tuple[str, str], region: str = EAST
) -> Any:
    return boto3.client(
        service,
        endpoint_url=deployment.endpoint(region),
        aws_access_key_id=creds[0],
        aws_secret_access_key=creds[1],
        region_name=region,
        config=Config(retries={"max_attempts": 1}),
    )


def error_code(exc: ClientError) -> str:
    return str(exc.response["Error"]["Code"])


def test_users(deployment: FerryDeployment) -> None:
    created = ok(deployment, "iam", "create-user", "--user-name", "alice", "--path", "/eng/")
    assert created["User"]["Arn"].endswith(":user/eng/alice")
    assert created["User"]["UserId"].startswith("AIDA")
    fails(deployment, "EntityAlreadyExists", "iam", "create-user", "--user-name", "ALICE")
    fails(deployment, "ValidationError", "iam", "create-user", "--user-name", "no/slash")
    assert (
        ok(deployment, "iam", "get-user", "--user-name", "alice", region=WEST)["User"]
        == (created["User"])
    )  # global: the other region sees it
    listed = ok(deployment, "iam", "list-users", "--path-prefix", "/eng/")
    assert [u["UserName"] for u in listed["Users"]] == ["alice"]
    ok(deployment, "iam", "delete-user", "--user-name", "alice")
    stderr = fails(deployment, "NoSuchEntity", "iam", "get-user", "--user-name", "alice")
    assert "The user with name alice cannot be found." in stderr


def test_access_keys(deployment: FerryDeployment) -> None:
    client(deployment, "iam", ROOT).create_user(UserName="frank")
    key = ok(deployment, "iam", "create-access-key", "--user-name", "frank")["AccessKey"]
    assert key["AccessKeyId"].startswith("AKIA") and len(key["SecretAccessKey"]) == 40
    keys = ok(deployment, "iam", "list-access-keys", "--user-name", "frank")
    assert [k["AccessKeyId"] for k in keys["AccessKeyMetadata"]] == [key["AccessKeyId"]]
    assert "SecretAccessKey" not in keys["AccessKeyMetadata"][0]
    fails(deployment, "DeleteConflict", "iam", "delete-user", "--user-name", "frank")
    ok(
        deployment, "iam", "update-access-key", "--user-name", "frank",
        "--access-key-id", key["AccessKeyId"], "--status", "Inactive",
    )  # fmt: skip
    ok(
        deployment, "iam", "delete-access-key", "--user-name", "frank",
        "--access-key-id", key["AccessKeyId"],
    )  # fmt: skip
    ok(deployment, "iam", "delete-user", "--user-name", "frank")


def test_roles_and_their_inline_policies(deployment: FerryDeployment) -> None:
    role = ok(
        deployment, "iam", "create-role", "--role-name", "replicator",
        "--assume-role-policy-document", TRUST, "--description", "replication",
    )["Role"]  # fmt: skip
    assert role["RoleId"].startswith("AROA") and role["Arn"].endswith(":role/replicator")
    got = ok(deployment, "iam", "get-role", "--role-name", "replicator")["Role"]
    assert got["AssumeRolePolicyDocument"] == json.loads(TRUST)  # the CLI decoded it
    assert got["MaxSessionDuration"] == 3600
    assert "replicator" in [r["RoleName"] for r in ok(deployment, "iam", "list-roles")["Roles"]]
    fails(
        deployment, "MalformedPolicyDocument", "iam", "put-role-policy", "--role-name",
        "replicator", "--policy-name", "bad", "--policy-document", '{"Statement": []}',
    )  # fmt: skip
    ok(
        deployment, "iam", "put-role-policy", "--role-name", "replicator",
        "--policy-name", "s3", "--policy-document", ALLOW_S3,
    )  # fmt: skip
    policy = ok(
        deployment, "iam", "get-role-policy", "--role-name", "replicator", "--policy-name", "s3"
    )
    assert policy["PolicyDocument"] == json.loads(ALLOW_S3)
    names = ok(deployment, "iam", "list-role-policies", "--role-name", "replicator")
    assert names["PolicyNames"] == ["s3"]
    fails(deployment, "DeleteConflict", "iam", "delete-role", "--role-name", "replicator")
    ok(deployment, "iam", "delete-role-policy", "--role-name", "replicator", "--policy-name", "s3")
    ok(deployment, "iam", "delete-role", "--role-name", "replicator")
    fails(deployment, "NoSuchEntity", "iam", "get-role", "--role-name", "replicator")


def test_managed_policies_and_attachments(deployment: FerryDeployment) -> None:
    iam = client(deployment, "iam", ROOT)
    iam.create_user(UserName="bob")
    iam.create_role(RoleName="worker", AssumeRolePolicyDocument=TRUST)
    created = ok(
        deployment, "iam", "create-policy", "--policy-name", "s3-all",
        "--policy-document", ALLOW_S3,
    )["Policy"]  # fmt: skip
    arn = created["Arn"]
    assert created["PolicyId"].startswith("ANPA") and created["DefaultVersionId"] == "v1"
    fails(
        deployment, "EntityAlreadyExists", "iam", "create-policy", "--policy-name", "s3-all",
        "--policy-document", ALLOW_S3,
    )  # fmt: skip
    version = ok(deployment, "iam", "get-policy-version", "--policy-arn", arn, "--version-id", "v1")
    assert version["PolicyVersion"]["Document"] == json.loads(ALLOW_S3)
    ok(deployment, "iam", "attach-role-policy", "--role-name", "worker", "--policy-arn", arn)
    ok(deployment, "iam", "attach-user-policy", "--user-name", "bob", "--policy-arn", arn)
    assert (
        ok(deployment, "iam", "get-policy", "--policy-arn", arn)["Policy"]["AttachmentCount"] == 2
    )
    local = ok(deployment, "iam", "list-policies", "--scope", "Local")["Policies"]
    assert [p["Arn"] for p in local] == [arn]
    attached = ok(deployment, "iam", "list-attached-role-policies", "--role-name", "worker")
    assert attached["AttachedPolicies"] == [{"PolicyName": "s3-all", "PolicyArn": arn}]
    on_user = ok(deployment, "iam", "list-attached-user-policies", "--user-name", "bob")
    assert on_user["AttachedPolicies"] == [{"PolicyName": "s3-all", "PolicyArn": arn}]
    fails(deployment, "DeleteConflict", "iam", "delete-policy", "--policy-arn", arn)
    ok(deployment, "iam", "detach-role-policy", "--role-name", "worker", "--policy-arn", arn)
    ok(deployment, "iam", "detach-user-policy", "--user-name", "bob", "--policy-arn", arn)
    ok(deployment, "iam", "delete-policy", "--policy-arn", arn)
    fails(deployment, "NoSuchEntity", "iam", "get-policy", "--policy-arn", arn)


def test_a_users_keys_work_on_both_regions_as_its_policies_allow(
    deployment: FerryDeployment,
) -> None:
    iam = client(deployment, "iam", ROOT)
    iam.create_user(UserName="carol")
    key = iam.create_access_key(UserName="carol")["AccessKey"]
    carol = (key["AccessKeyId"], key["SecretAccessKey"])
    for region in (EAST, WEST):
        identity = ok(deployment, "sts", "get-caller-identity", creds=carol, region=region)
        assert identity["Arn"].endswith(":user/carol") and identity["UserId"].startswith("AIDA")
    with pytest.raises(ClientError) as denied:
        client(deployment, "s3", carol, WEST).create_bucket(
            Bucket="carol-west", CreateBucketConfiguration={"LocationConstraint": WEST}
        )
    assert error_code(denied.value) == "AccessDenied"  # no policy yet: implicit deny
    ok(
        deployment, "iam", "put-user-policy", "--user-name", "carol", "--policy-name", "s3",
        "--policy-document", ALLOW_S3,
    )  # fmt: skip
    assert ok(deployment, "iam", "list-user-policies", "--user-name", "carol")["PolicyNames"] == [
        "s3"
    ]
    document = ok(
        deployment, "iam", "get-user-policy", "--user-name", "carol", "--policy-name", "s3"
    )
    assert document["PolicyDocument"] == json.loads(ALLOW_S3)
    time.sleep(CACHE_TTL_S)
    for region in (EAST, WEST):
        s3 = client(deployment, "s3", carol, region)
        bucket = f"carol-{region}"
        s3.create_bucket(Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": region})
        s3.put_object(Bucket=bucket, Key="k", Body=b"hello")
        assert s3.get_object(Bucket=bucket, Key="k")["Body"].read() == b"hello"
    ok(deployment, "iam", "delete-user-policy", "--user-name", "carol", "--policy-name", "s3")
    time.sleep(CACHE_TTL_S)
    with pytest.raises(ClientError) as revoked:
        client(deployment, "s3", carol, WEST).get_object(Bucket=f"carol-{WEST}", Key="k")
    assert error_code(revoked.value) == "AccessDenied"
    iam.delete_access_key(UserName="carol", AccessKeyId=carol[0])
    time.sleep(CACHE_TTL_S)
    gone = aws(deployment, "sts", "get-caller-identity", creds=carol, region=WEST)
    assert "(InvalidClientTokenId)" in gone.stderr


def test_a_user_cannot_grant_more_than_it_holds(deployment: FerryDeployment) -> None:
    iam = client(deployment, "iam", ROOT)
    iam.create_user(UserName="dan")
    admin_of_users = {
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "Action": ["iam:PutUserPolicy"], "Resource": "*"},
            {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::shared/*"},
        ],
    }
    iam.put_user_policy(
        UserName="dan", PolicyName="delegate", PolicyDocument=json.dumps(admin_of_users)
    )
    key = iam.create_access_key(UserName="dan")["AccessKey"]
    dan = client(deployment, "iam", (key["AccessKeyId"], key["SecretAccessKey"]))
    iam.create_user(UserName="erin")
    time.sleep(CACHE_TTL_S)

    def grant(action: str, resource: str) -> None:
        document = {
            "Version": "2012-10-17",
            "Statement": [{"Effect": "Allow", "Action": action, "Resource": resource}],
        }
        dan.put_user_policy(UserName="erin", PolicyName="p", PolicyDocument=json.dumps(document))

    grant("s3:GetObject", "arn:aws:s3:::shared/*")  # what dan holds: fine
    with pytest.raises(ClientError) as wider:
        grant("s3:*", "*")
    assert error_code(wider.value) == "AccessDenied"
    with pytest.raises(ClientError) as escalate:
        dan.create_user(UserName="mallory")  # not allowed at all
    assert error_code(escalate.value) == "AccessDenied"


def test_a_second_account_owns_its_buckets(deployment: FerryDeployment) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "FERRY_ROOT_"))}
    result = subprocess.run(
        [
            sys.executable, "-m", "ferry", "accounts", "create", "team-b", "--json",
            "--config", str(deployment.config_path),
        ],
        env=env, capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    account = json.loads(result.stdout)
    creds = (account["access_key_id"], account["secret_access_key"])
    identity = ok(deployment, "sts", "get-caller-identity", creds=creds, region=WEST)
    assert identity["Account"] == account["account_id"]
    assert identity["Arn"] == f"arn:aws:iam::{account['account_id']}:root"
    root_s3 = client(deployment, "s3", ROOT)
    root_s3.create_bucket(Bucket="root-only")
    team_s3 = client(deployment, "s3", creds, WEST)
    team_s3.create_bucket(
        Bucket="team-b-data", CreateBucketConfiguration={"LocationConstraint": WEST}
    )
    team_s3.put_object(Bucket="team-b-data", Key="k", Body=b"x")
    listed = team_s3.list_buckets()
    assert [b["Name"] for b in listed["Buckets"]] == ["team-b-data"]
    assert listed["Owner"]["ID"] == account["canonical_id"]
    objects = team_s3.list_objects_v2(Bucket="team-b-data", FetchOwner=True)["Contents"]
    assert objects[0]["Owner"]["ID"] == account["canonical_id"]
    assert "team-b-data" not in [b["Name"] for b in root_s3.list_buckets()["Buckets"]]
    listed_accounts = subprocess.run(
        [sys.executable, "-m", "ferry", "accounts", "list",
            "--config", str(deployment.config_path)],
        env=env, capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert "team-b" in listed_accounts.stdout and account["account_id"] in listed_accounts.stdout
    assert account["secret_access_key"] not in listed_accounts.stdout


def test_a_users_kms_permissions_govern_its_keys_and_its_sse_kms_objects(
    deployment: FerryDeployment, tmp_path: Path
) -> None:
    """As AWS's default key policy has it, IAM policies decide who uses a key: the KMS API
    (aws kms …) and S3's own use of the key (kms:GenerateDataKey to write an SSE-KMS object,
    kms:Decrypt to read it)."""
    mine = ok(deployment, "kms", "create-key")["KeyMetadata"]["Arn"]
    other = ok(deployment, "kms", "create-key")["KeyMetadata"]["Arn"]
    iam = client(deployment, "iam", ROOT)
    iam.create_user(UserName="kms-user")
    key = iam.create_access_key(UserName="kms-user")["AccessKey"]
    creds = (key["AccessKeyId"], key["SecretAccessKey"])
    policy = {
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "Action": "s3:*", "Resource": "*"},
            {"Effect": "Allow", "Action": ["kms:Encrypt", "kms:DescribeKey"], "Resource": mine},
        ],
    }
    iam.put_user_policy(UserName="kms-user", PolicyName="p", PolicyDocument=json.dumps(policy))
    time.sleep(CACHE_TTL_S)
    encrypted = ok(deployment, "kms", "encrypt", "--key-id", mine, "--plaintext", "aGk=",
                   creds=creds)  # fmt: skip
    assert encrypted["KeyId"] == mine
    stderr = fails(deployment, "AccessDeniedException", "kms", "encrypt", "--key-id", other,
                   "--plaintext", "aGk=", creds=creds)  # fmt: skip
    assert f"is not authorized to perform: kms:Encrypt on resource: {other}" in stderr
    blob = tmp_path / "blob"
    blob.write_bytes(base64.b64decode(encrypted["CiphertextBlob"]))
    fails(deployment, "AccessDeniedException", "kms", "decrypt", "--ciphertext-blob",
          f"fileb://{blob}", creds=creds)  # fmt: skip
    decrypted = ok(deployment, "kms", "decrypt", "--ciphertext-blob", f"fileb://{blob}")
    assert decrypted["KeyId"] == mine  # the root may
    fails(deployment, "AccessDeniedException", "kms", "list-keys", creds=creds)
    s3 = client(deployment, "s3", creds)
    s3.create_bucket(Bucket="kms-user-bucket")
    sse = {"ServerSideEncryption": "aws:kms", "SSEKMSKeyId": mine}
    with pytest.raises(ClientError) as denied:
        s3.put_object(Bucket="kms-user-bucket", Key="k", Body=b"x", **sse)
    assert error_code(denied.value) == "AccessDenied"
    policy["Statement"].append(
        {"Effect": "Allow", "Action": "kms:GenerateDataKey", "Resource": mine}
    )
    iam.put_user_policy(UserName="kms-user", PolicyName="p", PolicyDocument=json.dumps(policy))
    time.sleep(CACHE_TTL_S)
    s3.put_object(Bucket="kms-user-bucket", Key="k", Body=b"x", **sse)
    with pytest.raises(ClientError) as unreadable:
        s3.get_object(Bucket="kms-user-bucket", Key="k")
    assert error_code(unreadable.value) == "AccessDenied"
    assert (
        client(deployment, "s3", ROOT).get_object(Bucket="kms-user-bucket", Key="k")["Body"].read()
        == b"x"
    )
