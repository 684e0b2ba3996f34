"""Request authorisation and bucket policies, in process: the deployment root, another
account's root (`/_ferry/accounts`), an IAM user, anonymous callers."""

from __future__ import annotations

import base64
import hashlib
import json
import xml.etree.ElementTree as ET
from typing import Any

import httpx
import pytest

from tests.integration.conftest import ACCOUNT_ID
from tests.integration.principals import iam
from tests.integration.s3 import S3


@pytest.fixture
async def bucket(s3: S3, bucket: str) -> str:
    """These tests put public bucket policies: their buckets have Block Public Access off
    (new buckets have it on, as on AWS)."""
    response = await s3.delete(f"/{bucket}", query={"publicAccessBlock": None})
    assert response.status_code == 204, response.text
    return bucket


NS = "{http://s3.amazonaws.com/doc/2006-03-01/}"
IAM_NS = "{https://iam.amazonaws.com/doc/2010-05-08/}"


def policy_text(*statements: dict[str, Any]) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)}, indent=2)


def error(response: httpx.Response) -> tuple[int, str, str]:
    root = ET.fromstring(response.content)
    return response.status_code, root.findtext("Code") or "", root.findtext("Message") or ""


async def put_policy(s3: S3, bucket: str, text: str) -> httpx.Response:
    return await s3.put(f"/{bucket}", text.encode(), query={"policy": None})


async def test_bucket_policy_round_trip_keeps_the_document_byte_for_byte(
    s3: S3, bucket: str
) -> None:
    text = policy_text(
        {
            "Sid": "PublicRead",
            "Effect": "Allow",
            "Principal": "*",
            "Action": "s3:GetObject",
            "Resource": f"arn:aws:s3:::{bucket}/*",
        }
    )
    assert (await put_policy(s3, bucket, text)).status_code == 204
    got = await s3.get(f"/{bucket}", query={"policy": None})
    assert got.status_code == 200 and got.content == text.encode()
    status = await s3.get(f"/{bucket}", query={"policyStatus": None})
    assert ET.fromstring(status.content).findtext(f"{NS}IsPublic") == "true"
    assert (await s3.delete(f"/{bucket}", query={"policy": None})).status_code == 204
    missing = await s3.get(f"/{bucket}", query={"policy": None})
    assert error(missing) == (404, "NoSuchBucketPolicy", "The bucket policy does not exist")


