"""The AWS query protocol (IAM, STS): form-encoded requests in, XML documents out.

Responses are `<{Action}Response xmlns=NS><{Action}Result>…</{Action}Result>
<ResponseMetadata><RequestId>…</RequestId></ResponseMetadata></{Action}Response>`; lists are
`<Name><member>…</member>…</Name>`; errors are `<ErrorResponse xmlns=NS><Error><Type>Sender
</Type><Code>…</Code><Message>…</Message></Error><RequestId>…</RequestId></ErrorResponse>`.

A result is a sequence of `(element name, value)` fields, where a value is text, a number,
a boolean, an aware datetime, None (the element is left out) or, for a nested element, a
sequence of fields again. Callers map their records to fields; this module knows no IAM.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from urllib.parse import parse_qsl

from ferry.protocol.xml._xml import XML_DECLARATION, escape, format_bool

IAM_NAMESPACE = "https://iam.amazonaws.com/doc/2010-05-08/"
STS_NAMESPACE = "https://sts.amazonaws.com/doc/2011-06-15/"

Value = str | int | bool | datetime | None | Sequence["Field"]
Field = tuple[str, Value]


class MalformedQuery(ValueError):
    """The form body is not valid `application/x-www-form-urlencoded` UTF-8."""


def parse_form(body: bytes) -> dict[str, str]:
    """A form-encoded query request's parameters (the first value of each name)."""
    try:
        pairs = parse_qsl(
            body.decode("utf-8"), keep_blank_values=True, strict_parsing=False, errors="strict"
        )
    except (UnicodeDecodeError, ValueError) as exc:
        raise MalformedQuery(str(exc)) from exc
    params: dict[str, str] = {}
    for name, value in pairs:
        params.setdefault(name, value)
    return params


def members(values: Iterable[Value]) -> list[Field]:
    """A list's elements: each value as a `<member>`."""
    return [("member", value) for value in values]


def format_iam_timestamp(moment: datetime) -> str:
    """IAM writes times to the second: `2026-12-02T11:03:03Z`."""
    if moment.utcoffset() is None:
        raise ValueError("naive datetime; Ferry renders aware UTC datetimes only")
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _render(fields: Sequence[Field], out: list[str]) -> None:
    for name, value in fields:
        if value is None:
            continue
        if isinstance(value, bool):
            out.append(f"<{name}>{format_bool(value)}</{name}>")
        elif isinstance(value, int):
            out.append(f"<{name}>{value}</{name}>")
        elif isinstance(value, str):
            out.append(f"<{name}>{escape(value)}</{name}>")
        elif isinstance(value, datetime):
            out.append(f"<{name}>{format_iam_timestamp(value)}</{name}>")
        else:
            out.append(f"<{name}>")
            _render(value, out)
            out.append(f"</{name}>")


def render_response(
    action: str, namespace: str, result: Sequence[Field] | None, request_id: str
) -> bytes:
    """`result` None: the action has no result element (DeleteUser and the like)."""
    out = [XML_DECLARATION, f'<{action}Response xmlns="{namespace}">']
    if result is not None:
        out.append(f"<{action}Result>")
        _render(result, out)
        out.append(f"</{action}Result>")
    out.append(f"<ResponseMetadata><RequestId>{escape(request_id)}</RequestId></ResponseMetadata>")
    out.append(f"</{action}Response>")
    return "".join(out).encode()


def render_error(
    namespace: str, *, code: str, message: str, request_id: str, sender: bool = True
) -> bytes:
    kind = "Sender" if sender else "Receiver"
    return (
        f'{XML_DECLARATION}<ErrorResponse xmlns="{namespace}"><Error><Type>{kind}</Type>'
        f"<Code>{escape(code)}</Code><Message>{escape(message)}</Message></Error>"
        f"<RequestId>{escape(request_id)}</RequestId></ErrorResponse>"
    ).encode()
