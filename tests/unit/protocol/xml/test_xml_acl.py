from __future__ import annotations

import pytest

from ferry.protocol.errors import S3Error, S3ErrorCode
from ferry.protocol.xml import (
    ALL_USERS_URI,
    AUTHENTICATED_USERS_URI,
    EC2_CANONICAL_USER_ID,
    LOG_DELIVERY_URI,
    AccessControlPolicy,
    CannedAcl,
    CanonicalUserGrantee,
    EmailGrantee,
    Grant,
    GroupGrantee,
    Owner,
    Permission,
    expand_canned_acl,
    parse_access_control_policy,
    parse_canned_acl,
    parse_grant_header,
    parse_grant_headers,
    render_access_control_policy,
)

OWNER = Owner(
    id="75aa57f09aa0c8caeab4f8c24e99d10f8e7faeebf76c078efc7c6caea54ba06a",
    display_name="CustomersName@amazon.com",
)
BUCKET_OWNER = Owner(id="b0b0")
XSI = 'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"'

POLICY = AccessControlPolicy(
    owner=OWNER,
    grants=(
        Grant(
            grantee=CanonicalUserGrantee(id=OWNER.id, display_name="me & <you>"),
            permission=Permission.FULL_CONTROL,
        ),
        Grant(grantee=CanonicalUserGrantee(id="1234"), permission=Permission.WRITE_ACP),
        Grant(grantee=GroupGrantee(uri=ALL_USERS_URI), permission=Permission.READ),
        Grant(grantee=GroupGrantee(uri=LOG_DELIVERY_URI), permission=Permission.WRITE),
        Grant(grantee=EmailGrantee(email_address="xyz@amazon.com"), permission=Permission.READ_ACP),
    ),
)


def _botocore_grants(policy: AccessControlPolicy) -> list[dict]:
    grants = []
    for grant in policy.grants:
        match grant.grantee:
            case CanonicalUserGrantee(id=user_id, display_name=name):
                grantee = {"Type": "CanonicalUser", "ID": user_id} | (
                    {"DisplayName": name} if name else {}
                )
            case GroupGrantee(uri=uri):
                grantee = {"Type": "Group", "URI": uri}
            case EmailGrantee(email_address=email):
                grantee = {"Type": "AmazonCustomerByEmail", "EmailAddress": email}
        grants.append({"Grantee": grantee, "Permission": grant.permission.value})
    return grants


@pytest.mark.parametrize("operation", ["PutObjectAcl", "PutBucketAcl"])
def test_access_control_policy_as_botocore_sends_it(serialize_input, operation: str) -> None:
    params = {
        "Bucket": "b",
        "AccessControlPolicy": {
            "Owner": {"ID": OWNER.id, "DisplayName": OWNER.display_name},
            "Grants": _botocore_grants(POLICY),
        },
    }
    if operation == "PutObjectAcl":
        params["Key"] = "k"
    assert parse_access_control_policy(serialize_input(operation, params)) == POLICY


@pytest.mark.parametrize("operation", ["GetObjectAcl", "GetBucketAcl"])
def test_access_control_policy_parses_in_botocore(parse_output, operation: str) -> None:
    body = render_access_control_policy(POLICY)
    assert parse_output(operation, body) == {
        "Owner": {"ID": OWNER.id, "DisplayName": OWNER.display_name},
        "Grants": _botocore_grants(POLICY),
    }
    assert parse_access_control_policy(body) == POLICY


def test_access_control_policy_matches_the_aws_example_bytes() -> None:
    policy = AccessControlPolicy(
        owner=OWNER,
        grants=(
            Grant(
                grantee=CanonicalUserGrantee(id=OWNER.id, display_name=OWNER.display_name),
                permission=Permission.FULL_CONTROL,
            ),
        ),
    )
    assert (
        render_access_control_policy(policy)
        == (
            '<?xml version="1.0" encoding="UTF-8"?>\n'
            '<AccessControlPolicy xmlns="http://s3.amazonaws.com/doc/2006-03-01/">'
            f"<Owner><ID>{OWNER.id}</ID><DisplayName>CustomersName@amazon.com</DisplayName></Owner>"
            "<AccessControlList><Grant>"
            f'<Grantee {XSI} xsi:type="CanonicalUser">'
            f"<ID>{OWNER.id}</ID><DisplayName>CustomersName@amazon.com</DisplayName></Grantee>"
            "<Permission>FULL_CONTROL</Permission></Grant></AccessControlList></AccessControlPolicy>"
        ).encode()
    )


