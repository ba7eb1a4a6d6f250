"""The closed-loop load: wrk, a compiled load generator from Debian, costs little CPU.

`wrk` keeps `clients` connections open and sends each connection's next request as soon
as the last one is answered, for a warm-up and then for the measured seconds. It is
written in C and costs the machine a few microseconds a request, where a Python client
cost 0.3 to 0.8 ms; its own CPU time is measured and reported all the same, because it
runs on the same two CPUs as the server. `make bench` installs it (`apt-get install wrk`)
when it is missing. bench/wrk-report.lua makes wrk print its figures as JSON, p95 and
the answers other than 200 included.

The open-loop load, at a fixed rate, is bench/openloop.py.
"""

from __future__ import annotations

import json
import math
import resource
import shutil
import subprocess
from pathlib import Path

REPORT_SCRIPT = Path(__file__).resolve().with_name("wrk-report.lua")

#: What a browser sends; the portal then answers with Brotli (Flask-Compress prefers it).
BROWSER_ENCODINGS = "gzip, deflate, br"


def median_item(items: list[dict], key: str) -> dict:
    """The item whose `key` is the median; of an even number, the lower middle one.

    A real measurement, never an average of two: each page's median round and median
    Lighthouse run are reported whole.
    """
    ordered = sorted(items, key=lambda item: item[key])
    return ordered[(len(ordered) - 1) // 2]


def percentile(values: list[float], pct: float) -> float:
    """The `pct`-th percentile (0-100) of `values`, interpolated between the nearest ranks.

    The same definition as numpy's default ("linear"); NaN for no values.
    """
    if not values:
        return math.nan
    if not 0 <= pct <= 100:
        raise ValueError(f"percentile must be within 0 and 100, not {pct}")
    ordered = sorted(values)
    rank = (len(ordered) - 1) * pct / 100
    low = math.floor(rank)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


def wrk() -> str:
    """The wrk executable; `make bench` installs it from Debian when it is missing."""
    found = shutil.which("wrk")
    if not found:
        raise SystemExit("wrk is not installed: apt-get install wrk (make bench does this)")
    return found


def children_cpu_seconds() -> float:
    """User plus system CPU time of this process's ended and waited-for children."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _wrk(url: str, headers: dict, clients: int, seconds: float, threads: int) -> dict:
    """One run of wrk; its JSON line, with the CPU time wrk used."""
    command = [wrk(), "--threads", str(max(1, min(threads, clients))), "--connections",
               str(clients), "--duration", f"{max(1, round(seconds))}s", "--timeout", "30s",
               "--script", str(REPORT_SCRIPT)]
    for name, value in headers.items():
        command += ["--header", f"{name}: {value}"]
    before = children_cpu_seconds()
    done = subprocess.run(command + [url], capture_output=True, text=True, timeout=seconds + 60)
    used = children_cpu_seconds() - before
    line = next((line for line in done.stdout.splitlines() if line.startswith("WRK-JSON ")),
                None)
    if done.returncode != 0 or line is None:
        raise SystemExit(f"wrk failed ({done.returncode}):\n{done.stdout}\n{done.stderr}")
    return {**json.loads(line.removeprefix("WRK-JSON ")), "cpu_seconds": used}


def run_load(host: str, port: int, path: str, headers: dict | None = None, clients: int = 20,
             seconds: float = 10.0, threads: int = 2) -> dict:
    """GET `path` from `clients` connections for `seconds` with wrk: what it measured.

    A warm-up is a run of its own whose result is thrown away (bench/run.py).
    """
    headers = {"Accept-Encoding": BROWSER_ENCODINGS, **(headers or {})}
    run = _wrk(f"http://{host}:{port}{path}", headers, clients, seconds, threads)
    elapsed = run["duration_us"] / 1e6
    requests = run["requests"]
    failures = {kind: run[kind] for kind in ("connect", "read", "write", "timeout")
                if run[kind]}
    return {
        "path": path,
        "clients": clients,
        "seconds": round(elapsed, 2),
        "requests": requests,
        "errors": run["not_200"] + sum(failures.values()),
        "failures": failures,
        "rps": round((requests - run["not_200"]) / elapsed, 1) if elapsed else 0.0,
        "p50_ms": round(run["p50_us"] / 1000, 2) if requests else None,
        "p95_ms": round(run["p95_us"] / 1000, 2) if requests else None,
        "p99_ms": round(run["p99_us"] / 1000, 2) if requests else None,
        "max_ms": round(run["max_us"] / 1000, 2) if requests else None,
        "mean_response_bytes": round(run["bytes"] / requests) if requests else 0,
        "generator": "wrk",
        "client_cpu_seconds": round(run["cpu_seconds"], 3),
        "client_cpu_ms_per_request": round(run["cpu_seconds"] * 1000 / requests, 3)
        if requests else None,
    }
