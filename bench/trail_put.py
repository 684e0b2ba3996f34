"""The audit trail's cost on the write path: 4 KiB PUT at concurrency 16 against Ferry with
its trail (`ferry`) and without (`ferry-notrail`, `ferry serve --no-trail`), both servers up
in the same run, phases alternated, medians over the rounds. Besides throughput it reports
each server's own CPU time per PUT (user + system of the server process, from /proc), which
a machine shared with other work disturbs far less than ops/s.

    .venv/bin/python -m bench.trail_put [--rounds K] [--ops N]
"""

from __future__ import annotations

import sys
from pathlib import Path

if not __package__:  # run as `python bench/trail_put.py`
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import argparse
import asyncio
import os
import shutil
import statistics
import tempfile
import time

from bench import servers
from bench.loadgen import Connection, Reply, run_phase
from bench.s3client import S3Calls
from bench.signer import load_signer

SIZE_BYTES = 4 * 1024
CONCURRENCY = 16
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def cpu_s(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS  # utime, stime


async def phase(
    server: servers.RunningServer, bucket: str, round_: int, ops: int
) -> tuple[float, float]:
    calls = S3Calls(server.endpoint, load_signer().sign)
    body = os.urandom(SIZE_BYTES)

    async def put(conn: Connection, index: int) -> Reply:
        return await calls.put_object(conn, bucket, f"r{round_}/k{index}", body)

    before = cpu_s(server.proc.pid)
    result = await run_phase(
        host=server.endpoint.host, port=server.endpoint.port, op=put,
        concurrency=CONCURRENCY, max_ops=ops, max_seconds=60.0, op_timeout_s=10.0,
        payload_bytes=SIZE_BYTES,
    )  # fmt: skip
    used = cpu_s(server.proc.pid) - before
    done = len(result.ok_indices)
    assert done and not result.errors, result.errors
    return done / result.elapsed_s, used / done * 1000


async def main_async(rounds: int, ops: int) -> None:
    root = Path(tempfile.mkdtemp(prefix="ferry-trail-put-"))
    running = {}
    try:
        for spec in (servers.ferry_spec(), servers.ferry_notrail_spec()):
            running[spec.name] = servers.start(spec, root)
        for server in running.values():
            calls = S3Calls(server.endpoint, load_signer().sign)
            conn = Connection(server.endpoint.host, server.endpoint.port)
            await conn.connect()
            await calls.create_bucket(conn, "bench")
            conn.close()
            await phase(server, "bench", -1, ops // 4)  # warm-up
        figures: dict[str, list[tuple[float, float]]] = {name: [] for name in running}
        for round_ in range(rounds):
            order = list(running) if round_ % 2 == 0 else list(reversed(running))
            for name in order:
                figures[name].append(await phase(running[name], "bench", round_, ops))
                print(f"round {round_} {name:<14} {figures[name][-1][0]:7.1f} PUT/s "
                      f"{figures[name][-1][1]:6.2f} CPU ms/PUT", file=sys.stderr)  # fmt: skip
        print(f"4 KiB PUT c{CONCURRENCY}, {rounds} rounds of {ops} PUTs, load average "
              f"{os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")  # fmt: skip
        print(f"{'server':<14} {'PUT/s':>8} {'CPU ms/PUT':>11}  (medians)")
        medians = {}
        for name, rows in figures.items():
            medians[name] = (statistics.median(r[0] for r in rows),
                             statistics.median(r[1] for r in rows))  # fmt: skip
            print(f"{name:<14} {medians[name][0]:>8.1f} {medians[name][1]:>11.2f}")
        ratios = [on[0] / off[0] for on, off in zip(figures["ferry"], figures["ferry-notrail"],
                                                    strict=True)]  # fmt: skip
        cpu = medians["ferry"][1] / medians["ferry-notrail"][1]
        print(f"trail on / off: PUT/s {statistics.median(ratios):.2f}x "
              f"[{min(ratios):.2f}-{max(ratios):.2f}] (median of per-round ratios), "
              f"CPU per PUT {cpu:.2f}x")  # fmt: skip
    finally:
        for server in running.values():
            servers.stop(server)
        shutil.rmtree(root, ignore_errors=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rounds", type=int, default=6)
    parser.add_argument("--ops", type=int, default=2000)
    args = parser.parse_args(argv)
    began = time.monotonic()
    asyncio.run(main_async(args.rounds, args.ops))
    print(f"({time.monotonic() - began:.0f} s)", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
