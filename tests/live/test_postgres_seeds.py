"""The seed scenarios once more, with both regions and the control plane on PostgreSQL: the
two-way lab (seed 003), V1/V2 delete markers (seed 004), seed 000's permission causes and
seed 001's re-drive. The tests are the SQLite tier's own, collected here again against a
deployment whose every database is PostgreSQL."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

from tests import postgres
from tests.live.iam_support import ensure_replication_role
from tests.live.replication_support import Deployment
from tests.live.test_batch_replication import (
    BATCH_POLICY,
    ROLE,
    control,  # noqa: F401 (fixture)
    test_seed_001_failures_queried_per_rule_then_redriven,  # noqa: F401
)
from tests.live.test_replication import (
    test_delete_markers_v1_vs_v2_with_seed_004_configurations,  # noqa: F401
    test_two_way_lab_with_the_aws_cli,  # noqa: F401
)
from tests.live.test_replication_permissions import (
    test_a_missing_object_permission_fails_with_its_reason_then_redrives,  # noqa: F401
    test_a_role_that_does_not_trust_s3_cannot_be_assumed,  # noqa: F401
    test_seed_000_story_with_the_aws_cli,  # noqa: F401
)

EAST = "us-east-1"


@pytest.fixture(scope="module")
def deployment(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Deployment]:
    reason = postgres.unavailable_reason()
    if reason is not None:
        if os.environ.get("FERRY_REQUIRE_POSTGRES") == "1":
            pytest.fail(reason)
        pytest.skip(reason)
    running = Deployment(root=tmp_path_factory.mktemp("postgres-seeds"), engine="postgresql")
    try:
        running.start()
        assert ensure_replication_role(running.endpoint(EAST), "batch", policy=BATCH_POLICY) == ROLE
        yield running
    finally:
        running.stop()
