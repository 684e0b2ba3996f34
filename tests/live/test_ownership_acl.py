"""Object Ownership and ACLs against a real server (boto3 and the aws CLI): ACLs disabled by
default (BucketOwnerEnforced), and once enabled, canned ACLs and grants by canonical ID and
e-mail deciding who reads and writes, anonymous callers included."""

from __future__ import annotations

import itertools
import json
import subprocess
import sys
from typing import Any

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from tests.live.server import FerryServer
from tests.live.test_access_control import anonymous_client, code_of, create_account, policy_text
from tests.live.test_aws_cli import run_aws

_accounts = itertools.count()


def error_of(error: pytest.ExceptionInfo[ClientError]) -> tuple[int, str, str]:
    response = error.value.response
    status = response["ResponseMetadata"]["HTTPStatusCode"]
    return status, response["Error"]["Code"], response["Error"].get("Message", "")


def account_client(server: FerryServer, account: dict[str, str]) -> Any:
    return boto3.client(
        "s3",
        endpoint_url=server.endpoint,
        region_name=server.region,
        aws_access_key_id=account["access_key_id"],
        aws_secret_access_key=account["secret_access_key"],
        config=Config(retries={"max_attempts": 1}),
    )


@pytest.fixture
def other(server: FerryServer) -> tuple[dict[str, str], Any]:
    """Another account (with an e-mail address) and its client."""
    n = next(_accounts)
    account = create_account(server, f"acl-other-{n}", email=f"Other-{n}@Example.com")
    return account, account_client(server, account)


def enable_acls(s3: Any, bucket: str, ownership: str = "ObjectWriter") -> None:
    """ACLs enabled and public access allowed, as a user must set a bucket up on AWS today
    for ACLs (public ones included) to mean anything."""
    s3.put_bucket_ownership_controls(
        Bucket=bucket, OwnershipControls={"Rules": [{"ObjectOwnership": ownership}]}
    )
    s3.delete_public_access_block(Bucket=bucket)


@pytest.fixture
def acl_bucket(s3: Any, bucket: str) -> str:
    """The `bucket` fixture's bucket with ACLs enabled (`enable_acls`)."""
    enable_acls(s3, bucket)
    return bucket


def test_new_buckets_enforce_bucket_owner_and_refuse_acls(s3: Any, bucket: str) -> None:
    controls = s3.get_bucket_ownership_controls(Bucket=bucket)["OwnershipControls"]
    assert controls["Rules"] == [{"ObjectOwnership": "BucketOwnerEnforced"}]
    with pytest.raises(ClientError) as on_put:
        s3.put_object(Bucket=bucket, Key="k", Body=b"v", ACL="public-read")
    assert error_of(on_put) == (
        400,
        "AccessControlListNotSupported",
        "The bucket does not allow ACLs",
    )
    with pytest.raises(ClientError) as on_bucket:
        s3.put_bucket_acl(Bucket=bucket, ACL="authenticated-read")
    assert code_of(on_bucket) == (400, "AccessControlListNotSupported")
    s3.put_object(Bucket=bucket, Key="k", Body=b"v", ACL="bucket-owner-full-control")
    with pytest.raises(ClientError) as on_object_acl:
        s3.put_object_acl(
            Bucket=bucket,
            Key="k",
            GrantRead='uri="http://acs.amazonaws.com/groups/global/AllUsers"',
        )
    assert code_of(on_object_acl) == (400, "AccessControlListNotSupported")
    acl = s3.get_object_acl(Bucket=bucket, Key="k")
    assert [(g["Grantee"]["ID"], g["Permission"]) for g in acl["Grants"]] == [
        (acl["Owner"]["ID"], "FULL_CONTROL")
    ]
    with pytest.raises(ClientError) as on_create:
        s3.create_bucket(Bucket=f"{bucket}-x", ACL="public-read")
    assert code_of(on_create) == (400, "InvalidBucketAclWithObjectOwnership")


