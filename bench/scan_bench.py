"""Part 2 of `python -m bench.run`: the scan against openssl's per-file loop, and its growth.

- `bench_scan`: `python -m certmatch scan --json` over the 2,200-file corpus (generic and
  `--profile cisco-uc`, interleaved) and the openssl loop over a random sample of the same
  tree, in the same run, extrapolated to the whole tree (and said so), and the floor under
  any scan (bench/scan_floor.py), interleaved with them.
- `bench_growth`: the scan over trees of 10,000 and 100,000 files made of hard links to that
  corpus (bench/corpus.py `build_copies`: a big estate's backups), with wall and CPU time,
  peak RSS (the largest process, from wait4's rusage, as `getrusage(RUSAGE_CHILDREN)` reports
  it, and the sums of RSS and of PSS over the process tree, sampled) and the growth ratio; then a tree of
  100,000 distinct files (`build_tree`), where no content cache helps, for its time and peak.
Every row records the load average before and after it: the machine is shared.
"""

from __future__ import annotations

import os
import random
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

from bench.corpus import build_copies, build_tree
from bench.procs import loadavg, tree_memory_kib

ROOT = Path(__file__).resolve().parent.parent


def run_measured(cmd: list[str], **kwargs: Any) -> dict[str, Any]:
    """Wall and CPU seconds, exit code, and peak memory of one command and its descendants.

    `maxrss_mib` is the largest single process (wait4's ru_maxrss: the command or a child it
    waited for); `tree_mib` and `tree_pss_mib` the peak sums of RSS and of PSS over the process
    tree, sampled every 10 ms (bench/procs.py says why both: forked workers share pages).
    """
    peak = peak_pss = 0
    started = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, **kwargs)
    done = threading.Event()

    def sample() -> None:
        nonlocal peak, peak_pss
        while not done.is_set():
            rss, pss = tree_memory_kib(proc.pid)
            peak, peak_pss = max(peak, rss), max(peak_pss, pss)
            done.wait(0.01)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    _pid, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - started
    proc.returncode = os.waitstatus_to_exitcode(status)
    done.set()
    sampler.join()
    return {
        "seconds": wall,
        "cpu_s": usage.ru_utime + usage.ru_stime,
        "exit": proc.returncode,
        "maxrss_mib": usage.ru_maxrss / 1024,
        "tree_mib": peak / 1024,
        "tree_pss_mib": peak_pss / 1024,
    }


_LOOP = r"""
while IFS=' ' read -r kind f; do
  case "$kind" in
    csr) openssl req -noout -pubkey -in "$f" | openssl md5 ;;
    pem) openssl x509 -noout -pubkey -in "$f" | openssl md5 ;;
    der) openssl x509 -inform DER -noout -pubkey -in "$f" | openssl md5 ;;
    p7b) openssl pkcs7 -inform DER -print_certs -in "$f" | openssl x509 -noout -pubkey | openssl md5 ;;
    key) openssl pkey -pubout -in "$f" | openssl md5 ;;
    *) openssl x509 -noout -pubkey -in "$f" | openssl md5 ;;
  esac
done < "$1"
"""


def _openssl_kind(path: Path) -> str:
    """What a person running the loop would pick for this file (chosen before timing)."""
    suffix = path.suffix.lower()
    if suffix in (".csr", ".key", ".p7b"):
        return suffix[1:]
    if suffix == ".cer":
        return "der"
    return "pem"


def bench_openssl_loop(tree: Path, sample: int) -> dict[str, Any]:
    files = sorted(p for p in tree.rglob("*") if p.is_file() and not p.name.startswith("."))
    chosen = random.Random(6).sample(files, min(sample, len(files)))
    with tempfile.NamedTemporaryFile("w", suffix=".list", delete=False) as handle:
        for path in chosen:
            handle.write(f"{_openssl_kind(path)} {path}\n")
        listing = handle.name
    try:
        measured = run_measured(["bash", "-c", _LOOP, "loop", listing])
    finally:
        os.unlink(listing)
    return {
        "sample": len(chosen),
        "seconds": measured["seconds"],
        "per_file_ms": measured["seconds"] / len(chosen) * 1000,
        "cpu_per_file_ms": measured["cpu_s"] / len(chosen) * 1000,
    }