def test_policy_without_namespace_and_with_any_prefix_for_xsi_is_accepted() -> None:
    body = (
        b"<AccessControlPolicy><AccessControlList>"
        b"<Grant><Permission>READ</Permission>"
        b'<Grantee xmlns:i="http://www.w3.org/2001/XMLSchema-instance" i:type="Group">'
        b"<URI>http://acs.amazonaws.com/groups/global/AuthenticatedUsers</URI></Grantee></Grant>"
        b"</AccessControlList><Owner><ID>o</ID></Owner></AccessControlPolicy>"
    )
    assert parse_access_control_policy(body) == AccessControlPolicy(
        owner=Owner(id="o"),
        grants=(
            Grant(grantee=GroupGrantee(uri=AUTHENTICATED_USERS_URI), permission=Permission.READ),
        ),
    )


def _with_grant(grant: str) -> str:
    return "<Owner><ID>o</ID></Owner><AccessControlList>" + grant + "</AccessControlList>"


def _grant(grantee: str, permission: str = "READ") -> str:
    return _with_grant("<Grant>" + grantee + "<Permission>" + permission + "</Permission></Grant>")


def _grantee(xsi_type: str | None, inner: str = "") -> str:
    kind = "" if xsi_type is None else ' xsi:type="' + xsi_type + '"'
    return "<Grantee " + XSI + kind + ">" + inner + "</Grantee>"


@pytest.mark.parametrize(
    "acl",
    [
        "<Owner><ID>o</ID></Owner>",
        "<AccessControlList/>",
        "<Owner/><AccessControlList/>",
        _grant(""),
        _grant(_grantee(None, "<ID>x</ID>")),
        _grant(_grantee("Martian", "<ID>x</ID>")),
        _grant(_grantee("CanonicalUser")),
        _grant(_grantee("Group")),
        _grant(_grantee("AmazonCustomerByEmail")),
        _grant(_grantee("Group", "<URI>u</URI>"), permission="ALL"),
        _with_grant("<Grant>" + _grantee("Group", "<URI>u</URI>") + "</Grant>"),
        _with_grant('<Grant><Grantee xsi:type="Group"><URI>u</URI></Grantee></Grant>'),
    ],
)
def test_malformed_policy_is_malformed_acl_error(acl: str) -> None:
    body = f"<AccessControlPolicy>{acl}</AccessControlPolicy>".encode()
    with pytest.raises(S3Error) as caught:
        parse_access_control_policy(body)
    assert caught.value.code is S3ErrorCode.MalformedACLError


def test_owner_gets_full_control_under_every_canned_acl() -> None:
    for acl in CannedAcl:
        policy = expand_canned_acl(acl, owner=OWNER)
        assert policy.owner == OWNER
        assert policy.grants[0] == Grant(
            grantee=CanonicalUserGrantee(id=OWNER.id, display_name=OWNER.display_name),
            permission=Permission.FULL_CONTROL,
        )


@pytest.mark.parametrize(
    ("acl", "extra"),
    [
        (CannedAcl.PRIVATE, []),
        (CannedAcl.PUBLIC_READ, [(GroupGrantee(uri=ALL_USERS_URI), Permission.READ)]),
        (
            CannedAcl.PUBLIC_READ_WRITE,
            [
                (GroupGrantee(uri=ALL_USERS_URI), Permission.READ),
                (GroupGrantee(uri=ALL_USERS_URI), Permission.WRITE),
            ],
        ),
        (
            CannedAcl.AUTHENTICATED_READ,
            [(GroupGrantee(uri=AUTHENTICATED_USERS_URI), Permission.READ)],
        ),
        (
            CannedAcl.AWS_EXEC_READ,
            [(CanonicalUserGrantee(id=EC2_CANONICAL_USER_ID), Permission.READ)],
        ),
        (CannedAcl.BUCKET_OWNER_READ, [(CanonicalUserGrantee(id="b0b0"), Permission.READ)]),
        (
            CannedAcl.BUCKET_OWNER_FULL_CONTROL,
            [(CanonicalUserGrantee(id="b0b0"), Permission.FULL_CONTROL)],
        ),
        (
            CannedAcl.LOG_DELIVERY_WRITE,
            [
                (GroupGrantee(uri=LOG_DELIVERY_URI), Permission.WRITE),
                (GroupGrantee(uri=LOG_DELIVERY_URI), Permission.READ_ACP),
            ],
        ),
    ],
)
def test_canned_acl_expands_to_aws_grants(acl: CannedAcl, extra: list) -> None:
    policy = expand_canned_acl(acl, owner=OWNER, bucket_owner=BUCKET_OWNER)
    assert [(grant.grantee, grant.permission) for grant in policy.grants[1:]] == extra


