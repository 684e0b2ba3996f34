"""The admin API behind `ferry verify`, `doctor` and `explain` (`/_ferry/replication/`), two
regions in one process: version listings page in key order, a bucket of the other region is
a redirect, repairs are queued as replication tasks (or refused with a reason), and bodies
must match their signed digest."""

from __future__ import annotations

import hashlib
import json
from typing import Any

from tests.integration.replication.conftest import TwoRegions, eventually
from tests.integration.replication.test_engine import configure, make_bucket, status_of
from tests.integration.s3 import S3

ADMIN = "/_ferry/replication"


async def admin(s3: S3, resource: str, status: int = 200, **query: str) -> dict[str, Any]:
    response = await s3.get(f"{ADMIN}/{resource}", query=query)
    assert response.status_code == status, response.text
    document: dict[str, Any] = response.json()
    return document


async def repair(s3: S3, bucket: str, *repairs: dict[str, str], digest: str = "") -> Any:
    body = json.dumps({"repairs": list(repairs)}).encode()
    query = {"bucket": bucket, "sha256": digest or hashlib.sha256(body).hexdigest()}
    return await s3.post(f"{ADMIN}/repairs", body=body, query=query)


async def replicated_pair(regions: TwoRegions) -> list[str]:
    await make_bucket(regions.s3_east, "src")
    await make_bucket(regions.s3_west, "dst")
    await configure(regions.s3_east, "src", "dst", rule_id="to-west")
    ids = []
    for key in ("a", "b", "c"):
        put = await regions.s3_east.put(f"/src/{key}", body=key.encode())
        ids.append(put.headers["x-amz-version-id"])

    async def done() -> bool:
        return all([await status_of(regions.s3_east, f"/src/{k}") == "COMPLETED" for k in "abc"])

    await eventually(done)
    return ids


async def test_versions_page_in_key_order_and_redirect_to_their_region(
    regions: TwoRegions,
) -> None:
    ids = await replicated_pair(regions)
    first = await admin(regions.s3_east, "versions", bucket="src", limit="2")
    assert [v["key"] for v in first["versions"]] == ["a", "b"]
    assert first["truncated"] and first["next_key_marker"] == "b"
    rest = await admin(
        regions.s3_east,
        "versions",
        bucket="src",
        key_marker="b",
        version_id_marker=first["next_version_id_marker"],
    )
    assert [(v["key"], v["version_id"]) for v in rest["versions"]] == [("c", ids[2])]
    assert not rest["truncated"]
    moved = await admin(regions.s3_east, "versions", 301, bucket="dst")
    assert (moved["error"], moved["region"]) == ("PermanentRedirect", "eu-west-1")
    replicas = await admin(regions.s3_west, "versions", bucket="dst")
    assert {v["replication_status"] for v in replicas["versions"]} == {"REPLICA"}
    await admin(regions.s3_east, "versions", 404, bucket="nowhere")


async def test_a_repair_replicates_a_version_the_destination_lost(regions: TwoRegions) -> None:
    ids = await replicated_pair(regions)
    gone = await regions.s3_west.delete("/dst/a", query={"versionId": ids[0]})
    assert gone.status_code == 204
    response = await repair(
        regions.s3_east, "src", {"key": "a", "version_id": ids[0], "destination_bucket": "dst"}
    )
    assert response.status_code == 200, response.text
    [outcome] = response.json()["repairs"]
    assert (outcome["queued"], outcome["rule_id"], outcome["operation"]) == (
        True,
        "to-west",
        "OBJECT",
    )

    async def back() -> bool:
        found = await regions.s3_west.head("/dst/a", query={"versionId": ids[0]})
        return found.status_code == 200

    await eventually(back)


async def test_repairs_the_rules_do_not_allow_are_refused(regions: TwoRegions) -> None:
    ids = await replicated_pair(regions)
    response = await repair(
        regions.s3_east,
        "src",
        {"key": "a", "version_id": "nope", "destination_bucket": "dst"},
        {"key": "a", "version_id": ids[0], "destination_bucket": "elsewhere"},
    )
    assert [o["reason"] for o in response.json()["repairs"]] == [
        "SrcVersionNotFound",
        "SrcObjectNotEligible",
    ]


async def test_a_repair_body_must_match_its_signed_digest(regions: TwoRegions) -> None:
    await make_bucket(regions.s3_east, "src")
    response = await repair(regions.s3_east, "src", digest="0" * 64)
    assert response.status_code == 400
    assert response.json()["error"] == "XAmzContentSHA256Mismatch"
    malformed = await regions.s3_east.post(
        f"{ADMIN}/repairs",
        body=b"[]",
        query={"bucket": "src", "sha256": hashlib.sha256(b"[]").hexdigest()},
    )
    assert (malformed.status_code, malformed.json()["error"]) == (400, "MalformedJSON")


async def test_explain_and_doctor_answer_in_the_source_region(regions: TwoRegions) -> None:
    await replicated_pair(regions)
    answer = await admin(regions.s3_east, "explain", bucket="src", key="x")
    assert answer["destinations"][0]["reached"]
    source = await admin(regions.s3_east, "doctor/source", bucket="src")
    [needs] = source["destinations"]
    assert needs["bucket"] == "dst"
    destination = await admin(
        regions.s3_west, "doctor/destination", bucket="dst", needs=json.dumps(needs)
    )
    assert destination["next_hops"] == []
    await admin(regions.s3_west, "doctor/destination", 400, bucket="dst", needs="{}")
    await admin(regions.s3_east, "nothing", 404, bucket="src")


async def test_a_repair_that_fails_lands_in_the_failure_store(regions: TwoRegions) -> None:
    ids = await replicated_pair(regions)
    await regions.s3_west.delete("/dst/b", query={"versionId": ids[1]})
    body = b"<VersioningConfiguration><Status>Suspended</Status></VersioningConfiguration>"
    await regions.s3_west.put("/dst", query={"versioning": None}, body=body)
    response = await repair(
        regions.s3_east, "src", {"key": "b", "version_id": ids[1], "destination_bucket": "dst"}
    )
    assert response.json()["repairs"][0]["queued"]

    async def failed() -> bool:
        return await status_of(regions.s3_east, "/src/b", ids[1]) == "FAILED"

    await eventually(failed)
    listed = await regions.s3_east.get("/_ferry/failures", query={"state": "FAILED"})
    [failure] = listed.json()["failures"]
    assert (failure["key"], failure["version_id"], failure["reason"]) == (
        "b",
        ids[1],
        "DstBucketUnversioned",
    )
