"""Every KMS operation's response as botocore's own JSON parser reads it, member by member
against the `kms` service model (the SDK is the judge), and the request members it reads."""

from __future__ import annotations

import base64
import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import botocore.session
import pytest
from botocore.parsers import create_parser

from ferry.api.kms.errors import KmsApiError
from ferry.api.kms.operations import OPERATIONS
from ferry.api.kms.params import Params
from ferry.core.clock import FakeClock
from ferry.crypto import KeyService, KmsValidation, generate_master_key
from ferry.region import REGION_MIGRATIONS
from ferry.store import SqliteDatabase

ACCOUNT = "111122223333"
MODEL = botocore.session.get_session().get_service_model("kms")


@pytest.fixture
async def kms(tmp_path: Path) -> AsyncIterator[KeyService]:
    db = SqliteDatabase(tmp_path / "kms.sqlite3", REGION_MIGRATIONS)
    yield KeyService(db, generate_master_key(), FakeClock(), "eu-west-1")
    db.close()


async def call(kms: KeyService, operation: str, **members: Any) -> dict[str, Any]:
    """Run `operation` as the API does and parse its JSON with botocore."""
    body = json.dumps(members).encode()
    response = await OPERATIONS[operation](kms, ACCOUNT, Params.from_json(body))
    output = MODEL.operation_model(operation).output_shape
    if output is None:
        assert response == {}
        return {}
    unknown = set(response) - set(output.members)
    assert not unknown, f"{operation} returns members its shape lacks: {unknown}"
    for name, value in response.items():
        member = output.members[name]
        if member.type_name == "structure":
            assert set(value) <= set(member.members), (name, set(value) - set(member.members))
    raw = {"body": json.dumps(response).encode(), "headers": {}, "status_code": 200}
    parsed: dict[str, Any] = create_parser("json").parse(raw, output)
    parsed.pop("ResponseMetadata", None)
    return parsed


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def test_every_served_operation_exists_in_the_kms_model() -> None:
    assert set(OPERATIONS) <= set(MODEL.operation_names)


async def test_key_operations_parse_in_botocore(kms: KeyService) -> None:
    created = (await call(kms, "CreateKey", Description="d", Tags=[{"TagKey": "a"}]))["KeyMetadata"]
    assert created["Arn"] == f"arn:aws:kms:eu-west-1:{ACCOUNT}:key/{created['KeyId']}"
    assert created["CreationDate"].year == 2026
    assert created["EncryptionAlgorithms"] == ["SYMMETRIC_DEFAULT"]
    key_id = created["KeyId"]
    assert (await call(kms, "DescribeKey", KeyId=key_id))["KeyMetadata"] == created
    listed = await call(kms, "ListKeys", Limit=10)
    assert listed == {"Keys": [{"KeyId": key_id, "KeyArn": created["Arn"]}], "Truncated": False}
    assert await call(kms, "DisableKey", KeyId=key_id) == {}
    assert await call(kms, "EnableKey", KeyId=key_id) == {}
    scheduled = await call(kms, "ScheduleKeyDeletion", KeyId=key_id, PendingWindowInDays=7)
    assert scheduled["KeyState"] == "PendingDeletion"
    assert scheduled["PendingWindowInDays"] == 7
    assert (scheduled["DeletionDate"] - created["CreationDate"]).days == 7
    pending = (await call(kms, "DescribeKey", KeyId=key_id))["KeyMetadata"]
    assert pending["DeletionDate"] == scheduled["DeletionDate"]
    assert (await call(kms, "CancelKeyDeletion", KeyId=key_id)) == {"KeyId": created["Arn"]}


async def test_alias_operations_parse_in_botocore(kms: KeyService) -> None:
    key_id = (await call(kms, "CreateKey"))["KeyMetadata"]["KeyId"]
    assert await call(kms, "CreateAlias", AliasName="alias/a", TargetKeyId=key_id) == {}
    await call(kms, "CreateAlias", AliasName="alias/b", TargetKeyId=key_id)
    first = await call(kms, "ListAliases", KeyId=key_id, Limit=1)
    assert [a["AliasName"] for a in first["Aliases"]] == ["alias/a"]
    assert first["Truncated"] is True
    rest = await call(kms, "ListAliases", Marker=first["NextMarker"])
    assert [a["AliasName"] for a in rest["Aliases"]] == ["alias/b"]
    assert rest["Aliases"][0]["TargetKeyId"] == key_id
    assert await call(kms, "DeleteAlias", AliasName="alias/a") == {}


