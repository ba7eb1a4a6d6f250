"""The targets of issues 9 and 17, checked against one run, and the run as tables.

KB here is 1024 bytes, as in the quality gates (tests/quality/markup.py).
"""

from __future__ import annotations

import json
from pathlib import Path

KB = 1024
#: (target, limit): see issue 9, section 5.
DASHBOARD_SHARE_OF_BARE = 0.30
P95_LIMIT_MS = 50.0
FIRST_VISIT_LIMIT = 35 * KB
REPEAT_VISIT_LIMIT = 10 * KB
LIGHTHOUSE_TARGET = 100
TIMED_PAGES = ("sign-in", "dashboard", "results", "thread")
#: Issue 17: each page's server CPU per request at most this many times the floor's, and
#: p95 under P95_LIMIT_MS with requests arriving at a fixed rate (the open loop).
CPU_TIMES_FLOOR = 2.0


def cpu_ratio(results: dict, page: str) -> float | None:
    """The page's server CPU per request over the floor's, in one set of `results`."""
    floor = (results.get("floor") or {}).get("server_cpu_ms_per_request")
    mine = (results.get(page) or {}).get("server_cpu_ms_per_request")
    return mine / floor if floor and mine is not None else None


def _times(ratio: float | None) -> str:
    return "n/a" if ratio is None else f"{ratio:.1f}x"


def _verdict(ok: bool | None) -> str:
    return "skipped" if ok is None else ("PASS" if ok else "MISS")


def _kb(n: int) -> str:
    return f"{n / KB:.1f} KB"


def targets(run: dict) -> list[tuple[str, str, str]]:
    """(target, measured, PASS / MISS / skipped) for each target of the issue."""
    load, rows = run["load"], []
    bare = load.get("bare", {}).get("rps") or 0
    dashboard = load.get("dashboard", {}).get("rps") or 0
    ratio = dashboard / bare if bare else 0.0
    rows.append((f"dashboard throughput >= {DASHBOARD_SHARE_OF_BARE:.0%} of bare Flask",
                 f"{dashboard:.0f} / {bare:.0f} req/s = {ratio:.0%}",
                 _verdict(ratio >= DASHBOARD_SHARE_OF_BARE)))
    floor = load.get("floor", {}).get("rps")
    if floor is not None:
        # Not a target of its own: the most any signed-in, audited page could reach.
        share = floor / bare if bare else 0.0
        rows.append(("(ceiling) stack floor's throughput, share of bare Flask",
                     f"{floor:.0f} / {bare:.0f} req/s = {share:.0%}",
                     "for reference"))
    for page in TIMED_PAGES:
        p95 = load.get(page, {}).get("p95_ms")
        rows.append((f"p95 < {P95_LIMIT_MS:.0f} ms at {run['options']['clients']} clients: "
                     f"{page}", "n/a" if p95 is None else f"{p95:.1f} ms",
                     _verdict(p95 is not None and p95 < P95_LIMIT_MS)))
    floor_cpu = load.get("floor", {}).get("server_cpu_ms_per_request")
    for page in TIMED_PAGES:
        ratio = cpu_ratio(load, page)
        mine = load.get(page, {}).get("server_cpu_ms_per_request")
        rows.append((f"server CPU per request <= {CPU_TIMES_FLOOR:.0f}x the floor's: {page}",
                     "n/a" if ratio is None else
                     f"{mine:.1f} / {floor_cpu:.1f} ms = {_times(ratio)}",
                     _verdict(None if ratio is None else ratio <= CPU_TIMES_FLOOR)))
    opened = run.get("open_loop") or {}
    for page in TIMED_PAGES:
        p95 = opened.get(page, {}).get("p95_ms")
        rows.append((f"open loop p95 < {P95_LIMIT_MS:.0f} ms at "
                     f"{run['options'].get('rate', 0):.0f} req/s: {page}",
                     "n/a" if p95 is None else f"{p95:.1f} ms",
                     _verdict(None if p95 is None else p95 < P95_LIMIT_MS)))
    sizes = run["sizes"]
    first = max(sizes, key=lambda s: s["first_visit_gzip_bytes"])
    rows.append((f"first visit <= {_kb(FIRST_VISIT_LIMIT)} gzipped (worst page)",
                 f"{_kb(first['first_visit_gzip_bytes'])} ({first['name']})",
                 _verdict(first["first_visit_gzip_bytes"] <= FIRST_VISIT_LIMIT)))
    repeat = max(sizes, key=lambda s: s["repeat_visit_gzip_bytes"])
    rows.append((f"repeat visit <= {_kb(REPEAT_VISIT_LIMIT)} gzipped (worst page)",
                 f"{_kb(repeat['repeat_visit_gzip_bytes'])} ({repeat['name']})",
                 _verdict(repeat["repeat_visit_gzip_bytes"] <= REPEAT_VISIT_LIMIT)))
    scores = run.get("lighthouse", {}).get("pages") or {}
    for category in ("performance", "accessibility"):
        values = {page: result.get(category) for page, result in scores.items()}
        if not values:
            measured = run.get("lighthouse", {}).get("status", "skipped")
            rows.append((f"Lighthouse mobile {category} {LIGHTHOUSE_TARGET}", measured,
                         _verdict(None)))
            continue
        failed = sorted(page for page, value in values.items() if value is None)
        if failed:
            rows.append((f"Lighthouse mobile {category} {LIGHTHOUSE_TARGET}",
                         f"no score for {', '.join(failed)} (see below)", "error"))
            continue
        worst = min(values, key=values.get)
        rows.append((f"Lighthouse mobile {category} {LIGHTHOUSE_TARGET} (lowest page)",
                     f"{values[worst]} ({worst})",
                     _verdict(values[worst] >= LIGHTHOUSE_TARGET)))
    return rows


