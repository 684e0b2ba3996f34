"""One function per KMS operation: parse the JSON members → call the key service → the
response members (shapes from botocore's `kms` service-2.json)."""

from __future__ import annotations

import base64
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any

from ferry.api.kms.errors import KmsApiError, validation_error
from ferry.api.kms.params import Params
from ferry.crypto import Alias, KeyMetadata, KeyService, KeyState, Page
from ferry.crypto.key_states import DEFAULT_PENDING_WINDOW_DAYS
from ferry.crypto.kms_records import ENCRYPTION_ALGORITHM, KEY_SPEC, KEY_USAGE, ORIGIN

Json = dict[str, Any]
Operation = Callable[[KeyService, str, Params], Awaitable[Json]]

# What CreateKey accepts besides Ferry's one kind of key: AWS's other values are valid
# requests Ferry cannot serve (UnsupportedOperationException), anything else is invalid.
_KEY_USAGES = {"SIGN_VERIFY", "ENCRYPT_DECRYPT", "GENERATE_VERIFY_MAC", "KEY_AGREEMENT"}
_DATA_KEY_BYTES = {"AES_256": 32, "AES_128": 16}


async def create_key(kms: KeyService, account: str, params: Params) -> Json:
    _check_supported(params, "KeyUsage", KEY_USAGE)
    _check_supported(params, "KeySpec", KEY_SPEC)
    _check_supported(params, "CustomerMasterKeySpec", KEY_SPEC)
    _check_supported(params, "Origin", ORIGIN)
    if params.boolean("MultiRegion"):
        raise _unsupported("Ferry does not support multi-Region keys")
    description = params.string("Description", min_chars=0, max_chars=8192) or ""
    # Policy and Tags are accepted and ignored: Ferry has no key policies (docs/encryption.md).
    key = await kms.create_key(account_id=account, description=description)
    return {"KeyMetadata": _key_metadata(key)}


async def describe_key(kms: KeyService, account: str, params: Params) -> Json:
    key = await kms.describe_key(params.required_string("KeyId"), account_id=account)
    return {"KeyMetadata": _key_metadata(key)}


async def list_keys(kms: KeyService, account: str, params: Params) -> Json:
    page = await kms.list_keys(
        account_id=account, limit=params.integer("Limit"), marker=params.string("Marker")
    )
    return _paged("Keys", [{"KeyId": k.key_id, "KeyArn": k.arn} for k in page.items], page)


async def enable_key(kms: KeyService, account: str, params: Params) -> Json:
    await kms.enable_key(params.required_string("KeyId"), account_id=account)
    return {}


async def disable_key(kms: KeyService, account: str, params: Params) -> Json:
    await kms.disable_key(params.required_string("KeyId"), account_id=account)
    return {}


async def schedule_key_deletion(kms: KeyService, account: str, params: Params) -> Json:
    days = params.integer("PendingWindowInDays")
    key = await kms.schedule_key_deletion(
        params.required_string("KeyId"), account_id=account, pending_window_days=days
    )
    assert key.deletion is not None
    return {
        "KeyId": key.arn,
        "DeletionDate": _timestamp(key.deletion),
        "KeyState": key.state.value,
        "PendingWindowInDays": DEFAULT_PENDING_WINDOW_DAYS if days is None else days,
    }


async def cancel_key_deletion(kms: KeyService, account: str, params: Params) -> Json:
    key = await kms.cancel_key_deletion(params.required_string("KeyId"), account_id=account)
    return {"KeyId": key.arn}


async def create_alias(kms: KeyService, account: str, params: Params) -> Json:
    await kms.create_alias(
        params.required_string("AliasName", max_chars=256),
        params.required_string("TargetKeyId"),
        account_id=account,
    )
    return {}


async def delete_alias(kms: KeyService, account: str, params: Params) -> Json:
    await kms.delete_alias(params.required_string("AliasName", max_chars=256), account_id=account)
    return {}


async def list_aliases(kms: KeyService, account: str, params: Params) -> Json:
    page = await kms.list_aliases(
        account_id=account,
        key_ref=params.string("KeyId"),
        limit=params.integer("Limit"),
        marker=params.string("Marker"),
    )
    return _paged("Aliases", [_alias(a) for a in page.items], page)


async def encrypt(kms: KeyService, account: str, params: Params) -> Json:
    key_ref = params.required_string("KeyId")
    plaintext = params.blob("Plaintext", required=True) or b""
    _check_algorithm(params)
    blob, arn = await kms.encrypt(key_ref, plaintext, account_id=account, context=params.context())
    _check_dry_run(params)
    return {"CiphertextBlob": _b64(blob), "KeyId": arn, "EncryptionAlgorithm": ENCRYPTION_ALGORITHM}


