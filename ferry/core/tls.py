"""TLS: the certificate a region serves, and what clients verify other endpoints against.

Clients always verify: against the deployment's CA bundle when it names one (a private CA),
else against httpx's default roots (certifi). The one exception is the loopback liveness probe
of `ferry up` and `ferry status`, which asks a process this machine started whether it answers;
it sends no credentials and trusts nothing it reads beyond the status code.
"""

from __future__ import annotations

import ssl
from pathlib import Path

from ferry.core.errors import FerryError


class TLSFileError(FerryError):
    """A certificate, key or CA bundle that cannot be loaded."""


def check_server_files(cert: Path, key: Path) -> None:
    """Load the pair as the server will, so a bad file stops start-up with its name."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    try:
        context.load_cert_chain(cert, key)
    except (OSError, ssl.SSLError) as exc:
        raise TLSFileError(f"cannot load certificate {cert} with key {key}: {exc}") from exc


def client_verification(ca_bundle: Path | None) -> ssl.SSLContext | bool:
    """httpx's `verify`: a context trusting the bundle, or True (httpx's default roots)."""
    if ca_bundle is None:
        return True
    try:
        return ssl.create_default_context(cafile=str(ca_bundle))
    except (OSError, ssl.SSLError) as exc:
        raise TLSFileError(f"cannot load CA bundle {ca_bundle}: {exc}") from exc


def loopback_probe() -> ssl.SSLContext:
    """For liveness probes of our own child processes on loopback only (see above)."""
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    return context
