"""Signed calls to a region's admin API (`/_ferry/...`), as the deployment root, for the
operator commands (`ferry failures`, `quota`, `accounts`).

Which region: `--endpoint URL` (one region), or the deployment (`--config FILE`, else
./ferry.toml, else the embedded default) and `--region NAME` to pick one of its regions.
Credentials: FERRY_ROOT_ACCESS_KEY/FERRY_ROOT_SECRET_KEY, else AWS_ACCESS_KEY_ID/
AWS_SECRET_ACCESS_KEY, else the config file's `[root]`, else the built-in default.
"""

from __future__ import annotations

import argparse
import json
import os
import ssl
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from ferry.cli.deployment_file import resolve_deployment
from ferry.client import Credentials, SigV4Auth
from ferry.config import ConfigError, RootCredentials, root_credentials_from_env
from ferry.core.secret import Secret
from ferry.core.tls import TLSFileError, client_verification

DEFAULT_ENDPOINT = "http://127.0.0.1:9000"
DEFAULT_SIGNING_REGION = "us-east-1"
TIMEOUT_S = 30.0


class CommandError(Exception):
    """Printed as `ferry <command>: <message>`; exit status 1."""


def connection_options(
    region_help: str = "only this region of the deployment",
) -> argparse.ArgumentParser:
    """Options every admin-API command shares (parent parser)."""
    options = argparse.ArgumentParser(add_help=False)
    options.add_argument(
        "--endpoint", help="one region's endpoint (default: the deployment's regions)"
    )
    options.add_argument(
        "--config", type=Path, help="the deployment's ferry.toml (default: ./ferry.toml if any)"
    )
    options.add_argument("--region", help=region_help)
    options.add_argument("--json", action="store_true", help="print JSON for scripts")
    options.add_argument(
        "--ca-bundle",
        type=Path,
        help="CA certificates (PEM) to verify HTTPS endpoints against "
        "(default: the deployment's [tls] ca_bundle, else $AWS_CA_BUNDLE)",
    )
    return options


class AdminClient:
    """Signed calls to one region's admin API."""

    def __init__(
        self, endpoint: str, credentials: Credentials, verify: ssl.SSLContext | bool = True
    ) -> None:
        self.verify = verify  # how HTTPS endpoints are verified, for clients opened later
        self._http = httpx.Client(
            base_url=endpoint, auth=SigV4Auth(credentials), timeout=TIMEOUT_S, verify=verify
        )

    def close(self) -> None:
        self._http.close()

    @property
    def http(self) -> httpx.Client:
        """The signed client itself, for S3 and S3 Control calls (`ferry failures redrive`)."""
        return self._http

    def call(
        self,
        method: str,
        path: str,
        params: Mapping[str, str] | None = None,
        body: Mapping[str, str] | None = None,
    ) -> Any:
        """The JSON document of a 2xx answer; anything else is a CommandError."""
        status, document = self.answer(
            method,
            path,
            params,
            content=json.dumps(body).encode() if body is not None else None,
            content_type="application/json" if body is not None else None,
        )
        if status >= 300:
            raise CommandError(f"{document.get('error')}: {document.get('message')}")
        return document

    def answer(
        self,
        method: str,
        path: str,
        params: Mapping[str, str] | None = None,
        *,
        content: bytes | None = None,
        content_type: str | None = None,
    ) -> tuple[int, dict[str, Any]]:
        """The status and JSON document of any answer, an error's or a redirect's included;
        CommandError when the region cannot be reached or does not answer a JSON object."""
        try:
            response = self._http.request(
                method,
                path,
                params=dict(params or {}),
                content=content,
                headers={"content-type": content_type} if content_type is not None else None,
            )
        except httpx.HTTPError as exc:
            raise CommandError(f"cannot reach {self._http.base_url}: {exc}") from exc
        try:
            document = response.json()
        except ValueError as exc:
            raise CommandError(f"HTTP {response.status_code}: {response.text[:200]}") from exc
        if not isinstance(document, dict):
            raise CommandError(f"HTTP {response.status_code}: not a JSON object")
        return response.status_code, document


