"""Memory and CPU time of gunicorn's workers, read from /proc while the load runs.

The sampler finds the workers as the children of the master process each time it looks
(a worker that is restarted is a new pid), keeps the highest resident size it saw per
pid, and at the end also reads the kernel's own high-water mark (VmHWM).
"""

from __future__ import annotations

import os
import threading
from pathlib import Path

PROC = Path("/proc")


def status_kib(pid: int, field: str) -> int | None:
    """A `kB` field of /proc/<pid>/status (VmRSS, VmHWM), or None if the process is gone."""
    try:
        for line in (PROC / str(pid) / "status").read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1])
    except (OSError, ValueError):
        return None
    return None


def children(pid: int) -> list[int]:
    """Pids whose parent is `pid`."""
    found = []
    for entry in PROC.iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        # The command name is in parentheses and may hold spaces; the parent pid follows.
        if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
            found.append(int(entry.name))
    return found


def cpu_seconds(pid: int, of_children: bool = False) -> float:
    """User plus system CPU time of `pid` so far, or of its ended children (0 if gone)."""
    try:
        fields = (PROC / str(pid) / "stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    # Fields after the command name, from state (field 3 of stat(5)): utime and stime
    # are fields 14 and 15, cutime and cstime (children waited for) 16 and 17.
    first = 13 if of_children else 11
    return (int(fields[first]) + int(fields[first + 1])) / os.sysconf("SC_CLK_TCK")


def workers_cpu_seconds(master: int) -> float:
    """CPU time of the workers of gunicorn master `master`: running ones and replaced ones."""
    return cpu_seconds(master, of_children=True) + sum(cpu_seconds(pid)
                                                       for pid in children(master))


def machine_busy_seconds() -> tuple[float, float]:
    """CPU time all CPUs of the machine spent busy so far (everything but idle and iowait),
    and the part of it the hypervisor gave to other virtual machines (steal)."""
    fields = (PROC / "stat").read_text().splitlines()[0].split()[1:]
    user, nice, system, _idle, _iowait, irq, softirq, steal = (int(f) for f in fields[:8])
    tick = os.sysconf("SC_CLK_TCK")
    return (user + nice + system + irq + softirq + steal) / tick, steal / tick


def unshared_kib(pid: int) -> dict[str, int]:
    """Pss and private (Private_Clean + Private_Dirty) memory of `pid` in kB.

    With gunicorn's preload_app the workers share the app's memory with the master, so
    RSS counts that memory once in every worker; Pss shares it out and private memory
    is what the worker alone holds.
    """
    values = {}
    try:
        for line in (PROC / str(pid) / "smaps_rollup").read_text().splitlines():
            name, _, rest = line.partition(":")
            if name in ("Pss", "Private_Clean", "Private_Dirty"):
                values[name] = int(rest.split()[0])
    except (OSError, ValueError):
        return {}
    return {"pss": values.get("Pss", 0),
            "private": values.get("Private_Clean", 0) + values.get("Private_Dirty", 0)}


class WorkerMemory(threading.Thread):
    """Samples the RSS of the workers of gunicorn master `master` until stopped."""

    def __init__(self, master: int, every: float = 0.5):
        super().__init__(daemon=True)
        self.master, self.every = master, every
        self.peak_kib: dict[int, int] = {}
        self.hwm_kib: dict[int, int] = {}
        self.pss_kib: dict[int, int] = {}
        self.private_kib: dict[int, int] = {}
        self.samples = 0
        self._stop_event = threading.Event()

    def sample(self) -> None:
        for pid in children(self.master):
            rss = status_kib(pid, "VmRSS")
            if rss is not None:
                self.peak_kib[pid] = max(rss, self.peak_kib.get(pid, 0))
                hwm = status_kib(pid, "VmHWM")
                if hwm is not None:
                    self.hwm_kib[pid] = hwm
                unshared = unshared_kib(pid)
                if unshared:
                    self.pss_kib[pid] = max(unshared["pss"], self.pss_kib.get(pid, 0))
                    self.private_kib[pid] = max(unshared["private"],
                                                self.private_kib.get(pid, 0))
        self.samples += 1

    def run(self) -> None:
        while not self._stop_event.is_set():
            self.sample()
            self._stop_event.wait(self.every)

    def stop(self) -> dict:
        """Stop sampling; per worker pid, the peaks seen and the kernel's peak, in MiB."""
        self._stop_event.set()
        self.join()
        self.sample()

        def mib(kib: int) -> float:
            return round(kib / 1024, 1)

        workers = {str(pid): {"peak_rss_mib": mib(kib),
                              "vmhwm_mib": mib(self.hwm_kib.get(pid, kib)),
                              "peak_pss_mib": mib(self.pss_kib.get(pid, 0)),
                              "peak_private_mib": mib(self.private_kib.get(pid, 0))}
                   for pid, kib in sorted(self.peak_kib.items())}
        return {"samples": self.samples, "workers": workers,
                "summary": {key: max((w[key] for w in workers.values()), default=0.0)
                            for key in ("peak_rss_mib", "vmhwm_mib", "peak_pss_mib",
                                        "peak_private_mib")}}