def test_ownership_controls_round_trip_and_errors(s3: Any, bucket: str) -> None:
    s3.put_bucket_ownership_controls(
        Bucket=bucket, OwnershipControls={"Rules": [{"ObjectOwnership": "BucketOwnerPreferred"}]}
    )
    rules = s3.get_bucket_ownership_controls(Bucket=bucket)["OwnershipControls"]["Rules"]
    assert rules == [{"ObjectOwnership": "BucketOwnerPreferred"}]
    s3.delete_bucket_ownership_controls(Bucket=bucket)
    with pytest.raises(ClientError) as missing:
        s3.get_bucket_ownership_controls(Bucket=bucket)
    assert code_of(missing) == (404, "OwnershipControlsNotFoundError")
    with pytest.raises(ClientError) as bad:
        s3.put_bucket_ownership_controls(
            Bucket=bucket, OwnershipControls={"Rules": [{"ObjectOwnership": "Everyone"}]}
        )
    assert code_of(bad) == (400, "MalformedXML")
    s3.delete_public_access_block(Bucket=bucket)
    s3.put_bucket_acl(Bucket=bucket, ACL="public-read")
    with pytest.raises(ClientError) as not_private:  # disabling ACLs needs a private bucket ACL
        s3.put_bucket_ownership_controls(
            Bucket=bucket, OwnershipControls={"Rules": [{"ObjectOwnership": "BucketOwnerEnforced"}]}
        )
    assert code_of(not_private) == (400, "InvalidBucketAclWithObjectOwnership")


def test_public_read_serves_anonymous_gets_only_while_acls_and_public_access_allow(
    server: FerryServer, s3: Any, bucket: str
) -> None:
    anonymous = anonymous_client(server)
    s3.put_bucket_ownership_controls(
        Bucket=bucket, OwnershipControls={"Rules": [{"ObjectOwnership": "ObjectWriter"}]}
    )
    with pytest.raises(ClientError) as blocked:  # new buckets block public ACLs
        s3.put_object(Bucket=bucket, Key="pub", Body=b"hello", ACL="public-read")
    assert code_of(blocked) == (403, "AccessDenied")
    s3.delete_public_access_block(Bucket=bucket)
    s3.put_object(Bucket=bucket, Key="pub", Body=b"hello", ACL="public-read")
    s3.put_object(Bucket=bucket, Key="private", Body=b"secret")
    assert anonymous.get_object(Bucket=bucket, Key="pub")["Body"].read() == b"hello"
    with pytest.raises(ClientError) as private:
        anonymous.get_object(Bucket=bucket, Key="private")
    assert code_of(private) == (403, "AccessDenied")
    with pytest.raises(ClientError) as listing:  # the object ACL grants no listing
        anonymous.list_objects_v2(Bucket=bucket)
    assert code_of(listing) == (403, "AccessDenied")
    s3.put_public_access_block(
        Bucket=bucket, PublicAccessBlockConfiguration={"IgnorePublicAcls": True}
    )
    with pytest.raises(ClientError) as ignored:
        anonymous.get_object(Bucket=bucket, Key="pub")
    assert code_of(ignored) == (403, "AccessDenied")
    s3.delete_public_access_block(Bucket=bucket)
    assert anonymous.get_object(Bucket=bucket, Key="pub")["Body"].read() == b"hello"
    s3.put_bucket_ownership_controls(
        Bucket=bucket, OwnershipControls={"Rules": [{"ObjectOwnership": "BucketOwnerEnforced"}]}
    )
    with pytest.raises(ClientError) as disabled:  # ACLs off: the stored grant means nothing
        anonymous.get_object(Bucket=bucket, Key="pub")
    assert code_of(disabled) == (403, "AccessDenied")


