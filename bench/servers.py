"""gunicorn on loopback: the portal and the bare Flask app, started the same way.

Both get the repository's gunicorn.conf.py when there is one (so the benchmark measures
the settings a clinic ships with: worker class, threads, timeouts), and two workers on a
free loopback port from the command line, which gunicorn lets override the file.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from bench.pages import fetch

HOST = "127.0.0.1"
ROOT = Path(__file__).resolve().parent.parent
CONFIG = ROOT / "gunicorn.conf.py"


def free_port() -> int:
    """A TCP port nobody listens on right now."""
    with socket.socket() as probe:
        probe.bind((HOST, 0))
        return probe.getsockname()[1]


#: The settings the report shows, as gunicorn itself resolves them.
REPORTED = ("workers", "worker_class", "threads", "keepalive", "timeout", "preload_app",
            "max_requests", "worker_connections")


def _command(workers: int, bind: str, app: str) -> list[str]:
    command = [str(Path(sys.executable).with_name("gunicorn"))]
    if CONFIG.exists():
        command += ["--config", str(CONFIG)]
    return command + ["--workers", str(workers), "--bind", bind, app]


def gunicorn_settings(workers: int, env: dict) -> dict:
    """What the servers run with (config file, then the command line), for the report."""
    command = _command(workers, f"{HOST}:0", "bench.bare:app")
    done = subprocess.run(command[:1] + ["--print-config"] + command[1:], cwd=ROOT,
                          env={**env, "PYTHONPATH": str(ROOT)}, capture_output=True, text=True)
    settings = {"config": str(CONFIG) if CONFIG.exists() else None}
    for line in done.stdout.splitlines():
        name, _, value = line.partition("=")
        if name.strip() in REPORTED:
            settings[name.strip()] = value.strip()
    if done.returncode != 0:
        settings["error"] = done.stderr.strip()[-500:]
    return settings


@dataclass
class Server:
    name: str
    app: str
    port: int
    process: subprocess.Popen
    log: Path

    @property
    def pid(self) -> int:
        return self.process.pid

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def start(name: str, app: str, env: dict, log: Path, workers: int = 2,
          ready_path: str = "/", expect: bytes = b"") -> Server:
    """Start gunicorn serving `app`; wait until `ready_path` answers with `expect` in it."""
    port = free_port()
    command = _command(workers, f"{HOST}:{port}", app)
    handle = log.open("w")
    process = subprocess.Popen(command, cwd=ROOT, env={**env, "PYTHONPATH": str(ROOT)},
                               stdout=handle, stderr=subprocess.STDOUT,
                               start_new_session=True)
    server = Server(name, app, port, process, log)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"{name}: gunicorn exited with {process.returncode}; "
                             f"see {log}:\n{log.read_text()[-2000:]}")
        try:
            answer = fetch(HOST, port, ready_path)
        except OSError:
            time.sleep(0.2)
            continue
        if answer.status == 200 and expect in answer.body:
            return server
        server.stop()
        raise SystemExit(f"{name}: {ready_path} answered {answer.status} without {expect!r}: "
                         f"is another app listening? See {log}")
    server.stop()
    raise SystemExit(f"{name}: gunicorn did not answer within 60 s; see {log}")


def stop_all(servers: list[Server]) -> None:
    for server in servers:
        server.stop()


def machine() -> dict:
    """The conditions of the run, for the report."""
    model = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return {"cpus": os.cpu_count(), "cpu_model": model, "load_average": os.getloadavg(),
            "python": sys.version.split()[0]}


def cpu_pressure() -> str | None:
    """The kernel's CPU pressure line ("some avg10=... avg60=..."): others wanting the CPU."""
    try:
        return Path("/proc/pressure/cpu").read_text().splitlines()[0]
    except (OSError, IndexError):
        return None