def table(headers: list[str], rows: list[tuple]) -> str:
    """A Markdown table."""
    lines = ["| " + " | ".join(headers) + " |", "|" + "---|" * len(headers)]
    lines += ["| " + " | ".join(str(cell) for cell in row) + " |" for row in rows]
    return "\n".join(lines)


def _ms(value, digits: int = 1) -> str:
    return "n/a" if value is None else f"{value:.{digits}f}"


def markdown(run: dict) -> str:
    """The whole run as Markdown: the targets first, then the details."""
    options, settings, host = run["options"], run["gunicorn"], run["machine"]
    parts = [f"# Benchmark {run['started']}", "",
             f"Machine: {host['cpus']} CPUs ({host['cpu_model']}), load average at start "
             f"{', '.join(f'{x:.2f}' for x in host['load_average'])}; Python {host['python']}. "
             f"gunicorn: {settings.get('workers')} workers, {settings.get('worker_class')}, "
             f"{settings.get('threads')} thread(s), config {settings.get('config') or 'none'}. "
             f"{options['clients']} clients, {options['warmup']:.0f} s warm-up + "
             f"{options['seconds']:.0f} s per page, {options.get('rounds', 1)} round(s) over "
             "all pages with each page's median round shown (\"rounds\": every round's "
             "value). The load generators run on the same machine: wrk (closed loop) and "
             "bench/openloop.py (open loop); their own CPU time is shown.", "",
             "## Targets", "", table(["target", "measured", "result"], targets(run)), "",
             "## Closed loop: throughput and latency (wrk)", "",
             f"{options['clients']} connections, each sending its next request as soon as "
             "the last is answered. \"x floor\": the page's server CPU per request over "
             "the floor's.", "",
             table(["page", "path", "req/s", "rounds", "p50 ms", "p95 ms", "p99 ms", "errors",
                    "server CPU ms/req", "x floor", "wrk CPU ms/req", "other jobs' CPUs",
                    "of which stolen"],
                   [(name, r["path"], f"{r['rps']:.0f}",
                     ", ".join(f"{v:.0f}" for v in r.get("rounds") or [r["rps"]]),
                     _ms(r["p50_ms"]), _ms(r["p95_ms"]),
                     _ms(r["p99_ms"]), r["errors"], _ms(r.get("server_cpu_ms_per_request")),
                     _times(cpu_ratio(run["load"], name)),
                     _ms(r.get("client_cpu_ms_per_request"), 3),
                     _ms(r.get("other_jobs_cpus"), 2), _ms(r.get("stolen_cpus"), 2))
                    for name, r in run["load"].items()]), "",
             *_open_loop(run),
             "## Download sizes (gzipped, as sent)", "",
             table(["page", "HTML", "HTML raw", "first visit", "repeat visit"],
                   [(s["name"], _kb(s["html_gzip_bytes"]), _kb(s["html_bytes"]),
                     _kb(s["first_visit_gzip_bytes"]), _kb(s["repeat_visit_gzip_bytes"]))
                    for s in run["sizes"]]), "",
             table(["static file", "gzipped", "Cache-Control", "kept on repeat visit"],
                   [(url, _kb(a["gzip_bytes"]), a["cache_control"], a["kept"])
                    for url, a in run["assets"].items()]), "",
             "## Queries per page", "",
             f"Small record: {run['records']['small']}; large record: "
             f"{run['records']['large']}.", "",
             table(["page", "small record", "large record"],
                   [(name, q["small"], q["large"]) for name, q in run["queries"].items()]), "",
             "## Peak memory per worker", "",
             "Sampled every 0.5 s under load: RSS, Pss (memory shared with the master "
             "and the other worker shared out) and private memory; and the kernel's "
             "high-water mark of RSS (VmHWM) over the worker's life, sign-ins included. "
             "The highest worker of each server; workers replaced during the run "
             "(gunicorn's max_requests) count as workers of their own.", "",
             table(["server", "workers seen", "peak RSS", "peak Pss", "peak private",
                    "VmHWM"],
                   [(server, len(run["memory"][server]["workers"]),
                     *(f"{run['memory'][server]['summary'][key]} MiB"
                       for key in ("peak_rss_mib", "peak_pss_mib", "peak_private_mib",
                                   "vmhwm_mib")))
                    for server in ("portal", "bare")]), "",
             "## Lighthouse (mobile)", ""]
    light = run.get("lighthouse", {})
    if light.get("pages"):
        parts.append("The run with the median performance score of each page; "
                     "\"all runs\" lists every run's performance score.\n")
        parts.append(table(["page", "performance", "all runs", "accessibility", "metrics",
                            "audits below full score"],
                           [(page, r.get("performance", r.get("error", "error")),
                             ", ".join("-" if v is None else str(v)
                                       for v in r.get("runs") or []) or "-",
                             r.get("accessibility"), ", ".join(
                                 f"{k} {v}".replace("\u00a0", " ")
                                 for k, v in (r.get("metrics") or {}).items()),
                             "; ".join(r.get("failed_audits") or []) or "-")
                            for page, r in light["pages"].items()]))
    else:
        parts.append(f"{light.get('status', 'skipped')}")
    return "\n".join(parts) + "\n"


