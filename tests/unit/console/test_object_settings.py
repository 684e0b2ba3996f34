from __future__ import annotations

from ferry.console.grants import ALL_USERS_URI, grants_of, is_public_read
from ferry.console.object_settings import tags_of_form
from ferry.console.xmldoc import parse_xml

POLICY = f"""<AccessControlPolicy xmlns="http://s3.amazonaws.com/doc/2006-03-01/">
<Owner><ID>abc</ID><DisplayName>ferry</DisplayName></Owner><AccessControlList>
<Grant><Grantee xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xsi:type="CanonicalUser">
<ID>abc</ID><DisplayName>ferry</DisplayName></Grantee><Permission>FULL_CONTROL</Permission></Grant>
<Grant><Grantee xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xsi:type="Group">
<URI>{ALL_USERS_URI}</URI></Grantee><Permission>READ</Permission></Grant>
</AccessControlList></AccessControlPolicy>""".encode()


def test_the_tag_rows_keep_their_order_and_skip_blank_rows() -> None:
    form = {
        "csrf": "t",
        "tag_key_10": "Environment",
        "tag_value_10": "Production",
        "tag_key_2": " EmployeeID ",
        "tag_value_2": "123456",
        "tag_key_3": "",
        "tag_value_3": "",
        "tag_key_4": "",
        "tag_value_4": "orphan",
    }
    assert tags_of_form(form) == [
        ("EmployeeID", "123456"),
        ("", "orphan"),  # the API refuses it with InvalidTag, shown in the card
        ("Environment", "Production"),
    ]


def test_no_rows_is_no_tags() -> None:
    assert tags_of_form({"csrf": "t", "tag_key_0": "", "tag_value_0": ""}) == []


def test_the_grants_name_the_owner_and_the_public_group() -> None:
    grants = grants_of(parse_xml(POLICY))
    assert [(g.name, g.permission) for g in grants] == [
        ("ferry", "FULL_CONTROL"),
        ("Everyone (public access)", "READ"),
    ]
    assert is_public_read(grants)
    assert not is_public_read(grants[:1])
