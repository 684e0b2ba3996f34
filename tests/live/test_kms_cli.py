"""The regional key service driven by the aws CLI (`aws kms … --endpoint-url`), and the raw
JSON error shapes a KMS client relies on."""

from __future__ import annotations

import base64
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import httpx
import pytest
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

from tests.live.server import ACCESS_KEY, SECRET_KEY, FerryServer, free_port
from tests.live.test_aws_cli import aws_cli


def kms_cli(
    server: FerryServer, *args: str, **env_overrides: str
) -> subprocess.CompletedProcess[str]:
    env = server.env()
    env.pop("AWS_PROFILE", None)
    env["AWS_CONFIG_FILE"] = os.devnull
    env["AWS_SHARED_CREDENTIALS_FILE"] = os.devnull
    env["AWS_MAX_ATTEMPTS"] = "1"
    env.update(env_overrides)
    return subprocess.run(
        [*aws_cli(), "--endpoint-url", server.endpoint, "--region", server.region, "kms", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )


def kms(server: FerryServer, *args: str) -> Any:
    result = kms_cli(server, *args)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout) if result.stdout.strip() else None


def kms_fails(server: FerryServer, error_type: str, *args: str, **env: str) -> str:
    result = kms_cli(server, *args, **env)
    assert result.returncode != 0, result.stdout
    assert f"({error_type})" in result.stderr, result.stderr
    return result.stderr


def test_key_lifecycle_and_aliases(server: FerryServer) -> None:
    key = kms(server, "create-key", "--description", "orders key")["KeyMetadata"]
    key_id = key["KeyId"]
    assert key["Arn"] == f"arn:aws:kms:{server.region}:000000000001:key/{key_id}"
    assert (key["KeyState"], key["Enabled"], key["KeyManager"]) == ("Enabled", True, "CUSTOMER")
    assert (key["KeySpec"], key["KeyUsage"], key["Description"]) == (
        "SYMMETRIC_DEFAULT",
        "ENCRYPT_DECRYPT",
        "orders key",
    )
    listed = kms(server, "list-keys")["Keys"]
    assert {"KeyId": key_id, "KeyArn": key["Arn"]} in listed
    kms(server, "create-alias", "--alias-name", "alias/orders", "--target-key-id", key_id)
    aliases = kms(server, "list-aliases", "--key-id", key_id)["Aliases"]
    assert [(a["AliasName"], a["TargetKeyId"]) for a in aliases] == [("alias/orders", key_id)]
    assert aliases[0]["AliasArn"] == key["Arn"].replace(f"key/{key_id}", "alias/orders")
    described = kms(server, "describe-key", "--key-id", "alias/orders")["KeyMetadata"]
    assert described["KeyId"] == key_id
    kms(server, "delete-alias", "--alias-name", "alias/orders")
    assert kms(server, "list-aliases", "--key-id", key_id)["Aliases"] == []


def test_disable_enable_and_scheduled_deletion(server: FerryServer) -> None:
    key_id = kms(server, "create-key")["KeyMetadata"]["KeyId"]
    kms(server, "disable-key", "--key-id", key_id)
    disabled = kms(server, "describe-key", "--key-id", key_id)["KeyMetadata"]
    assert (disabled["KeyState"], disabled["Enabled"]) == ("Disabled", False)
    kms_fails(server, "DisabledException", "encrypt", "--key-id", key_id, "--plaintext", "x")
    kms(server, "enable-key", "--key-id", key_id)
    scheduled = kms(
        server, "schedule-key-deletion", "--key-id", key_id, "--pending-window-in-days", "7"
    )
    assert (scheduled["KeyState"], scheduled["PendingWindowInDays"]) == ("PendingDeletion", 7)
    assert scheduled["KeyId"].endswith(key_id) and "DeletionDate" in scheduled
    kms_fails(server, "KMSInvalidStateException", "enable-key", "--key-id", key_id)
    assert kms(server, "cancel-key-deletion", "--key-id", key_id)["KeyId"].endswith(key_id)
    assert kms(server, "describe-key", "--key-id", key_id)["KeyMetadata"]["KeyState"] == (
        "Disabled"
    )


def test_encrypt_decrypt_and_data_keys(server: FerryServer, tmp_path: Path) -> None:
    key = kms(server, "create-key")["KeyMetadata"]
    secret = tmp_path / "secret.txt"
    secret.write_bytes(b"the launch codes")
    encrypted = kms(
        server, "encrypt", "--key-id", key["KeyId"], "--plaintext", f"fileb://{secret}",
        "--encryption-context", "purpose=test,team=ferry",
    )  # fmt: skip
    assert encrypted["KeyId"] == key["Arn"]
    blob = tmp_path / "blob.bin"
    blob.write_bytes(base64.b64decode(encrypted["CiphertextBlob"]))
    decrypted = kms(
        server, "decrypt", "--ciphertext-blob", f"fileb://{blob}",
        "--encryption-context", "team=ferry,purpose=test",
    )  # fmt: skip
    assert base64.b64decode(decrypted["Plaintext"]) == b"the launch codes"
    assert decrypted["KeyId"] == key["Arn"]
    kms_fails(
        server, "InvalidCiphertextException", "decrypt", "--ciphertext-blob", f"fileb://{blob}",
        "--encryption-context", "purpose=other,team=ferry",
    )  # fmt: skip
    data_key = kms(server, "generate-data-key", "--key-id", key["Arn"], "--key-spec", "AES_256")
    assert len(base64.b64decode(data_key["Plaintext"])) == 32
    blob.write_bytes(base64.b64decode(data_key["CiphertextBlob"]))
    back = kms(server, "decrypt", "--ciphertext-blob", f"fileb://{blob}", "--key-id", key["KeyId"])
    assert back["Plaintext"] == data_key["Plaintext"]
    bare = kms(
        server, "generate-data-key-without-plaintext", "--key-id", key["KeyId"],
        "--number-of-bytes", "64",
    )  # fmt: skip
    assert "Plaintext" not in bare and bare["KeyId"] == key["Arn"]


