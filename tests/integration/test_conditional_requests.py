"""Conditional writes (If-None-Match: *, If-Match on PutObject and CompleteMultipartUpload) and
conditional reads (If-Match, If-None-Match, If-Modified-Since, If-Unmodified-Since on GET, HEAD
and CopyObject's x-amz-copy-source-if-*), combined as RFC 9110 and AWS order them."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import pytest

from tests.integration.s3 import S3, error_of, parse_xml

PAST = format_datetime(datetime(2000, 1, 1, tzinfo=UTC), usegmt=True)
FUTURE = format_datetime(datetime.now(UTC) + timedelta(days=1), usegmt=True)
OTHER_ETAG = '"00000000000000000000000000000000"'


async def put(s3: S3, path: str, body: bytes = b"v", **headers: str) -> str:
    response = await s3.put(path, body, headers=headers)
    assert response.status_code == 200, response.text
    return response.headers["etag"]


# ------------------------------------------------------------------------- conditional writes


async def test_put_if_none_match_star_creates_once_then_refuses(s3: S3, bucket: str) -> None:
    first = await s3.put(f"/{bucket}/once", b"1", headers={"if-none-match": "*"})
    second = await s3.put(f"/{bucket}/once", b"2", headers={"if-none-match": "*"})

    assert first.status_code == 200
    error_of(second, 412, "PreconditionFailed")
    assert (await s3.get(f"/{bucket}/once")).content == b"1"


async def test_put_if_none_match_star_over_a_delete_marker_succeeds(
    s3: S3, versioned_bucket: str
) -> None:
    await put(s3, f"/{versioned_bucket}/k")
    await s3.delete(f"/{versioned_bucket}/k")

    response = await s3.put(f"/{versioned_bucket}/k", b"again", headers={"if-none-match": "*"})

    assert response.status_code == 200


async def test_racing_if_none_match_writers_only_one_wins(s3: S3, bucket: str) -> None:
    responses = await asyncio.gather(
        *(
            s3.put(f"/{bucket}/race", str(n).encode(), headers={"if-none-match": "*"})
            for n in range(6)
        )
    )

    statuses = sorted(r.status_code for r in responses)
    assert statuses == [200] + [412] * 5
    [winner] = [n for n, r in enumerate(responses) if r.status_code == 200]
    assert (await s3.get(f"/{bucket}/race")).content == str(winner).encode()


async def test_put_if_match_replaces_only_the_version_it_names(s3: S3, bucket: str) -> None:
    etag = await put(s3, f"/{bucket}/k", b"1")

    stale = await s3.put(f"/{bucket}/k", b"2", headers={"if-match": OTHER_ETAG})
    fresh = await s3.put(f"/{bucket}/k", b"3", headers={"if-match": etag})

    error_of(stale, 412, "PreconditionFailed")
    assert fresh.status_code == 200
    assert (await s3.get(f"/{bucket}/k")).content == b"3"


async def test_put_if_match_on_a_missing_key_is_no_such_key(s3: S3, bucket: str) -> None:
    response = await s3.put(f"/{bucket}/absent", b"x", headers={"if-match": OTHER_ETAG})

    error_of(response, 404, "NoSuchKey")


async def test_put_if_none_match_with_an_etag_is_refused_not_ignored(s3: S3, bucket: str) -> None:
    etag = await put(s3, f"/{bucket}/k", b"1")

    response = await s3.put(f"/{bucket}/k", b"2", headers={"if-none-match": etag})

    error_of(response, 501, "NotImplemented")
    assert (await s3.get(f"/{bucket}/k")).content == b"1"


async def test_copy_object_if_none_match_star_refuses_to_overwrite_its_destination(
    s3: S3, bucket: str
) -> None:
    await put(s3, f"/{bucket}/src", b"new")
    await put(s3, f"/{bucket}/dst", b"old")
    headers = {"x-amz-copy-source": f"/{bucket}/src", "if-none-match": "*"}

    refused = await s3.put(f"/{bucket}/dst", headers=headers)
    created = await s3.put(f"/{bucket}/fresh", headers=headers)

    error_of(refused, 412, "PreconditionFailed")
    assert created.status_code == 200
    assert (await s3.get(f"/{bucket}/dst")).content == b"old"


async def upload_one_part(s3: S3, bucket: str, key: str) -> tuple[str, bytes]:
    created = parse_xml(await s3.post(f"/{bucket}/{key}", query={"uploads": None}))
    upload_id = created.findtext("UploadId") or ""
    part = await s3.put(
        f"/{bucket}/{key}", b"part", query={"partNumber": "1", "uploadId": upload_id}
    )
    body = (
        "<CompleteMultipartUpload><Part><PartNumber>1</PartNumber>"
        f"<ETag>{part.headers['etag']}</ETag></Part></CompleteMultipartUpload>"
    ).encode()
    return upload_id, body


@pytest.mark.parametrize(
    "condition", [{"if-none-match": "*"}, {"if-match": OTHER_ETAG}], ids=["none-match", "match"]
)
async def test_complete_multipart_refuses_when_its_condition_fails(
    s3: S3, bucket: str, condition: dict[str, str]
) -> None:
    await put(s3, f"/{bucket}/mp", b"existing")
    upload_id, body = await upload_one_part(s3, bucket, "mp")

    refused = await s3.post(f"/{bucket}/mp", body, query={"uploadId": upload_id}, headers=condition)

    error_of(refused, 412, "PreconditionFailed")
    assert (await s3.get(f"/{bucket}/mp")).content == b"existing"


async def test_complete_multipart_if_match_on_the_current_etag_completes(
    s3: S3, bucket: str
) -> None:
    etag = await put(s3, f"/{bucket}/mp", b"existing")
    upload_id, body = await upload_one_part(s3, bucket, "mp")

    done = await s3.post(
        f"/{bucket}/mp", body, query={"uploadId": upload_id}, headers={"if-match": etag}
    )

    assert done.status_code == 200, done.text
    assert (await s3.get(f"/{bucket}/mp")).content == b"part"


# -------------------------------------------------------------------------- conditional reads

READ_CASES = [
    # (headers, expected status); "E" is replaced by the object's ETag
    ({"if-match": "E"}, 200),
    ({"if-match": "*"}, 200),
    ({"if-match": OTHER_ETAG}, 412),
    ({"if-none-match": "E"}, 304),
    ({"if-none-match": OTHER_ETAG}, 200),
    ({"if-modified-since": PAST}, 200),
    ({"if-modified-since": FUTURE}, 304),
    ({"if-unmodified-since": FUTURE}, 200),
    ({"if-unmodified-since": PAST}, 412),
    # AWS: If-Match true and If-Unmodified-Since false → 200 (If-Match wins)
    ({"if-match": "E", "if-unmodified-since": PAST}, 200),
    # AWS: If-None-Match false and If-Modified-Since true → 304 (If-None-Match wins)
    ({"if-none-match": "E", "if-modified-since": PAST}, 304),
    # RFC 9110: If-Modified-Since is ignored when If-None-Match is present
    ({"if-none-match": OTHER_ETAG, "if-modified-since": FUTURE}, 200),
    # RFC 9110 §13.2.2: the 412 conditions are evaluated before the 304 ones
    ({"if-match": OTHER_ETAG, "if-none-match": "E"}, 412),
    ({"if-unmodified-since": PAST, "if-modified-since": FUTURE}, 412),
    ({"if-match": "E", "if-none-match": "E"}, 304),
    # an unparseable date is ignored, as S3 does
    ({"if-modified-since": "not a date"}, 200),
]


@pytest.mark.parametrize(("conditions", "expected"), READ_CASES)
@pytest.mark.parametrize("method", ["GET", "HEAD"])
async def test_conditional_reads_combine_as_rfc_9110_and_aws_order_them(
    s3: S3, bucket: str, method: str, conditions: dict[str, str], expected: int
) -> None:
    etag = await put(s3, f"/{bucket}/k", b"body")
    headers = {name: etag if value == "E" else value for name, value in conditions.items()}

    response = await s3.request(method, f"/{bucket}/k", headers=headers)

    assert response.status_code == expected
    if expected == 304:
        assert response.content == b"" and response.headers["etag"] == etag
    if expected == 412 and method == "GET":
        assert parse_xml(response).findtext("Code") == "PreconditionFailed"
    if expected == 200 and method == "GET":
        assert response.content == b"body"


COPY_CASES = [
    ({"if-match": "E"}, 200),
    ({"if-match": OTHER_ETAG}, 412),
    ({"if-none-match": "E"}, 412),  # copy sources answer 412 where reads answer 304
    ({"if-modified-since": FUTURE}, 412),
    ({"if-unmodified-since": PAST}, 412),
    # AWS's two documented combinations for CopyObject
    ({"if-match": "E", "if-unmodified-since": PAST}, 200),
    ({"if-none-match": "E", "if-modified-since": PAST}, 412),
    ({"if-none-match": OTHER_ETAG, "if-modified-since": PAST}, 200),
]


@pytest.mark.parametrize(("conditions", "expected"), COPY_CASES)
async def test_copy_source_conditions(
    s3: S3, bucket: str, conditions: dict[str, str], expected: int
) -> None:
    etag = await put(s3, f"/{bucket}/src", b"body")
    headers = {"x-amz-copy-source": f"/{bucket}/src"}
    for name, value in conditions.items():
        headers[f"x-amz-copy-source-{name}"] = etag if value == "E" else value

    response = await s3.put(f"/{bucket}/dst", headers=headers)

    assert response.status_code == expected, response.text
    if expected == 412:
        assert parse_xml(response).findtext("Code") == "PreconditionFailed"
        error_of(await s3.get(f"/{bucket}/dst"), 404, "NoSuchKey")