def test_an_explicit_deny_in_the_bucket_policy_beats_a_public_acl(
    server: FerryServer, s3: Any, acl_bucket: str
) -> None:
    s3.put_object(Bucket=acl_bucket, Key="pub", Body=b"x", ACL="public-read")
    deny = {
        "Effect": "Deny",
        "Principal": "*",
        "Action": "s3:GetObject",
        "Resource": f"arn:aws:s3:::{acl_bucket}/pub",
    }
    s3.put_bucket_policy(Bucket=acl_bucket, Policy=policy_text(deny))
    with pytest.raises(ClientError) as denied:
        anonymous_client(server).get_object(Bucket=acl_bucket, Key="pub")
    assert code_of(denied) == (403, "AccessDenied")


def test_anonymous_writes_and_listing_through_a_public_read_write_bucket_acl(
    server: FerryServer, s3: Any, acl_bucket: str
) -> None:
    anonymous = anonymous_client(server)
    with pytest.raises(ClientError) as before:
        anonymous.put_object(Bucket=acl_bucket, Key="drop", Body=b"anon")
    assert code_of(before) == (403, "AccessDenied")
    s3.put_bucket_acl(Bucket=acl_bucket, ACL="public-read-write")
    anonymous.put_object(Bucket=acl_bucket, Key="drop", Body=b"anon")
    keys = [o["Key"] for o in anonymous.list_objects_v2(Bucket=acl_bucket)["Contents"]]
    assert keys == ["drop"]
    assert s3.get_object(Bucket=acl_bucket, Key="drop")["Body"].read() == b"anon"
    anonymous.delete_object(Bucket=acl_bucket, Key="drop")
    assert "Contents" not in s3.list_objects_v2(Bucket=acl_bucket)


def test_grants_by_canonical_id_and_email_decide_another_accounts_access(
    server: FerryServer, s3: Any, acl_bucket: str, other: tuple[dict[str, str], Any]
) -> None:
    account, client = other
    s3.put_object(Bucket=acl_bucket, Key="doc", Body=b"shared")
    with pytest.raises(ClientError) as before:
        client.get_object(Bucket=acl_bucket, Key="doc")
    assert code_of(before) == (403, "AccessDenied")
    s3.put_object_acl(Bucket=acl_bucket, Key="doc", GrantRead=f'id="{account["canonical_id"]}"')
    assert client.get_object(Bucket=acl_bucket, Key="doc")["Body"].read() == b"shared"
    with pytest.raises(ClientError) as no_acp:  # READ is not READ_ACP
        client.get_object_acl(Bucket=acl_bucket, Key="doc")
    assert code_of(no_acp) == (403, "AccessDenied")
    # by e-mail (case-insensitive), stored as the canonical user it names, as AWS does
    email = account["email"].upper()
    s3.put_object_acl(Bucket=acl_bucket, Key="doc", GrantReadACP=f'emailAddress="{email}"')
    grants = client.get_object_acl(Bucket=acl_bucket, Key="doc")["Grants"]
    assert [(g["Grantee"]["Type"], g["Grantee"]["ID"], g["Permission"]) for g in grants] == [
        ("CanonicalUser", account["canonical_id"], "READ_ACP")
    ]
    with pytest.raises(ClientError) as unknown:
        s3.put_object_acl(
            Bucket=acl_bucket, Key="doc", GrantRead='emailAddress="nobody@example.com"'
        )
    assert code_of(unknown) == (400, "UnresolvableGrantByEmailAddress")


