"""The doctor's loop search as `ferry doctor` and the console drive it."""

from __future__ import annotations

from ferry.replication.doctor_walk import MAX_FOLLOWED_BUCKETS, TopologyWalk


def rule_to(*destinations: str) -> str:
    rules = "".join(
        f"<Rule><ID>{d}</ID><Priority>{i}</Priority><Status>Enabled</Status><Filter/>"
        "<DeleteMarkerReplication><Status>Disabled</Status></DeleteMarkerReplication>"
        f"<Destination><Bucket>arn:aws:s3:::{d}</Bucket></Destination></Rule>"
        for i, d in enumerate(destinations, 1)
    )
    return (
        "<ReplicationConfiguration><Role>arn:aws:iam::000000000001:role/r</Role>"
        f"{rules}</ReplicationConfiguration>"
    )


def walked(source: str, configurations: dict[str, str | None]) -> tuple[list[str], TopologyWalk]:
    walk = TopologyWalk(source, ["b"])
    asked = []
    while (bucket := walk.next_bucket()) is not None:
        asked.append(bucket)
        walk.found(bucket, configurations.get(bucket))
    return asked, walk


def test_the_walk_follows_each_bucket_once_and_finds_a_loop_of_three() -> None:
    asked, walk = walked("a", {"b": rule_to("c"), "c": rule_to("a", "b")})
    assert asked == ["b", "c"]
    [loop] = walk.findings()
    assert loop.check == "loop" and loop.subject == "a → b → c → a"


def test_a_missing_or_unreplicated_destination_ends_the_walk_without_findings() -> None:
    asked, walk = walked("a", {"b": None})
    assert asked == ["b"] and walk.findings() == []


def test_the_walk_is_bounded() -> None:
    chain = {f"b{i}" if i else "b": rule_to(f"b{i + 1}") for i in range(200)}
    asked, _ = walked("a", chain)
    assert len(asked) == MAX_FOLLOWED_BUCKETS - 1