@dataclass(frozen=True, slots=True)
class RegionClient:
    """One region a command talks to: its name and its signed client."""

    region: str
    client: AdminClient


def connect(args: argparse.Namespace) -> AdminClient:
    """One region: `--endpoint`, else `--region` of the deployment, else its first region."""
    return connect_all(args, first_only=True)[0].client


def connect_all(args: argparse.Namespace, *, first_only: bool = False) -> list[RegionClient]:
    """Every region the options name: the one `--endpoint`, else the deployment's regions (or
    only `--region`; `first_only`: only the first)."""
    if args.endpoint is not None:
        if args.config is not None:
            raise CommandError("--endpoint and --config: choose one")
        verify = _verification(getattr(args, "ca_bundle", None))
        name = args.region or _region_of(args.endpoint, verify)
        return [RegionClient(name, open_admin_client(args.endpoint, name, verify=verify))]
    try:
        deployment = resolve_deployment(args.config)
        regions = [deployment.region(args.region)] if args.region else list(deployment.regions)
    except ConfigError as exc:
        raise CommandError(str(exc)) from exc
    verify = _verification(getattr(args, "ca_bundle", None) or deployment.tls_ca_bundle)
    chosen = regions[:1] if first_only else regions
    return [
        RegionClient(r.name, open_admin_client(r.endpoint, r.name, deployment.root, verify))
        for r in chosen
    ]


def _verification(ca_bundle: Path | None) -> ssl.SSLContext | bool:
    """The option or the deployment's bundle, else $AWS_CA_BUNDLE (as the aws CLI reads it)."""
    bundle = ca_bundle or (
        Path(os.environ["AWS_CA_BUNDLE"]) if os.environ.get("AWS_CA_BUNDLE") else None
    )
    try:
        return client_verification(bundle)
    except TLSFileError as exc:
        raise CommandError(str(exc)) from exc


def open_admin_client(
    endpoint: str,
    region: str,
    root: RootCredentials | None = None,
    verify: ssl.SSLContext | bool = True,
) -> AdminClient:
    """A client of the region at `endpoint`, signing as the root (credentials: see above)."""
    env = os.environ
    if env.get("FERRY_ROOT_ACCESS_KEY") and env.get("FERRY_ROOT_SECRET_KEY"):
        access, secret = env["FERRY_ROOT_ACCESS_KEY"], Secret(env["FERRY_ROOT_SECRET_KEY"])
    elif env.get("AWS_ACCESS_KEY_ID") and env.get("AWS_SECRET_ACCESS_KEY"):
        access, secret = env["AWS_ACCESS_KEY_ID"], Secret(env["AWS_SECRET_ACCESS_KEY"])
    else:
        root = root or root_credentials_from_env({})
        access, secret = root.access_key, root.secret_key
    credentials = Credentials(access_key=access, secret_key=secret, region=region)
    return AdminClient(endpoint, credentials, verify)


def _region_of(endpoint: str, verify: ssl.SSLContext | bool) -> str:
    """The region an endpoint serves, from its (unauthenticated) health check."""
    try:
        url = endpoint.rstrip("/") + "/_ferry/health"
        health = httpx.get(url, timeout=TIMEOUT_S, verify=verify)
        return str(health.json().get("region") or DEFAULT_SIGNING_REGION)
    except (httpx.HTTPError, ValueError, AttributeError):
        return DEFAULT_SIGNING_REGION


def render_table(headers: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    widths = [max(len(str(c)) for c in column) for column in zip(headers, *rows, strict=False)]
    lines = ["  ".join(str(c).ljust(w) for c, w in zip(row, widths, strict=True)).rstrip()
             for row in [headers, *rows]]  # fmt: skip
    return "\n".join(lines)