async def test_crypto_operations_parse_in_botocore(kms: KeyService) -> None:
    key = (await call(kms, "CreateKey"))["KeyMetadata"]
    context = {"k": "v"}
    sealed = await call(
        kms, "Encrypt", KeyId=key["KeyId"], Plaintext=b64(b"hi"), EncryptionContext=context
    )
    assert sealed["KeyId"] == key["Arn"]
    opened = await call(
        kms, "Decrypt", CiphertextBlob=b64(sealed["CiphertextBlob"]), EncryptionContext=context
    )
    assert (opened["Plaintext"], opened["KeyId"]) == (b"hi", key["Arn"])
    data_key = await call(kms, "GenerateDataKey", KeyId=key["Arn"], KeySpec="AES_128")
    assert len(data_key["Plaintext"]) == 16
    bare = await call(kms, "GenerateDataKeyWithoutPlaintext", KeyId=key["KeyId"], NumberOfBytes=7)
    assert set(bare) == {"CiphertextBlob", "KeyId"}
    back = await call(kms, "Decrypt", CiphertextBlob=b64(bare["CiphertextBlob"]))
    assert len(back["Plaintext"]) == 7


@pytest.mark.parametrize(
    ("operation", "members", "error_type"),
    [
        ("CreateKey", {"KeySpec": "RSA_2048"}, "UnsupportedOperationException"),
        ("CreateKey", {"KeyUsage": "SIGN_VERIFY"}, "UnsupportedOperationException"),
        ("CreateKey", {"KeyUsage": "BOGUS"}, "ValidationException"),
        ("CreateKey", {"MultiRegion": True}, "UnsupportedOperationException"),
        ("CreateKey", {"Description": 5}, "SerializationException"),
        ("Encrypt", {"KeyId": "k", "Plaintext": "%%%"}, "SerializationException"),
        ("Encrypt", {"KeyId": "k"}, "ValidationException"),
        ("Encrypt", {"KeyId": "k", "Plaintext": "aGk=", "EncryptionContext": {"a": 1}},
         "SerializationException"),
        ("Encrypt", {"KeyId": "k", "Plaintext": "aGk=", "EncryptionAlgorithm": "RSAES_OAEP_SHA_1"},
         "InvalidKeyUsageException"),
        ("GenerateDataKey", {"KeyId": "k"}, "ValidationException"),
        ("GenerateDataKey", {"KeyId": "k", "KeySpec": "AES_512"}, "ValidationException"),
        ("ListKeys", {"Limit": True}, "SerializationException"),
    ],
)  # fmt: skip
async def test_malformed_members_are_refused_before_any_key_is_touched(
    kms: KeyService, operation: str, members: dict[str, Any], error_type: str
) -> None:
    with pytest.raises(KmsApiError) as caught:
        await OPERATIONS[operation](kms, ACCOUNT, Params.from_json(json.dumps(members).encode()))
    assert caught.value.error_type == error_type


async def test_dry_run_reports_success_without_a_result(kms: KeyService) -> None:
    key_id = (await call(kms, "CreateKey"))["KeyMetadata"]["KeyId"]
    body = json.dumps({"KeyId": key_id, "Plaintext": b64(b"x"), "DryRun": True}).encode()
    with pytest.raises(KmsApiError) as caught:
        await OPERATIONS["Encrypt"](kms, ACCOUNT, Params.from_json(body))
    assert (caught.value.error_type, caught.value.status) == ("DryRunOperationException", 412)


async def test_out_of_range_numbers_are_validation_errors(kms: KeyService) -> None:
    key_id = (await call(kms, "CreateKey"))["KeyMetadata"]["KeyId"]
    with pytest.raises(KmsValidation):
        await call(kms, "GenerateDataKey", KeyId=key_id, NumberOfBytes=2048)
    with pytest.raises(KmsValidation):
        await call(kms, "ListAliases", Limit=1001)
