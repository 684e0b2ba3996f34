"""Block Public Access against a real server: bucket-level (boto3) and account-level (S3
Control, through boto3 and `aws s3control`), the default of new buckets, and
GetBucketPolicyStatus consistent with it."""

from __future__ import annotations

import json
import os
from typing import Any

import boto3
import pytest
from awscli.clidriver import create_clidriver  # type: ignore[import-untyped]  # no stubs
from botocore.config import Config
from botocore.exceptions import ClientError

from tests.live.control_support import strip_account_label
from tests.live.server import FerryServer
from tests.live.test_access_control import anonymous_client, code_of, create_account, policy_text
from tests.live.test_ownership_acl import account_client

ALL_ON = {
    "BlockPublicAcls": True,
    "IgnorePublicAcls": True,
    "BlockPublicPolicy": True,
    "RestrictPublicBuckets": True,
}


def public_read(bucket: str) -> str:
    return policy_text(
        {
            "Effect": "Allow",
            "Principal": "*",
            "Action": "s3:GetObject",
            "Resource": f"arn:aws:s3:::{bucket}/*",
        }
    )


def test_new_buckets_block_all_public_access_and_the_setting_round_trips(
    s3: Any, bucket: str
) -> None:
    assert s3.get_public_access_block(Bucket=bucket)["PublicAccessBlockConfiguration"] == ALL_ON
    s3.put_public_access_block(
        Bucket=bucket, PublicAccessBlockConfiguration={"BlockPublicPolicy": True}
    )
    got = s3.get_public_access_block(Bucket=bucket)["PublicAccessBlockConfiguration"]
    assert got == {**{k: False for k in ALL_ON}, "BlockPublicPolicy": True}
    s3.delete_public_access_block(Bucket=bucket)
    with pytest.raises(ClientError) as missing:
        s3.get_public_access_block(Bucket=bucket)
    assert code_of(missing) == (404, "NoSuchPublicAccessBlockConfiguration")


def test_block_public_policy_refuses_public_policies_only(s3: Any, bucket: str) -> None:
    with pytest.raises(ClientError) as refused:
        s3.put_bucket_policy(Bucket=bucket, Policy=public_read(bucket))
    assert code_of(refused) == (403, "AccessDenied")
    with pytest.raises(ClientError):
        s3.get_bucket_policy(Bucket=bucket)  # nothing was stored
    pinned = policy_text(
        {
            "Effect": "Allow",
            "Principal": "*",
            "Action": "s3:GetObject",
            "Resource": f"arn:aws:s3:::{bucket}/*",
            "Condition": {"StringEquals": {"aws:SourceAccount": "000000000001"}},
        }
    )
    s3.put_bucket_policy(Bucket=bucket, Policy=pinned)  # fixed to one account: not public
    assert s3.get_bucket_policy_status(Bucket=bucket)["PolicyStatus"]["IsPublic"] is False


def test_restrict_public_buckets_confines_a_public_policy_and_policy_status_follows(
    server: FerryServer, s3: Any, bucket: str
) -> None:
    s3.put_object(Bucket=bucket, Key="k", Body=b"v")
    s3.delete_public_access_block(Bucket=bucket)
    s3.put_bucket_policy(Bucket=bucket, Policy=public_read(bucket))
    anonymous = anonymous_client(server)
    assert anonymous.get_object(Bucket=bucket, Key="k")["Body"].read() == b"v"
    assert s3.get_bucket_policy_status(Bucket=bucket)["PolicyStatus"]["IsPublic"] is True
    s3.put_public_access_block(
        Bucket=bucket, PublicAccessBlockConfiguration={"RestrictPublicBuckets": True}
    )
    with pytest.raises(ClientError) as restricted:
        anonymous.get_object(Bucket=bucket, Key="k")
    assert code_of(restricted) == (403, "AccessDenied")
    assert s3.get_bucket_policy_status(Bucket=bucket)["PolicyStatus"]["IsPublic"] is False
    assert s3.get_object(Bucket=bucket, Key="k")["Body"].read() == b"v"  # the owner still reads


