"""S3 Control clients against a local endpoint: botocore puts `{AccountId}.` in front of the
host of every S3 Control request (reference §7.2), which names no local host."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit, urlunsplit


def strip_account_label(request: Any, **_: Any) -> None:
    """botocore puts `{AccountId}.` in front of a custom endpoint's host: take it off."""
    account = request.headers.get("x-amz-account-id")
    account = account.decode() if isinstance(account, bytes) else account
    url = urlsplit(request.url)
    if account and url.netloc.startswith(account + "."):
        netloc = url.netloc[len(account) + 1 :]
        request.url = urlunsplit((url.scheme, netloc, url.path, url.query, url.fragment))
