from __future__ import annotations

from ferry.console.destinations import destination_statuses, rule_matches
from ferry.console.rule_form import RuleForm
from ferry.replication import Failure, FailureState


def failure(destination: str, state: FailureState) -> Failure:
    return Failure(
        failure_id=1,
        bucket="src",
        key="logs/a",
        version_id="v",
        operation="OBJECT",
        rule_id="r",
        destination_bucket=destination,
        destination_region="eu-west-1",
        state=state,
        reason="DstPutObjectNotPermitted",
        message="403 AccessDenied",
        attempts=3,
        first_failure_ms=0,
        last_failure_ms=0,
        next_attempt_ms=None,
        resolved_ms=None,
    )


EU = RuleForm(rule_id="eu", priority="1", destination="eu")
AP = RuleForm(rule_id="ap", priority="2", scope="prefix", prefix="logs/", destination="ap")


def test_a_rule_matches_by_prefix_and_by_every_one_of_its_tags() -> None:
    tagged = RuleForm(scope="tags", tags="team=data\nkeep=yes", destination="x")
    assert rule_matches(AP, "logs/a", []) and not rule_matches(AP, "img/a", [])
    assert rule_matches(tagged, "a", [("team", "data"), ("keep", "yes"), ("x", "y")])
    assert not rule_matches(tagged, "a", [("team", "data")])
    assert not rule_matches(RuleForm(enabled=False, destination="x"), "a", [])


def test_each_destination_shows_its_own_failure_or_the_object_s_status() -> None:
    statuses = destination_statuses(
        [EU, AP], "logs/a", [], "FAILED", [failure("ap", FailureState.FAILED)]
    )
    assert [(s.bucket, s.status) for s in statuses] == [("ap", "FAILED"), ("eu", "COMPLETED")]
    assert statuses[0].failure is not None and statuses[0].failure.reason.startswith("Dst")
    retrying = destination_statuses(
        [EU], "a", [], "PENDING", [failure("eu", FailureState.RETRYING)]
    )
    assert [(s.status, s.failure is not None) for s in retrying] == [("PENDING", True)]
    resolved = destination_statuses(
        [EU], "a", [], "COMPLETED", [failure("eu", FailureState.RESOLVED)]
    )
    assert [(s.status, s.failure) for s in resolved] == [("COMPLETED", None)]


def test_a_replica_or_an_object_no_rule_covers_has_no_destinations() -> None:
    assert destination_statuses([EU], "a", [], "REPLICA", []) == []
    assert destination_statuses([EU], "a", [], "", []) == []
    assert destination_statuses([AP], "img/a", [], "COMPLETED", []) == []