def test_errors_come_back_in_kms_shape(server: FerryServer) -> None:
    bogus = "11111111-2222-4333-8444-555555555555"
    kms_fails(server, "NotFoundException", "describe-key", "--key-id", bogus)
    key_id = kms(server, "create-key")["KeyMetadata"]["KeyId"]
    kms_fails(
        server, "ValidationException", "schedule-key-deletion", "--key-id", key_id,
        "--pending-window-in-days", "3",
    )  # fmt: skip
    kms_fails(
        server, "InvalidAliasNameException", "create-alias", "--alias-name", "alias/aws/mine",
        "--target-key-id", key_id,
    )  # fmt: skip
    kms_fails(
        server, "ValidationException", "generate-data-key", "--key-id", key_id,
        "--key-spec", "AES_256", "--number-of-bytes", "32",
    )  # fmt: skip
    kms_fails(
        server, "UnrecognizedClientException", "list-keys",
        AWS_ACCESS_KEY_ID="NOSUCHACCESSKEY00000",
    )  # fmt: skip
    kms_fails(server, "InvalidSignatureException", "list-keys", AWS_SECRET_ACCESS_KEY="wrong")


def signed_headers(server: FerryServer, target: str, body: bytes) -> dict[str, str]:
    request = AWSRequest(
        method="POST",
        url=server.endpoint + "/",
        data=body,
        headers={"Content-Type": "application/x-amz-json-1.1", "X-Amz-Target": target},
    )
    SigV4Auth(Credentials(ACCESS_KEY, SECRET_KEY), "kms", server.region).add_auth(request)
    return dict(request.headers.items())


@pytest.mark.parametrize(
    ("target", "body", "error_type"),
    [
        ("TrentService.ListKeys", b"{not json", "SerializationException"),
        ("TrentService.DescribeKey", b'{"KeyId": 7}', "SerializationException"),
        ("TrentService.DescribeKey", b"{}", "ValidationException"),
        ("TrentService.RotateTheUniverse", b"{}", "UnknownOperationException"),
        ("TrentService.Decrypt", b'{"CiphertextBlob": "AAAA"}', "InvalidCiphertextException"),
    ],
)
def test_raw_protocol_errors(
    server: FerryServer, target: str, body: bytes, error_type: str
) -> None:
    headers = signed_headers(server, target, body)
    response = httpx.post(server.endpoint + "/", content=body, headers=headers)
    assert response.status_code == 400
    assert response.headers["content-type"] == "application/x-amz-json-1.1"
    assert response.json()["__type"] == error_type


def test_signed_body_is_verified(server: FerryServer) -> None:
    """The signature covers the body: the same headers with another body are refused."""
    headers = signed_headers(server, "TrentService.ListKeys", b"{}")
    assert httpx.post(server.endpoint + "/", content=b"{}", headers=headers).status_code == 200
    tampered = httpx.post(server.endpoint + "/", content=b'{"Limit":1}', headers=headers)
    assert tampered.status_code == 400
    assert tampered.json()["__type"] == "InvalidSignatureException"


def test_master_key_is_generated_private_and_a_bad_one_stops_the_server(
    server: FerryServer, tmp_path: Path
) -> None:
    generated = server.data_dir / "master.key"
    assert generated.stat().st_mode & 0o777 == 0o600
    assert len(generated.read_bytes()) == 32
    bad = tmp_path / "short.key"
    bad.write_bytes(b"too short")
    env = {**server.env(), "FERRY_MASTER_KEY_FILE": str(bad)}
    result = subprocess.run(
        [sys.executable, "-m", "ferry", "serve", "--region", "us-east-1", "--port",
         str(free_port()), "--data-dir", str(tmp_path / "data"), "--no-banner"],
        env=env, capture_output=True, text=True, timeout=30,
    )  # fmt: skip
    assert result.returncode == 2
    assert f"{bad}: a master key must be 32 bytes" in result.stdout
    assert "Traceback" not in result.stdout + result.stderr


def test_unsigned_kms_call_gets_kms_error_shape(server: FerryServer) -> None:
    response = httpx.post(
        server.endpoint + "/",
        content=b"{}",
        headers={
            "Content-Type": "application/x-amz-json-1.1",
            "X-Amz-Target": "TrentService.ListKeys",
        },
    )
    assert response.status_code == 400
    assert response.json()["__type"] == "MissingAuthenticationTokenException"
