"""Turn the raw runs into medians and baseline/peer ratios, and render them as text tables."""

from __future__ import annotations

from typing import Any

from bench.stats import median, ratio

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
                {"workload": workload, "op": op, "server": server, "repeats": len(cell),
                 "ok": sum(r["ok"] for r in cell), "errors": sum(r["errors"] for r in cell),
                 **{m: median([r[m] for r in cell])
                    for m in ("ops_per_s", "mb_per_s", "p50_ms", "p99_ms")}}
            )  # fmt: skip
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
                {"workload": workload, "op": op, "peer": peer, "ops_ratio": median(ops),
                 "ops_ratio_min": min(present, default=None),
                 "ops_ratio_max": max(present, default=None),
                 "p50_ratio": median(p50), "per_repeat_ops_ratio": ops}
            )  # fmt: skip
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
    lines: list[str] = []
    label = f"median of {repeats} repeats" if repeats > 1 else "1 repeat"
    ceiling = summary["ceiling"]
    noop = ceiling["noop_req_per_s"]
    lines.append(f"Machine ceiling ({label})")
    lines.append(f"  no-op ASGI app, signed 4 KiB-class GETs, c16 : {_num(noop, 0)} req/s")
    lines.append(f"  fsync'd 4 KiB creates (write+fsync+rename+fsync dir): "
                 f"{_num(ceiling['fsync_creates_per_s'], 0)} /s")  # fmt: skip
    lines.append(f"  MD5 on one core : {_num(ceiling['md5_mb_per_s'], 0)} MB/s")
    lines.append("")
    header = (
        f"{'workload':<9} {'op':<3} {'server':<7} {'ops/s':>10} {'MB/s':>9} "
        f"{'p50 ms':>8} {'p99 ms':>8} {'errors':>7}"
    )
    lines.append(f"Per server ({label}; MB = 10^6 bytes; * = within "
                 f"{CLIENT_BOUND_FRACTION:.0%} of the no-op ceiling, client-bound)")  # fmt: skip
    lines.append(header)
    lines.append("-" * len(header))
    previous = None
    for row in summary["rows"]:
        if row["repeats"] == 0:
            continue
        head = (row["workload"], row["op"])
        lead = f"{row['workload']:<9} {row['op']:<3}" if head != previous else " " * 13
        previous = head
        ops = row["ops_per_s"]
        flag = "*" if noop and ops and ops >= CLIENT_BOUND_FRACTION * noop else " "
        lines.append(
            f"{lead} {row['server']:<7} {_num(ops):>10}{flag}{_num(row['mb_per_s']):>8} "
            f"{_num(row['p50_ms'], 2):>8} {_num(row['p99_ms'], 2):>8} {row['errors']:>7}"
        )
    if not any(row["repeats"] for row in summary["rows"]):
        lines.append("(no server under test is running)")
    lines.append("")
    baseline = summary["baseline"]
    if summary["ratios"]:
        peers = list(dict.fromkeys(r["peer"] for r in summary["ratios"]))
        spread = "; [min-max] over repeats" if repeats > 1 else ""
        lines.append(
            f"Ratios {baseline}/peer: ops/s (>1 = {baseline} faster) and p50 latency "
            f"(<1 = {baseline} faster){spread}"
        )
        width = 24 if repeats > 1 else 10
        head = f"{'workload':<9} {'op':<3} " + " ".join(
            f"{(baseline + '/' + p + ' ops/s'):>{width}} {'p50':>6}" for p in peers
        )
        lines.append(head)
        lines.append("-" * len(head))
        for key in dict.fromkeys((r["workload"], r["op"]) for r in summary["ratios"]):
            cells = []
            for peer in peers:
                row = next(
                    r
                    for r in summary["ratios"]
                    if (r["workload"], r["op"], r["peer"]) == (*key, peer)
                )
                p50 = "n/a" if row["p50_ratio"] is None else f"{row['p50_ratio']:.2f}x"
                cells.append(f"{_ratio_text(row, repeats):>{width}} {p50:>6}")
            lines.append(f"{key[0]:<9} {key[1]:<3} " + " ".join(cells))
    else:
        lines.append(f"Ratios: n/a ({baseline} is not running; nothing to compare against)")
    for name, reason in skipped.items():
        first = reason.splitlines()[0] if reason else ""
        lines.append(f"SKIPPED {name}: {first}")
    return "\n".join(lines)
