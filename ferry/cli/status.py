"""`ferry status`: is the deployment of this directory (or `--config`) running, and does each
region answer its health check? Exit 0 when every region is up, 1 otherwise."""

from __future__ import annotations

import argparse

import httpx

from ferry.cli.deployment_file import add_deployment_command
from ferry.cli.run_dir import region_pid, supervisor_pid
from ferry.cli.supervisor import HEALTH_TIMEOUT_S, health_url
from ferry.config import DeploymentConfig, RegionConfig
from ferry.core.tls import loopback_probe


def add_parser(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    add_deployment_command(
        commands, "status", "show whether each region of a deployment runs", show_status
    )


def show_status(deployment: DeploymentConfig) -> int:
    healthy = {region.name: is_healthy(region) for region in deployment.regions}
    print(render_status(deployment, healthy), flush=True)
    return 0 if all(healthy.values()) else 1


def is_healthy(region: RegionConfig) -> bool:
    try:
        response = httpx.get(
            health_url(region), timeout=HEALTH_TIMEOUT_S, trust_env=False, verify=loopback_probe()
        )
    except httpx.HTTPError:
        return False
    return response.status_code == 200


def render_status(deployment: DeploymentConfig, healthy: dict[str, bool]) -> str:
    supervisor = supervisor_pid(deployment)
    head = f"ferry up pid {supervisor}" if supervisor else "no ferry up running"
    lines = [f"deployment (data in {deployment.data_dir}): {head}"]
    for region in deployment.regions:
        pid = region_pid(deployment, region.name)
        state = "up" if healthy[region.name] else "down"
        process = f"pid {pid}" if pid else "no process"
        lines.append(f"  {region.name:<16} {region.endpoint:<28} {state:<5} {process}")
    return "\n".join(lines)
