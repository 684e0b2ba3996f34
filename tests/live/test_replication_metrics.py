"""Replication metrics against a live two-region deployment: `GET /_ferry/metrics` (Prometheus
text, parsed by prometheus_client's own parser) and `ferry replication status` say exactly
what the source region's queue and failure store hold, read from its database file at the same
moment: before, during and after a destination outage (pending rises, then drains to 0), and
across a permanent failure and its re-drive (failed goes back to 0). Who may scrape."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from typing import Any

import httpx
import psycopg
import pytest
from botocore.auth import S3SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
from prometheus_client.parser import text_string_to_metric_families

from tests import postgres
from tests.live.events_support import signed_get
from tests.live.iam_support import iam_client
from tests.live.replication_support import (
    Deployment,
    replicate,
    status,
    v2_rule,
    versioned_bucket,
    wait_for,
)

EAST, WEST = "us-east-1", "eu-west-1"
TOKEN = "scrape-token-for-tests"
SRC, DST, RULE = "met-src", "met-dst", "to-west"
Series = tuple[str, str, str]


@pytest.fixture(scope="module")
def deployment(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Deployment]:
    running = Deployment(
        root=tmp_path_factory.mktemp("metrics"),
        extra_config=(f'[metrics]\nbearer_token = "{TOKEN}"',),
    ).start()
    yield running
    running.stop()


@pytest.fixture(scope="module")
def pg_deployment(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Deployment]:
    """The same on PostgreSQL (the counts in per-backend slots, summed by views)."""
    if (reason := postgres.unavailable_reason()) is not None:
        pytest.skip(reason)
    running = Deployment(
        root=tmp_path_factory.mktemp("metrics-pg"), engine="postgresql",
        extra_config=(f'[metrics]\nbearer_token = "{TOKEN}"',),
    ).start()  # fmt: skip
    yield running
    running.stop()


def scrape(deployment: Deployment, region: str = EAST) -> dict[str, dict[tuple[str, ...], float]]:
    """metric sample name → labels (bucket, rule, destination, or other) → value."""
    answer = httpx.get(
        deployment.endpoint(region) + "/_ferry/metrics",
        headers={"authorization": f"Bearer {TOKEN}"},
        timeout=10,
    )
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"].startswith("text/plain; version=")
    samples: dict[str, dict[tuple[str, ...], float]] = {}
    for family in text_string_to_metric_families(answer.text):
        for sample in family.samples:
            labels = tuple(v for k, v in sorted(sample.labels.items()))
            samples.setdefault(sample.name, {})[labels] = sample.value
    return samples


def series_value(samples: dict[str, dict[tuple[str, ...], float]], name: str) -> float:
    # labels sorted by name: bucket, destination_bucket, rule_id
    return samples[name][(SRC, DST, RULE)]


PENDING_SQL = (
    "SELECT COUNT(*), COALESCE(SUM(size_bytes), 0) FROM replication_tasks "
    "WHERE bucket = {0} AND rule_id = {0} AND destination_bucket = {0} AND status = 'PENDING'"
)
FAILED_SQL = (
    "SELECT COUNT(*) FROM replication_failures WHERE bucket = {0} AND rule_id = {0} "
    "AND destination_bucket = {0} AND state = 'FAILED'"
)


def queue_state(deployment: Deployment) -> tuple[int, int, int]:
    """(pending tasks, their bytes, FAILED failure records) of the rule, read from the source
    region's database itself (its SQLite file, or its PostgreSQL database)."""
    series = (SRC, RULE, DST)
    if deployment.engine == "postgresql":
        with psycopg.connect(deployment.databases[EAST]) as conn:
            pending, size = conn.execute(PENDING_SQL.format("%s"), series).fetchone() or (0, 0)
            (failed,) = conn.execute(FAILED_SQL.format("%s"), series).fetchone() or (0,)
        return int(pending), int(size), int(failed)
    path = deployment.root / "data" / EAST / "metadata.sqlite3"
    db = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=10)
    try:
        pending, size = db.execute(PENDING_SQL.format("?"), series).fetchone()
        (failed,) = db.execute(FAILED_SQL.format("?"), series).fetchone()
        return int(pending), int(size), int(failed)
    finally:
        db.close()


def scraped_state(deployment: Deployment) -> tuple[int, int, int]:
    samples = scrape(deployment)
    return (
        int(series_value(samples, "ferry_replication_pending_operations")),
        int(series_value(samples, "ferry_replication_pending_bytes")),
        int(series_value(samples, "ferry_replication_failed_operations")),
    )


