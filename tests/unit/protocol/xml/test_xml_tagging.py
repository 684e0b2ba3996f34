from __future__ import annotations

import pytest

from ferry.protocol.errors import S3Error, S3ErrorCode
from ferry.protocol.xml import (
    BUCKET_TAG_LIMIT,
    OBJECT_TAG_LIMIT,
    Tag,
    Tagging,
    parse_tagging,
    parse_tagging_header,
    render_tagging,
    render_tagging_header,
)


def _tags(count: int) -> list[dict[str, str]]:
    return [{"Key": f"key-{index}", "Value": f"value {index}"} for index in range(count)]


def test_put_object_tagging_as_botocore_sends_it(serialize_input, request_keys) -> None:
    tag_set = [{"Key": key[:128], "Value": key} for key in request_keys[:10]]
    body = serialize_input(
        "PutObjectTagging", {"Bucket": "b", "Key": "k", "Tagging": {"TagSet": tag_set}}
    )
    assert parse_tagging(body, limit=OBJECT_TAG_LIMIT) == Tagging(
        tags=tuple(Tag(key=tag["Key"], value=tag["Value"]) for tag in tag_set)
    )


def test_put_bucket_tagging_accepts_fifty_tags(serialize_input) -> None:
    body = serialize_input("PutBucketTagging", {"Bucket": "b", "Tagging": {"TagSet": _tags(50)}})
    assert len(parse_tagging(body, limit=BUCKET_TAG_LIMIT).tags) == 50


def test_empty_tag_set_clears_tags(serialize_input) -> None:
    body = serialize_input(
        "PutObjectTagging", {"Bucket": "b", "Key": "k", "Tagging": {"TagSet": []}}
    )
    assert parse_tagging(body, limit=OBJECT_TAG_LIMIT) == Tagging()


@pytest.mark.parametrize(
    ("limit", "count", "message"),
    [
        (OBJECT_TAG_LIMIT, 11, "Object tags cannot be greater than 10"),
        (BUCKET_TAG_LIMIT, 51, "Bucket tag count cannot be greater than 50"),
    ],
)
def test_too_many_tags_is_invalid_tag(serialize_input, limit, count: int, message: str) -> None:
    body = serialize_input("PutBucketTagging", {"Bucket": "b", "Tagging": {"TagSet": _tags(count)}})
    with pytest.raises(S3Error) as caught:
        parse_tagging(body, limit=limit)
    assert (caught.value.code, caught.value.message) == (S3ErrorCode.InvalidTag, message)


@pytest.mark.parametrize(
    ("tag_set", "message"),
    [
        (
            [{"Key": "a", "Value": "1"}, {"Key": "a", "Value": "2"}],
            "Cannot provide multiple Tags with the same key",
        ),
        ([{"Key": "", "Value": "v"}], "The TagKey you have provided is invalid"),
        ([{"Key": "k" * 129, "Value": "v"}], "The TagKey you have provided is invalid"),
        ([{"Key": "k", "Value": "v" * 257}], "The TagValue you have provided is invalid"),
    ],
)
def test_invalid_tags_answer_as_aws_does(serialize_input, tag_set, message: str) -> None:
    body = serialize_input(
        "PutObjectTagging", {"Bucket": "b", "Key": "k", "Tagging": {"TagSet": tag_set}}
    )
    with pytest.raises(S3Error) as caught:
        parse_tagging(body, limit=OBJECT_TAG_LIMIT)
    assert (caught.value.code, caught.value.message) == (S3ErrorCode.InvalidTag, message)


def test_tag_limits_count_characters_not_bytes() -> None:
    tagging = parse_tagging_header(f"{'é' * 128}={'日' * 256}")
    assert len(tagging.tags[0].key) == 128 and len(tagging.tags[0].value) == 256


@pytest.mark.parametrize(
    "body",
    [
        b"<Tagging/>",
        b"<Tagging><TagSet><Tag><Key>k</Key></Tag></TagSet></Tagging>",
        b"<Tagging><TagSet><Tag><Value>v</Value></Tag></TagSet></Tagging>",
        b"<Tagging><TagSet/><TagSet/></Tagging>",
        b"<TagSet><Tag><Key>k</Key><Value>v</Value></Tag></TagSet>",
    ],
)
def test_tagging_missing_required_elements_is_malformed_xml(body: bytes) -> None:
    with pytest.raises(S3Error) as caught:
        parse_tagging(body, limit=OBJECT_TAG_LIMIT)
    assert caught.value.code is S3ErrorCode.MalformedXML


def test_tagging_header_is_url_query_encoded() -> None:
    tagging = parse_tagging_header("project=blue%20sky&empty=&bare&a+b=c%26d%3De&%C3%A9=%E2%9C%93")
    assert tagging == Tagging(
        tags=(
            Tag(key="project", value="blue sky"),
            Tag(key="empty", value=""),
            Tag(key="bare", value=""),
            Tag(key="a b", value="c&d=e"),
            Tag(key="é", value="✓"),
        )
    )


def test_empty_tagging_header_has_no_tags() -> None:
    assert parse_tagging_header("") == Tagging()


@pytest.mark.parametrize(
    ("header", "message"),
    [
        ("a=1&a=2", "Cannot provide multiple Tags with the same key"),
        ("&".join(f"k{index}=v" for index in range(11)), "Object tags cannot be greater than 10"),
        ("=v", "The TagKey you have provided is invalid"),
        (f"k={'v' * 257}", "The TagValue you have provided is invalid"),
    ],
)
def test_tagging_header_is_validated_like_the_document(header: str, message: str) -> None:
    with pytest.raises(S3Error) as caught:
        parse_tagging_header(header)
    assert (caught.value.code, caught.value.message) == (S3ErrorCode.InvalidTag, message)


def test_tagging_header_round_trips() -> None:
    tagging = Tagging(tags=(Tag(key="a b&c", value="d=e/f+g"), Tag(key="é", value="")))
    header = render_tagging_header(tagging)
    assert header == "a%20b%26c=d%3De%2Ff%2Bg&%C3%A9="
    assert parse_tagging_header(header) == tagging


def test_tagging_parses_in_botocore(parse_output, awkward_keys) -> None:
    tagging = Tagging(tags=tuple(Tag(key=key, value=key[::-1]) for key in awkward_keys))
    body = render_tagging(tagging)
    expected = [{"Key": tag.key, "Value": tag.value} for tag in tagging.tags]
    assert parse_output("GetObjectTagging", body) == {"TagSet": expected}
    assert parse_output("GetBucketTagging", body) == {"TagSet": expected}


def test_empty_tag_set_renders_an_empty_tag_set(parse_output) -> None:
    body = render_tagging(Tagging())
    assert body.endswith(b"<TagSet></TagSet></Tagging>")
    assert parse_output("GetObjectTagging", body) == {"TagSet": []}
