"""`make bench`: throughput, latency, sizes, queries, memory and Lighthouse scores in one run.

Prepares a fresh instance (SQLite, migrations, the demo clinic, the largest Synthea
bundle), starts the portal, a bare Flask app and the stack's floor (bench/floor.py: a
signed-in, audited page with the portal's libraries and nothing else) under gunicorn with
the same settings on loopback, measures (closed loop with wrk, open loop at a fixed rate
with bench/openloop.py), prints the targets of issues 9 and 17 with PASS or MISS, and
writes bench/results/bench-<timestamp>.json and bench/results/latest.md. It never fails
on a missed target: it is a benchmark, not a test.
"""

from __future__ import annotations

import argparse
import os
import secrets
import shutil
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from bench import lighthouse, load, openloop, pages, prepare, report, servers
from bench.memory import WorkerMemory, machine_busy_seconds, workers_cpu_seconds
from bench.queries import queries_per_page

ROOT = Path(__file__).resolve().parent.parent
HERE = Path(__file__).resolve().parent


def _at_least_one(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be 1 or more, not {value}")
    return value


def options(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.run", description=__doc__.split(
        "\n\n")[0], formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    parser.add_argument("--fhir", type=Path, default=ROOT.parent / "shared" / "fhir",
                        help="a FHIR bundle, or a folder whose largest *.json is imported")
    parser.add_argument("--seconds", type=float, default=10.0, help="measured time per page")
    parser.add_argument("--warmup", type=float, default=2.0, help="warm-up time per page")
    parser.add_argument("--rounds", type=_at_least_one, default=3,
                        help="times round all the pages; each page's median round is reported")
    parser.add_argument("--clients", type=int, default=20,
                        help="wrk's connections for the closed loop")
    parser.add_argument("--rate", type=float, default=100.0,
                        help="requests a second of the open loop (0: no open loop)")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers")
    parser.add_argument("--lighthouse", action="store_true",
                        help="install Lighthouse into bench/.lighthouse with npm when missing")
    parser.add_argument("--lighthouse-runs", type=_at_least_one, default=3,
                        help="Lighthouse runs per page; the median run is reported")
    parser.add_argument("--no-lighthouse", action="store_true",
                        help="skip Lighthouse even when it is installed")
    parser.add_argument("--chrome", default=os.environ.get("CHROME_PATH", "/usr/bin/chromium"),
                        help="the Chromium Lighthouse drives")
    parser.add_argument("--instance", type=Path,
                        help="instance folder to create (default: a new temporary folder)")
    parser.add_argument("--keep", action="store_true", help="keep the instance folder")
    parser.add_argument("--results", type=Path, default=HERE / "results",
                        help="where the JSON and latest.md go")
    return parser.parse_args(argv)


def _in_process(env: dict, bundle: Path) -> dict:
    """Give the large record an account, then count queries per page with a test client."""
    os.environ.update(env)
    from portal import create_app
    from portal.demo import DEMO_PASSWORD
    from portal.extensions import db

    app = create_app({"SESSION_COOKIE_SECURE": False})
    with app.app_context():
        large = prepare.add_large_account(bundle)
        threads = {who: prepare.first_thread_of(who)
                   for who in (prepare.SMALL_USER, prepare.LARGE_USER)}
        small = prepare.patient_number_of(prepare.SMALL_USER)
        engine = db.engine
    paths = {who: {"dashboard": "/home", "results": "/record/results",
                   "thread": f"/messages/{threads[who]}"} for who in threads}
    anonymous = queries_per_page(app, engine, None, DEMO_PASSWORD, {"sign-in": "/sign-in"})
    counts = {who: {**anonymous, **queries_per_page(app, engine, who, DEMO_PASSWORD,
                                                     paths[who])} for who in paths}
    engine.dispose()
    queries = {name: {"small": counts[prepare.SMALL_USER][name]["queries"],
                      "large": counts[prepare.LARGE_USER][name]["queries"],
                      "status": {who: counts[who][name]["status"] for who in counts}}
               for name in counts[prepare.SMALL_USER]}
    return {"paths": paths, "queries": queries,
            "records": {"small": f"{prepare.SMALL_USER} ({small}, demo)",
                        "large": f"{prepare.LARGE_USER} ({large['patient_number']}: "
                                 f"{large['record_items']} record items, "
                                 f"{large['messages']} messages)"}}


def _measure(name: str, server, path: str, page_cookie: str | None, args) -> dict:
    """One page under wrk's closed-loop load: a warm-up run, then the measured run."""
    headers = {"Cookie": page_cookie} if page_cookie else {}
    print(f"  {name:10} {path:24}", end="", flush=True)
    if args.warmup > 0:
        load.run_load(servers.HOST, server.port, path, headers, args.clients, args.warmup)
    outcome = _with_cpu(server, lambda: load.run_load(servers.HOST, server.port, path, headers,
                                                      args.clients, args.seconds),
                        lambda result: result["requests"])
    print(f" {outcome['rps']:8.1f} req/s  p50 {outcome['p50_ms']} ms  "
          f"p95 {outcome['p95_ms']} ms  errors {outcome['errors']}  "
          f"server CPU {outcome['server_cpu_ms_per_request']} ms/req  "
          f"wrk CPU {outcome['client_cpu_ms_per_request']} ms/req  "
          f"other jobs {outcome['other_jobs_cpus']} CPUs "
          f"(stolen by the hypervisor {outcome['stolen_cpus']})")
    return outcome


def _measure_open_loop(name: str, server, path: str, page_cookie: str | None, args) -> dict:
    """One page at a fixed rate (bench/openloop.py): p50/p95/p99 and CPU per request."""
    headers = {"Cookie": page_cookie} if page_cookie else {}
    print(f"  {name:10} {path:24}", end="", flush=True)
    outcome = _with_cpu(server, lambda: openloop.run_open_loop(
        servers.HOST, server.port, path, headers, args.rate, args.seconds, args.warmup),
        lambda result: result["answered_with_warmup"])
    print(f" {args.rate:.0f} req/s planned  p50 {outcome['p50_ms']} ms  "
          f"p95 {outcome['p95_ms']} ms  p99 {outcome['p99_ms']} ms  "
          f"errors {outcome['errors']}  server CPU {outcome['server_cpu_ms_per_request']} "
          f"ms/req  generator CPU {outcome['client_cpu_ms_per_request']} ms/req  "
          f"other jobs {outcome['other_jobs_cpus']} CPUs")
    return outcome


def _with_cpu(server, measure, answered) -> dict:
    """Run `measure()`; add the server's CPU time per answered request and what other jobs
    on the machine (and the hypervisor) took meanwhile."""
    cpu, began = workers_cpu_seconds(server.pid), time.monotonic()
    busy, stolen = machine_busy_seconds()
    outcome = measure()
    used = workers_cpu_seconds(server.pid) - cpu
    busy_now, stolen_now = machine_busy_seconds()
    elapsed = time.monotonic() - began
    others = busy_now - busy - used - outcome["client_cpu_seconds"]
    outcome["server_cpu_ms_per_request"] = round(used * 1000 / answered(outcome), 2) \
        if answered(outcome) else None
    outcome["client_cpus"] = round(outcome["client_cpu_seconds"] / elapsed, 3)
    outcome["other_jobs_cpus"] = round(max(others, 0.0) / elapsed, 2)
    outcome["stolen_cpus"] = round(max(stolen_now - stolen, 0.0) / elapsed, 2)
    return outcome


def median_round(rounds: list[dict], key: str = "rps") -> dict:
    """The round with the median `key` (throughput; p95 for the open loop), with every
    round's value under "rounds".

    An even number of rounds takes the lower middle one.
    """
    return {**load.median_item(rounds, key), "rounds": [r[key] for r in rounds]}


def _load(portal, bare, floor, cookie: str, paths: dict, args) -> tuple[dict, dict, dict]:
    """Every page under load in turn, `--rounds` times over, with the workers' memory
    sampled throughout; each page's median round is reported. Each round measures every
    page closed-loop (wrk), then every page open-loop at `--rate`.

    Going round the pages again, rather than measuring one page longer, spreads a burst of
    other work on the machine (or of CPU the hypervisor takes away) over all the pages
    instead of spoiling one of them.
    """
    memory = {"portal": WorkerMemory(portal.pid), "bare": WorkerMemory(bare.pid)}
    for sampler in memory.values():
        sampler.start()
    floor_browser = pages.Browser(servers.HOST, floor.port)
    floor_browser.request("/sign-in")
    plan = [("bare", bare, "/", None), ("floor", floor, "/", floor_browser.cookie_header()),
            ("sign-in", portal, "/sign-in", None)]
    plan += [(name, portal, path, cookie) for name, path in paths.items()]
    closed: dict[str, list[dict]] = {name: [] for name, *_ in plan}
    opened: dict[str, list[dict]] = {name: [] for name, *_ in plan}
    for number in range(args.rounds):
        print(f" round {number + 1} of {args.rounds}: {args.clients} connections, "
              "closed loop (wrk)", flush=True)
        for name, server, path, page_cookie in plan:
            closed[name].append(_measure(name, server, path, page_cookie, args))
            time.sleep(1)
        if args.rate > 0:
            print(f" round {number + 1} of {args.rounds}: open loop at {args.rate:.0f} "
                  "requests a second", flush=True)
            for name, server, path, page_cookie in plan:
                opened[name].append(_measure_open_loop(name, server, path, page_cookie, args))
                time.sleep(1)
    results = {name: median_round(measured) for name, measured in closed.items()}
    open_results = {name: median_round(measured, "p95_ms")
                    for name, measured in opened.items() if measured}
    return results, open_results, {name: sampler.stop() for name, sampler in memory.items()}


def _sizes(portal, cookies: dict, paths: dict) -> tuple[list[dict], dict]:
    assets: dict[str, dict] = {}
    sizes = [{"name": "sign-in", **pages.measure_page(servers.HOST, portal.port, "/sign-in",
                                                      None, assets)}]
    for who, label in ((prepare.SMALL_USER, ""), (prepare.LARGE_USER, " (large)")):
        for name, path in paths[who].items():
            sizes.append({"name": name + label, **pages.measure_page(
                servers.HOST, portal.port, path, cookies[who], assets)})
    return sizes, assets


def _lighthouse(args, portal, cookie: str, paths: dict) -> dict:
    command = None if args.no_lighthouse else lighthouse.find_lighthouse()
    if command is None and args.lighthouse and not args.no_lighthouse:
        print("Installing Lighthouse into bench/.lighthouse ...", flush=True)
        command = lighthouse.install()
    if command is None:
        reason = "switched off" if args.no_lighthouse else \
            "not installed (make bench BENCH_ARGS=--lighthouse installs it)"
        print(f"Lighthouse: skipped, {reason}")
        return {"status": f"skipped: {reason}"}
    base = f"http://{servers.HOST}:{portal.port}"
    targets = [("sign-in", "/sign-in", None)] + [(n, p, cookie) for n, p in paths.items()]
    scores, out = {}, Path(tempfile.mkdtemp(prefix="bench-lighthouse-"))
    for name, path, page_cookie in targets:
        print(f"  Lighthouse {name} ...", flush=True)
        scores[name] = lighthouse.median_run([
            lighthouse.score(command, base + path, page_cookie, out / f"{name}-{run}.json",
                             args.chrome) for run in range(args.lighthouse_runs)])
    shutil.rmtree(out, ignore_errors=True)
    return {"status": "measured", "command": " ".join(command), "pages": scores}


def main(argv: list[str] | None = None) -> int:
    args = options(argv)
    started = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    instance = args.instance or Path(tempfile.mkdtemp(prefix="portal-bench-"))
    secret = secrets.token_hex(32)
    bundle = prepare.largest_bundle(args.fhir.resolve())
    run: dict = {"started": started,
                 "machine": {**servers.machine(), "cpu_pressure_at_start": servers.cpu_pressure()},
                 "options": {"seconds": args.seconds, "warmup": args.warmup,
                             "rounds": args.rounds, "rate": args.rate,
                             "clients": args.clients, "workers": args.workers,
                             "closed_loop_generator": load.wrk(),
                             "accept_encoding": load.BROWSER_ENCODINGS}}
    print(f"Preparing {instance}: migrations, demo clinic, {bundle.name} ...", flush=True)
    run["instance"] = prepare.prepare_instance(
        instance, bundle, prepare.portal_env(instance, "development", secret))
    run.update(_in_process(prepare.portal_env(instance, "development", secret), bundle))
    env = prepare.portal_env(instance, "production", secret)
    run["gunicorn"] = servers.gunicorn_settings(args.workers, env)
    started_servers = []
    try:
        bare = servers.start("bare", "bench.bare:app", env, instance / "bare.log", args.workers,
                             expect=b"Bare Flask")
        started_servers.append(bare)
        floor = servers.start("floor", "bench.floor:app", env, instance / "floor.log",
                              args.workers, ready_path="/sign-in", expect=b"Stack floor")
        started_servers.append(floor)
        portal = servers.start("portal", "wsgi:app", env, instance / "portal.log",
                               args.workers, ready_path="/sign-in", expect=b"csrf_token")
        started_servers.append(portal)
        cookies = {}
        for who in (prepare.SMALL_USER, prepare.LARGE_USER):
            browser = pages.Browser(servers.HOST, portal.port)
            browser.sign_in(who, prepare.demo_password())
            cookies[who] = browser.cookie_header()
        run["sizes"], run["assets"] = _sizes(portal, cookies, run["paths"])
        print(f"Load: {args.warmup:.0f} s warm-up + {args.seconds:.0f} s per page", flush=True)
        run["load"], run["open_loop"], run["memory"] = _load(
            portal, bare, floor, cookies[prepare.SMALL_USER], run["paths"][prepare.SMALL_USER],
            args)
        run["lighthouse"] = _lighthouse(args, portal, cookies[prepare.SMALL_USER],
                                        run["paths"][prepare.SMALL_USER])
        run["machine"]["cpu_pressure_at_end"] = servers.cpu_pressure()
    finally:
        servers.stop_all(started_servers)
        if not args.keep and args.instance is None:
            shutil.rmtree(instance, ignore_errors=True)
    data, latest = report.write(run, args.results)
    print()
    print(report.markdown(run))
    print(f"Written: {data.relative_to(ROOT) if data.is_relative_to(ROOT) else data}, "
          f"{latest.relative_to(ROOT) if latest.is_relative_to(ROOT) else latest}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