def control_client(server: FerryServer, account: dict[str, str]) -> Any:
    client = boto3.client(
        "s3control",
        endpoint_url=server.endpoint,
        region_name=server.region,
        aws_access_key_id=account["access_key_id"],
        aws_secret_access_key=account["secret_access_key"],
        config=Config(retries={"max_attempts": 1}),
    )
    client.meta.events.register_first("before-sign.s3-control.*", strip_account_label)
    return client


def test_account_level_block_applies_to_every_bucket_of_the_account(server: FerryServer) -> None:
    account = create_account(server, "pab-account")
    s3, control = account_client(server, account), control_client(server, account)
    account_id = account["account_id"]
    s3.create_bucket(Bucket="pab-account-bucket", ObjectOwnership="ObjectWriter")
    s3.delete_public_access_block(Bucket="pab-account-bucket")
    with pytest.raises(ClientError) as none:
        control.get_public_access_block(AccountId=account_id)
    assert code_of(none) == (404, "NoSuchPublicAccessBlockConfiguration")
    control.put_public_access_block(
        AccountId=account_id,
        PublicAccessBlockConfiguration={"BlockPublicPolicy": True, "BlockPublicAcls": True},
    )
    got = control.get_public_access_block(AccountId=account_id)["PublicAccessBlockConfiguration"]
    assert got == {**{k: False for k in ALL_ON}, "BlockPublicPolicy": True, "BlockPublicAcls": True}
    with pytest.raises(ClientError) as policy:
        s3.put_bucket_policy(Bucket="pab-account-bucket", Policy=public_read("pab-account-bucket"))
    assert code_of(policy) == (403, "AccessDenied")
    with pytest.raises(ClientError) as acl:
        s3.put_object(Bucket="pab-account-bucket", Key="k", Body=b"v", ACL="public-read")
    assert code_of(acl) == (403, "AccessDenied")
    with pytest.raises(ClientError) as elsewhere:  # only the caller's own account
        control.get_public_access_block(AccountId="000000000001")
    assert code_of(elsewhere)[0] == 403
    control.delete_public_access_block(AccountId=account_id)
    s3.put_bucket_policy(Bucket="pab-account-bucket", Policy=public_read("pab-account-bucket"))


def test_aws_cli_s3control_public_access_block(
    server: FerryServer, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """The aws CLI's own driver, in process: its s3control commands put `{AccountId}.` before
    the endpoint's host, which only wildcard DNS resolves, so the test takes the label off as
    the boto3 tests do (docs/access-control.md says how to point the CLI at Ferry)."""
    account = create_account(server, "pab-cli-account")
    for name, value in {
        "AWS_ACCESS_KEY_ID": account["access_key_id"],
        "AWS_SECRET_ACCESS_KEY": account["secret_access_key"],
        "AWS_DEFAULT_REGION": server.region,
        "AWS_CONFIG_FILE": os.devnull,
        "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
    }.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("AWS_PROFILE", raising=False)

    def aws(*args: str) -> str:
        driver = create_clidriver()
        driver.session.register("before-sign.s3-control.*", strip_account_label)
        capsys.readouterr()
        assert driver.main(["--endpoint-url", server.endpoint, *args]) == 0
        return capsys.readouterr().out

    account_id = account["account_id"]
    aws(
        "s3control", "put-public-access-block", "--account-id", account_id,
        "--public-access-block-configuration",
        "BlockPublicAcls=true,IgnorePublicAcls=true,BlockPublicPolicy=true,"
        "RestrictPublicBuckets=true",
    )  # fmt: skip
    got = json.loads(aws("s3control", "get-public-access-block", "--account-id", account_id))
    assert got["PublicAccessBlockConfiguration"] == ALL_ON
    aws("s3control", "delete-public-access-block", "--account-id", account_id)
    driver = create_clidriver()
    driver.session.register("before-sign.s3-control.*", strip_account_label)
    assert driver.main(
        ["--endpoint-url", server.endpoint, "s3control", "get-public-access-block",
         "--account-id", account_id]
    ) != 0  # fmt: skip
    assert "NoSuchPublicAccessBlockConfiguration" in capsys.readouterr().err
