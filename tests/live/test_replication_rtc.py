"""Replication Time Control against a live two-region deployment with a short threshold
(`[replication] rtc_threshold_s`): a version not replicated in time publishes
`s3:Replication:OperationMissedThreshold`, and once replicated
`s3:Replication:OperationReplicatedAfterThreshold`; one whose rule loses RTC while it waits
publishes `s3:Replication:OperationNotTracked` instead. The events reach a notification target
(a webhook), and `ferry replication status` shows the rule's RTC miss rate. AWS's validation:
ReplicationTime needs Metrics beside it."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from botocore.exceptions import ClientError

from tests.live.events_support import WebhookReceiver
from tests.live.replication_support import (
    Deployment,
    replicate,
    status,
    v2_rule,
    versioned_bucket,
    wait_for,
)

EAST, WEST = "us-east-1", "eu-west-1"
THRESHOLD_S = 4.0
HOOK = "arn:ferry:webhook:::rtc"
SRC, DST, RULE = "rtc-src", "rtc-dst", "rtc-rule"
RTC = {
    "ReplicationTime": {"Status": "Enabled", "Time": {"Minutes": 15}},
    "Metrics": {"Status": "Enabled", "EventThreshold": {"Minutes": 15}},
}
MISSED = "Replication:OperationMissedThreshold"
AFTER = "Replication:OperationReplicatedAfterThreshold"
NOT_TRACKED = "Replication:OperationNotTracked"


@pytest.fixture(scope="module")
def webhook() -> Iterator[WebhookReceiver]:
    receiver = WebhookReceiver().start()
    yield receiver
    receiver.stop()


@pytest.fixture(scope="module")
def deployment(
    tmp_path_factory: pytest.TempPathFactory, webhook: WebhookReceiver
) -> Iterator[Deployment]:
    running = Deployment(
        root=tmp_path_factory.mktemp("rtc"),
        replication_settings=(f"rtc_threshold_s = {THRESHOLD_S}",),
        extra_config=(
            "[events]\nretry_base_delay_s = 0.2\nretry_max_delay_s = 1.0\n"
            f'[[notification_targets]]\narn = "{HOOK}"\ntype = "webhook"\nurl = "{webhook.url}"\n',
        ),
    ).start()
    yield running
    running.stop()


def events(webhook: WebhookReceiver, name: str) -> list[str]:
    """Keys of the source bucket's events named `name`, in arrival order."""
    return [
        r["s3"]["object"]["key"]
        for r in list(webhook.records)
        if r["eventName"] == name and r["s3"]["bucket"]["name"] == SRC
    ]


def test_rtc_needs_metrics_beside_it(deployment: Deployment) -> None:
    east, west = deployment.client(EAST), deployment.client(WEST)
    versioned_bucket(east, "rtc-bad", EAST)
    versioned_bucket(west, "rtc-bad-dst", WEST)
    alone = {"ReplicationTime": RTC["ReplicationTime"]}
    with pytest.raises(ClientError) as raised:
        replicate(east, "rtc-bad", v2_rule("rtc-bad-dst", rule_id="alone", **alone))
    error = raised.value.response["Error"]
    assert raised.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400
    assert "ReplicationTime and Metrics" in error["Message"]


def test_threshold_events_and_the_miss_rate(
    deployment: Deployment, webhook: WebhookReceiver
) -> None:
    east, west = deployment.client(EAST), deployment.client(WEST)
    versioned_bucket(east, SRC, EAST)
    versioned_bucket(west, DST, WEST)
    replicate(east, SRC, v2_rule(DST, rule_id=RULE, **RTC))
    east.put_bucket_notification_configuration(
        Bucket=SRC,
        NotificationConfiguration={
            "QueueConfigurations": [{"QueueArn": HOOK, "Events": ["s3:Replication:*"]}]
        },
    )
    east.put_object(Bucket=SRC, Key="fast", Body=b"f")
    wait_for(lambda: status(east, SRC, "fast") == "COMPLETED", what="fast replicated")

    deployment.kill_region(WEST)
    east.put_object(Bucket=SRC, Key="late", Body=b"l")
    wait_for(lambda: "late" in events(webhook, MISSED),
             timeout_s=THRESHOLD_S + 30, what="late's OperationMissedThreshold")  # fmt: skip
    assert status(east, SRC, "late") == "PENDING"
    # A version waits while its rule loses RTC: it is no longer tracked.
    east.put_object(Bucket=SRC, Key="untracked", Body=b"u")
    replicate(east, SRC, v2_rule(DST, rule_id=RULE))
    wait_for(lambda: "untracked" in events(webhook, NOT_TRACKED),
             timeout_s=THRESHOLD_S + 30, what="untracked's OperationNotTracked")  # fmt: skip

    deployment.start_region(WEST)
    wait_for(lambda: status(east, SRC, "late") == "COMPLETED", timeout_s=60, what="late done")
    wait_for(lambda: status(east, SRC, "untracked") == "COMPLETED", what="untracked done")
    wait_for(lambda: "late" in events(webhook, AFTER), what="late's ReplicatedAfterThreshold")
    missed = events(webhook, MISSED)
    assert "untracked" not in missed and "untracked" not in events(webhook, AFTER)
    assert events(webhook, AFTER) == [k for k in missed if k != "untracked"]  # each once
    [record] = [r for r in webhook.records if r["eventName"] == AFTER and
                r["s3"]["object"]["key"] == "late"]  # fmt: skip
    data = record["replicationEventData"]
    assert data["replicationRuleId"] == RULE
    assert data["destinationBucket"] == f"arn:aws:s3:::{DST}"

    result = deployment.run_cli("replication", "status", "--bucket", SRC, "--json")
    assert result.returncode == 0, result.stderr
    answer: dict[str, Any] = json.loads(result.stdout)
    [rule] = answer["rules"]
    assert (rule["metrics"], rule["replication_time"]) == (False, False)  # the new rule
    [destination] = rule["destinations"]
    assert destination["rtc_tracked_operations"] == 3  # fast, late, untracked
    assert destination["rtc_missed_operations"] == len(missed)
    assert destination["rtc_miss_rate"] == pytest.approx(len(missed) / 3)
    table = deployment.run_cli("replication", "status", "--bucket", SRC)
    rate = f"{100 * len(missed) / 3:.1f}%"
    assert any(line.startswith(RULE) and line.endswith(rate) for line in
               table.stdout.splitlines()), table.stdout  # fmt: skip