@pytest.mark.parametrize(
    ("statement", "message"),
    [
        ({"Principal": "*", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::elsewhere/*"},
         "Policy has invalid resource"),
        ({"Principal": "*", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::it-bucket"},
         "Action does not apply to any resource(s) in statement"),
        ({"Principal": "*", "Action": "s3:Fly", "Resource": "arn:aws:s3:::it-bucket"},
         "Policy has invalid action"),
        ({"Principal": {"AWS": "nobody"}, "Action": "s3:*", "Resource": "arn:aws:s3:::it-bucket"},
         "Invalid principal in policy"),
        ({"Action": "s3:*", "Resource": "arn:aws:s3:::it-bucket"},
         "Missing required field Principal"),
    ],
)  # fmt: skip
async def test_malformed_bucket_policies_are_refused_with_s3s_messages(
    s3: S3, bucket: str, statement: dict[str, Any], message: str
) -> None:
    response = await put_policy(s3, bucket, policy_text({"Effect": "Allow", **statement}))
    assert error(response) == (400, "MalformedPolicy", message)
    assert (await s3.get(f"/{bucket}", query={"policy": None})).status_code == 404


async def test_a_policy_that_is_not_json_is_refused(s3: S3, bucket: str) -> None:
    response = await put_policy(s3, bucket, "Allow everyone")
    assert error(response) == (
        400,
        "MalformedPolicy",
        "Policies must be valid JSON and the first byte must be '{'",
    )


async def test_anonymous_get_needs_a_public_bucket_policy(s3: S3, bucket: str) -> None:
    assert (await s3.put(f"/{bucket}/hello.txt", b"hi")).status_code == 200
    denied = await s3.request("GET", f"/{bucket}/hello.txt", signed=False)
    assert error(denied)[:2] == (403, "AccessDenied")
    public = {
        "Effect": "Allow",
        "Principal": "*",
        "Action": "s3:GetObject",
        "Resource": f"arn:aws:s3:::{bucket}/*",
    }
    assert (await put_policy(s3, bucket, policy_text(public))).status_code == 204
    allowed = await s3.request("GET", f"/{bucket}/hello.txt", signed=False)
    assert allowed.status_code == 200 and allowed.content == b"hi"
    # The policy grants reads only: an anonymous write is still refused, and leaves nothing.
    write = await s3.request("PUT", f"/{bucket}/new.txt", body=b"x", signed=False)
    assert error(write)[:2] == (403, "AccessDenied")
    assert (await s3.head(f"/{bucket}/new.txt")).status_code == 404


async def test_a_missing_bucket_is_no_such_bucket_for_anyone(s3: S3) -> None:
    response = await s3.request("GET", "/no-such-bucket-here/key", signed=False)
    assert error(response)[:2] == (404, "NoSuchBucket")


async def test_an_account_root_owns_its_buckets_and_nothing_else(
    s3: S3, team: tuple[S3, str], bucket: str
) -> None:
    client, _ = team
    assert (await client.put("/team-own")).status_code == 200
    assert (await client.put("/team-own/k", b"v")).status_code == 200
    assert (await client.get("/team-own/k")).content == b"v"
    # The deployment root's bucket is another account's: no bucket policy, no access.
    assert error(await client.get(f"/{bucket}", query={"list-type": "2"}))[:2] == (
        403,
        "AccessDenied",
    )
    assert error(await client.put(f"/{bucket}/intruder", b"x"))[:2] == (403, "AccessDenied")


async def test_cross_account_access_through_the_bucket_policy(
    s3: S3, team: tuple[S3, str], bucket: str
) -> None:
    client, team_account = team
    assert (await s3.put(f"/{bucket}/shared.txt", b"shared")).status_code == 200
    grant = {
        "Effect": "Allow",
        "Principal": {"AWS": f"arn:aws:iam::{team_account}:root"},
        "Action": ["s3:GetObject", "s3:ListBucket"],
        "Resource": [f"arn:aws:s3:::{bucket}", f"arn:aws:s3:::{bucket}/*"],
    }
    assert (await put_policy(s3, bucket, policy_text(grant))).status_code == 204
    assert (await client.get(f"/{bucket}/shared.txt")).content == b"shared"
    assert (await client.get(f"/{bucket}", query={"list-type": "2"})).status_code == 200
    assert error(await client.delete(f"/{bucket}/shared.txt"))[:2] == (403, "AccessDenied")
    # Only the owner's account manages the policy: others get AWS's 405.
    assert error(await client.get(f"/{bucket}", query={"policy": None}))[:2] == (
        405,
        "MethodNotAllowed",
    )


async def test_explicit_deny_beats_the_owner_root_and_leaves_no_object(
    team: tuple[S3, str],
) -> None:
    client, _ = team
    assert (await client.put("/locked")).status_code == 200
    deny = {
        "Effect": "Deny",
        "Principal": "*",
        "Action": ["s3:PutObject", "s3:GetBucketPolicy"],
        "Resource": ["arn:aws:s3:::locked/*", "arn:aws:s3:::locked"],
    }
    assert (await put_policy(client, "locked", policy_text(deny))).status_code == 204
    assert error(await client.put("/locked/k", b"data"))[:2] == (403, "AccessDenied")
    listing = await client.get("/locked", query={"list-type": "2"})
    assert listing.status_code == 200 and b"<Key>" not in listing.content
    # The owner's root may still read and remove the policy that denies it (lock-out guard).
    assert (await client.get("/locked", query={"policy": None})).status_code == 200
    assert (await client.delete("/locked", query={"policy": None})).status_code == 204
    assert (await client.put("/locked/k", b"data")).status_code == 200


async def test_source_ip_condition(s3: S3, bucket: str) -> None:
    """httpx's ASGI transport reports the client as 127.0.0.1."""
    assert (await s3.put(f"/{bucket}/k", b"v")).status_code == 200

    def public_from(network: str) -> str:
        return policy_text(
            {
                "Effect": "Allow",
                "Principal": "*",
                "Action": "s3:GetObject",
                "Resource": f"arn:aws:s3:::{bucket}/*",
                "Condition": {"IpAddress": {"aws:SourceIp": network}},
            }
        )

    assert (await put_policy(s3, bucket, public_from("10.0.0.0/8"))).status_code == 204
    assert (await s3.request("GET", f"/{bucket}/k", signed=False)).status_code == 403
    assert (await put_policy(s3, bucket, public_from("127.0.0.0/8"))).status_code == 204
    assert (await s3.request("GET", f"/{bucket}/k", signed=False)).status_code == 200


async def test_the_deployment_root_is_never_denied(s3: S3, bucket: str) -> None:
    deny_all = {
        "Effect": "Deny",
        "Principal": "*",
        "Action": "s3:*",
        "Resource": [f"arn:aws:s3:::{bucket}", f"arn:aws:s3:::{bucket}/*"],
    }
    assert (await put_policy(s3, bucket, policy_text(deny_all))).status_code == 204
    assert (await s3.put(f"/{bucket}/k", b"v")).status_code == 200


async def test_an_iam_user_acts_by_its_identity_policies(
    http: httpx.AsyncClient, s3: S3, alice: S3, bucket: str
) -> None:
    assert (await s3.put(f"/{bucket}/home/alice/a", b"mine")).status_code == 200
    assert (await s3.put(f"/{bucket}/home/bob/b", b"his")).status_code == 200
    assert error(await alice.get(f"/{bucket}/home/alice/a"))[:2] == (403, "AccessDenied")
    document = policy_text(
        {
            "Effect": "Allow",
            "Action": ["s3:GetObject", "s3:PutObject"],
            "Resource": f"arn:aws:s3:::{bucket}/home/${{aws:username}}/*",
        },
        {
            "Effect": "Allow",
            "Action": "s3:ListBucket",
            "Resource": f"arn:aws:s3:::{bucket}",
            "Condition": {"StringLike": {"s3:prefix": "home/alice/*"}},
        },
        {"Effect": "Deny", "Action": "s3:DeleteObject", "Resource": "*"},
    )
    await iam(http, Action="PutUserPolicy", UserName="alice", PolicyName="home",
              PolicyDocument=document)  # fmt: skip
    assert (await alice.get(f"/{bucket}/home/alice/a")).content == b"mine"
    assert error(await alice.get(f"/{bucket}/home/bob/b"))[:2] == (403, "AccessDenied")
    assert (await alice.put(f"/{bucket}/home/alice/new", b"n")).status_code == 200
    assert error(await alice.delete(f"/{bucket}/home/alice/new"))[:2] == (403, "AccessDenied")
    listed = await alice.get(f"/{bucket}", query={"list-type": "2", "prefix": "home/alice/"})
    assert listed.status_code == 200
    refused = await alice.get(f"/{bucket}", query={"list-type": "2", "prefix": "home/"})
    assert error(refused)[:2] == (403, "AccessDenied")
    assert error(await alice.get("/"))[:2] == (403, "AccessDenied")  # no s3:ListAllMyBuckets


async def test_delete_objects_authorises_each_key(
    http: httpx.AsyncClient, s3: S3, alice: S3, bucket: str
) -> None:
    for key in ("tmp/a", "keep/b"):
        assert (await s3.put(f"/{bucket}/{key}", b"x")).status_code == 200
    document = policy_text(
        {"Effect": "Allow", "Action": "s3:DeleteObject", "Resource": f"arn:aws:s3:::{bucket}/tmp/*"}
    )
    await iam(http, Action="PutUserPolicy", UserName="alice", PolicyName="tmp",
              PolicyDocument=document)  # fmt: skip
    body = b"<Delete><Object><Key>tmp/a</Key></Object><Object><Key>keep/b</Key></Object></Delete>"
    response = await alice.post(f"/{bucket}", body, query={"delete": None})
    assert response.status_code == 200, response.text
    result = ET.fromstring(response.content)
    assert [d.findtext(f"{NS}Key") for d in result.iter(f"{NS}Deleted")] == ["tmp/a"]
    errors = [(e.findtext(f"{NS}Key"), e.findtext(f"{NS}Code")) for e in result.iter(f"{NS}Error")]
    assert errors == [("keep/b", "AccessDenied")]
    assert (await s3.head(f"/{bucket}/keep/b")).status_code == 200
    assert (await s3.head(f"/{bucket}/tmp/a")).status_code == 404


async def test_copy_object_needs_read_access_to_the_source(
    s3: S3, team: tuple[S3, str], bucket: str
) -> None:
    client, team_account = team
    assert (await s3.put(f"/{bucket}/secret", b"s")).status_code == 200
    assert (await client.put("/team-copies")).status_code == 200
    copy = {"x-amz-copy-source": f"/{bucket}/secret"}
    refused = await client.put("/team-copies/stolen", headers=copy)
    assert error(refused)[:2] == (403, "AccessDenied")
    assert (await client.head("/team-copies/stolen")).status_code == 404
    grant = {
        "Effect": "Allow",
        "Principal": {"AWS": team_account},
        "Action": "s3:GetObject",
        "Resource": f"arn:aws:s3:::{bucket}/*",
    }
    assert (await put_policy(s3, bucket, policy_text(grant))).status_code == 204
    assert (await client.put("/team-copies/shared", headers=copy)).status_code == 200
    assert (await client.get("/team-copies/shared")).content == b"s"


async def test_only_the_owners_account_manages_the_policy_even_when_it_allows_everyone(
    s3: S3, team: tuple[S3, str], bucket: str
) -> None:
    client, _ = team
    everything = {
        "Effect": "Allow",
        "Principal": "*",
        "Action": "s3:*",
        "Resource": [f"arn:aws:s3:::{bucket}", f"arn:aws:s3:::{bucket}/*"],
    }
    assert (await put_policy(s3, bucket, policy_text(everything))).status_code == 204
    anonymous = await s3.request("GET", f"/{bucket}", query={"policy": None}, signed=False)
    assert error(anonymous)[:2] == (403, "AccessDenied")
    other = await client.delete(f"/{bucket}", query={"policy": None})
    assert error(other)[:2] == (405, "MethodNotAllowed")
    # Everything else the policy grants, it grants to them.
    assert (await client.put(f"/{bucket}/from-team", b"t")).status_code == 200
    assert (await s3.get(f"/{bucket}", query={"policy": None})).status_code == 200


async def test_expected_bucket_owner_headers(s3: S3, team: tuple[S3, str], bucket: str) -> None:
    client, team_account = team
    assert (await s3.put(f"/{bucket}/k", b"v")).status_code == 200
    assert (await client.put("/team-target")).status_code == 200
    mine = {"x-amz-expected-bucket-owner": ACCOUNT_ID}  # the deployment root's account
    assert (await s3.get(f"/{bucket}/k", headers=mine)).status_code == 200
    wrong = {"x-amz-expected-bucket-owner": team_account}
    assert error(await s3.get(f"/{bucket}/k", headers=wrong))[:2] == (403, "AccessDenied")
    copy = {
        "x-amz-copy-source": f"/{bucket}/k",
        "x-amz-source-expected-bucket-owner": team_account,
    }
    assert error(await s3.put("/team-target/copy", headers=copy))[:2] == (403, "AccessDenied")


async def test_configuring_replication_passes_its_role_and_needs_iam_pass_role(
    http: httpx.AsyncClient, s3: S3, alice: S3
) -> None:
    versioning = b"<VersioningConfiguration><Status>Enabled</Status></VersioningConfiguration>"
    for name in ("pr-src", "pr-dst"):
        assert (await s3.put(f"/{name}")).status_code == 200
        await s3.put(f"/{name}", query={"versioning": None}, body=versioning)
    role = f"arn:aws:iam::{ACCOUNT_ID}:role/r"
    body = (
        f"<ReplicationConfiguration><Role>{role}</Role><Rule><ID>r</ID><Priority>1</Priority>"
        "<Status>Enabled</Status><Filter><Prefix></Prefix></Filter><DeleteMarkerReplication>"
        "<Status>Disabled</Status></DeleteMarkerReplication><Destination>"
        "<Bucket>arn:aws:s3:::pr-dst</Bucket></Destination></Rule></ReplicationConfiguration>"
    ).encode()
    md5 = {"content-md5": base64.b64encode(hashlib.md5(body).digest()).decode()}

    async def put_replication() -> httpx.Response:
        return await alice.put("/pr-src", query={"replication": None}, body=body, headers=md5)

    s3_only = [{"Effect": "Allow", "Action": "s3:*", "Resource": "*"}]
    await iam(http, Action="PutUserPolicy", UserName="alice", PolicyName="p",
              PolicyDocument=policy_text(*s3_only))  # fmt: skip
    assert error(await put_replication())[:2] == (403, "AccessDenied")
    pass_role = {"Effect": "Allow", "Action": "iam:PassRole", "Resource": role}
    await iam(http, Action="PutUserPolicy", UserName="alice", PolicyName="p",
              PolicyDocument=policy_text(*s3_only, pass_role))  # fmt: skip
    assert (await put_replication()).status_code == 200
