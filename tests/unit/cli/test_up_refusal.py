"""`ferry up` refuses before it writes anything: a deployment already running, a port taken."""

from __future__ import annotations

import os
import socket
from collections.abc import Iterator
from pathlib import Path

import pytest

from ferry.cli.run_dir import (
    SUPERVISOR_PID_FILE,
    busy_regions,
    lock_deployment,
    run_dir_of,
    supervisor_pid,
)
from ferry.cli.up import why_not_start
from ferry.config import DeploymentConfig, load_deployment


@pytest.fixture
def listening() -> Iterator[int]:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen()
        yield int(sock.getsockname()[1])


def deployment(tmp_path: Path, *ports: int) -> DeploymentConfig:
    config = tmp_path / "ferry.toml"
    config.write_text(
        'data_dir = "data"\n'
        + "".join(f'[[regions]]\nname = "r{i}"\nport = {p}\n' for i, p in enumerate(ports))
    )
    return load_deployment(config)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_a_port_in_use_is_named_with_its_region(tmp_path: Path, listening: int) -> None:
    target = deployment(tmp_path, free_port(), listening)

    assert [r.name for r in busy_regions(target)] == ["r1"]
    refusal = why_not_start(target)
    assert refusal is not None and f"127.0.0.1:{listening} (r1)" in refusal
    assert not run_dir_of(target).exists()  # nothing written


def test_a_live_supervisor_pid_refuses_and_a_stale_one_does_not(tmp_path: Path) -> None:
    target = deployment(tmp_path, free_port())
    run_dir_of(target).mkdir(parents=True)
    pid_file = run_dir_of(target) / SUPERVISOR_PID_FILE
    pid_file.write_text(f"{os.getpid()}\n")

    refusal = why_not_start(target)
    assert refusal is not None and f"pid {os.getpid()}" in refusal and "ferry down" in refusal

    pid_file.write_text("999999999\n")  # no such process: a crash left it behind
    assert supervisor_pid(target) is None
    assert why_not_start(target) is None


def test_only_one_up_holds_the_deployment_lock(tmp_path: Path) -> None:
    target = deployment(tmp_path, free_port())

    first = lock_deployment(target)
    assert first is not None
    assert lock_deployment(target) is None  # a second `ferry up`, starting at the same time
    first.close()  # the holder exits
    again = lock_deployment(target)
    assert again is not None
    again.close()