def status_json(deployment: Deployment, bucket: str = SRC) -> dict[str, Any]:
    result = deployment.run_cli("replication", "status", "--bucket", bucket, "--json")
    assert result.returncode == 0, result.stderr
    answer: dict[str, Any] = json.loads(result.stdout)
    return answer


def destination_status(answer: dict[str, Any], rule_id: str = RULE) -> dict[str, Any]:
    rule = next(r for r in answer["rules"] if r["rule_id"] == rule_id)
    [destination] = rule["destinations"]
    return destination  # type: ignore[no-any-return]


def test_metrics_equal_the_queue_through_an_outage_and_a_redrive(deployment: Deployment) -> None:
    outage_and_redrive(deployment)


def test_on_postgresql_too(pg_deployment: Deployment) -> None:
    outage_and_redrive(pg_deployment)


def outage_and_redrive(deployment: Deployment) -> None:
    east, west = deployment.client(EAST), deployment.client(WEST)
    versioned_bucket(east, SRC, EAST)
    versioned_bucket(west, DST, WEST)
    replicate(east, SRC, v2_rule(DST, rule_id=RULE))
    for n in range(3):
        east.put_object(Bucket=SRC, Key=f"before/{n}", Body=b"b" * 100)
    wait_for(lambda: scraped_state(deployment)[0] == 0 and queue_state(deployment)[0] == 0,
             what="the first versions replicated")  # fmt: skip
    samples = scrape(deployment)
    assert series_value(samples, "ferry_replication_replicated_operations_total") == 3
    assert series_value(samples, "ferry_replication_replicated_bytes_total") == 300
    assert samples["ferry_replication_latency_seconds_count"][(SRC, DST, RULE)] == 3
    assert samples["ferry_replication_latency_seconds_bucket"][(SRC, DST, "+Inf", RULE)] == 3
    assert samples["ferry_http_requests_total"][("PutObject", "200")] >= 3

    deployment.kill_region(WEST)  # the outage: every new version waits, retried
    sizes = [1000 * (n + 1) for n in range(5)]
    for n, size in enumerate(sizes):
        east.put_object(Bucket=SRC, Key=f"during/{n}", Body=b"d" * size)
    assert queue_state(deployment) == (5, sum(sizes), 0)
    assert scraped_state(deployment) == (5, sum(sizes), 0)
    wait_for(lambda: scrape(deployment)["ferry_replication_oldest_pending_age_seconds"]
             [(SRC, DST, RULE)] >= 1.0, what="the backlog to age")  # fmt: skip
    during = destination_status(status_json(deployment))
    assert (during["pending_operations"], during["pending_bytes"]) == (5, sum(sizes))
    assert during["failed_operations"] == 0 and during["oldest_pending_s"] >= 1.0
    assert scrape(deployment)["ferry_replication_queue_depth"][()] == 5

    deployment.start_region(WEST)  # back: the backlog drains to 0, nothing counted failed
    wait_for(lambda: queue_state(deployment)[0] == 0, timeout_s=60, what="the backlog drained")
    assert scraped_state(deployment) == (0, 0, 0) == queue_state(deployment)
    samples = scrape(deployment)
    assert series_value(samples, "ferry_replication_replicated_operations_total") == 8
    assert series_value(samples, "ferry_replication_replicated_bytes_total") == 300 + sum(sizes)
    assert series_value(samples, "ferry_replication_oldest_pending_age_seconds") == 0

    # A permanent failure (the destination stops versioning), then its re-drive.
    west.put_bucket_versioning(Bucket=DST, VersioningConfiguration={"Status": "Suspended"})
    east.put_object(Bucket=SRC, Key="doomed", Body=b"x" * 7)
    wait_for(lambda: status(east, SRC, "doomed") == "FAILED", what="doomed FAILED")
    assert queue_state(deployment) == (0, 0, 1) == scraped_state(deployment)
    assert destination_status(status_json(deployment))["failed_operations"] == 1
    west.put_bucket_versioning(Bucket=DST, VersioningConfiguration={"Status": "Enabled"})
    redrive = deployment.run_cli("failures", "redrive", "--bucket", SRC, "--rule", RULE)
    assert redrive.returncode == 0, redrive.stdout + redrive.stderr
    assert "succeeded: 1" in redrive.stdout
    wait_for(lambda: status(east, SRC, "doomed") == "COMPLETED", what="doomed re-driven")
    assert queue_state(deployment) == (0, 0, 0) == scraped_state(deployment)
    after = destination_status(status_json(deployment))
    assert (after["failed_operations"], after["replicated_operations"]) == (0, 9)
    assert after["replicated_bytes"] == 300 + sum(sizes) + 7
    assert after["latency_p50_s"] is not None and after["latency_p99_s"] is not None


