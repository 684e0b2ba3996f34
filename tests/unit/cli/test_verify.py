"""`ferry verify`'s checkpoint file and report, without a deployment."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import pytest

from ferry.cli.admin_client import CommandError
from ferry.cli.verify import load_checkpoint, render_human, render_report, save_checkpoint
from ferry.cli.verify_repair import RepairTally
from ferry.protocol.xml.replication import (
    ReplicationConfiguration,
    ReplicationDestination,
    ReplicationRule,
    ReplicationRuleStatus,
)
from ferry.replication.verify import Difference, DifferenceKind, VerifyTally, verify_scope

MISSING = Difference(
    kind=DifferenceKind.MISSING,
    destination_bucket="dst",
    key="k",
    version_id="v1",
    is_delete_marker=False,
    rule_id="r",
    detail="why",
)


def arguments(bucket: str = "src", rule: str | None = None) -> argparse.Namespace:
    return argparse.Namespace(bucket=bucket, rule=rule, show=20)


def test_a_checkpoint_round_trips(tmp_path: Path) -> None:
    path = tmp_path / "verify.json"
    tally = VerifyTally(keys=3, source_versions=4, counts={"dst": {"MISSING": 1}}, first=[MISSING])
    repairs = RepairTally(queued=1)
    save_checkpoint(path, arguments(), "k", tally, repairs)
    last_key, loaded, loaded_repairs = load_checkpoint(path, arguments())
    assert (last_key, loaded.keys, loaded.counts, loaded.first) == ("k", 3, tally.counts, [MISSING])
    assert loaded_repairs == repairs
    assert not path.with_name("verify.json.tmp").exists()


def test_a_checkpoint_of_another_run_or_garbage_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "verify.json"
    save_checkpoint(path, arguments(), "k", VerifyTally(), RepairTally())
    with pytest.raises(CommandError, match="of another run"):
        load_checkpoint(path, arguments(rule="other"))
    path.write_text("{")
    with pytest.raises(CommandError, match="unreadable"):
        load_checkpoint(path, arguments())


def test_the_report_counts_every_kind_per_destination() -> None:
    rule = ReplicationRule(
        id="r",
        prefix="",
        status=ReplicationRuleStatus.ENABLED,
        destination=ReplicationDestination(bucket="arn:aws:s3:::dst"),
    )
    scope = verify_scope("src", ReplicationConfiguration(role="x", rules=(rule,)))
    tally = VerifyTally()
    tally.add_key(1, [MISSING])
    report = render_report(scope, tally, None)
    assert report["destinations"] == {"dst": {"MISSING": 1, "EXTRA": 0, "MISMATCH": 0}}
    assert json.loads(json.dumps(report))["agree"] is False
    text = render_human(report)
    assert "first 1 of 1 differences" in text and text.endswith("1 differences")
