"""An object's replication status per destination, as the object page shows it: the
destinations of the bucket's enabled rules whose filter the object matches, each with the
failure the failure store holds for this version there, or else the object's own status."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from ferry.console.rule_form import RuleForm
from ferry.replication import Failure, FailureState

REPLICA = "REPLICA"


@dataclass(frozen=True, slots=True, kw_only=True)
class DestinationStatus:
    bucket: str
    rule_id: str
    status: str  # COMPLETED, PENDING, FAILED (AWS's words)
    failure: Failure | None = None  # why, when it failed or is being retried


def rule_matches(rule: RuleForm, key: str, tags: Sequence[tuple[str, str]]) -> bool:
    if not rule.enabled or not key.startswith(rule.prefix if rule.scope != "all" else ""):
        return False
    return rule.scope != "tags" or set(rule.tag_pairs) <= set(tags)


def destination_statuses(
    rules: Sequence[RuleForm],
    key: str,
    tags: Sequence[tuple[str, str]],
    status: str,
    failures: Sequence[Failure],
) -> list[DestinationStatus]:
    """`status`: the object's x-amz-replication-status; a replica has no destinations."""
    if not status or status == REPLICA:
        return []
    by_destination = {f.destination_bucket: f for f in failures}
    shown: dict[str, DestinationStatus] = {}
    for rule in sorted(rules, key=lambda r: -int(r.priority or 0)):  # the highest wins
        if not rule_matches(rule, key, tags):
            continue
        failure = by_destination.get(rule.destination_bucket)
        if failure is not None and failure.state is FailureState.RESOLVED:
            failure = None  # it failed once, then replicated
        own = _own_status(status, failure)
        shown[rule.destination_bucket] = DestinationStatus(
            bucket=rule.destination_bucket, rule_id=rule.rule_id, status=own, failure=failure
        )
    return list(shown.values())


def _own_status(status: str, failure: Failure | None) -> str:
    if failure is not None:
        return "FAILED" if failure.state is FailureState.FAILED else "PENDING"  # retrying
    # No failure here: done, unless the object as a whole is still on its way. (FAILED as a
    # whole means another destination failed: the failure store records every failure.)
    return "PENDING" if status == "PENDING" else "COMPLETED"
