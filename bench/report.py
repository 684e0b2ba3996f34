"""Turn the raw runs into medians and baseline/peer ratios, and render them as text tables."""

from __future__ import annotations

import re
from typing import Any

from bench.stats import median, ratio

_XML_PROLOGUE = re.compile(r"<\?xml[^>]*\?>")
CLIENT_BOUND_FRACTION = 0.6  # ops/s at or above this share of the no-op ceiling is flagged "*"


def _cell(runs: list[dict[str, Any]], workload: str, op: str, server: str) -> list[dict[str, Any]]:
    return [r for r in runs if (r["workload"], r["op"], r["server"]) == (workload, op, server)]


def summarise_runs(result: dict[str, Any], servers: list[str], baseline: str) -> dict[str, Any]:
    """Medians per (workload, op, server) over repeats, and per-repeat ratios baseline/peer."""
    runs = result["runs"]
    keys = list(dict.fromkeys((r["workload"], r["op"]) for r in runs))
    rows = []
    for workload, op in keys:
        for server in servers:
            cell = _cell(runs, workload, op, server)
            rows.append(
                {
                    "workload": workload,
                    "op": op,
                    "server": server,
                    "repeats": len(cell),
                    "ok": sum(r["ok"] for r in cell),
                    "errors": sum(r["errors"] for r in cell),
                    "first_error": next((e for r in cell for e in r["error_samples"]), None),
                    **{
                        m: median([r[m] for r in cell])
                        for m in ("ops_per_s", "mb_per_s", "p50_ms", "p99_ms")
                    },
                }
            )
    ratios = []
    peers = [s for s in servers if s != baseline] if baseline in servers else []
    for workload, op in keys:
        mine = {r["repeat"]: r for r in _cell(runs, workload, op, baseline)}
        for peer in peers:
            cell = _cell(runs, workload, op, peer)
            pairs = [(mine[r["repeat"]], r) for r in cell if r["repeat"] in mine]
            ops = [ratio(a["ops_per_s"], b["ops_per_s"]) for a, b in pairs]
            p50 = [ratio(a["p50_ms"], b["p50_ms"]) for a, b in pairs]
            present = [v for v in ops if v is not None]
            ratios.append(
                {
                    "workload": workload,
                    "op": op,
                    "peer": peer,
                    "ops_ratio": median(ops),
                    "ops_ratio_min": min(present, default=None),
                    "ops_ratio_max": max(present, default=None),
                    "p50_ratio": median(p50),
                    "per_repeat_ops_ratio": ops,
                }
            )
    ceiling = result["ceiling"]
    return {
        "baseline": baseline,
        "rows": rows,
        "ratios": ratios,
        "ceiling": {
            "noop_req_per_s": median([c["noop"]["ops_per_s"] for c in ceiling if "noop" in c]),
            "noop_errors": sum(c["noop"]["errors"] for c in ceiling if "noop" in c),
            "fsync_creates_per_s": median([c["fsync"]["creates_per_s"] for c in ceiling]),
            "md5_mb_per_s": median([c["md5"]["mb_per_s"] for c in ceiling]),
        },
    }


def _num(value: float | None, digits: int = 1) -> str:
    return "-" if value is None else f"{value:,.{digits}f}"


def _ratio_text(row: dict[str, Any], repeats: int) -> str:
    if row["ops_ratio"] is None:
        return "n/a"
    text = f"{row['ops_ratio']:.2f}x"
    if repeats > 1 and row["ops_ratio_min"] is not None:
        text += f" [{row['ops_ratio_min']:.2f}-{row['ops_ratio_max']:.2f}]"
    return text


def render(summary: dict[str, Any], skipped: dict[str, str], repeats: int) -> str:
    """The human-readable report: ceiling, per-server table, ratio table, skipped servers."""
    label = f"median of {repeats} repeats" if repeats > 1 else "1 repeat"
    lines = [
        *_render_ceiling(summary["ceiling"], label),
        "",
        *_render_rows(summary["rows"], summary["ceiling"]["noop_req_per_s"], label),
        "",
        *_render_ratios(summary["ratios"], summary["baseline"], repeats),
    ]
    if "postgres" in summary:
        lines += ["", *_render_postgres(summary["postgres"])]
    for name, reason in skipped.items():
        first = reason.splitlines()[0] if reason else ""
        lines.append(f"SKIPPED {name}: {first}")
    return "\n".join(lines)


