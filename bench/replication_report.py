"""Ratios and verdicts for the replication benchmark, and its text report."""

from __future__ import annotations

from typing import Any

from bench.stats import ratio

LAG_TARGET_MS = 1000.0
DEST = "eu-west-1"


def with_ratios(doc: dict[str, Any]) -> None:
    """Add Ferry-drain/rclone time ratios to each rclone run, and the verdicts, in place."""
    for backlog in doc["backlogs"]:
        drain = backlog["drain"]["drain_s"] if not backlog["drain"]["missing"] else None
        for run in backlog.get("rclone", []):
            ok = run["exit_code"] == 0 and run["copied"] == backlog["drain"]["expected"]
            run["complete"] = ok
            run["ferry_over_rclone_time"] = ratio(drain, run["elapsed_s"]) if ok else None
    steady = doc["steady"]
    windows = [w for w in (steady or {}).get("windows", []) if w["p99_ms"] is not None]
    growth = ratio(windows[-1]["p99_ms"], windows[0]["p99_ms"]) if len(windows) > 1 else None
    ratios = [r["ferry_over_rclone_time"] for b in doc["backlogs"] for r in b.get("rclone", [])]
    doc["verdicts"] = {
        "lag_p99_under_1s": bool(
            steady and steady["p99_ms"] is not None and steady["p99_ms"] < LAG_TARGET_MS
            and steady["never_arrived"] == 0
        ),
        "lag_p99_last_over_first_window": growth,
        "drain_at_least_as_fast_as_rclone": (
            bool(ratios) and all(r is not None and r <= 1.0 for r in ratios)
        ),
    }  # fmt: skip


def _pct(fraction: float | None) -> float | None:
    return None if fraction is None else fraction * 100


def _n(value: float | None, digits: int = 1) -> str:
    return "-" if value is None else f"{value:,.{digits}f}"


def _table(header: list[str], rows: list[list[str]]) -> list[str]:
    widths = [max(len(row[i]) for row in [header, *rows]) for i in range(len(header))]
    lines = []
    for row in [header, *rows]:
        cells = zip(row, widths, strict=True)
        lines.append("  ".join(c.rjust(w) if i else c.ljust(w) for i, (c, w) in enumerate(cells)))
    return [lines[0], "  ".join("-" * w for w in widths), *lines[1:]]


def _steady(doc: dict[str, Any]) -> list[str]:
    s, args = doc["steady"], doc["meta"]["args"]
    if s is None:
        return ["steady phase: not run"]
    title = (
        f"Steady lag: {args['rate']:g} PUT/s of 4 KiB for {args['steady_seconds']:g} s, HEAD on "
        f"the destination every {args['poll_ms']:g} ms per object (at most "
        f"{args['max_head_rate']:g} HEAD/s in all), timeout {args['lag_timeout']:g} s"
    )
    header = ["window", "acked", "arrived", "never", "p50 ms", "p99 ms", "max ms"]
    rows = [
        [f"{w['from_s']:g}-{w['to_s']:g} s", str(w["acked"]), str(w["arrived"]),
         str(w["never_arrived"]), _n(w["p50_ms"]), _n(w["p99_ms"]), _n(w["max_ms"])]
        for w in s["windows"]
    ]  # fmt: skip
    rows.append(
        ["all", str(s["acked"]), str(s["arrived"]), str(s["never_arrived"]),
         _n(s["p50_ms"]), _n(s["p99_ms"]), _n(s["max_ms"])]
    )  # fmt: skip
    v = doc["verdicts"]
    return [
        title,
        *_table(header, rows),
        f"PUTs: {s['acked']}/{s['planned']} acknowledged ({_n(s['achieved_put_per_s'])}/s), "
        f"{s['put_errors']} errors, PUT p99 {_n(s['put_p99_ms'])} ms, start late p99 "
        f"{_n(s['start_late_p99_ms'])} ms; HEADs sent {s['head_requests']:,} (one per "
        f"{_n(s['mean_head_interval_ms'])} ms per object on average), errors {s['head_errors']}",
        *(f"  error: {e}" for e in s["error_samples"]),
        f"target p99 < 1 s with none lost: {'met' if v['lag_p99_under_1s'] else 'NOT met'}; "
        f"p99 last window / first window: {_n(v['lag_p99_last_over_first_window'], 2)}",
    ]


def _drains(doc: dict[str, Any]) -> list[str]:
    header = ["backlog", "objects", "write s", "restart→200 s", "first s", "drain s",
              "±s", "obj/s", "MB/s", "missing"]  # fmt: skip
    rows = []
    for b in doc["backlogs"]:
        d, w = b["drain"], b["write"]
        rows.append(
            [b["label"], f"{d['expected']:,}", _n(w["elapsed_s"]), _n(b["restart_to_healthy_s"], 2),
             _n(d["first_arrival_s"], 2), _n(d["drain_s"], 2), _n(d["resolution_s"], 2),
             _n(d["objects_per_s"]), _n(d["mb_per_s"]), str(d["missing"])]
        )  # fmt: skip
    notes = [
        f"  {b['label']} watcher: {b['drain']['list_requests']} list pages + "
        f"{b['drain']['head_requests']} HEADs, busy {_n(_pct(b['drain']['watch_busy_fraction']))}%"
        " of the drain"
        for b in doc["backlogs"]
    ]
    notes += [
        f"  {b['label']} write errors: {b['write']['errors']} {b['write']['error_samples'][:1]}"
        for b in doc["backlogs"]
        if b["write"]["errors"]
    ]
    notes += [
        f"  {b['label']} drain probe errors: {b['drain']['probe_errors']}"
        for b in doc["backlogs"]
        if b["drain"]["probe_errors"]
    ]
    sizes = " and ".join(
        f"{b['count']:,} x {b['label'].replace('KiB', ' KiB').replace('MiB', ' MiB')}"
        for b in doc["backlogs"]
    )
    return [
        f"Backlog drain: {sizes or 'none'} written while {DEST} was down "
        "(SIGKILL); times from its health check answering 200",
        *_table(header, rows),
        *notes,
    ]


