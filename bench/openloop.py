"""The open-loop load: requests start at a fixed rate, whatever the server does.

wrk, hey and siege (Debian's load generators) send a connection's next request only when
the last one is answered, so a slow server is asked less often and its queue never shows
in their latency ("coordinated omission"); Debian has no constant-rate tool such as wrk2.
This is one, as small as it can be: one asyncio loop in one thread, one request prepared
as bytes, plain sockets, and a connection opened whenever none is free, so nothing waits
for an answer before the next request starts.

Request i is planned for start + i / rate. Its latency runs from that planned moment, not
from when it was sent, to the last byte of the answer: time spent behind a slow answer
counts, as in wrk2. Requests planned during the warm-up are not counted. The loop's own
CPU time is measured and reported; it runs on the same CPUs as the server.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import time
from collections import Counter

from bench.load import BROWSER_ENCODINGS, percentile

#: Connections open at once at most: past this a request waits for one (and it shows).
MAX_CONNECTIONS = 256


def request_bytes(host: str, port: int, path: str, headers: dict) -> bytes:
    """The GET request, prepared once."""
    lines = [f"GET {path} HTTP/1.1", f"Host: {host}:{port}",
             *(f"{name}: {value}" for name, value in headers.items())]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")


async def read_response(reader: asyncio.StreamReader) -> tuple[int, int, bool]:
    """One HTTP/1.1 answer off the stream: (status, body bytes, connection kept open)."""
    head = await reader.readuntil(b"\r\n\r\n")
    status_line, *header_lines = head.decode("latin-1").split("\r\n")
    version, status = status_line.split(" ", 2)[:2]
    fields = {}
    for line in header_lines:
        name, sep, value = line.partition(":")
        if sep:
            fields[name.strip().lower()] = value.strip().lower()
    keep = fields.get("connection") != "close" and version == "HTTP/1.1"
    if "content-length" in fields:
        size = int(fields["content-length"])
        await reader.readexactly(size)
    elif fields.get("transfer-encoding") == "chunked":
        size = 0
        while True:
            chunk = int((await reader.readuntil(b"\r\n")).split(b";")[0], 16)
            await reader.readexactly(chunk + 2)
            size += chunk
            if chunk == 0:
                break
    else:
        size = len(await reader.read())
        keep = False
    return int(status), size, keep


class _Run:
    def __init__(self, host: str, port: int, request: bytes, start: float):
        self.host, self.port, self.request, self.start = host, port, request, start
        self.idle: list[tuple[asyncio.StreamReader, asyncio.StreamWriter]] = []
        self.slots = asyncio.Semaphore(MAX_CONNECTIONS)
        self.latencies: list[float] = []
        self.statuses: Counter = Counter()
        self.failures: Counter = Counter()
        self.answered = 0
        self.opened = 0

    async def one(self, planned: float) -> None:
        async with self.slots:
            writer = None
            try:
                if self.idle:
                    reader, writer = self.idle.pop()
                else:
                    reader, writer = await asyncio.open_connection(self.host, self.port)
                    self.opened += 1
                writer.write(self.request)
                status, _, keep = await read_response(reader)
            except (OSError, asyncio.IncompleteReadError, asyncio.LimitOverrunError,
                    ValueError) as error:
                if writer is not None:
                    writer.close()
                if planned >= self.start:
                    self.failures[type(error).__name__] += 1
                return
            done = time.monotonic()
            self.answered += 1
            if keep:
                self.idle.append((reader, writer))
            else:
                writer.close()
            if planned >= self.start:
                self.latencies.append(done - planned)
                self.statuses[status] += 1


async def _drive(host: str, port: int, request: bytes, rate: float, seconds: float,
                 warmup: float) -> _Run:
    began = time.monotonic()
    run = _Run(host, port, request, began + warmup)
    total = int((warmup + seconds) * rate)
    tasks = set()
    for i in range(total):
        planned = began + i / rate
        wait = planned - time.monotonic()
        if wait > 0:
            await asyncio.sleep(wait)
        task = asyncio.create_task(run.one(planned))
        tasks.add(task)
        task.add_done_callback(tasks.discard)
    if tasks:
        await asyncio.wait(tasks, timeout=30)
    for _, writer in run.idle:
        writer.close()
    return run


def _run_in_own_loop(coroutine):
    """Run `coroutine` on a new event loop; in a thread of its own when this thread already
    runs one (a test process that also drives a browser), which asyncio.run refuses."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(coroutine)
    with concurrent.futures.ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, coroutine).result()


def run_open_loop(host: str, port: int, path: str, headers: dict | None = None,
                  rate: float = 100.0, seconds: float = 10.0, warmup: float = 2.0) -> dict:
    """GET `path` at `rate` requests a second for `warmup` + `seconds`: what it measured."""
    request = request_bytes(host, port, path,
                            {"Accept-Encoding": BROWSER_ENCODINGS, **(headers or {})})
    cpu = time.thread_time()
    run = _run_in_own_loop(_drive(host, port, request, rate, seconds, warmup))
    cpu = time.thread_time() - cpu
    ms = [latency * 1000 for latency in run.latencies]
    ok = run.statuses.get(200, 0)
    planned = int(seconds * rate)
    return {
        "path": path,
        "rate": rate,
        "seconds": seconds,
        "planned": planned,
        "requests": len(ms),
        "errors": sum(run.statuses.values()) - ok + sum(run.failures.values())
        + max(0, planned - len(ms) - sum(run.failures.values())),
        "statuses": {str(k): v for k, v in sorted(run.statuses.items())},
        "failures": dict(run.failures),
        "rps": round(ok / seconds, 1) if seconds else 0.0,
        "p50_ms": round(percentile(ms, 50), 2) if ms else None,
        "p95_ms": round(percentile(ms, 95), 2) if ms else None,
        "p99_ms": round(percentile(ms, 99), 2) if ms else None,
        "max_ms": round(max(ms), 2) if ms else None,
        "connections_opened": run.opened,
        "answered_with_warmup": run.answered,
        "generator": "bench/openloop.py",
        "client_cpu_seconds": round(cpu, 3),
        "client_cpu_ms_per_request": round(cpu * 1000 / run.answered, 3)
        if run.answered else None,
    }