def test_status_prints_a_table_per_destination(deployment: Deployment) -> None:
    east, west = deployment.client(EAST), deployment.client(WEST)
    versioned_bucket(east, "tab-src", EAST)
    versioned_bucket(west, "tab-dst", WEST)
    replicate(east, "tab-src", v2_rule("tab-dst", rule_id="tab-rule"))
    east.put_object(Bucket="tab-src", Key="k", Body=b"t" * 2048)
    wait_for(lambda: status(east, "tab-src", "k") == "COMPLETED", what="k replicated")
    # asked of the other region: the CLI follows the bucket to its own
    result = deployment.run_cli("replication", "status", "--bucket", "tab-src", region=WEST)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0] == "Replication of bucket tab-src (region us-east-1)"
    header = lines[2].split()
    assert header[:3] == ["RULE", "DESTINATION", "PENDING"] and "P99" in header
    row = lines[3].split()
    assert row[:5] == ["tab-rule", "tab-dst", "0", "0", "B"]  # 0 pending, "0 B"
    assert "2.0 KiB" in lines[3]
    rtc = next(line for line in lines if line.startswith("tab-rule") and "Enabled" in line)
    assert rtc.split()[1:4] == ["Enabled", "Disabled", "Disabled"]  # status, Metrics, RTC
    missing = deployment.run_cli("replication", "status", "--bucket", "no-such-bucket-here")
    assert missing.returncode == 2 and "no-such-bucket-here" in missing.stderr


def test_who_may_scrape(deployment: Deployment, tmp_path_factory: pytest.TempPathFactory) -> None:
    url = deployment.endpoint(EAST) + "/_ferry/metrics"
    anonymous = httpx.get(url, timeout=5)
    assert anonymous.status_code == 401
    assert anonymous.json()["error"] == "Unauthorized"
    assert anonymous.headers["www-authenticate"].startswith("Bearer")
    wrong = httpx.get(url, headers={"authorization": "Bearer not-the-token"}, timeout=5)
    assert (wrong.status_code, wrong.json()["error"]) == (403, "AccessDenied")
    root = signed_get(deployment.endpoint(EAST), "/_ferry/metrics")
    assert root.status_code == 200 and "process_cpu_seconds_total" in root.text
    west = signed_get(deployment.endpoint(WEST), "/_ferry/metrics", region=WEST)
    assert west.status_code == 200 and "ferry_replication_queue_depth" in west.text
    assert (
        httpx.post(url, headers={"authorization": f"Bearer {TOKEN}"}, timeout=5).status_code == 405
    )
    iam = iam_client(deployment.endpoint(EAST))
    iam.create_user(UserName="scraper")
    key = iam.create_access_key(UserName="scraper")["AccessKey"]
    request = AWSRequest(method="GET", url=url, headers={})
    credentials = Credentials(key["AccessKeyId"], key["SecretAccessKey"])
    S3SigV4Auth(credentials, "s3", EAST).add_auth(request)
    stranger = httpx.get(url, headers=dict(request.headers.items()), timeout=5)
    assert (stranger.status_code, stranger.json()["error"]) == (403, "AccessDenied")
    public = Deployment(
        root=tmp_path_factory.mktemp("metrics-public"), regions=(EAST,),
        extra_config=("[metrics]\npublic = true",),
    ).start()  # fmt: skip
    try:
        opened = httpx.get(public.endpoint(EAST) + "/_ferry/metrics", timeout=5)
        assert opened.status_code == 200 and "ferry_http_requests_total" in opened.text
    finally:
        public.stop()
    off = Deployment(
        root=tmp_path_factory.mktemp("metrics-off"), regions=(EAST,),
        extra_config=("[metrics]\nenabled = false",),
    ).start()  # fmt: skip
    try:
        root_off = signed_get(off.endpoint(EAST), "/_ferry/metrics")
        assert (root_off.status_code, root_off.json()["error"]) == (404, "NotFound")
    finally:
        off.stop()
