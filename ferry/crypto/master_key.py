"""The region master key: the root of a region's key hierarchy (docs/encryption.md).

Every key a region keeps at rest — KMS key material, SSE-S3 data keys — is wrapped under it.
It is 32 random bytes, configured per region (`master_key_file` in the region's table of
ferry.toml, or FERRY_MASTER_KEY_FILE for `ferry serve`), or else generated on first start at
`<region data dir>/master.key` (mode 0600) and reused afterwards. It is never hard-coded,
printed or logged: `MasterKey`'s repr is redacted and errors name the file, not its content.

The file holds the 32 bytes raw, or as 64 hex digits (so `openssl rand -hex 32 > key` works).
"""

from __future__ import annotations

import contextlib
import os
import secrets
import stat
from pathlib import Path

from ferry.config import ConfigError
from ferry.crypto.envelope import KEY_BYTES, open_sealed, seal

MASTER_KEY_FILE_NAME = "master.key"
_HEX_DIGITS = frozenset(b"0123456789abcdefABCDEF")


class MasterKey:
    """Wraps and unwraps small secrets (keys) under the region master key (AES-256-GCM)."""

    __slots__ = ("_key",)

    def __init__(self, key: bytes) -> None:
        if len(key) != KEY_BYTES:
            raise ValueError("a master key is 32 bytes")
        self._key = bytes(key)

    def wrap(self, plaintext: bytes, aad: bytes) -> bytes:
        """A versioned, authenticated blob; only `unwrap` with the same `aad` opens it."""
        return seal(self._key, plaintext, aad)

    def unwrap(self, blob: bytes, aad: bytes) -> bytes:
        """The wrapped plaintext; `DecryptionFailed` if blob or aad differ from `wrap`'s."""
        return open_sealed(self._key, blob, aad)

    def __repr__(self) -> str:
        return "MasterKey(**********)"


def generate_master_key() -> MasterKey:
    return MasterKey(secrets.token_bytes(KEY_BYTES))


def load_master_key(path: Path) -> MasterKey:
    """The key in `path`; ConfigError naming the file if it is unreadable or not 32 bytes."""
    try:
        content = path.read_bytes()
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read master key: {exc.strerror or exc}") from None
    return MasterKey(_parse_key(path, content))


def load_or_create_master_key(configured: Path | None, data_dir: Path) -> MasterKey:
    """The configured key file's key; without one, `<data_dir>/master.key`, created with mode
    0600 on first use. A configured file is never created: a typo must not silently start a
    region with a fresh key that cannot open the data already there."""
    if configured is not None:
        return load_master_key(configured)
    path = data_dir / MASTER_KEY_FILE_NAME
    if not path.exists():
        _create_key_file(path)
    return load_master_key(path)


def _parse_key(path: Path, content: bytes) -> bytes:
    if len(content) == KEY_BYTES:
        return content
    text = content.strip()
    if len(text) == 2 * KEY_BYTES and all(c in _HEX_DIGITS for c in text):
        return bytes.fromhex(text.decode("ascii"))
    raise ConfigError(
        f"{path}: a master key must be {KEY_BYTES} bytes, raw or as {2 * KEY_BYTES} hex digits "
        f"(the file has {len(content)} bytes)"
    )


def _create_key_file(path: Path) -> None:
    """Write a fresh key atomically: tmp (0600) → fsync → link. Linking never replaces, so two
    processes of one region starting together agree on whichever key landed first."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}.tmp")
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0)
    try:
        fd = os.open(tmp, flags, stat.S_IRUSR | stat.S_IWUSR)
        try:
            os.write(fd, secrets.token_bytes(KEY_BYTES))
            os.fsync(fd)
        finally:
            os.close(fd)
        with contextlib.suppress(FileExistsError):
            os.link(tmp, path)
        dir_fd = os.open(path.parent, os.O_RDONLY)
        try:
            os.fsync(dir_fd)
        finally:
            os.close(dir_fd)
    except OSError as exc:
        raise ConfigError(f"{path}: cannot create master key: {exc.strerror or exc}") from None
    finally:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
