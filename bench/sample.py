"""Where a page's CPU time goes: a sampling profile (py-spy) of one page, in-process.

`python -m bench.sample dashboard` prepares a fresh instance as `bench.profile` does
(migrations, the demo clinic, production settings), signs in as Oliver, and requests the
page `--requests` times with a test client while py-spy samples the process 400 times
a second. It prints the page's CPU time per request (without the sampler it is lower),
then the functions that take the largest share of the samples taken inside requests:
inclusive (the function and what it calls) and, with `--self`, exclusive. A sampler
barely slows what it watches, unlike cProfile, which inflates small calls.

py-spy comes with the dev extras (`pip install -e '.[dev]'`).
"""

from __future__ import annotations

import argparse
import collections
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

PAGES = ("sign-in", "dashboard", "results", "thread")
#: Samples outside a request (set-up, sign-in) are left out: the stack must hold this.
IN_A_REQUEST = "wsgi_app"


def options(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.sample",
                                     description=__doc__.split("\n\n")[0])
    parser.add_argument("page", choices=PAGES, help="the page to profile")
    parser.add_argument("--requests", type=int, default=800, help="requests sampled")
    parser.add_argument("--top", type=int, default=40, help="functions listed")
    parser.add_argument("--self", action="store_true", dest="exclusive",
                        help="also list exclusive (self) time")
    parser.add_argument("--loop", action="store_true", help=argparse.SUPPRESS)
    return parser.parse_args(argv)


def _loop(page: str, requests: int) -> None:
    """Run inside py-spy: set up, then request `page` over and over."""
    from bench.profile import demo_in_process

    instance = Path(tempfile.mkdtemp(prefix="portal-sample-"))
    try:
        app, client, paths = demo_in_process(instance)
        if page == "sign-in":
            client = app.test_client()  # signed out
        path = paths[page]
        for _ in range(50):  # warm: templates compiled, statements cached
            assert client.get(path).status_code == 200, path
        began = time.thread_time()
        for _ in range(requests):
            client.get(path)
        spent = (time.thread_time() - began) * 1000 / requests
        print(f"{path}: {spent:.2f} ms CPU a request while sampled", file=sys.stderr)
    finally:
        shutil.rmtree(instance, ignore_errors=True)


def _name(frame: str) -> str:
    """'function (file.py)' from py-spy's 'function (path/file.py:line)'."""
    function, _, where = frame.partition(" (")
    return f"{function} ({where.rsplit(':', 1)[0].rsplit('/', 1)[-1]})"


def shares(folded: Path) -> tuple[int, collections.Counter, collections.Counter]:
    """(samples in requests, inclusive samples per function, exclusive samples)."""
    inclusive: collections.Counter = collections.Counter()
    exclusive: collections.Counter = collections.Counter()
    total = 0
    for line in folded.read_text().splitlines():
        stack, _, count = line.rpartition(" ")
        frames = stack.split(";")
        start = next((i for i, frame in enumerate(frames) if IN_A_REQUEST in frame), None)
        if start is None:
            continue
        frames, n = frames[start:], int(count)
        total += n
        for name in {_name(frame) for frame in frames}:
            inclusive[name] += n
        exclusive[_name(frames[-1])] += n
    return total, inclusive, exclusive


def main(argv: list[str] | None = None) -> int:
    args = options(argv)
    if args.loop:
        _loop(args.page, args.requests)
        return 0
    spy = shutil.which("py-spy") or str(Path(sys.executable).with_name("py-spy"))
    if not Path(spy).exists():
        raise SystemExit("py-spy is missing: pip install -e '.[dev]'")
    with tempfile.TemporaryDirectory() as folder:
        folded = Path(folder) / "samples.txt"
        subprocess.run([spy, "record", "--rate", "400", "--format", "raw", "--output",
                        str(folded), "--", sys.executable, "-m", "bench.sample", args.page,
                        "--requests", str(args.requests), "--loop"],
                       check=True, stdout=subprocess.DEVNULL)
        total, inclusive, exclusive = shares(folded)
    print(f"{total} samples inside requests")
    print("\ninclusive share (the function and what it calls):")
    for name, n in inclusive.most_common(args.top):
        print(f"{100 * n / total:6.1f}%  {name}")
    if args.exclusive:
        print("\nexclusive share (the function's own code):")
        for name, n in exclusive.most_common(args.top):
            print(f"{100 * n / total:6.1f}%  {name}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
