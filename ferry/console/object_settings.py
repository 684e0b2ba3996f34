"""An object's tags and public access, edited from its page: PutObjectTagging (or
DeleteObjectTagging when no tag is left) and PutObjectAcl with a canned ACL, signed with the
user's key; a refusal is shown in the card with AWS's code and message."""

from __future__ import annotations

import re
from urllib.parse import urlencode

from ferry.console.context import ConsoleContext
from ferry.console.gateway import ConsoleError
from ferry.console.grants import CANNED_PRIVATE, CANNED_PUBLIC
from ferry.console.http import ConsoleResponse
from ferry.console.objects import object_page

TAG_KEY_FIELD = re.compile(r"^tag_key_(\d{1,3})$")


def tags_of_form(form: dict[str, str]) -> list[tuple[str, str]]:
    """The editor's key=value rows in their order (`tag_key_N`, `tag_value_N`); a row left
    wholly blank is no tag, a value without a key goes to the API, which refuses it."""
    rows = sorted(
        (int(match.group(1)), name)
        for name in form
        if (match := TAG_KEY_FIELD.match(name)) is not None
    )
    tags = []
    for index, name in rows:
        key, value = form[name].strip(), form.get(f"tag_value_{index}", "")
        if key or value:
            tags.append((key, value))
    return tags


async def save_tags(ctx: ConsoleContext) -> ConsoleResponse:
    bucket = ctx.params["bucket"]
    form = await ctx.request.form()
    key, version_id = form.get("key", ""), form.get("versionId", "")
    tags = tags_of_form(form)
    try:
        await ctx.gateway.put_object_tags(bucket, key, version_id, tags)
    except ConsoleError as exc:
        return await object_page(ctx, key, version_id, tags_error=exc, status=exc.status)
    notice = f"Saved {len(tags)} tag{'' if len(tags) == 1 else 's'}" if tags else "Removed the tags"
    return ctx.redirect(_object_path(bucket, key, version_id), notice)


async def save_acl(ctx: ConsoleContext) -> ConsoleResponse:
    bucket = ctx.params["bucket"]
    form = await ctx.request.form()
    key, version_id = form.get("key", ""), form.get("versionId", "")
    public = form.get("public_read") == "on"
    try:
        await ctx.gateway.put_canned_object_acl(
            bucket, key, version_id, CANNED_PUBLIC if public else CANNED_PRIVATE
        )
    except ConsoleError as exc:
        return await object_page(ctx, key, version_id, acl_error=exc, status=exc.status)
    notice = "Everyone may now read the object" if public else "The object is private"
    return ctx.redirect(_object_path(bucket, key, version_id), notice)


def _object_path(bucket: str, key: str, version_id: str) -> str:
    query = {"key": key, **({"versionId": version_id} if version_id else {})}
    return f"/buckets/{bucket}/object?{urlencode(query)}"