def test_bucket_write_grant_lets_another_account_write_and_ownership_decides_the_owner(
    server: FerryServer, s3: Any, acl_bucket: str, other: tuple[dict[str, str], Any]
) -> None:
    account, client = other
    owner_id = s3.get_bucket_acl(Bucket=acl_bucket)["Owner"]["ID"]
    with pytest.raises(ClientError) as before:
        client.put_object(Bucket=acl_bucket, Key="theirs", Body=b"t")
    assert code_of(before) == (403, "AccessDenied")
    s3.put_bucket_acl(
        Bucket=acl_bucket,
        GrantFullControl=f'id="{owner_id}"',
        GrantWrite=f'id="{account["canonical_id"]}"',
    )
    client.put_object(Bucket=acl_bucket, Key="theirs", Body=b"t")  # ObjectWriter: the writer's
    acl = client.get_object_acl(Bucket=acl_bucket, Key="theirs")
    assert acl["Owner"]["ID"] == account["canonical_id"]
    listed = s3.list_objects(Bucket=acl_bucket)["Contents"]
    assert [(o["Key"], o["Owner"]["ID"]) for o in listed] == [("theirs", account["canonical_id"])]
    s3.put_bucket_ownership_controls(
        Bucket=acl_bucket,
        OwnershipControls={"Rules": [{"ObjectOwnership": "BucketOwnerPreferred"}]},
    )
    client.put_object(Bucket=acl_bucket, Key="ours", Body=b"o", ACL="bucket-owner-full-control")
    assert s3.get_object_acl(Bucket=acl_bucket, Key="ours")["Owner"]["ID"] == owner_id
    client.put_object(Bucket=acl_bucket, Key="still-theirs", Body=b"o")
    assert (
        s3.get_object_acl(Bucket=acl_bucket, Key="still-theirs")["Owner"]["ID"]
        == (account["canonical_id"])
    )


def test_authenticated_read_admits_any_signed_account_but_not_anonymous(
    server: FerryServer, s3: Any, acl_bucket: str, other: tuple[dict[str, str], Any]
) -> None:
    _, client = other
    s3.put_object(Bucket=acl_bucket, Key="members", Body=b"m", ACL="authenticated-read")
    assert client.get_object(Bucket=acl_bucket, Key="members")["Body"].read() == b"m"
    with pytest.raises(ClientError) as anonymous:
        anonymous_client(server).get_object(Bucket=acl_bucket, Key="members")
    assert code_of(anonymous) == (403, "AccessDenied")


def test_aws_cli_object_ownership_and_public_read(server: FerryServer) -> None:
    name = "cli-ownership-acl"
    run_aws(
        server, "s3api", "create-bucket", "--bucket", name, "--object-ownership", "ObjectWriter"
    )
    controls = json.loads(
        run_aws(server, "s3api", "get-bucket-ownership-controls", "--bucket", name)
    )
    assert controls["OwnershipControls"]["Rules"] == [{"ObjectOwnership": "ObjectWriter"}]
    run_aws(server, "s3api", "delete-public-access-block", "--bucket", name)
    run_aws(server, "s3api", "put-object", "--bucket", name, "--key", "k", "--acl", "public-read")
    grants = json.loads(run_aws(server, "s3api", "get-object-acl", "--bucket", name, "--key", "k"))
    assert {"Grantee": {"Type": "Group", "URI": "http://acs.amazonaws.com/groups/global/AllUsers"},
            "Permission": "READ"} in grants["Grants"]  # fmt: skip
    assert anonymous_client(server).get_object(Bucket=name, Key="k")["Body"].read() == b""


def test_ferry_accounts_create_with_email_and_an_aws_cli_grant_by_email(
    server: FerryServer, s3: Any, acl_bucket: str
) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "ferry", "accounts", "create", "cli-mail", "--email",
         "cli-mail@example.com", "--json", "--endpoint", server.endpoint],
        env=server.env(), capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    account = json.loads(result.stdout)
    assert account["email"] == "cli-mail@example.com"
    s3.put_object(Bucket=acl_bucket, Key="mail", Body=b"m")
    run_aws(
        server, "s3api", "put-object-acl", "--bucket", acl_bucket, "--key", "mail",
        "--grant-read", "emailAddress=cli-mail@example.com",
    )  # fmt: skip
    reader = account_client(server, account)
    assert reader.get_object(Bucket=acl_bucket, Key="mail")["Body"].read() == b"m"
