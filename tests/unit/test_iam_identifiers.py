"""IAM identifiers, ARNs and name validation: the shapes AWS uses, AWS's error wording."""

from __future__ import annotations

import re

import pytest

from ferry.config import RootCredentials
from ferry.control import iam_names as names
from ferry.control.iam_errors import IamValidationError
from ferry.control.identifiers import (
    HolderKind,
    PrincipalName,
    UniqueIdPrefix,
    canonical_id,
    is_account_id,
    new_access_key_id,
    new_account_id,
    new_secret_access_key,
    new_unique_id,
    parse_principal_arn,
    policy_arn,
    role_arn,
    root_arn,
    user_arn,
)
from ferry.core.secret import Secret


def test_generated_ids_have_aws_shapes() -> None:
    assert re.fullmatch(r"[1-9]\d{11}", new_account_id())
    assert re.fullmatch(r"AKIA[A-Z2-7]{16}", new_access_key_id())
    assert re.fullmatch(r"[A-Za-z0-9+/]{40}", new_secret_access_key())
    assert re.fullmatch(r"AIDA[A-Z2-7]{17}", new_unique_id(UniqueIdPrefix.USER))
    assert re.fullmatch(r"AROA[A-Z2-7]{17}", new_unique_id(UniqueIdPrefix.ROLE))
    assert re.fullmatch(r"ANPA[A-Z2-7]{17}", new_unique_id(UniqueIdPrefix.POLICY))


def test_generated_ids_do_not_repeat() -> None:
    assert len({new_access_key_id() for _ in range(500)}) == 500
    assert len({new_secret_access_key() for _ in range(500)}) == 500


def test_account_id_check() -> None:
    assert is_account_id("123456789012")
    assert not is_account_id("12345678901")
    assert not is_account_id("12345678901x")
    assert not is_account_id("\uff11" * 12)  # full-width digits: isdigit, not ASCII


def test_canonical_id_is_the_one_config_derives() -> None:
    root = RootCredentials(
        access_key="K", secret_key=Secret("s"), account_id="123456789012", defaulted=False
    )
    assert canonical_id("123456789012") == root.canonical_id
    assert re.fullmatch(r"[0-9a-f]{64}", canonical_id("123456789012"))


def test_arns_carry_paths() -> None:
    assert root_arn("123456789012") == "arn:aws:iam::123456789012:root"
    assert user_arn("123456789012", "/", "alice") == "arn:aws:iam::123456789012:user/alice"
    assert user_arn("123456789012", "/eng/", "alice") == "arn:aws:iam::123456789012:user/eng/alice"
    assert role_arn("123456789012", "/", "r") == "arn:aws:iam::123456789012:role/r"
    assert policy_arn("123456789012", "/p/", "x") == "arn:aws:iam::123456789012:policy/p/x"


@pytest.mark.parametrize(
    ("arn", "expected"),
    [
        ("arn:aws:iam::123456789012:user/alice", ("123456789012", HolderKind.USER, "alice")),
        ("arn:aws:iam::123456789012:user/eng/ops/bob", ("123456789012", HolderKind.USER, "bob")),
        (
            "arn:aws:iam::123456789012:role/replicator",
            ("123456789012", HolderKind.ROLE, "replicator"),
        ),
        (
            "arn:aws:sts::123456789012:assumed-role/replicator/session-1",
            ("123456789012", HolderKind.ROLE, "replicator"),
        ),
    ],
)
def test_principal_arns_name_their_holder(arn: str, expected: tuple[str, HolderKind, str]) -> None:
    account, kind, name = expected
    assert parse_principal_arn(arn) == PrincipalName(account_id=account, kind=kind, name=name)


@pytest.mark.parametrize(
    "arn",
    [
        "arn:aws:iam::123456789012:root",
        "arn:aws:iam::123456789012:policy/p",
        "arn:aws:iam::123456789012:user/",
        "arn:aws:iam::12345:user/alice",
        "arn:aws:s3:::bucket",
        "arn:aws:sts::123456789012:assumed-role/only-role",
        "*",
    ],
)
def test_other_arns_name_no_holder(arn: str) -> None:
    assert parse_principal_arn(arn) is None


def test_valid_names_pass_unchanged() -> None:
    assert (
        names.user_name("alice.smith+ops@example,com=x_y-z") == "alice.smith+ops@example,com=x_y-z"
    )
    assert names.role_name("r" * 64) == "r" * 64
    assert names.policy_name("p" * 128) == "p" * 128
    assert names.path(None) == "/"
    assert names.path("/eng/ops/") == "/eng/ops/"


def test_a_bad_name_gets_aws_validation_message() -> None:
    with pytest.raises(IamValidationError) as caught:
        names.user_name("has space")
    assert caught.value.message == (
        "1 validation error detected: Value 'has space' at 'userName' failed to satisfy "
        "constraint: Member must satisfy regular expression pattern: [\\w+=,.@-]+"
    )


def test_a_long_name_gets_the_length_constraint() -> None:
    with pytest.raises(IamValidationError, match="length less than or equal to 64"):
        names.role_name("r" * 65)
    with pytest.raises(IamValidationError, match="length greater than or equal to 1"):
        names.user_name("")


@pytest.mark.parametrize("path", ["eng/", "/eng", "//x y/"])
def test_paths_start_and_end_with_a_slash(path: str) -> None:
    with pytest.raises(IamValidationError, match="at 'path'"):
        names.path(path)


def test_numbers_are_checked_against_their_range() -> None:
    assert names.max_items(None) == 100
    assert names.max_items("1000") == 1000
    with pytest.raises(IamValidationError, match="less than or equal to 1000"):
        names.max_items("1001")
    with pytest.raises(IamValidationError, match="must be an integer"):
        names.max_items("ten")
    assert names.max_session_duration(None) == 3600
    with pytest.raises(IamValidationError, match="greater than or equal to 3600"):
        names.max_session_duration("60")