def _rclone(doc: dict[str, Any]) -> list[str]:
    info = doc["meta"].get("rclone")
    if info is None:
        return ["rclone comparison: skipped (--no-rclone)"]
    header = ["backlog", "rclone run", "transfers", "checkers", "time s", "obj/s", "MB/s",
              "copied", "exit", "ferry/rclone time"]  # fmt: skip
    rows = []
    for b in doc["backlogs"]:
        for r in b.get("rclone", []):
            rate = r["copied"] / r["elapsed_s"] if r["elapsed_s"] else None
            rows.append(
                [b["label"], r["name"], str(r["transfers"]), str(r["checkers"]),
                 _n(r["elapsed_s"], 2), _n(rate), _n(r["mb_per_s"]), f"{r['copied']:,}",
                 "timeout" if r["timed_out"] else str(r["exit_code"]),
                 _n(r["ferry_over_rclone_time"], 2)]
            )  # fmt: skip
    met = doc["verdicts"]["drain_at_least_as_fast_as_rclone"]
    failed = [r for b in doc["backlogs"] for r in b.get("rclone", []) if not r["complete"]]
    return [
        f"rclone copy of the same source objects ({info['version']}; east:bench-src/<prefix> → "
        "west:<fresh versioned bucket>, --s3-no-check-bucket)",
        *_table(header, rows),
        *(f"  {r['name']} incomplete; output tail:\n{r['output_tail'][-600:]}" for r in failed),
        "ferry/rclone time = Ferry drain s / rclone s (≤ 1.00: Ferry at least as fast); "
        f"target for every run: {'met' if met else 'NOT met'}",
    ]


def render(doc: dict[str, Any]) -> str:
    m = doc["meta"]
    s = m["replication_settings"]
    head = [
        f"Ferry replication benchmark: us-east-1 → {DEST}, one `ferry serve` process per region"
        f" on {m['cpu_count']} cores; run took {_n(m.get('duration_s'), 0)} s",
        "ferry.toml [replication]: "
        + (", ".join(f"{k} {v:g}" for k, v in s.items() if v is not None) or "Ferry's defaults")
        + f"; client signer {m.get('signer')}"
        + ("; every bucket SSE-S3 by default" if m["args"].get("sse_s3") else ""),
        "1-minute load average as each phase began: "
        + ", ".join(f"{k} {v:g}" for k, v in m["loadavg_1m"].items()),
    ]
    return "\n".join([*head, "", *_steady(doc), "", *_drains(doc), "", *_rclone(doc)])


def compare_engines(docs: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """Per backlog, each engine's write rate and drain time, and the ratios of every other
    engine to the first one (`--engines sqlite,postgresql`: postgresql/sqlite)."""
    engines = list(docs)
    base = engines[0]
    rows = []
    for label in dict.fromkeys(b["label"] for d in docs.values() for b in d["backlogs"]):
        cell = {e: next((b for b in docs[e]["backlogs"] if b["label"] == label), None)
                for e in engines}  # fmt: skip
        for engine, b in cell.items():
            if b is None:
                continue
            mine, first = b, cell[base]
            rows.append({
                "backlog": label, "engine": engine,
                "write_put_per_s": mine["write"]["ops_per_s"],
                "drain_s": mine["drain"]["drain_s"], "missing": mine["drain"]["missing"],
                "drain_objects_per_s": mine["drain"]["objects_per_s"],
                "write_ratio": None if first is None else ratio(
                    mine["write"]["ops_per_s"], first["write"]["ops_per_s"]),
                "drain_rate_ratio": None if first is None else ratio(
                    mine["drain"]["objects_per_s"], first["drain"]["objects_per_s"]),
            })  # fmt: skip
    header = ["backlog", "engine", "write PUT/s", "drain s", "drain obj/s", "missing",
              f"write /{base}", f"drain rate /{base}"]  # fmt: skip
    table = [
        [r["backlog"], r["engine"], _n(r["write_put_per_s"]), _n(r["drain_s"], 2),
         _n(r["drain_objects_per_s"]), str(r["missing"]), _n(r["write_ratio"], 2),
         _n(r["drain_rate_ratio"], 2)]
        for r in rows
    ]  # fmt: skip
    text = [
        f"Metadata engines compared (same run, one deployment each, in turn: {', '.join(engines)})",
        *_table(header, table),
        f"write PUT/s: the backlog's source PUTs at concurrency 16; ratios > 1: faster than {base}",
    ]
    return {"rows": rows, "text": "\n".join(text)}
