"""LifecycleConfiguration: as botocore sends it, as botocore parses our answer, and every
refusal AWS makes of a bad document."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from ferry.protocol.errors import S3Error, S3ErrorCode
from ferry.protocol.xml.lifecycle import (
    FilterForm,
    LifecycleConfiguration,
    parse_lifecycle_configuration,
    parse_transition_min_size,
    render_lifecycle_configuration,
)

RULES: list[dict[str, Any]] = [
    {
        "ID": "and",
        "Status": "Enabled",
        "Filter": {
            "And": {
                "Prefix": "logs/",
                "Tags": [{"Key": "a", "Value": "1"}, {"Key": "b", "Value": "2"}],
                "ObjectSizeGreaterThan": 1,
                "ObjectSizeLessThan": 100,
            }
        },
        "Transitions": [
            {"Days": 0, "StorageClass": "GLACIER_IR"},
            {"Days": 30, "StorageClass": "STANDARD_IA"},
        ],
        "Expiration": {"Days": 60},
        "NoncurrentVersionTransitions": [
            {"NoncurrentDays": 1, "StorageClass": "GLACIER", "NewerNoncurrentVersions": 4}
        ],
        "NoncurrentVersionExpiration": {"NoncurrentDays": 9, "NewerNoncurrentVersions": 100},
    },
    {"ID": "legacy", "Status": "Disabled", "Prefix": "", "Expiration": {"Days": 1}},
    {
        "ID": "tag",
        "Status": "Enabled",
        "Filter": {"Tag": {"Key": "k", "Value": "v"}},
        "Expiration": {"Date": datetime(2030, 1, 1, tzinfo=UTC)},
        "Transitions": [{"Date": datetime(2029, 1, 1, tzinfo=UTC), "StorageClass": "GLACIER"}],
    },
    {
        "ID": "all",
        "Status": "Enabled",
        "Expiration": {"ExpiredObjectDeleteMarker": False},
        "AbortIncompleteMultipartUpload": {"DaysAfterInitiation": 3},
    },
    {
        "ID": "sizes",
        "Status": "Enabled",
        "Filter": {"ObjectSizeGreaterThan": 5, "ObjectSizeLessThan": 6},
        "NoncurrentVersionExpiration": {"NoncurrentDays": 2},
    },
    {"ID": "empty", "Status": "Enabled", "Filter": {}, "Expiration": {"Days": 2}},
]


def test_every_element_round_trips_through_botocore(serialize_input, parse_output) -> None:
    body = serialize_input(
        "PutBucketLifecycleConfiguration",
        {"Bucket": "b", "LifecycleConfiguration": {"Rules": RULES}},
    )
    config = parse_lifecycle_configuration(body)
    assert [r.filter.form for r in config.rules] == [
        FilterForm.AND, FilterForm.LEGACY_PREFIX, FilterForm.FILTER, FilterForm.NONE,
        FilterForm.FILTER, FilterForm.FILTER,
    ]  # fmt: skip
    parsed = parse_output("GetBucketLifecycleConfiguration", render_lifecycle_configuration(config))
    assert parsed["Rules"] == RULES
    assert parse_lifecycle_configuration(render_lifecycle_configuration(config)) == config


def test_a_rule_without_id_is_given_one() -> None:
    config = parse_lifecycle_configuration(
        b"<LifecycleConfiguration><Rule><Status>Enabled</Status>"
        b"<Expiration><Days>1</Days></Expiration></Rule></LifecycleConfiguration>"
    )
    assert len(config.rules[0].rule_id) == 48


def test_transition_minimum_size_header() -> None:
    assert parse_transition_min_size(None) == "all_storage_classes_128K"
    assert parse_transition_min_size("") == "all_storage_classes_128K"
    assert parse_transition_min_size("varies_by_storage_class") == "varies_by_storage_class"
    with pytest.raises(S3Error) as caught:
        parse_transition_min_size("all")
    assert caught.value.code is S3ErrorCode.InvalidArgument


def _doc(*rules: str) -> bytes:
    return ("<LifecycleConfiguration>" + "".join(rules) + "</LifecycleConfiguration>").encode()


def _rule(body: str, *, rule_id: str = "<ID>r</ID>", status: str = "Enabled") -> str:
    return f"<Rule>{rule_id}<Status>{status}</Status>{body}</Rule>"


_EXP = "<Expiration><Days>5</Days></Expiration>"
_M, _A, _R = S3ErrorCode.MalformedXML, S3ErrorCode.InvalidArgument, S3ErrorCode.InvalidRequest
REFUSED = {
    "not-xml": (b"<Lifecycle", _M),
    "no-rules": (_doc(), _M),
    "stranger-at-top": (_doc("<Other/>"), _M),
    "stranger-in-rule": (_doc(_rule(_EXP + "<Other/>")), _M),
    "bad-status": (_doc(_rule(_EXP, status="On")), _M),
    "no-status": (_doc(f"<Rule><ID>r</ID>{_EXP}</Rule>"), _M),
    "filter-and-prefix": (_doc(_rule("<Prefix>a</Prefix><Filter></Filter>" + _EXP)), _M),
    "filter-stranger": (_doc(_rule("<Filter><Suffix>a</Suffix></Filter>" + _EXP)), _M),
    "filter-repeated": (
        _doc(_rule("<Filter><Prefix>a</Prefix><Prefix>b</Prefix></Filter>" + _EXP)),
        _M,
    ),
    "and-beside-prefix": (_doc(_rule("<Filter><And></And><Prefix>a</Prefix></Filter>" + _EXP)), _M),
    "two-conditions": (
        _doc(
            _rule(
                "<Filter><Prefix>a</Prefix><ObjectSizeLessThan>3</ObjectSizeLessThan></Filter>"
                + _EXP
            )
        ),
        _M,
    ),
    "and-stranger": (_doc(_rule("<Filter><And><Suffix>a</Suffix></And></Filter>" + _EXP)), _M),
    "and-eleven-tags": (
        _doc(
            _rule(
                "<Filter><And>"
                + "".join(f"<Tag><Key>k{i}</Key><Value>v</Value></Tag>" for i in range(11))
                + "</And></Filter>"
                + _EXP
            )
        ),
        _A,
    ),
    "and-duplicate-tags": (
        _doc(
            _rule(
                "<Filter><And><Tag><Key>k</Key><Value>1</Value></Tag>"
                "<Tag><Key>k</Key><Value>2</Value></Tag></And></Filter>" + _EXP
            )
        ),
        _A,
    ),
    "and-sizes-inverted": (
        _doc(
            _rule(
                "<Filter><And><ObjectSizeGreaterThan>9</ObjectSizeGreaterThan>"
                "<ObjectSizeLessThan>9</ObjectSizeLessThan></And></Filter>" + _EXP
            )
        ),
        _A,
    ),
    "tag-without-value": (_doc(_rule("<Filter><Tag><Key>k</Key></Tag></Filter>" + _EXP)), _M),
    "tag-empty-key": (
        _doc(_rule("<Filter><Tag><Key></Key><Value>v</Value></Tag></Filter>" + _EXP)),
        S3ErrorCode.InvalidTag,
    ),
    "negative-size": (
        _doc(_rule("<Filter><ObjectSizeLessThan>-1</ObjectSizeLessThan></Filter>" + _EXP)),
        _A,
    ),
    "size-not-a-number": (
        _doc(_rule("<Filter><ObjectSizeLessThan>x</ObjectSizeLessThan></Filter>" + _EXP)),
        _M,
    ),
    "id-too-long": (_doc(_rule(_EXP, rule_id=f"<ID>{'i' * 256}</ID>")), _A),
    "duplicate-ids": (_doc(_rule(_EXP), _rule(_EXP)), _A),
    "too-many-rules": (
        _doc(*(_rule(_EXP, rule_id=f"<ID>r{i}</ID>") for i in range(1001))),
        _R,
    ),
    "no-action": (_doc(_rule("")), _A),
    "expiration-stranger": (_doc(_rule("<Expiration><Hours>1</Hours></Expiration>")), _M),
    "expiration-empty": (_doc(_rule("<Expiration></Expiration>")), _M),
    "expiration-days-and-date": (
        _doc(_rule("<Expiration><Days>1</Days><Date>2030-01-01T00:00:00Z</Date></Expiration>")),
        _M,
    ),
    "expiration-days-zero": (_doc(_rule("<Expiration><Days>0</Days></Expiration>")), _A),
    "expiration-date-not-iso": (_doc(_rule("<Expiration><Date>tomorrow</Date></Expiration>")), _A),
    "expiration-date-not-midnight": (
        _doc(_rule("<Expiration><Date>2030-01-01T01:00:00Z</Date></Expiration>")),
        _A,
    ),
    "marker-not-bool": (
        _doc(
            _rule(
                "<Expiration><ExpiredObjectDeleteMarker>yes</ExpiredObjectDeleteMarker>"
                "</Expiration>"
            )
        ),
        _M,
    ),
    "marker-with-tags": (
        _doc(
            _rule(
                "<Filter><Tag><Key>k</Key><Value>v</Value></Tag></Filter><Expiration>"
                "<ExpiredObjectDeleteMarker>true</ExpiredObjectDeleteMarker></Expiration>"
            )
        ),
        _A,
    ),
    "transition-stranger": (
        _doc(
            _rule("<Transition><Hours>1</Hours><StorageClass>GLACIER</StorageClass></Transition>")
        ),
        _M,
    ),
    "transition-unknown-class": (
        _doc(_rule("<Transition><Days>1</Days><StorageClass>COLD</StorageClass></Transition>")),
        _M,
    ),
    "transition-no-when": (
        _doc(_rule("<Transition><StorageClass>GLACIER</StorageClass></Transition>")),
        _M,
    ),
    "transition-negative": (
        _doc(_rule("<Transition><Days>-1</Days><StorageClass>GLACIER</StorageClass></Transition>")),
        _A,
    ),
    "transition-ia-too-soon": (
        _doc(
            _rule("<Transition><Days>29</Days><StorageClass>ONEZONE_IA</StorageClass></Transition>")
        ),
        _A,
    ),
    "transition-same-class-twice": (
        _doc(
            _rule(
                "<Transition><Days>1</Days><StorageClass>GLACIER</StorageClass></Transition>"
                "<Transition><Days>2</Days><StorageClass>GLACIER</StorageClass></Transition>"
            )
        ),
        _A,
    ),
    "transition-days-and-dates": (
        _doc(
            _rule(
                "<Transition><Days>1</Days><StorageClass>GLACIER</StorageClass></Transition>"
                "<Transition><Date>2030-01-01T00:00:00Z</Date>"
                "<StorageClass>DEEP_ARCHIVE</StorageClass></Transition>"
            )
        ),
        _A,
    ),
    "transition-after-expiration-days": (
        _doc(
            _rule(
                "<Transition><Days>5</Days><StorageClass>GLACIER</StorageClass></Transition>" + _EXP
            )
        ),
        _A,
    ),
    "transition-after-expiration-date": (
        _doc(
            _rule(
                "<Transition><Date>2030-01-01T00:00:00Z</Date><StorageClass>GLACIER"
                "</StorageClass></Transition><Expiration><Date>2030-01-01T00:00:00Z</Date>"
                "</Expiration>"
            )
        ),
        _A,
    ),
    "noncurrent-transition-stranger": (
        _doc(
            _rule(
                "<NoncurrentVersionTransition><Days>1</Days><StorageClass>GLACIER"
                "</StorageClass></NoncurrentVersionTransition>"
            )
        ),
        _M,
    ),
    "noncurrent-transition-unknown-class": (
        _doc(
            _rule(
                "<NoncurrentVersionTransition><NoncurrentDays>1</NoncurrentDays>"
                "<StorageClass>COLD</StorageClass></NoncurrentVersionTransition>"
            )
        ),
        _M,
    ),
    "noncurrent-transition-negative": (
        _doc(
            _rule(
                "<NoncurrentVersionTransition><NoncurrentDays>-1</NoncurrentDays>"
                "<StorageClass>GLACIER</StorageClass></NoncurrentVersionTransition>"
            )
        ),
        _A,
    ),
    "noncurrent-transition-ia-too-soon": (
        _doc(
            _rule(
                "<NoncurrentVersionTransition><NoncurrentDays>3</NoncurrentDays>"
                "<StorageClass>STANDARD_IA</StorageClass></NoncurrentVersionTransition>"
            )
        ),
        _A,
    ),
    "noncurrent-transition-same-class": (
        _doc(
            _rule(
                2
                * (
                    "<NoncurrentVersionTransition><NoncurrentDays>3</NoncurrentDays>"
                    "<StorageClass>GLACIER</StorageClass></NoncurrentVersionTransition>"
                )
            )
        ),
        _A,
    ),
    "noncurrent-transition-after-expiration": (
        _doc(
            _rule(
                "<NoncurrentVersionTransition><NoncurrentDays>3</NoncurrentDays>"
                "<StorageClass>GLACIER</StorageClass></NoncurrentVersionTransition>"
                "<NoncurrentVersionExpiration><NoncurrentDays>3</NoncurrentDays>"
                "</NoncurrentVersionExpiration>"
            )
        ),
        _A,
    ),
    "noncurrent-expiration-stranger": (
        _doc(_rule("<NoncurrentVersionExpiration><Days>3</Days></NoncurrentVersionExpiration>")),
        _M,
    ),
    "noncurrent-expiration-zero": (
        _doc(
            _rule(
                "<NoncurrentVersionExpiration><NoncurrentDays>0</NoncurrentDays>"
                "</NoncurrentVersionExpiration>"
            )
        ),
        _A,
    ),
    "newer-noncurrent-zero": (
        _doc(
            _rule(
                "<NoncurrentVersionExpiration><NoncurrentDays>1</NoncurrentDays>"
                "<NewerNoncurrentVersions>0</NewerNoncurrentVersions>"
                "</NoncurrentVersionExpiration>"
            )
        ),
        _A,
    ),
    "abort-stranger": (
        _doc(
            _rule("<AbortIncompleteMultipartUpload><Days>1</Days></AbortIncompleteMultipartUpload>")
        ),
        _M,
    ),
    "abort-zero": (
        _doc(
            _rule(
                "<AbortIncompleteMultipartUpload><DaysAfterInitiation>0"
                "</DaysAfterInitiation></AbortIncompleteMultipartUpload>"
            )
        ),
        _A,
    ),
    "abort-with-size": (
        _doc(
            _rule(
                "<Filter><ObjectSizeLessThan>9</ObjectSizeLessThan></Filter>"
                "<AbortIncompleteMultipartUpload><DaysAfterInitiation>1"
                "</DaysAfterInitiation></AbortIncompleteMultipartUpload>"
            )
        ),
        _A,
    ),
    "abort-with-tags": (
        _doc(
            _rule(
                "<Filter><Tag><Key>k</Key><Value>v</Value></Tag></Filter>"
                "<AbortIncompleteMultipartUpload><DaysAfterInitiation>1"
                "</DaysAfterInitiation></AbortIncompleteMultipartUpload>"
            )
        ),
        _A,
    ),
}


@pytest.mark.parametrize("case", sorted(REFUSED))
def test_bad_documents_are_refused(case: str) -> None:
    body, code = REFUSED[case]
    with pytest.raises(S3Error) as caught:
        parse_lifecycle_configuration(body)
    assert caught.value.code is code


def test_dates_without_zone_are_utc_and_render_back() -> None:
    config = parse_lifecycle_configuration(
        _doc(_rule("<Expiration><Date>2030-01-01T00:00:00</Date></Expiration>"))
    )
    assert config.rules[0].expiration_date == datetime(2030, 1, 1, tzinfo=UTC)
    assert b"<Date>2030-01-01T00:00:00.000Z</Date>" in render_lifecycle_configuration(config)
    assert isinstance(config, LifecycleConfiguration)