def _render_ceiling(ceiling: dict[str, Any], label: str) -> list[str]:
    return [
        f"Machine ceiling ({label})",
        f"  no-op ASGI app, signed small GETs, c16 : {_num(ceiling['noop_req_per_s'], 0)} req/s",
        f"  fsync'd 4 KiB creates (write, fsync, rename, fsync dir) : "
        f"{_num(ceiling['fsync_creates_per_s'], 0)} /s",
        f"  MD5 on one core : {_num(ceiling['md5_mb_per_s'], 0)} MB/s",
    ]


def _render_rows(rows: list[dict[str, Any]], noop: float | None, label: str) -> list[str]:
    header = (
        f"{'workload':<9} {'op':<3} {'server':<8} {'ops/s':>10} {'MB/s':>9} "
        f"{'p50 ms':>8} {'p99 ms':>8} {'errors':>7}"
    )
    lines = [
        f"Per server ({label}; MB = 10^6 bytes; * = at or above "
        f"{CLIENT_BOUND_FRACTION:.0%} of the no-op ceiling: client-bound)",
        header,
        "-" * len(header),
    ]
    previous = None
    for row in rows:
        if row["repeats"] == 0:
            continue
        group = (row["workload"], row["op"])
        lead = f"{row['workload']:<9} {row['op']:<3}" if group != previous else " " * 13
        previous = group
        ops = row["ops_per_s"]
        flag = "*" if noop and ops and ops >= CLIENT_BOUND_FRACTION * noop else " "
        lines.append(
            f"{lead} {row['server']:<8} {_num(ops):>10}{flag}{_num(row['mb_per_s']):>9} "
            f"{_num(row['p50_ms'], 2):>8} {_num(row['p99_ms'], 2):>8} {row['errors']:>7}"
        )
    if not any(row["repeats"] for row in rows):
        lines.append("(no server under test is running)")
    for row in rows:
        if row["first_error"]:
            sample = " ".join(_XML_PROLOGUE.sub("", row["first_error"]).split())[:150]
            lines.append(f"  ! {row['workload']} {row['op']} {row['server']}: {sample}")
    return lines


def _render_ratios(ratios: list[dict[str, Any]], baseline: str, repeats: int) -> list[str]:
    if not ratios:
        return [f"Ratios: n/a ({baseline} is not running; nothing to compare against)"]
    peers = list(dict.fromkeys(r["peer"] for r in ratios))
    spread = "; [min-max] over repeats" if repeats > 1 else ""
    titles = {peer: f"{baseline}/{peer} ops/s" for peer in peers}
    widths = {peer: max(len(titles[peer]), 24 if repeats > 1 else 8) for peer in peers}
    header = f"{'workload':<9} {'op':<3} " + " ".join(
        f"{titles[peer]:>{widths[peer]}} {'p50':>6}" for peer in peers
    )
    lines = [
        f"Ratios {baseline}/peer: ops/s (>1 = {baseline} faster) and p50 latency "
        f"(<1 = {baseline} faster){spread}",
        header,
        "-" * len(header),
    ]
    by_key = {(r["workload"], r["op"], r["peer"]): r for r in ratios}
    for workload, op in dict.fromkeys((r["workload"], r["op"]) for r in ratios):
        cells = []
        for peer in peers:
            row = by_key[(workload, op, peer)]
            p50 = "n/a" if row["p50_ratio"] is None else f"{row['p50_ratio']:.2f}x"
            cells.append(f"{_ratio_text(row, repeats):>{widths[peer]}} {p50:>6}")
        lines.append(f"{workload:<9} {op:<3} " + " ".join(cells))
    return lines


def _render_postgres(postgres: dict[str, Any]) -> list[str]:
    settings, delta = postgres["settings"], postgres["delta"]
    return [
        f"PostgreSQL {settings['server_version']}: fsync={settings['fsync']}, "
        f"synchronous_commit={settings['synchronous_commit']} (server default; Ferry also sets "
        f"it on in every session), wal_sync_method={settings['wal_sync_method']}",
        f"  during the run: {delta['xact_commit']:,} commits in {postgres['database']}, "
        f"{delta['wal_sync']:,} WAL fsyncs server-wide (group commit: several commits per fsync)",
    ]
