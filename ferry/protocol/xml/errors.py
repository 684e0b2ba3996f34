"""The S3 error body: `<Error><Code/><Message/>…</Error>`."""

from __future__ import annotations

from dataclasses import dataclass

from ferry.protocol.errors import S3Error
from ferry.protocol.xml._xml import document, element, optional_element


@dataclass(frozen=True, slots=True, kw_only=True)
class ErrorBody:
    """What an error response says.

    `fields` are the extra elements S3 adds for some codes (`BucketName`, `Key`,
    `ArgumentName`…), written in the given order between `Message` and `Resource`.
    """

    code: str
    message: str
    resource: str | None = None
    request_id: str | None = None
    host_id: str | None = None
    fields: tuple[tuple[str, str], ...] = ()


def error_body(
    error: S3Error,
    *,
    resource: str | None = None,
    request_id: str | None = None,
    host_id: str | None = None,
) -> ErrorBody:
    """The body for an `S3Error`, its extra fields included."""
    return ErrorBody(
        code=error.code.value,
        message=error.message,
        resource=resource,
        request_id=request_id,
        host_id=host_id,
        fields=tuple(error.fields.items()),
    )


def render_error(body: ErrorBody) -> bytes:
    """The error document; like S3, its root carries no namespace."""
    extra = "".join(element(name, value) for name, value in body.fields)
    return document(
        "Error",
        element("Code", body.code)
        + element("Message", body.message)
        + extra
        + optional_element("Resource", body.resource)
        + optional_element("RequestId", body.request_id)
        + optional_element("HostId", body.host_id),
        xmlns=False,
    )
