"""The load generator: N client threads, each sending GETs back to back for a fixed time.

Each thread keeps its own `http.client` connection open (keep-alive) for as long as the
server allows; gunicorn's sync workers close it after every response, and the thread then
reconnects, as a browser would. Latency is measured from sending the request to having
read the whole body. Requests that start during the warm-up are not counted.
"""

from __future__ import annotations

import http.client
import math
import threading
import time
from collections import Counter
from dataclasses import dataclass, field

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


@dataclass
class LoadResult:
    """What one page gave under load during the measured window."""

    path: str
    clients: int
    seconds: float
    latencies: list[float] = field(default_factory=list)
    statuses: Counter = field(default_factory=Counter)
    failures: Counter = field(default_factory=Counter)
    body_bytes: int = 0
    #: Every request answered, warm-up included (to share out the servers' CPU time).
    answered: int = 0
    #: Kept-alive connections the server had closed, so the request was sent again.
    reconnects: int = 0
    #: CPU time this process (the load generator) used, warm-up included.
    client_cpu_seconds: float = 0.0

    @property
    def ok(self) -> int:
        return self.statuses.get(200, 0)

    @property
    def errors(self) -> int:
        """Answers other than 200, and requests that failed outright."""
        return sum(self.statuses.values()) - self.ok + sum(self.failures.values())

    def summary(self) -> dict:
        ms = [latency * 1000 for latency in self.latencies]
        return {
            "path": self.path,
            "clients": self.clients,
            "seconds": round(self.seconds, 2),
            "requests": len(self.latencies),
            "errors": self.errors,
            "statuses": {str(k): v for k, v in sorted(self.statuses.items())},
            "failures": dict(self.failures),
            "rps": round(self.ok / self.seconds, 1) if self.seconds else 0.0,
            "p50_ms": round(percentile(ms, 50), 2) if ms else None,
            "p95_ms": round(percentile(ms, 95), 2) if ms else None,
            "p99_ms": round(percentile(ms, 99), 2) if ms else None,
            "max_ms": round(max(ms), 2) if ms else None,
            "mean_body_bytes": round(self.body_bytes / len(ms)) if ms else 0,
            "answered_with_warmup": self.answered,
            "resent_after_server_closed_connection": self.reconnects,
            "client_cpu_ms_per_request": round(self.client_cpu_seconds * 1000 / self.answered,
                                               3) if self.answered else None,
        }


class _Client(threading.Thread):
    def __init__(self, host: str, port: int, path: str, headers: dict, window: list[float],
                 result: LoadResult, lock: threading.Lock):
        super().__init__(daemon=True)
        self.host, self.port, self.path, self.headers = host, port, path, headers
        self.window, self.result, self.lock = window, result, lock
        self.latencies: list[float] = []
        self.statuses: Counter = Counter()
        self.failures: Counter = Counter()
        self.body_bytes = 0
        self.answered = 0
        self.reconnects = 0

    def _get(self, conn: http.client.HTTPConnection) -> tuple[int, bytes]:
        conn.request("GET", self.path, headers=self.headers)
        response = conn.getresponse()
        body = response.read()
        if response.will_close:
            conn.close()
        return response.status, body

    def run(self) -> None:
        start, end = self.window
        conn = http.client.HTTPConnection(self.host, self.port, timeout=30)
        while True:
            sent = time.perf_counter()
            if sent >= end:
                break
            reused = conn.sock is not None
            try:
                try:
                    status, body = self._get(conn)
                except (http.client.RemoteDisconnected, ConnectionResetError,
                        BrokenPipeError):
                    # The server closed a kept-alive connection (e.g. a worker that was
                    # replaced); like a browser, send again once on a new connection.
                    conn.close()
                    if not reused:
                        raise
                    self.reconnects += 1
                    status, body = self._get(conn)
                done = time.perf_counter()
            except (OSError, http.client.HTTPException) as error:
                conn.close()
                if sent >= start:
                    self.failures[type(error).__name__] += 1
                continue
            self.answered += 1
            if sent >= start and done <= end:
                self.latencies.append(done - sent)
                self.statuses[status] += 1
                self.body_bytes += len(body)
        conn.close()
        with self.lock:
            self.result.latencies.extend(self.latencies)
            self.result.statuses.update(self.statuses)
            self.result.failures.update(self.failures)
            self.result.body_bytes += self.body_bytes
            self.result.answered += self.answered
            self.result.reconnects += self.reconnects


def run_load(host: str, port: int, path: str, headers: dict | None = None, clients: int = 20,
             seconds: float = 10.0, warmup: float = 2.0) -> LoadResult:
    """GET `path` from `clients` threads for `warmup` + `seconds`; count only the last part."""
    headers = {"Accept-Encoding": BROWSER_ENCODINGS, **(headers or {})}
    now = time.perf_counter()
    window = [now + warmup, now + warmup + seconds]
    result = LoadResult(path=path, clients=clients, seconds=seconds)
    lock = threading.Lock()
    threads = [_Client(host, port, path, headers, window, result, lock) for _ in range(clients)]
    cpu = time.process_time()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    result.client_cpu_seconds = time.process_time() - cpu
    return result