def _scan(tree: Path, *options: str) -> dict[str, Any]:
    return run_measured(
        [sys.executable, "-m", "certmatch", "scan", "--json", *options, str(tree)],
        cwd=ROOT,
    )


def _floor(tree: Path) -> dict[str, Any]:
    """bench/scan_floor.py over the same tree: only the parsing and checks no scan can skip."""
    return run_measured([sys.executable, "-m", "bench.scan_floor", str(tree)], cwd=ROOT)


def _median_row(runs: list[dict[str, Any]], n_files: int) -> dict[str, Any]:
    seconds = statistics.median(r["seconds"] for r in runs)
    return {
        "files": n_files,
        "seconds": seconds,
        "cpu_s": statistics.median(r["cpu_s"] for r in runs),
        "files_per_s": n_files / seconds,
        "maxrss_mib": max(r["maxrss_mib"] for r in runs),
        "tree_mib": max(r["tree_mib"] for r in runs),
        "tree_pss_mib": max(r["tree_pss_mib"] for r in runs),
        "exit": runs[0]["exit"],
        "repeat": len(runs),
    }


def bench_scan(n_files: int, repeat: int, sample: int) -> dict[str, Any]:
    """The corpus scan, generic and cisco-uc interleaved, then the openssl loop, same run."""
    tree = build_tree(n_files)
    _scan(tree)  # warm the page cache and the bytecode
    load_before = loadavg()
    generic: list[dict[str, Any]] = []
    cisco: list[dict[str, Any]] = []
    floor: list[dict[str, Any]] = []
    for _ in range(repeat):
        generic.append(_scan(tree))
        cisco.append(_scan(tree, "--profile", "cisco-uc"))
        floor.append(_floor(tree))
    loop = bench_openssl_loop(tree, sample)
    for _ in range(repeat):  # and again after the loop, so drift hits both sides
        generic.append(_scan(tree))
        cisco.append(_scan(tree, "--profile", "cisco-uc"))
        floor.append(_floor(tree))
    row = _median_row(generic, n_files)
    uc = _median_row(cisco, n_files)
    least = _median_row(floor, n_files)
    least["speedup"] = loop["per_file_ms"] / 1000 * n_files / least["seconds"]
    least["cpu_speedup"] = loop["cpu_per_file_ms"] / 1000 * n_files / least["cpu_s"]
    least["scan_ratio"] = row["seconds"] / least["seconds"]
    least["scan_cpu_ratio"] = row["cpu_s"] / least["cpu_s"]
    row["openssl_extrapolated_s"] = loop["per_file_ms"] / 1000 * n_files
    row["speedup"] = row["openssl_extrapolated_s"] / row["seconds"]
    row["openssl_extrapolated_cpu_s"] = loop["cpu_per_file_ms"] / 1000 * n_files
    row["cpu_speedup"] = row["openssl_extrapolated_cpu_s"] / row["cpu_s"]
    uc["ratio"] = uc["seconds"] / row["seconds"]
    uc["cpu_ratio"] = uc["cpu_s"] / row["cpu_s"]
    return {
        "corpus": row,
        "cisco_uc": uc,
        "floor": least,
        "openssl_loop": loop,
        "load": f"{load_before} -> {loadavg()}",
    }


def bench_growth(
    sizes: list[int], repeat: int, base_files: int, distinct_repeat: int = 1
) -> dict[str, Any]:
    """Trees of hard-linked copies of the corpus: time, memory and the growth ratio; then a
    tree of the largest size of distinct files, scanned `distinct_repeat` times."""
    rows: dict[str, Any] = {}
    for n in sizes:
        tree = build_copies(n, base_files)
        _scan(tree)  # the first run pays for the directory cache
        before = loadavg()
        row = _median_row([_scan(tree) for _ in range(repeat)], n)
        row["load"] = f"{before} -> {loadavg()}"
        rows[str(n)] = row
    out: dict[str, Any] = {"sizes": rows, "base_files": base_files}
    if distinct_repeat > 0:
        # The largest size again as distinct files (bench/corpus.py build_tree: its own CSR,
        # certificate and names per set, the RSA keys drawn from the shared pool): no content
        # cache helps, so this is the memory bound's hard case. One scan: about 40 s of CPU.
        n = max(sizes)
        tree = build_tree(n)
        before = loadavg()
        row = _median_row([_scan(tree) for _ in range(distinct_repeat)], n)
        row["load"] = f"{before} -> {loadavg()}"
        out["distinct"] = row
    if len(sizes) >= 2:
        small, large = rows[str(min(sizes))], rows[str(max(sizes))]
        out["growth"] = {
            "files": large["files"] / small["files"],
            "time": large["seconds"] / small["seconds"],
            "cpu": large["cpu_s"] / small["cpu_s"],
        }
    return out


