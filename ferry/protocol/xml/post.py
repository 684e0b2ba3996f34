"""PostObject's `PostResponse` document (success_action_status 201)."""

from __future__ import annotations

from ferry.protocol.xml._xml import document, element


def render_post_response(*, location: str, bucket: str, key: str, etag: str) -> bytes:
    body = (
        element("Location", location)
        + element("Bucket", bucket)
        + element("Key", key)
        + element("ETag", etag)
    )
    return document("PostResponse", body, xmlns=False)
