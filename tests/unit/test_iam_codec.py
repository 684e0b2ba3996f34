"""The query-protocol codec, judged by botocore's own parser and the `iam`/`sts` models."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from urllib.parse import unquote

import botocore.session
import pytest
from botocore.parsers import QueryParser

from ferry.api.iam import views
from ferry.control.iam_records import (
    AccessKey,
    AccessKeyStatus,
    ManagedPolicy,
    NewAccessKey,
    Page,
    Role,
    User,
)
from ferry.core.secret import Secret
from ferry.protocol.xml.iam import (
    IAM_NAMESPACE,
    STS_NAMESPACE,
    MalformedQuery,
    parse_form,
    render_error,
    render_response,
)

CREATED = datetime(2026, 12, 2, 11, 3, 3, tzinfo=UTC)
DOCUMENT = (
    '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*"}]}'
)
ALICE = User(
    account_id="123456789012",
    name="alice",
    user_id="AIDAAAAAAAAAAAAAAAAAA",
    path="/eng/",
    arn="arn:aws:iam::123456789012:user/eng/alice",
    created=CREATED,
)


def parse(service: str, operation: str, body: bytes, status: int = 200) -> dict[str, Any]:
    model = botocore.session.get_session().get_service_model(service)
    shape = model.operation_model(operation).output_shape
    response = {"body": body, "headers": {}, "status_code": status}
    parsed: dict[str, Any] = QueryParser().parse(response, shape)
    return parsed


def test_a_user_parses_as_botocore_expects() -> None:
    body = render_response("GetUser", IAM_NAMESPACE, [("User", views.user(ALICE))], "req-1")
    parsed = parse("iam", "GetUser", body)
    assert parsed["User"] == {
        "Path": "/eng/",
        "UserName": "alice",
        "UserId": "AIDAAAAAAAAAAAAAAAAAA",
        "Arn": "arn:aws:iam::123456789012:user/eng/alice",
        "CreateDate": CREATED,
    }
    assert parsed["ResponseMetadata"]["RequestId"] == "req-1"


def test_a_listing_page_carries_its_marker() -> None:
    page = Page(items=[ALICE], marker="alice")
    body = render_response("ListUsers", IAM_NAMESPACE, views.page("Users", page, views.user), "r")
    parsed = parse("iam", "ListUsers", body)
    assert [u["UserName"] for u in parsed["Users"]] == ["alice"]
    assert parsed["IsTruncated"] is True and parsed["Marker"] == "alice"


def test_policy_documents_travel_url_encoded() -> None:
    role = Role(
        account_id="123456789012",
        name="rep",
        role_id="AROAAAAAAAAAAAAAAAAAA",
        path="/",
        arn="arn:aws:iam::123456789012:role/rep",
        trust_policy=DOCUMENT,
        description="a <role> & more",
        max_session_s=3600,
        created=CREATED,
    )
    body = render_response("GetRole", IAM_NAMESPACE, [("Role", views.role(role))], "r")
    assert b"%7B%22Version%22" in body
    parsed = parse("iam", "GetRole", body)["Role"]
    # URL-encoded on the wire, as AWS sends it (the aws CLI decodes it; botocore does not)
    assert unquote(parsed["AssumeRolePolicyDocument"]) == DOCUMENT
    assert parsed["Description"] == "a <role> & more"
    assert parsed["MaxSessionDuration"] == 3600


def test_a_managed_policy_and_its_version() -> None:
    policy = ManagedPolicy(
        account_id="123456789012",
        name="read",
        policy_id="ANPAAAAAAAAAAAAAAAAAA",
        path="/",
        arn="arn:aws:iam::123456789012:policy/read",
        description=None,
        document=DOCUMENT,
        attachment_count=2,
        created=CREATED,
    )
    parsed = parse(
        "iam",
        "GetPolicy",
        render_response(
            "GetPolicy", IAM_NAMESPACE, [("Policy", views.managed_policy(policy))], "r"
        ),
    )["Policy"]
    assert (parsed["DefaultVersionId"], parsed["AttachmentCount"], parsed["IsAttachable"]) == (
        "v1",
        2,
        True,
    )
    version = parse(
        "iam",
        "GetPolicyVersion",
        render_response(
            "GetPolicyVersion",
            IAM_NAMESPACE,
            [("PolicyVersion", views.policy_version(policy))],
            "r",
        ),
    )["PolicyVersion"]
    assert unquote(version["Document"]) == DOCUMENT and version["IsDefaultVersion"] is True


def test_a_new_access_key_shows_its_secret_once() -> None:
    key = AccessKey(
        access_key_id="AKIAAAAAAAAAAAAAAAAA",
        account_id="123456789012",
        user_name="alice",
        status=AccessKeyStatus.ACTIVE,
        created=CREATED,
    )
    created = NewAccessKey(key=key, secret=Secret("s" * 40))
    parsed = parse(
        "iam",
        "CreateAccessKey",
        render_response(
            "CreateAccessKey", IAM_NAMESPACE, [("AccessKey", views.new_access_key(created))], "r"
        ),
    )["AccessKey"]
    assert parsed["SecretAccessKey"] == "s" * 40 and parsed["Status"] == "Active"
    listed = views.access_key_metadata(key)
    assert "SecretAccessKey" not in dict(listed)


def test_caller_identity_parses() -> None:
    fields = [
        ("UserId", "123456789012"),
        ("Account", "123456789012"),
        ("Arn", "arn:aws:iam::123456789012:root"),
    ]
    body = render_response("GetCallerIdentity", STS_NAMESPACE, fields, "r")
    parsed = parse("sts", "GetCallerIdentity", body)
    assert parsed["Account"] == "123456789012"


def test_an_action_without_result_renders_metadata_only() -> None:
    body = render_response("DeleteUser", IAM_NAMESPACE, None, "r")
    assert b"DeleteUserResult" not in body and b"<RequestId>r</RequestId>" in body
    assert parse("iam", "DeleteUser", body)["ResponseMetadata"]["RequestId"] == "r"


def test_errors_parse_with_code_and_message() -> None:
    body = render_error(
        IAM_NAMESPACE,
        code="NoSuchEntity",
        message="The user with name x cannot be found.",
        request_id="r",
    )
    parsed = parse("iam", "GetUser", body, status=404)
    assert parsed["Error"]["Code"] == "NoSuchEntity"
    assert parsed["Error"]["Message"] == "The user with name x cannot be found."
    assert parsed["Error"]["Type"] == "Sender"


def test_form_bodies_decode_plus_and_percent() -> None:
    params = parse_form(b"Action=CreateUser&UserName=a%2Bb&Path=%2Fx%2F&Empty=&Note=a+b")
    assert params == {
        "Action": "CreateUser",
        "UserName": "a+b",
        "Path": "/x/",
        "Empty": "",
        "Note": "a b",
    }
    with pytest.raises(MalformedQuery):
        parse_form(b"UserName=%ff")
