"""Put/Get/DeleteBucketLifecycleConfiguration and x-amz-expiration
(`api/handlers/lifecycle.py`)."""

from __future__ import annotations

from tests.integration.s3 import S3, error_of, parse_xml, texts

DOCUMENT = (
    b'<LifecycleConfiguration xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Rule>'
    b"<ID>dated</ID><Filter><Prefix>logs/</Prefix></Filter><Status>Enabled</Status>"
    b"<Expiration><Date>2030-01-01T00:00:00.000Z</Date></Expiration></Rule>"
    b"</LifecycleConfiguration>"
)
MIN_SIZE = "x-amz-transition-default-minimum-object-size"


async def test_put_then_get_returns_the_configuration(s3: S3, bucket: str) -> None:
    put = await s3.put(f"/{bucket}", DOCUMENT, query={"lifecycle": None})
    assert put.status_code == 200
    assert put.headers[MIN_SIZE] == "all_storage_classes_128K"
    got = await s3.get(f"/{bucket}", query={"lifecycle": None})
    assert got.status_code == 200
    assert got.content.endswith(DOCUMENT.split(b">", 1)[1])
    assert texts(parse_xml(got), "Rule/ID") == ["dated"]


async def test_get_without_configuration_is_404(s3: S3, bucket: str) -> None:
    response = await s3.get(f"/{bucket}", query={"lifecycle": None})
    error_of(response, 404, "NoSuchLifecycleConfiguration")


async def test_delete_removes_the_configuration(s3: S3, bucket: str) -> None:
    await s3.put(f"/{bucket}", DOCUMENT, query={"lifecycle": None})
    assert (await s3.delete(f"/{bucket}", query={"lifecycle": None})).status_code == 204
    response = await s3.get(f"/{bucket}", query={"lifecycle": None})
    error_of(response, 404, "NoSuchLifecycleConfiguration")


async def test_malformed_configuration_is_refused(s3: S3, bucket: str) -> None:
    response = await s3.put(f"/{bucket}", b"<LifecycleConfiguration/>", query={"lifecycle": None})
    error_of(response, 400, "MalformedXML")


async def test_objects_a_rule_expires_carry_x_amz_expiration(s3: S3, bucket: str) -> None:
    await s3.put(f"/{bucket}", DOCUMENT, query={"lifecycle": None})
    expected = 'expiry-date="Tue, 01 Jan 2030 00:00:00 GMT", rule-id="dated"'
    put = await s3.put(f"/{bucket}/logs/a", b"data")
    assert put.headers["x-amz-expiration"] == expected
    assert (await s3.head(f"/{bucket}/logs/a")).headers["x-amz-expiration"] == expected
    assert (await s3.get(f"/{bucket}/logs/a")).headers["x-amz-expiration"] == expected
    other = await s3.put(f"/{bucket}/other", b"data")
    assert "x-amz-expiration" not in other.headers
