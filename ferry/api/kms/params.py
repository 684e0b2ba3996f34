"""KMS JSON request bodies → typed values. No `dict[str, Any]` travels past this module.

Type mismatches are `SerializationException`, as AWS's JSON protocol front end reports them;
missing or out-of-range members are `ValidationException` in AWS's "1 validation error
detected" wording.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Mapping
from typing import Any

from ferry.api.kms.errors import serialization_error, validation_error


class Params:
    """The members of one request body."""

    def __init__(self, members: Mapping[str, Any]) -> None:
        self._members = members

    @classmethod
    def from_json(cls, body: bytes) -> Params:
        if not body.strip():
            return cls({})
        try:
            document = json.loads(body)
        except (ValueError, UnicodeDecodeError):
            raise serialization_error("The request body is not valid JSON") from None
        if not isinstance(document, dict):
            raise serialization_error("Start of list found where not expected")
        return cls(document)

    def string(
        self, name: str, *, required: bool = False, min_chars: int = 1, max_chars: int = 2048
    ) -> str | None:
        value = self._get(name, str, "a string", required)
        assert value is None or isinstance(value, str)
        if value is not None and not min_chars <= len(value) <= max_chars:
            raise validation_error(
                f"Value at '{_camel(name)}' failed to satisfy constraint: Member must have "
                f"length between {min_chars} and {max_chars}"
            )
        return value

    def required_string(self, name: str, *, max_chars: int = 2048) -> str:
        value = self.string(name, required=True, max_chars=max_chars)
        assert value is not None
        return value

    def integer(self, name: str) -> int | None:
        value = self._get(name, int, "a number", False)
        if isinstance(value, bool):
            raise serialization_error(f"{name}: expected a number")
        assert value is None or isinstance(value, int)
        return value

    def boolean(self, name: str) -> bool:
        return bool(self._get(name, bool, "a boolean", False))

    def blob(self, name: str, *, required: bool = False) -> bytes | None:
        encoded = self._get(name, str, "a base64 string", required)
        if encoded is None:
            return None
        try:
            return base64.b64decode(encoded, validate=True)
        except (binascii.Error, ValueError):
            raise serialization_error(f"{name}: not valid base64") from None

    def context(self, name: str = "EncryptionContext") -> dict[str, str]:
        value = self._get(name, dict, "a map", False)
        if value is None:
            return {}
        if not all(isinstance(k, str) and isinstance(v, str) for k, v in value.items()):
            raise serialization_error(f"{name}: keys and values must be strings")
        return dict(value)

    def _get(self, name: str, kind: type, described: str, required: bool) -> Any:
        value = self._members.get(name)
        if value is None:
            if required:
                raise validation_error(
                    f"Value null at '{_camel(name)}' failed to satisfy constraint: "
                    "Member must not be null"
                )
            return None
        if not isinstance(value, kind):
            raise serialization_error(f"{name}: expected {described}")
        return value


def _camel(name: str) -> str:
    return name[:1].lower() + name[1:]