def _open_loop(run: dict) -> list[str]:
    """The open-loop table, when the run has one."""
    opened = run.get("open_loop") or {}
    if not opened:
        return []
    rate = run["options"].get("rate", 0)
    return ["## Open loop: latency at a fixed rate (bench/openloop.py)", "",
            f"Requests start at {rate:.0f} a second whatever the server does; latency runs "
            "from each request's planned start to its last byte. Each page's round with the "
            "median p95 (\"rounds\": every round's p95).", "",
            table(["page", "path", "answered req/s", "p50 ms", "p95 ms", "rounds", "p99 ms",
                   "errors", "server CPU ms/req", "x floor", "generator CPU ms/req",
                   "generator CPUs", "other jobs' CPUs"],
                  [(name, r["path"], f"{r['rps']:.0f}", _ms(r["p50_ms"]), _ms(r["p95_ms"]),
                    ", ".join(_ms(v) for v in r.get("rounds") or [r["p95_ms"]]),
                    _ms(r["p99_ms"]), r["errors"], _ms(r.get("server_cpu_ms_per_request")),
                    _times(cpu_ratio(opened, name)),
                    _ms(r.get("client_cpu_ms_per_request"), 3), _ms(r.get("client_cpus"), 3),
                    _ms(r.get("other_jobs_cpus"), 2))
                   for name, r in opened.items()]), ""]


def write(run: dict, folder: Path) -> tuple[Path, Path]:
    """bench-<timestamp>.json and latest.md in `folder`."""
    folder.mkdir(parents=True, exist_ok=True)
    stamp = run["started"].replace(":", "").replace("-", "")
    data = folder / f"bench-{stamp}.json"
    data.write_text(json.dumps(run, indent=2, default=str) + "\n")
    latest = folder / "latest.md"
    latest.write_text(markdown(run))
    return data, latest