def scan_table(scan: dict[str, Any] | None, growth: dict[str, Any] | None) -> list[str]:
    """The scan's rows of the bench table."""
    lines: list[str] = []
    if scan:
        row, uc, loop = scan["corpus"], scan["cisco_uc"], scan["openssl_loop"]
        lines.append(
            f"| scan {row['files']:,} files, `--json` (median of {row['repeat']}; load "
            f"{scan['load']}) | {row['seconds']:.2f} s (CPU {row['cpu_s']:.2f} s), peak "
            f"{row['maxrss_mib']:.0f} MiB | openssl loop {row['openssl_extrapolated_s']:,.1f} s "
            f"(extrapolated from {loop['sample']} files, {loop['per_file_ms']:.1f} ms/file) "
            f"| {row['speedup']:,.1f}x (CPU {row['cpu_speedup']:,.1f}x) | >= 100x "
            f"| {'yes' if row['speedup'] >= 100 else 'no'} |"
        )
        lines.append(
            f"| scan {uc['files']:,} files, `--profile cisco-uc` | {uc['seconds']:.2f} s "
            f"(CPU {uc['cpu_s']:.2f} s) | the generic scan, same run | {uc['ratio']:.2f}x "
            f"(CPU {uc['cpu_ratio']:.2f}x) | <= 1.3x | {'yes' if uc['ratio'] <= 1.3 else 'no'} |"
        )
        least = scan.get("floor")
        if least:
            lines.append(
                f"| the floor under the scan (bench/scan_floor.py: parse, public key, CSR "
                f"signatures; no repair, findings or JSON) | {least['seconds']:.2f} s (CPU "
                f"{least['cpu_s']:.2f} s) | openssl loop, same run | {least['speedup']:,.1f}x "
                f"(CPU {least['cpu_speedup']:,.1f}x); the scan is {least['scan_ratio']:.2f}x "
                f"the floor (CPU {least['scan_cpu_ratio']:.2f}x) | | |"
            )
    if growth:
        for n, row in growth["sizes"].items():
            lines.append(
                f"| scan {int(n):,} files (copies of {growth['base_files']:,}; median of "
                f"{row['repeat']}; load {row['load']}) | {row['seconds']:.2f} s (CPU "
                f"{row['cpu_s']:.2f} s), {row['files_per_s']:,.0f} files/s | "
                f"{_memory(row)} | | <= 300 MiB at 100,000 | {_memory_met(row)} |"
            )
        d = growth.get("distinct")
        if d:
            lines.append(
                f"| scan {d['files']:,} distinct files (median of {d['repeat']}; load "
                f"{d['load']}) | {d['seconds']:.2f} s (CPU {d['cpu_s']:.2f} s), "
                f"{d['files_per_s']:,.0f} files/s | {_memory(d)} | | <= 300 MiB at 100,000 | "
                f"{_memory_met(d)} |"
            )
        g = growth.get("growth")
        if g:
            lines.append(
                f"| scan growth {g['files']:.0f}x files | {g['time']:.1f}x time (CPU "
                f"{g['cpu']:.1f}x) | | | <= 11x | {'yes' if g['time'] <= 11 else 'no'} |"
            )
    return lines


def _memory(row: dict[str, Any]) -> str:
    return (
        f"peak RSS {row['maxrss_mib']:.0f} MiB (largest process); all processes: PSS "
        f"{row['tree_pss_mib']:.0f} MiB, RSS {row['tree_mib']:.0f} MiB (counts shared pages "
        "once per process)"
    )


def _memory_met(row: dict[str, Any]) -> str:
    """Both the largest process and the whole tree's PSS (what the tree holds) within 300 MiB."""
    return "yes" if row["maxrss_mib"] <= 300 and row["tree_pss_mib"] <= 300 else "no"
