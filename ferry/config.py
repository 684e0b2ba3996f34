"""Ferry's settings: one region's serving parameters and the deployment's root credentials.

`ferry serve` needs no file: every setting has a default, overridable by flags and the
`FERRY_*` environment variables. (The `ferry.toml` deployment file arrives with `ferry up`.)
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass, field
from pathlib import Path

from ferry.core.secret import Secret

DEFAULT_ROOT_ACCESS_KEY = "FERRYROOTACCESSKEY00"
DEFAULT_ROOT_SECRET_KEY = "ferry-root-secret-key-change-me"
DEFAULT_ROOT_ACCOUNT_ID = "000000000001"
DEFAULT_VIRTUAL_HOST_DOMAINS = ("localhost", "s3.localhost", "localhost.localstack.cloud")


class ConfigError(Exception):
    """A setting is missing or wrong; the message names where and what."""


@dataclass(frozen=True, slots=True, kw_only=True)
class RootCredentials:
    access_key: str
    secret_key: Secret
    account_id: str
    defaulted: bool

    @property
    def canonical_id(self) -> str:
        # S3 shows owners by a 64-hex canonical user ID; derive a stable one from the account.
        return hashlib.sha256(f"ferry-account:{self.account_id}".encode()).hexdigest()


@dataclass(frozen=True, slots=True, kw_only=True)
class RegionConfig:
    name: str
    host: str = "127.0.0.1"
    port: int = 9000
    data_dir: Path = Path("ferry-data/us-east-1")
    virtual_host_domains: tuple[str, ...] = field(default=DEFAULT_VIRTUAL_HOST_DOMAINS)

    @property
    def endpoint(self) -> str:
        return f"http://{self.host}:{self.port}"


def root_credentials_from_env(environ: dict[str, str] | None = None) -> RootCredentials:
    env = os.environ if environ is None else environ
    access = env.get("FERRY_ROOT_ACCESS_KEY", "")
    secret = env.get("FERRY_ROOT_SECRET_KEY", "")
    if bool(access) != bool(secret):
        raise ConfigError("FERRY_ROOT_ACCESS_KEY and FERRY_ROOT_SECRET_KEY must be set together")
    if access and len(access) < 3:
        raise ConfigError("FERRY_ROOT_ACCESS_KEY: must be at least 3 characters")
    return RootCredentials(
        access_key=access or DEFAULT_ROOT_ACCESS_KEY,
        secret_key=Secret(secret or DEFAULT_ROOT_SECRET_KEY),
        account_id=env.get("FERRY_ROOT_ACCOUNT_ID", DEFAULT_ROOT_ACCOUNT_ID),
        defaulted=not access,
    )
