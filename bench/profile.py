"""CPU time per request of the benchmarked pages, in-process, and where it goes.

`python -m bench.profile` prepares a fresh instance (migrations and the demo clinic, with
the portal's own commands), then, in this process with production settings, signs in as
Oliver through the real form and requests each page `--requests` times with a test
client, alternating the pages, next to the stack's floor (bench/floor.py). It prints each
page's CPU time per request (this thread's, so other jobs on the machine do not count)
and its ratio to the floor's. `--profile PAGE` adds cProfile's top functions for that
page. No HTTP server and no load generator take part: this is the cost of the code.
"""

from __future__ import annotations

import argparse
import cProfile
import os
import pstats
import secrets
import shutil
import tempfile
import time
from pathlib import Path

from bench import prepare
from bench.queries import sign_in_client

PAGES = {"sign-in": "/sign-in", "dashboard": "/home", "results": "/record/results",
         "thread": None}


def options(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.profile",
                                     description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=200, help="requests per page")
    parser.add_argument("--profile", choices=["floor", *PAGES],
                        help="print cProfile's top functions of this page")
    parser.add_argument("--top", type=int, default=30, help="functions shown by --profile")
    return parser.parse_args(argv)


def _cpu_per_request(client, path: str, n: int, profiler=None) -> float:
    """Milliseconds of this thread's CPU per GET of `path` (after one unmeasured GET)."""
    assert client.get(path).status_code == 200, path
    began = time.thread_time()
    if profiler:
        profiler.enable()
    for _ in range(n):
        client.get(path)
    if profiler:
        profiler.disable()
    return (time.thread_time() - began) * 1000 / n


def demo_in_process(instance: Path):
    """The portal in this process on a new demo instance in `instance` (production
    settings), a test client signed in as Oliver, and the benchmarked pages' paths."""
    env = prepare.portal_env(instance, "production", secrets.token_hex(32))
    prepare._flask(env, "db", "upgrade")
    prepare._flask(env, "portal", "demo")
    os.environ.update(env)
    os.environ["PORTAL_SECURE_COOKIES"] = "0"
    from portal import create_app

    app = create_app()
    with app.app_context():
        thread = prepare.first_thread_of(prepare.SMALL_USER)
    client = app.test_client()
    sign_in_client(client, prepare.SMALL_USER, prepare.demo_password())
    return app, client, {**PAGES, "thread": f"/messages/{thread}"}


def main(argv: list[str] | None = None) -> int:
    args = options(argv)
    instance = Path(tempfile.mkdtemp(prefix="portal-profile-"))
    try:
        app, client, paths = demo_in_process(instance)
        anonymous = app.test_client()

        os.environ["PORTAL_INSTANCE_DIR"] = str(instance / "floor")
        (instance / "floor").mkdir()
        import bench.floor as floor
        floor_client = floor.app.test_client()
        floor_client.get("/sign-in")

        clients = {"floor": (floor_client, "/")}
        clients.update({name: (anonymous if name == "sign-in" else client, path)
                        for name, path in paths.items()})
        profiler = cProfile.Profile() if args.profile else None
        costs: dict[str, list[float]] = {name: [] for name in clients}
        for _ in range(3):  # alternate, so that a slow moment is shared out
            for name, (who, path) in clients.items():
                costs[name].append(_cpu_per_request(
                    who, path, args.requests // 3 or 1,
                    profiler if name == args.profile else None))
        floor_ms = sorted(costs["floor"])[1]
        print(f"{'page':10} {'path':20} {'CPU ms/request':>15} {'x floor':>8}")
        for name, (_, path) in clients.items():
            ms = sorted(costs[name])[1]
            print(f"{name:10} {path:20} {ms:15.2f} {ms / floor_ms:7.1f}x")
        if profiler:
            print(f"\ncProfile of {args.profile} (cumulative, top {args.top}):")
            pstats.Stats(profiler).sort_stats("cumulative").print_stats(args.top)
            pstats.Stats(profiler).sort_stats("tottime").print_stats(args.top)
    finally:
        shutil.rmtree(instance, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