async def decrypt(kms: KeyService, account: str, params: Params) -> Json:
    blob = params.blob("CiphertextBlob", required=True) or b""
    _check_algorithm(params)
    plaintext, arn = await kms.decrypt(
        blob, account_id=account, context=params.context(), key_ref=params.string("KeyId")
    )
    _check_dry_run(params)
    return {"KeyId": arn, "Plaintext": _b64(plaintext), "EncryptionAlgorithm": ENCRYPTION_ALGORITHM}


async def generate_data_key(kms: KeyService, account: str, params: Params) -> Json:
    data_key = await kms.generate_data_key(
        params.required_string("KeyId"),
        account_id=account,
        context=params.context(),
        number_of_bytes=_data_key_bytes(params),
    )
    _check_dry_run(params)
    return {
        "CiphertextBlob": _b64(data_key.ciphertext),
        "Plaintext": _b64(data_key.plaintext),
        "KeyId": data_key.key_arn,
    }


async def generate_data_key_without_plaintext(
    kms: KeyService, account: str, params: Params
) -> Json:
    response = await generate_data_key(kms, account, params)
    del response["Plaintext"]
    return response


OPERATIONS: dict[str, Operation] = {
    "CreateKey": create_key,
    "DescribeKey": describe_key,
    "ListKeys": list_keys,
    "EnableKey": enable_key,
    "DisableKey": disable_key,
    "ScheduleKeyDeletion": schedule_key_deletion,
    "CancelKeyDeletion": cancel_key_deletion,
    "CreateAlias": create_alias,
    "DeleteAlias": delete_alias,
    "ListAliases": list_aliases,
    "Encrypt": encrypt,
    "Decrypt": decrypt,
    "GenerateDataKey": generate_data_key,
    "GenerateDataKeyWithoutPlaintext": generate_data_key_without_plaintext,
}


def _key_metadata(key: KeyMetadata) -> Json:
    metadata: Json = {
        "AWSAccountId": key.account_id,
        "KeyId": key.key_id,
        "Arn": key.arn,
        "CreationDate": _timestamp(key.created),
        "Enabled": key.state is KeyState.ENABLED,
        "Description": key.description,
        "KeyUsage": key.key_usage,
        "KeyState": key.state.value,
        "Origin": ORIGIN,
        "KeyManager": key.manager.value,
        "CustomerMasterKeySpec": key.key_spec,
        "KeySpec": key.key_spec,
        "EncryptionAlgorithms": [ENCRYPTION_ALGORITHM],
        "MultiRegion": False,
    }
    if key.deletion is not None:
        metadata["DeletionDate"] = _timestamp(key.deletion)
    return metadata


def _alias(alias: Alias) -> Json:
    return {
        "AliasName": alias.name,
        "AliasArn": alias.arn,
        "TargetKeyId": alias.key_id,
        "CreationDate": _timestamp(alias.created),
        "LastUpdatedDate": _timestamp(alias.updated),
    }


def _paged(member: str, items: list[Json], page: Page[Any]) -> Json:
    response: Json = {member: items, "Truncated": page.next_marker is not None}
    if page.next_marker is not None:
        response["NextMarker"] = page.next_marker
    return response


def _data_key_bytes(params: Params) -> int:
    spec = params.string("KeySpec")
    count = params.integer("NumberOfBytes")
    if (spec is None) == (count is None):
        raise validation_error("Please specify either number of bytes or key spec.")
    if spec is not None:
        if spec not in _DATA_KEY_BYTES:
            raise validation_error(
                f"Value '{spec}' at 'keySpec' failed to satisfy constraint: Member must "
                "satisfy enum value set: [AES_256, AES_128]"
            )
        return _DATA_KEY_BYTES[spec]
    assert count is not None
    return count  # the key service checks its range


def _check_supported(params: Params, name: str, supported: str) -> None:
    value = params.string(name)
    if value is None or value == supported:
        return
    if name == "KeyUsage" and value not in _KEY_USAGES:
        raise validation_error(f"Value '{value}' at 'keyUsage' failed to satisfy constraint")
    raise _unsupported(f"{name} {value} is not supported by Ferry (only {supported})")


def _check_algorithm(params: Params) -> None:
    algorithm = params.string("EncryptionAlgorithm")
    if algorithm is not None and algorithm != ENCRYPTION_ALGORITHM:
        raise KmsApiError(
            "InvalidKeyUsageException",
            f"{algorithm} is not a valid encryption algorithm for a symmetric key",
        )


def _check_dry_run(params: Params) -> None:
    """Called after the operation's checks passed: a dry run reports that it would succeed
    (its result, already computed, is dropped; these operations change no key state)."""
    if params.boolean("DryRun"):
        raise KmsApiError(
            "DryRunOperationException",
            "The request would have succeeded, but the DryRun option is set.",
            status=412,
        )


def _unsupported(message: str) -> KmsApiError:
    return KmsApiError("UnsupportedOperationException", message)


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def _timestamp(moment: datetime) -> float:
    return moment.timestamp()
