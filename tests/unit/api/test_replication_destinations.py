"""PutBucketReplication's destination checks (reference §1.5 #5, #6, #20) against any
`DestinationChecker`, including destinations in other regions."""

from __future__ import annotations

import pytest

from ferry.api.context import DestinationInfo
from ferry.api.handlers.replication import check_destinations
from ferry.protocol.xml import (
    DeleteMarkerReplication,
    ReplicationConfiguration,
    ReplicationDestination,
    ReplicationFilter,
    ReplicationRule,
    ReplicationRuleStatus,
)
from ferry.replication import (
    InvalidReplicationConfiguration,
    ReplicationConfigurationArgumentError,
)

ACCOUNT = "111122223333"


class FakeChecker:
    def __init__(self, known: dict[str, DestinationInfo]) -> None:
        self.known = known
        self.asked: list[str] = []

    async def describe(self, bucket: str) -> DestinationInfo | None:
        self.asked.append(bucket)
        return self.known.get(bucket)


def info(versioned: bool = True, region: str = "eu-west-1") -> DestinationInfo:
    return DestinationInfo(region=region, versioning_enabled=versioned, owner_account=ACCOUNT)


def configuration(*destinations: tuple[str, str | None]) -> ReplicationConfiguration:
    rules = tuple(
        ReplicationRule(
            priority=index,
            filter=ReplicationFilter(),
            status=ReplicationRuleStatus.ENABLED,
            destination=ReplicationDestination(bucket=f"arn:aws:s3:::{name}", account=account),
            delete_marker_replication=DeleteMarkerReplication(
                status=ReplicationRuleStatus.DISABLED
            ),
        )
        for index, (name, account) in enumerate(destinations)
    )
    return ReplicationConfiguration(role="r", rules=rules)


async def test_versioned_destinations_in_any_region_pass() -> None:
    checker = FakeChecker({"east": info(region="us-east-1"), "west": info()})

    await check_destinations(checker, configuration(("east", None), ("west", ACCOUNT)))

    assert checker.asked == ["east", "west"]


@pytest.mark.parametrize(
    ("known", "message"),
    [
        ({}, "Destination bucket must exist."),
        ({"dest": info(versioned=False)}, "Destination bucket must have versioning enabled."),
    ],
    ids=["6-missing-destination", "5-unversioned-destination"],
)
async def test_missing_or_unversioned_destination_is_invalid_request(
    known: dict[str, DestinationInfo], message: str
) -> None:
    with pytest.raises(InvalidReplicationConfiguration) as caught:
        await check_destinations(FakeChecker(known), configuration(("dest", None)))
    assert type(caught.value) is InvalidReplicationConfiguration
    assert caught.value.message == message


async def test_account_other_than_the_destination_owner_is_invalid_argument() -> None:
    with pytest.raises(ReplicationConfigurationArgumentError) as caught:
        await check_destinations(
            FakeChecker({"dest": info()}), configuration(("dest", "444455556666"))
        )
    assert caught.value.message == (
        "The AWS account specified in the <Account> element must match the destination bucket "
        "owner."
    )
