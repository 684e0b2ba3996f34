"""A multipart/form-data body read as it streams (python-multipart's push parser).

`FormReader.read_fields()` reads the body up to the start of the `file` field's content and
returns the fields before it (small: bounded by `MAX_FIELDS_BYTES`); `file_data()` then
yields the file's bytes as they arrive, never holding more than one received chunk. Fields
after the file are ignored, as AWS ignores them; the rest of the body is drained so the
connection stays usable.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass, field

from python_multipart.exceptions import MultipartParseError
from python_multipart.multipart import MultipartParser, parse_options_header

from ferry.api.http import Request
from ferry.protocol.errors import S3Error, S3ErrorCode

MAX_FIELDS_BYTES = 20 * 1024  # AWS: the form fields before the file, at most 20 KB
FILE_FIELD = "file"
_C = S3ErrorCode


def _malformed(detail: str = "") -> S3Error:
    message = "The body of your POST request is not well-formed multipart/form-data."
    return S3Error(_C.MalformedPOSTRequest, f"{message} {detail}".strip())


@dataclass(slots=True)
class _Part:
    header_name: bytearray = field(default_factory=bytearray)
    header_value: bytearray = field(default_factory=bytearray)
    disposition: bytes = b""
    content_type: str = ""
    value: bytearray = field(default_factory=bytearray)
    name: str = ""
    filename: str | None = None
    is_file: bool = False


@dataclass(frozen=True, slots=True, kw_only=True)
class FormFields:
    """The fields before the file: lower-case name → value (the first of a repeated name)."""

    values: dict[str, str]
    filename: str  # the file part's filename ("" when it had none)
    file_content_type: str


def boundary_of(content_type: str) -> bytes:
    kind, options = parse_options_header(content_type)
    if kind != b"multipart/form-data" or not options.get(b"boundary"):
        raise S3Error(
            _C.InvalidArgument if kind == b"multipart/form-data" else _C.MalformedPOSTRequest,
            "POST requires a multipart/form-data body with a boundary.",
        )
    return options[b"boundary"]


class FormReader:
    def __init__(self, request: Request) -> None:
        self._source = request.stream()
        self._fields: dict[str, str] = {}
        self._fields_bytes = 0
        self._part: _Part | None = None
        self._file: _Part | None = None
        self._file_done = False
        self._pending: list[bytes] = []  # file bytes parsed but not yet yielded
        self._ended = False
        self._parser = MultipartParser(
            boundary_of(request.headers.get("content-type", "")),
            {
                "on_part_begin": self._part_begin,
                "on_header_field": self._header_field,
                "on_header_value": self._header_value,
                "on_header_end": self._header_end,
                "on_headers_finished": self._headers_finished,
                "on_part_data": self._part_data,
                "on_part_end": self._part_end,
                "on_end": self._end,
            },
        )

    # ---- parser callbacks ----------------------------------------------------------------

    def _part_begin(self) -> None:
        self._part = _Part()

    def _header_field(self, data: bytes, start: int, end: int) -> None:
        assert self._part is not None
        self._part.header_name += data[start:end]

    def _header_value(self, data: bytes, start: int, end: int) -> None:
        assert self._part is not None
        self._part.header_value += data[start:end]

    def _header_end(self) -> None:
        part = self._part
        assert part is not None
        name = part.header_name.decode("latin-1").strip().lower()
        if name == "content-disposition":
            part.disposition = bytes(part.header_value)
        elif name == "content-type":
            part.content_type = part.header_value.decode("latin-1").strip()
        part.header_name.clear()
        part.header_value.clear()

    def _headers_finished(self) -> None:
        part = self._part
        assert part is not None
        kind, options = parse_options_header(part.disposition)
        if kind != b"form-data" or b"name" not in options:
            raise _malformed("A part has no form-data name.")
        part.name = options[b"name"].decode("utf-8", "replace")
        filename = options.get(b"filename")
        part.filename = filename.decode("utf-8", "replace") if filename is not None else None
        part.is_file = part.name.lower() == FILE_FIELD and self._file is None
        if part.is_file:
            self._file = part

    def _part_data(self, data: bytes, start: int, end: int) -> None:
        part = self._part
        assert part is not None
        if part.is_file:
            self._pending.append(data[start:end])
            return
        if self._file is not None:
            return  # after the file: ignored
        self._fields_bytes += end - start
        if self._fields_bytes > MAX_FIELDS_BYTES:
            raise S3Error(
                _C.InvalidArgument,
                "Your POST request fields preceding the upload file were too large.",
            )
        part.value += data[start:end]

    def _part_end(self) -> None:
        part = self._part
        assert part is not None
        if part.is_file:
            self._file_done = True
        elif self._file is None:
            self._fields.setdefault(part.name.lower(), part.value.decode("utf-8", "replace"))
        self._part = None

    def _end(self) -> None:
        self._ended = True

    # ---- reading ------------------------------------------------------------------------

    async def _feed_next(self) -> bool:
        """Parse the next received chunk; False at the end of the body."""
        chunk = await anext(self._source, None)
        if chunk is None:
            return False
        try:
            self._parser.write(chunk)
        except MultipartParseError as exc:
            raise _malformed() from exc
        return True

    async def read_fields(self) -> FormFields:
        while self._file is None:
            if not await self._feed_next():
                if not self._ended and not self._fields:
                    raise _malformed()
                raise S3Error(
                    _C.InvalidArgument,
                    "POST requires exactly one file upload per request.",
                    ArgumentName="file",
                    ArgumentValue="0",
                )
        file = self._file
        return FormFields(
            values=dict(self._fields),
            filename=file.filename or "",
            file_content_type=file.content_type,
        )

    async def file_data(self) -> AsyncIterator[bytes]:
        while True:
            while self._pending:
                yield self._pending.pop(0)
            if self._file_done:
                break
            if not await self._feed_next():
                raise S3Error(_C.IncompleteBody, "The POST body ended inside the file.")
        async for _ in self._source:  # drain what follows the file (ignored fields)
            pass
