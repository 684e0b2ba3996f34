"""The ReplicateBatch wire format: item headers and per-item results round-trip; malformed
ones are refused with S3's InvalidRequest."""

from __future__ import annotations

from dataclasses import replace

import pytest

from ferry.protocol import replica
from ferry.protocol.errors import S3Error, S3ErrorCode


def _item(operation: str = replica.ITEM_OBJECT, size: int = 5) -> replica.BatchItem:
    d = replica.ReplicaDescriptor(
        version_id="v1", last_modified_ms=123, owner_id="o", size=size, etag="e",
        tags=(("a", "b"),), acl=(("CanonicalUser", "o", "FULL_CONTROL"),), parts=((5, None),),
    )  # fmt: skip
    return replica.BatchItem(key="photos/ü.jpg", operation=operation, descriptor=d)


def test_an_item_header_round_trips() -> None:
    item = _item()
    header = replica.item_header(item)
    length = replica.parse_frame_length(header[: replica.LENGTH_PREFIX.size])
    assert length == len(header) - replica.LENGTH_PREFIX.size
    assert replica.parse_item_header(header[replica.LENGTH_PREFIX.size :]) == item


def test_only_objects_carry_bytes() -> None:
    assert _item(replica.ITEM_OBJECT, 7).body_size == 7
    assert _item(replica.ITEM_DELETE_MARKER, 7).body_size == 0
    assert _item(replica.ITEM_METADATA, 7).body_size == 0


@pytest.mark.parametrize(
    "data",
    [
        b"not json",
        b'{"key": "k", "op": "OBJECT"}',
        b'{"key": "", "op": "OBJECT", "d": {}}',
        b'{"key": "k", "op": "SHRED", "d": {}}',
        b"[1, 2]",
    ],
)
def test_malformed_item_headers_are_invalid_requests(data: bytes) -> None:
    with pytest.raises(S3Error) as caught:
        replica.parse_item_header(data)
    assert caught.value.code is S3ErrorCode.InvalidRequest


def test_an_unknown_operation_is_refused_even_with_a_valid_descriptor() -> None:
    good = replica.item_header(_item())[replica.LENGTH_PREFIX.size :]
    with pytest.raises(S3Error):
        replica.parse_item_header(good.replace(b'"op":"OBJECT"', b'"op":"SHRED"'))


def test_results_round_trip_in_order() -> None:
    results = [
        replica.ItemResult(status=200, version_id="v1"),
        replica.ItemResult(status=400, code="BadDigest", message="bad"),
    ]
    assert replica.results_from_json(replica.results_to_json(results)) == results
    assert [r.ok for r in results] == [True, False]


@pytest.mark.parametrize("data", [b"<Error/>", b"{}", b'{"results": [[200]]}'])
def test_an_answer_that_is_not_a_result_list_is_a_value_error(data: bytes) -> None:
    with pytest.raises(ValueError):
        replica.results_from_json(data)


def _encrypted(encryption: replica.ReplicaEncryption) -> replica.BatchItem:
    item = _item()
    return replica.BatchItem(
        key=item.key,
        operation=item.operation,
        descriptor=replace(item.descriptor, encryption=encryption),
    )


SSE_C_RECORD = replica.ReplicaEncryption(
    algorithm=replica.SSE_C, wrapped_key="d3JhcHBlZA==", customer_key_salt="c2FsdA==",
    customer_key_hmac="aG1hYw==", frame_bytes=65536, stored_size=33,
)  # fmt: skip


@pytest.mark.parametrize(
    "encryption",
    [
        replica.ReplicaEncryption(algorithm=replica.SSE_S3, bucket_key_enabled=True),
        replica.ReplicaEncryption(
            algorithm=replica.SSE_KMS,
            kms_key_id="arn:aws:kms:eu-west-1:1:key/k",
            kms_context="e30=",
        ),
        SSE_C_RECORD,
    ],
)
def test_an_encrypted_item_round_trips(encryption: replica.ReplicaEncryption) -> None:
    item = _encrypted(encryption)
    header = replica.item_header(item)
    assert replica.parse_item_header(header[replica.LENGTH_PREFIX.size :]) == item
    assert replica.from_header(replica.to_header(item.descriptor)) == item.descriptor


def test_an_sse_c_object_travels_its_stored_bytes_others_their_plaintext() -> None:
    assert _encrypted(SSE_C_RECORD).body_size == 33
    sse_s3 = replica.ReplicaEncryption(algorithm=replica.SSE_S3)
    assert _encrypted(sse_s3).body_size == 5
    assert replica.encryption_headers(_encrypted(SSE_C_RECORD).descriptor) == {}
    kms = replica.ReplicaEncryption(algorithm=replica.SSE_KMS, kms_key_id="alias/replica")
    assert replica.encryption_headers(_encrypted(kms).descriptor) == {
        "x-amz-server-side-encryption": "aws:kms",
        "x-amz-server-side-encryption-aws-kms-key-id": "alias/replica",
    }


@pytest.mark.parametrize(
    "encryption",
    [
        replica.ReplicaEncryption(algorithm="rot13"),
        replica.ReplicaEncryption(algorithm=replica.SSE_C, stored_size=3),  # no key record
        replace(SSE_C_RECORD, stored_size=-1),
    ],
)
def test_a_malformed_encryption_is_an_invalid_request(
    encryption: replica.ReplicaEncryption,
) -> None:
    header = replica.item_header(_encrypted(encryption))[replica.LENGTH_PREFIX.size :]
    with pytest.raises(S3Error) as caught:
        replica.parse_item_header(header)
    assert caught.value.code is S3ErrorCode.InvalidRequest
