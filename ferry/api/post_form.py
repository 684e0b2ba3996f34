"""A POST Object (browser-based upload) request turned into what the S3 pipeline expects.

The form's fields before the file are read (`api/form.py`), its signature verified
(`auth.authenticate_form`) and its policy checked (`protocol/post_policy.py`); then the request
is rebuilt as the PutObject it stands for: the fields that are object headers (`acl`,
`Content-Type`, `x-amz-meta-*`, SSE, `tagging` …) become headers and the file becomes the body,
so authorisation and the object write path are PutObject's own. Nothing of the file has been
read when this returns.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass

from ferry.api.auth import Authenticated, KeyLookup, authenticate_form
from ferry.api.form import FormReader
from ferry.api.http import Message, Receive, Request
from ferry.core.clock import Clock
from ferry.protocol import xml
from ferry.protocol.errors import S3Error, S3ErrorCode
from ferry.protocol.post_policy import PostPolicy, check_fields, parse_policy

SUCCESS_STATUSES = frozenset({200, 201, 204})
DEFAULT_SUCCESS_STATUS = 204
# Form fields that are the object's headers under the same name.
HEADER_FIELDS = frozenset(
    {"cache-control", "content-type", "content-disposition", "content-encoding", "expires",
     "content-md5", "content-language"}
)  # fmt: skip
# x-amz-* fields that sign the form rather than describe the object.
SIGNING_FIELDS = frozenset(
    {"x-amz-algorithm", "x-amz-credential", "x-amz-date", "x-amz-signature",
     "x-amz-security-token"}
)  # fmt: skip
# Headers of the POST itself that the rebuilt request keeps.
KEPT_HEADERS = ("host", "user-agent", "origin", "referer", "x-amz-expected-bucket-owner")
FILENAME_VARIABLE = "${filename}"


@dataclass(frozen=True, slots=True, kw_only=True)
class PostForm:
    key: str
    policy: PostPolicy | None  # None: an anonymous form without a policy
    success_status: int
    success_redirect: str | None


def _field_headers(fields: dict[str, str]) -> dict[str, str]:
    headers: dict[str, str] = {}
    for name, value in fields.items():
        if name in HEADER_FIELDS or (name.startswith("x-amz-") and name not in SIGNING_FIELDS):
            headers[name] = value
    if "acl" in fields:
        headers["x-amz-acl"] = fields["acl"]
    if "tagging" in fields:
        tagging = xml.parse_tagging(fields["tagging"].encode(), limit=xml.OBJECT_TAG_LIMIT)
        headers["x-amz-tagging"] = xml.render_tagging_header(tagging)
    return headers


def _success_status(value: str | None) -> int:
    """AWS answers 204 for a missing or unsupported success_action_status."""
    try:
        status = int(value) if value is not None else DEFAULT_SUCCESS_STATUS
    except ValueError:
        return DEFAULT_SUCCESS_STATUS
    return status if status in SUCCESS_STATUSES else DEFAULT_SUCCESS_STATUS


def _file_receive(data: AsyncIterator[bytes]) -> Receive:
    async def receive() -> Message:
        chunk = await anext(data, None)
        if chunk is None:
            return {"type": "http.request", "body": b"", "more_body": False}
        return {"type": "http.request", "body": chunk, "more_body": True}

    return receive


async def open_post_form(
    request: Request, keys: KeyLookup, clock: Clock, region: str, bucket: str
) -> tuple[Request, Authenticated, PostForm]:
    reader = FormReader(request)
    form = await reader.read_fields()
    fields = dict(form.values)
    auth = authenticate_form(fields, keys, region)
    key = fields.get("key")
    if key is None:
        raise S3Error(
            S3ErrorCode.InvalidArgument,
            "Bucket POST must contain a field named 'key'.  If it is specified, please check "
            "the order of the fields.",
            ArgumentName="key",
            ArgumentValue="",
        )
    fields["bucket"] = bucket  # the bucket the URL names, whatever the form says
    filename = form.filename.replace("\\", "/").rsplit("/", 1)[-1]
    key = fields["key"] = key.replace(FILENAME_VARIABLE, filename)  # conditions see the key
    policy = parse_policy(fields["policy"]) if "policy" in fields else None
    if policy is not None:
        check_fields(policy, fields, clock.now())
    headers = {name: request.headers[name] for name in KEPT_HEADERS if name in request.headers}
    headers.update(_field_headers(fields))
    rebuilt = Request(
        method="POST",
        raw_path=request.raw_path,
        path=request.path,
        query_string=request.query_string,
        query=request.query,
        headers=headers,
        scheme=request.scheme,
        client_host=request.client_host,
        receive=_file_receive(reader.file_data()),
        params=request.params,
    )
    redirect = fields.get("success_action_redirect") or fields.get("redirect")
    post = PostForm(
        key=key,
        policy=policy,
        success_status=_success_status(fields.get("success_action_status")),
        success_redirect=redirect or None,
    )
    return rebuilt, auth, post
