"""What every benchmark part reports about where it ran: the machine, and a process tree's memory."""

from __future__ import annotations

import os
import platform
import subprocess
import time


def machine() -> dict[str, str]:
    model = "?"
    try:
        lscpu = subprocess.run(["lscpu"], capture_output=True, text=True, check=False).stdout
        model = next(
            (line.split(":", 1)[1].strip() for line in lscpu.splitlines() if "Model name" in line),
            "?",
        )
    except OSError:
        pass
    openssl = subprocess.run(["openssl", "version"], capture_output=True, text=True).stdout.strip()
    return {
        "nproc": str(os.cpu_count()),
        "cpu": model,
        "python": platform.python_version(),
        "openssl": openssl,
        "kernel": platform.release(),
        # the machine is shared: the load before the run says how quiet it was
        "loadavg_start": loadavg(),
        "core_ms": f"{core_ms():.0f}",
    }


def machine_end() -> dict[str, str]:
    """The readings of `machine()` that change during a run, taken again at its end."""
    return {
        "loadavg_end": loadavg(),
        # A shared machine's core speed moved 57-89 ms within minutes (issue 17, eighth
        # session): one reading at the start does not say what the run ran on.
        "core_ms_end": f"{core_ms():.0f}",
    }


def loadavg() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def core_ms() -> float:
    """Milliseconds one core takes for a fixed piece of pure Python (the best of five).

    Sessions land on different machines under one CPU name ("AMD EPYC"), and the bot's
    figures moved about 2x with them for the same commit (docs/performance.md): this says
    how fast a core was, so figures from two sessions can be compared.
    """
    best = float("inf")
    for _ in range(5):
        started = time.perf_counter()
        total = 0
        for n in range(2_000_000):
            total += n
        best = min(best, time.perf_counter() - started)
    return best * 1000


def _tree(pid: int) -> list[int]:
    """`pid` and its descendants (the scan's worker processes included)."""
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", "rb") as handle:
                stat = handle.read()
        except OSError:
            continue
        ppid = int(stat[stat.rindex(b")") + 2 :].split()[1])
        children.setdefault(ppid, []).append(int(entry))
    tree, todo = [], [pid]
    while todo:
        current = todo.pop()
        tree.append(current)
        todo.extend(children.get(current, []))
    return tree


def _field_kib(path: str, name: str) -> int:
    try:
        with open(path) as handle:
            for line in handle:
                if line.startswith(name):
                    return int(line.split()[1])
    except OSError:
        pass  # the process ended between the listing and the read
    return 0


_TICKS = os.sysconf("SC_CLK_TCK")


def _cpu_seconds(pids: list[int]) -> float:
    total = 0
    for p in pids:
        try:
            with open(f"/proc/{p}/stat", "rb") as handle:
                fields = handle.read().rsplit(b")", 1)[1].split()
        except OSError:
            continue  # ended between the listing and the read
        total += int(fields[11]) + int(fields[12])  # utime + stime, in clock ticks
    return total / _TICKS


def tree_cpu_seconds(pid: int) -> float:
    """CPU (user + system) used so far by `pid` and its living descendants."""
    return _cpu_seconds(_tree(pid))


def named_cpu_seconds(name: str) -> float:
    """CPU used so far by every living process whose command name is `name` (e.g. postgres)."""
    pids = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/comm") as handle:
                    if handle.read().strip() == name:
                        pids.append(int(entry))
            except OSError:
                continue
    return _cpu_seconds(pids)


def machine_cpu_seconds() -> tuple[float, float]:
    """CPU seconds the whole machine spent not idle so far, and of them the host's steal (/proc/stat).

    Why steal is printed: this machine is a VM on a shared host, and the same code's CPU an
    event doubled between sessions (docs/performance.md); steal is the part of that the kernel
    sees. One read for both, so the two are of the same instant. A stolen tick is not an idle
    one: it is inside the first figure.
    """
    with open("/proc/stat") as handle:
        return cpu_line_seconds(handle.readline())


def cpu_line_seconds(line: str) -> tuple[float, float]:
    """(not idle, stolen) seconds of /proc/stat's "cpu" line: user nice system idle iowait irq
    softirq steal ..., in clock ticks."""
    fields = [int(x) for x in line.split()[1:]]
    idle = fields[3] + (fields[4] if len(fields) > 4 else 0)  # idle + iowait
    steal = fields[7] if len(fields) > 7 else 0  # kernels before 2.6.11 have no steal field
    return (sum(fields[:8]) - idle) / _TICKS, steal / _TICKS


def tree_rss_kib(pid: int) -> int:
    """Sum of VmRSS over `pid` and its descendants."""
    return sum(_field_kib(f"/proc/{p}/status", "VmRSS:") for p in _tree(pid))


def tree_memory_kib(pid: int) -> tuple[int, int]:
    """(sum of RSS, sum of PSS) over `pid` and its descendants.

    The RSS sum counts every page a forked worker still shares with its parent (the
    interpreter, the imported engine) once per process; PSS splits each shared page between
    the processes that map it, so its sum is the memory the tree actually holds.
    """
    tree = _tree(pid)
    rss = sum(_field_kib(f"/proc/{p}/status", "VmRSS:") for p in tree)
    pss = sum(_field_kib(f"/proc/{p}/smaps_rollup", "Pss:") for p in tree)
    return rss, pss