@pytest.mark.parametrize("acl", [CannedAcl.BUCKET_OWNER_READ, CannedAcl.BUCKET_OWNER_FULL_CONTROL])
def test_bucket_owner_acls_add_nothing_for_the_bucket_owner_itself(acl: CannedAcl) -> None:
    assert len(expand_canned_acl(acl, owner=OWNER, bucket_owner=OWNER).grants) == 1
    assert len(expand_canned_acl(acl, owner=OWNER).grants) == 1


def test_expanded_canned_acl_parses_in_botocore(parse_output) -> None:
    policy = expand_canned_acl(CannedAcl.LOG_DELIVERY_WRITE, owner=OWNER)
    parsed = parse_output("GetBucketAcl", render_access_control_policy(policy))
    assert parsed["Grants"] == _botocore_grants(policy)


def test_canned_acl_names_parse_and_unknown_ones_are_invalid_argument() -> None:
    assert parse_canned_acl("bucket-owner-full-control") is CannedAcl.BUCKET_OWNER_FULL_CONTROL
    with pytest.raises(S3Error) as caught:
        parse_canned_acl("public")
    assert caught.value.code is S3ErrorCode.InvalidArgument
    assert caught.value.fields == {"ArgumentName": "x-amz-acl", "ArgumentValue": "public"}


def test_grant_header_lists_grantees_of_every_kind() -> None:
    value = (
        'id="111122223333", ID=444455556666 ,  uri="http://acs.amazonaws.com/groups/global/AllUsers",'
        'emailAddress="xyz@amazon.com"'
    )
    assert parse_grant_header("x-amz-grant-read", value) == (
        Grant(grantee=CanonicalUserGrantee(id="111122223333"), permission=Permission.READ),
        Grant(grantee=CanonicalUserGrantee(id="444455556666"), permission=Permission.READ),
        Grant(grantee=GroupGrantee(uri=ALL_USERS_URI), permission=Permission.READ),
        Grant(grantee=EmailGrantee(email_address="xyz@amazon.com"), permission=Permission.READ),
    )


def test_grant_headers_are_collected_with_their_permissions(serialize_input) -> None:
    headers = {
        "x-amz-grant-full-control": 'id="owner"',
        "x-amz-grant-write-acp": 'id="a"',
        "x-amz-grant-read-acp": 'id="b"',
        "x-amz-grant-write": f'uri="{LOG_DELIVERY_URI}"',
        "x-amz-grant-read": "",
        "content-type": "text/plain",
    }
    grants = parse_grant_headers(headers)
    assert [(grant.grantee, grant.permission) for grant in grants] == [
        (GroupGrantee(uri=LOG_DELIVERY_URI), Permission.WRITE),
        (CanonicalUserGrantee(id="b"), Permission.READ_ACP),
        (CanonicalUserGrantee(id="a"), Permission.WRITE_ACP),
        (CanonicalUserGrantee(id="owner"), Permission.FULL_CONTROL),
    ]


@pytest.mark.parametrize(
    "value",
    ['id="a" id="b"', "id=", 'id=""', 'name="x"', "just words", 'id="unterminated', ", id=a"],
)
def test_malformed_grant_header_is_invalid_argument(value: str) -> None:
    with pytest.raises(S3Error) as caught:
        parse_grant_header("x-amz-grant-write-acp", value)
    assert caught.value.code is S3ErrorCode.InvalidArgument
    assert caught.value.fields["ArgumentName"] == "x-amz-grant-write-acp"
