"""The region master key: configured or generated once, 0600, wrong files refused."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from ferry.config import ConfigError, RegionConfig, load_deployment, with_master_key_from_env
from ferry.crypto import (
    MASTER_KEY_FILE_NAME,
    DecryptionFailed,
    MasterKey,
    generate_master_key,
    load_master_key,
    load_or_create_master_key,
)


def test_first_start_generates_a_0600_key_file_and_later_starts_reuse_it(tmp_path: Path) -> None:
    first = load_or_create_master_key(None, tmp_path / "region")
    path = tmp_path / "region" / MASTER_KEY_FILE_NAME
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert len(path.read_bytes()) == 32
    blob = first.wrap(b"data key", b"aad")
    again = load_or_create_master_key(None, tmp_path / "region")
    assert again.unwrap(blob, b"aad") == b"data key"
    assert [p.name for p in path.parent.iterdir()] == [MASTER_KEY_FILE_NAME]  # no tmp left


def test_two_regions_generate_different_keys(tmp_path: Path) -> None:
    east = load_or_create_master_key(None, tmp_path / "east")
    west = load_or_create_master_key(None, tmp_path / "west")
    with pytest.raises(DecryptionFailed):
        west.unwrap(east.wrap(b"k", b""), b"")


def test_configured_file_is_used_raw_or_hex(tmp_path: Path) -> None:
    raw = tmp_path / "raw.key"
    raw.write_bytes(bytes(range(32)))
    hexed = tmp_path / "hex.key"
    hexed.write_text(bytes(range(32)).hex() + "\n")
    blob = load_master_key(raw).wrap(b"secret", b"ctx")
    assert load_or_create_master_key(hexed, tmp_path / "data").unwrap(blob, b"ctx") == b"secret"
    assert not (tmp_path / "data" / MASTER_KEY_FILE_NAME).exists()


@pytest.mark.parametrize("content", [b"", b"short", bytes(31), bytes(33), b"zz" * 32])
def test_wrong_length_file_is_a_config_error_naming_the_file(
    tmp_path: Path, content: bytes
) -> None:
    path = tmp_path / "bad.key"
    path.write_bytes(content)
    with pytest.raises(ConfigError, match=r"bad\.key: a master key must be 32 bytes"):
        load_or_create_master_key(path, tmp_path)


def test_missing_configured_file_is_a_config_error_and_is_not_created(tmp_path: Path) -> None:
    path = tmp_path / "typo.key"
    with pytest.raises(ConfigError, match=r"typo\.key: cannot read master key"):
        load_or_create_master_key(path, tmp_path)
    assert not path.exists()


def test_unreadable_file_is_a_config_error(tmp_path: Path) -> None:
    path = tmp_path / "a-directory.key"
    path.mkdir()  # unreadable as a file, whoever runs the test (root reads any mode)
    with pytest.raises(ConfigError, match=r"a-directory\.key: cannot read master key"):
        load_master_key(path)


def test_key_never_shows_in_repr_or_errors(tmp_path: Path) -> None:
    path = tmp_path / "k.key"
    secret = b"\x01" * 31
    path.write_bytes(secret + b"\n\n")
    with pytest.raises(ConfigError) as caught:
        load_master_key(path)
    assert secret.hex() not in str(caught.value)
    key = MasterKey(bytes(range(32)))
    assert bytes(range(32)).hex() not in repr(key)


def test_wrapped_blob_is_versioned_and_bound_to_its_aad() -> None:
    key = generate_master_key()
    blob = key.wrap(b"plaintext", b"object-1")
    assert blob[0] == 1
    assert b"plaintext" not in blob
    assert key.wrap(b"plaintext", b"object-1") != blob  # fresh nonce each time
    with pytest.raises(DecryptionFailed):
        key.unwrap(blob, b"object-2")


def test_env_overrides_the_region_master_key_file(tmp_path: Path) -> None:
    region = RegionConfig(name="us-east-1", master_key_file=tmp_path / "file.key")
    assert with_master_key_from_env(region, {}) is region
    chosen = with_master_key_from_env(region, {"FERRY_MASTER_KEY_FILE": "/etc/ferry/k"})
    assert chosen.master_key_file == Path("/etc/ferry/k")


def test_ferry_toml_names_a_master_key_file_per_region(tmp_path: Path) -> None:
    config = tmp_path / "ferry.toml"
    config.write_text(
        "[[regions]]\nname = 'us-east-1'\nport = 9100\nmaster_key_file = 'keys/east.key'\n"
        "[[regions]]\nname = 'eu-west-1'\nport = 9101\n"
    )
    east, west = load_deployment(config).regions
    assert east.master_key_file == tmp_path / "keys" / "east.key"
    assert west.master_key_file is None
    config.write_text("[[regions]]\nname = 'us-east-1'\nport = 9100\nmaster_key_file = ''\n")
    with pytest.raises(ConfigError, match=r"regions\[0\]\.master_key_file: must not be empty"):
        load_deployment(config)
