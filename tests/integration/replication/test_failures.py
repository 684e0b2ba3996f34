"""The failure store end to end: the engine records failures, the admin API serves them."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import httpx

from ferry.core.secret import Secret
from ferry.replication.failures import FailureState, record_failure
from ferry.replication.identity import REPLICATION_ACCESS_KEY, replication_secret
from ferry.store import Tx
from tests.integration.replication.conftest import TwoRegions, eventually
from tests.integration.replication.test_engine import configure, make_bucket, status_of
from tests.integration.s3 import S3, SECRET_KEY


async def failures(s3: S3, **query: str) -> dict[str, Any]:
    response = await s3.get("/_ferry/failures", query=query)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/json"
    document: dict[str, Any] = response.json()
    return document


async def test_unversioned_destination_is_recorded_failed_with_reason(regions: TwoRegions) -> None:
    await make_bucket(regions.s3_east, "src")
    await make_bucket(regions.s3_west, "dst")
    await configure(regions.s3_east, "src", "dst", rule_id="to-west")
    body = b"<VersioningConfiguration><Status>Suspended</Status></VersioningConfiguration>"
    await regions.s3_west.put("/dst", query={"versioning": None}, body=body)
    put = await regions.s3_east.put("/src/k", body=b"x")

    async def failed() -> bool:
        return await status_of(regions.s3_east, "/src/k") == "FAILED"

    await eventually(failed)
    [failure] = (await failures(regions.s3_east))["failures"]
    assert failure["state"] == "FAILED"
    assert failure["reason"] == "DstBucketUnversioned"
    assert (failure["bucket"], failure["key"]) == ("src", "k")
    assert failure["version_id"] == put.headers["x-amz-version-id"]
    assert failure["rule_id"] == "to-west"
    assert failure["operation"] == "OBJECT"
    assert (failure["destination_bucket"], failure["destination_region"]) == ("dst", "eu-west-1")
    assert failure["attempts"] == 1
    assert failure["first_failure"] == failure["last_failure"]
    assert failure["next_attempt"] is None and failure["resolved"] is None
    assert failure["message"]
    shown = await regions.s3_east.get(f"/_ferry/failures/{failure['id']}")
    assert shown.json() == failure


async def test_unreachable_region_is_retrying_then_resolved(regions: TwoRegions) -> None:
    await make_bucket(regions.s3_east, "src")
    await make_bucket(regions.s3_west, "dst")
    await configure(regions.s3_east, "src", "dst")
    regions.take_down(regions.west)
    await regions.s3_east.put("/src/k", body=b"patience")

    async def retrying() -> bool:
        listed = (await failures(regions.s3_east, state="RETRYING"))["failures"]
        return bool(listed) and listed[0]["attempts"] >= 2

    await eventually(retrying)
    [failure] = (await failures(regions.s3_east))["failures"]
    assert failure["reason"] == "DstRegionUnavailable"
    assert failure["destination_region"] == "eu-west-1"
    assert failure["next_attempt"] is not None
    assert failure["next_attempt"] >= failure["last_failure"]
    assert failure["first_failure"] < failure["last_failure"]
    assert await status_of(regions.s3_east, "/src/k") == "PENDING"
    regions.bring_up(regions.west)

    async def resolved() -> bool:
        return bool((await failures(regions.s3_east, state="RESOLVED"))["failures"])

    await eventually(resolved)
    [done] = (await failures(regions.s3_east))["failures"]
    assert done["id"] == failure["id"]
    assert done["resolved"] is not None and done["next_attempt"] is None
    assert done["first_failure"] == failure["first_failure"]
    assert await status_of(regions.s3_east, "/src/k") == "COMPLETED"
    summary = (await regions.s3_east.get("/_ferry/failures/summary")).json()
    assert summary["total"] == {"RETRYING": 0, "FAILED": 0, "RESOLVED": 1}


@dataclass(frozen=True)
class FakeTask:
    bucket: str
    key: str
    version_id: str
    operation: str
    rule_id: str
    destination_bucket: str
    attempts: int = 1


async def seed(regions: TwoRegions, count: int) -> None:
    """`count` failures, one a second: rules r0/r1, buckets a/b, reasons alternating."""

    def write(tx: Tx) -> None:
        for i in range(count):
            task = FakeTask(
                bucket="ab"[i % 2], key=f"k{i:03}", version_id=f"v{i}", operation="OBJECT",
                rule_id=f"r{i % 3 % 2}", destination_bucket="dst" if i % 5 else "other",
            )  # fmt: skip
            state = FailureState.FAILED if i % 4 else FailureState.RETRYING
            reason = "DstBucketNotFound" if i % 2 else "DstRegionUnavailable"
            now_ms = 1_700_000_000_000 + i * 1000
            record_failure(tx, task, state=state, reason=reason, message="m", now_ms=now_ms)

    await regions.east.db.write(write)


async def test_admin_api_filters_and_paginates_newest_first(regions: TwoRegions) -> None:
    await seed(regions, 50)
    s3 = regions.s3_east
    seen: list[str] = []
    cursor: str | None = None
    while True:
        query = {"limit": "7", **({"cursor": cursor} if cursor else {})}
        page = await failures(s3, **query)
        seen += [f["key"] for f in page["failures"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == [f"k{i:03}" for i in reversed(range(50))]
    only_a = await failures(s3, bucket="a", limit="1000")
    assert {f["bucket"] for f in only_a["failures"]} == {"a"} and len(only_a["failures"]) == 25
    assert len((await failures(s3, destination="other"))["failures"]) == 10
    assert len((await failures(s3, rule="r1"))["failures"]) == 17
    assert len((await failures(s3, reason="DstBucketNotFound"))["failures"]) == 25
    assert len((await failures(s3, state="retrying"))["failures"]) == 13
    window = await failures(s3, since="2023-11-14T22:13:30Z", until="2023-11-14T22:13:40Z")
    assert [f["key"] for f in window["failures"]] == [f"k{i:03}" for i in range(19, 9, -1)]
    both = await failures(s3, bucket="b", state="FAILED", reason="DstBucketNotFound")
    assert {(f["bucket"], f["state"]) for f in both["failures"]} == {("b", "FAILED")}
    bad = await s3.get("/_ferry/failures", query={"state": "LOST"})
    assert bad.status_code == 400 and bad.json()["error"] == "InvalidArgument"
    assert (await s3.get("/_ferry/failures", query={"cursor": "!!"})).status_code == 400
    assert (await s3.get("/_ferry/failures/999999")).status_code == 404


async def test_admin_api_summary_counts_per_rule_and_reason(regions: TwoRegions) -> None:
    await seed(regions, 12)
    summary = (await regions.s3_east.get("/_ferry/failures/summary")).json()
    assert summary["total"] == {"RETRYING": 3, "FAILED": 9, "RESOLVED": 0}
    rules = {r["rule_id"]: r for r in summary["rules"]}
    assert rules["r0"]["RETRYING"] + rules["r0"]["FAILED"] == 8
    assert rules["r1"]["RETRYING"] + rules["r1"]["FAILED"] == 4
    reasons = {r["reason"]: r for r in summary["reasons"]}
    assert reasons["DstBucketNotFound"] == {
        "reason": "DstBucketNotFound", "RETRYING": 0, "FAILED": 6, "RESOLVED": 0,
    }  # fmt: skip


async def test_admin_api_purge_removes_matching_records(regions: TwoRegions) -> None:
    await seed(regions, 20)
    s3 = regions.s3_east
    refused = await s3.delete("/_ferry/failures")
    assert refused.status_code == 400
    purged = await s3.delete("/_ferry/failures", query={"bucket": "a"})
    assert purged.json() == {"purged": 10}
    assert {f["bucket"] for f in (await failures(s3))["failures"]} == {"b"}
    summary = (await s3.get("/_ferry/failures/summary")).json()
    assert sum(summary["total"].values()) == 10
    everything = await s3.delete("/_ferry/failures", query={"all": "true"})
    assert everything.json() == {"purged": 10}
    assert (await s3.get("/_ferry/failures/summary")).json()["rules"] == []


async def test_admin_api_needs_root_credentials(regions: TwoRegions) -> None:
    http = regions.s3_east.http
    anonymous = await http.get("/_ferry/failures")
    assert anonymous.status_code == 403 and anonymous.json()["error"] == "AccessDenied"
    replication = S3(
        http,
        access_key=REPLICATION_ACCESS_KEY,
        secret_key=replication_secret(Secret(SECRET_KEY)).reveal(),
    )
    denied = await replication.get("/_ferry/failures")
    assert denied.status_code == 403 and denied.json()["error"] == "AccessDenied"
    forged = S3(http, secret_key="not-the-secret")
    wrong = await forged.get("/_ferry/failures/summary")
    assert wrong.status_code == 403 and wrong.json()["error"] == "SignatureDoesNotMatch"
    unknown = await S3(http, access_key="NOBODY00000000000000").delete("/_ferry/failures")
    assert unknown.status_code == 403 and unknown.json()["error"] == "InvalidAccessKeyId"


async def test_admin_api_answers_unknown_paths_and_methods(regions: TwoRegions) -> None:
    s3 = regions.s3_east
    assert (await s3.get("/_ferry/failures/nope")).status_code == 404
    assert (await s3.put("/_ferry/failures")).status_code == 405
    assert isinstance(await s3.get("/_ferry/failures/summary"), httpx.Response)
