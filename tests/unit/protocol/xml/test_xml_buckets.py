from __future__ import annotations

from datetime import UTC, datetime
from types import SimpleNamespace

import pytest
from botocore.handlers import parse_get_bucket_location

from ferry.protocol.errors import S3Error, S3ErrorCode
from ferry.protocol.xml import (
    CreateBucketConfiguration,
    ListBucketsResult,
    ListedBucket,
    Owner,
    Tag,
    parse_create_bucket_configuration,
    render_list_buckets,
    render_location_constraint,
)

T0 = datetime(2019, 12, 11, 23, 32, 47, tzinfo=UTC)


def test_create_bucket_configuration_as_botocore_sends_it(serialize_input) -> None:
    body = serialize_input(
        "CreateBucket",
        {
            "Bucket": "my-bucket",
            "CreateBucketConfiguration": {
                "LocationConstraint": "eu-west-1",
                "Tags": [{"Key": "team", "Value": "storage & <xml>"}],
            },
        },
    )
    assert parse_create_bucket_configuration(body) == CreateBucketConfiguration(
        location_constraint="eu-west-1", tags=(Tag(key="team", value="storage & <xml>"),)
    )


@pytest.mark.parametrize("body", [b"", b"  \n", b"<CreateBucketConfiguration/>"])
def test_empty_create_bucket_configuration_means_us_east_1(body: bytes) -> None:
    assert parse_create_bucket_configuration(body) == CreateBucketConfiguration()


def test_create_bucket_configuration_without_namespace_is_accepted() -> None:
    body = (
        b"<CreateBucketConfiguration><LocationConstraint>us-west-2</LocationConstraint>"
        b"</CreateBucketConfiguration>"
    )
    assert parse_create_bucket_configuration(body).location_constraint == "us-west-2"


def test_create_bucket_configuration_with_too_many_tags_is_refused(serialize_input) -> None:
    tags = [{"Key": f"k{index}", "Value": "v"} for index in range(51)]
    body = serialize_input(
        "CreateBucket", {"Bucket": "b", "CreateBucketConfiguration": {"Tags": tags}}
    )
    with pytest.raises(S3Error) as caught:
        parse_create_bucket_configuration(body)
    assert caught.value.code is S3ErrorCode.InvalidTag
    assert caught.value.message == "Bucket tag count cannot be greater than 50"


def test_list_buckets_parses_in_botocore(parse_output) -> None:
    result = ListBucketsResult(
        owner=Owner(id="owner-id", display_name="web & file"),
        buckets=(
            ListedBucket(name="quotes", creation_date=T0, region="us-east-1"),
            ListedBucket(name="samples", creation_date=T0.replace(microsecond=5000)),
        ),
        continuation_token="next<token>",
        prefix="q",
    )
    assert parse_output("ListBuckets", render_list_buckets(result)) == {
        "Owner": {"ID": "owner-id", "DisplayName": "web & file"},
        "Buckets": [
            {"Name": "quotes", "CreationDate": T0, "BucketRegion": "us-east-1"},
            {"Name": "samples", "CreationDate": T0.replace(microsecond=5000)},
        ],
        "ContinuationToken": "next<token>",
        "Prefix": "q",
    }


def test_list_buckets_matches_the_aws_example_bytes() -> None:
    result = ListBucketsResult(
        owner=Owner(id="bcaf1ffd86f461ca5fb16fd081034f", display_name="webfile"),
        buckets=(
            ListedBucket(name="quotes", creation_date=datetime(2006, 2, 3, 16, 45, 9, tzinfo=UTC)),
            ListedBucket(
                name="samples", creation_date=datetime(2006, 2, 3, 16, 41, 58, tzinfo=UTC)
            ),
        ),
    )
    assert render_list_buckets(result) == (
        b'<?xml version="1.0" encoding="UTF-8"?>\n'
        b'<ListAllMyBucketsResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/">'
        b"<Owner><ID>bcaf1ffd86f461ca5fb16fd081034f</ID><DisplayName>webfile</DisplayName></Owner>"
        b"<Buckets>"
        b"<Bucket><Name>quotes</Name><CreationDate>2006-02-03T16:45:09.000Z</CreationDate></Bucket>"
        b"<Bucket><Name>samples</Name><CreationDate>2006-02-03T16:41:58.000Z</CreationDate></Bucket>"
        b"</Buckets></ListAllMyBucketsResult>"
    )


def test_empty_bucket_list_parses_in_botocore(parse_output) -> None:
    parsed = parse_output(
        "ListBuckets", render_list_buckets(ListBucketsResult(owner=Owner(id="o")))
    )
    assert parsed == {"Owner": {"ID": "o"}, "Buckets": []}


def _botocore_location(body: bytes) -> str | None:
    # GetBucketLocation cannot be modelled; botocore reads the root text in a handler.
    parsed: dict[str, str | None] = {}
    parse_get_bucket_location(parsed, SimpleNamespace(raw=object(), content=body))
    return parsed["LocationConstraint"]


def test_location_constraint_for_us_east_1_is_an_empty_element() -> None:
    body = render_location_constraint("us-east-1")
    assert body == (
        b'<?xml version="1.0" encoding="UTF-8"?>\n'
        b'<LocationConstraint xmlns="http://s3.amazonaws.com/doc/2006-03-01/"/>'
    )
    assert _botocore_location(body) is None


def test_location_constraint_names_other_regions() -> None:
    body = render_location_constraint("eu-west-1")
    assert body.endswith(b">eu-west-1</LocationConstraint>")
    assert _botocore_location(body) == "eu-west-1"
