"""One command for every figure in docs/performance.md: `.venv/bin/python -m bench.run`.

1. one CSR + certificate through `python -m certmatch` against the openssl modulus pipelines;
2. `python -m certmatch scan` over generated trees of N and 10N files against the openssl
   per-file loop, measured on a sample in the same run and extrapolated (and said so);
3. the bot under load through the local Slack stand-in (bench/bot_load.py).
Figures are printed as a table and saved to bench/out/results.json; nothing is asserted.
"""

from __future__ import annotations

import argparse
import compileall
import json
import os
import platform
import random
import resource
import shlex
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

from bench.corpus import OUT, build_pair, build_tree

ROOT = Path(__file__).resolve().parent.parent
PY = sys.executable


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
        "loadavg_start": " ".join(f"{x:.2f}" for x in os.getloadavg()),
    }


# --- process tree memory -------------------------------------------------------------------


def tree_rss_kib(pid: int) -> int:
    """Sum of VmRSS over `pid` and its descendants (the scan's worker processes included)."""
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
    total, todo = 0, [pid]
    while todo:
        current = todo.pop()
        todo.extend(children.get(current, []))
        try:
            with open(f"/proc/{current}/status") as handle:
                for line in handle:
                    if line.startswith("VmRSS:"):
                        total += int(line.split()[1])
        except OSError:
            continue
    return total


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def run_measured(cmd: list[str], **kwargs: Any) -> tuple[float, int, int, float]:
    """(wall seconds, peak RSS of the process tree in KiB, exit code, CPU seconds of the tree).

    Memory is sampled every 10 ms. CPU (user + system of the process and every descendant it
    waited for) is what a shared machine distorts least, so it is reported beside wall time.
    """
    peak = 0
    cpu_before = _children_cpu()
    started = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, **kwargs)
    done = threading.Event()

    def sample() -> None:
        nonlocal peak
        while not done.is_set():
            peak = max(peak, tree_rss_kib(proc.pid))
            done.wait(0.01)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    code = proc.wait()
    wall = time.perf_counter() - started
    done.set()
    sampler.join()
    return wall, peak, code, _children_cpu() - cpu_before


def wall(cmd: list[str] | str, shell: bool = False) -> float:
    return timed(cmd, shell)[0]


def timed(cmd: list[str] | str, shell: bool = False) -> tuple[float, float]:
    """(wall seconds, CPU seconds of the command and its descendants)."""
    cpu_before = _children_cpu()
    started = time.perf_counter()
    subprocess.run(
        cmd, shell=shell, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False
    )
    return time.perf_counter() - started, _children_cpu() - cpu_before


# --- part 1: one pair ----------------------------------------------------------------------


def compile_engine() -> None:
    """Write certmatch's .pyc files before timing anything.

    Why: with PYTHONDONTWRITEBYTECODE set (this machine's shells set it) the interpreter never
    writes them, so every run compiled the whole engine from source (about 40 ms of a 150 ms
    check) while cryptography, installed by pip, had its bytecode: an installed certmatch
    has it too. compileall writes them whatever that variable says.
    """
    compileall.compile_dir(str(ROOT / "certmatch"), quiet=1)


def bench_pair(repeat: int) -> dict[str, Any]:
    csr, crt = build_pair()
    compile_engine()
    certmatch = [PY, "-m", "certmatch", str(csr), str(crt)]
    floor = [PY, "-c", "import cryptography.x509"]  # Python's floor for any check
    pipeline = (
        f"openssl req -noout -modulus -in {shlex.quote(str(csr))} | openssl md5; "
        f"openssl x509 -noout -modulus -in {shlex.quote(str(crt))} | openssl md5"
    )
    code = subprocess.run(certmatch, capture_output=True, check=False).returncode
    for _ in range(2):  # warm the page cache
        wall(certmatch)
        wall(floor)
        wall(pipeline, shell=True)
    runs: dict[str, list[tuple[float, float]]] = {"ours": [], "floor": [], "openssl": []}
    for _ in range(repeat):  # interleaved, so drift hits all three the same
        runs["ours"].append(timed(certmatch))
        runs["floor"].append(timed(floor))
        runs["openssl"].append(timed(pipeline, shell=True))
    med = {k: statistics.median(w for w, _ in v) for k, v in runs.items()}
    cpu = {k: statistics.median(c for _, c in v) for k, v in runs.items()}
    return {
        "certmatch_cpu_ms": cpu["ours"] * 1000,
        "openssl_cpu_ms": cpu["openssl"] * 1000,
        "floor_cpu_ms": cpu["floor"] * 1000,
        "certmatch_exit": code,
        "certmatch_median_ms": med["ours"] * 1000,
        "certmatch_min_ms": min(w for w, _ in runs["ours"]) * 1000,
        "floor_median_ms": med["floor"] * 1000,
        "openssl_median_ms": med["openssl"] * 1000,
        "openssl_min_ms": min(w for w, _ in runs["openssl"]) * 1000,
        "ratio": med["ours"] / med["openssl"],
        "floor_ratio": med["ours"] / med["floor"],
        "floor_cpu_ratio": cpu["ours"] / cpu["floor"],
        "repeat": repeat,
    }


# --- part 2: scan ----------------------------------------------------------------------------

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
        seconds, cpu = timed(["bash", "-c", _LOOP, "loop", listing])
    finally:
        os.unlink(listing)
    return {
        "sample": len(chosen),
        "seconds": seconds,
        "per_file_ms": seconds / len(chosen) * 1000,
        "cpu_per_file_ms": cpu / len(chosen) * 1000,
    }


def bench_scan(sizes: list[int], repeat: int, sample: int) -> dict[str, Any]:
    results: dict[str, Any] = {"sizes": {}}
    compile_engine()
    for n in sizes:
        tree = build_tree(n)
        runs = []
        for _ in range(repeat):
            runs.append(
                run_measured([PY, "-m", "certmatch", "scan", "--json", str(tree)], cwd=ROOT)
            )
        seconds = statistics.median(r[0] for r in runs)
        results["sizes"][str(n)] = {
            "seconds": seconds,
            "files_per_s": n / seconds,
            "peak_rss_mib": max(r[1] for r in runs) / 1024,
            "exit": runs[0][2],
            "cpu_s": statistics.median(r[3] for r in runs),
            "repeat": repeat,
        }
    biggest = build_tree(max(sizes))
    loop = bench_openssl_loop(biggest, sample)
    results["openssl_loop"] = loop
    for n, row in results["sizes"].items():
        row["openssl_extrapolated_s"] = loop["per_file_ms"] / 1000 * int(n)
        row["speedup"] = row["openssl_extrapolated_s"] / row["seconds"]
        row["openssl_extrapolated_cpu_s"] = loop["cpu_per_file_ms"] / 1000 * int(n)
        row["cpu_speedup"] = row["openssl_extrapolated_cpu_s"] / row["cpu_s"]
    if len(sizes) >= 2:
        small, large = min(sizes), max(sizes)
        results["growth"] = {
            "files": large / small,
            "time": results["sizes"][str(large)]["seconds"]
            / results["sizes"][str(small)]["seconds"],
        }
    return results


# --- the table -------------------------------------------------------------------------------


def table(results: dict[str, Any]) -> str:
    m = results["machine"]
    lines = [
        f"machine: {m['nproc']} cores ({m['cpu']}), Python {m['python']}, {m['openssl']}; "
        f"load average {m['loadavg_start']} at start, {m.get('loadavg_end', '?')} at end",
        "",
        "| measurement | certmatch | baseline | ratio | target | met |",
        "|---|---|---|---|---|---|",
    ]
    pair = results.get("pair")
    if pair:
        lines.append(
            f"| one CSR + certificate, wall (median of {pair['repeat']}) "
            f"| {pair['certmatch_median_ms']:.0f} ms (CPU {pair['certmatch_cpu_ms']:.0f} ms) "
            f"| `python -c 'import cryptography.x509'`: {pair['floor_median_ms']:.0f} ms "
            f"(CPU {pair['floor_cpu_ms']:.0f} ms) | {pair['floor_ratio']:.2f}x "
            f"(CPU {pair['floor_cpu_ratio']:.2f}x) | <= 1.3x "
            f"| {'yes' if pair['floor_ratio'] <= 1.3 else 'no'} |"
        )
        lines.append(
            f"| one CSR + certificate, against openssl | "
            f"| openssl req+x509 -modulus \\| md5: {pair['openssl_median_ms']:.0f} ms "
            f"(CPU {pair['openssl_cpu_ms']:.0f} ms) | {pair['ratio']:.2f}x | (printed) | |"
        )
    scan = results.get("scan")
    if scan:
        loop = scan["openssl_loop"]
        for n, row in scan["sizes"].items():
            met = row["speedup"] >= 100 and (int(n) < 10_000 or row["seconds"] <= 3)
            lines.append(
                f"| scan {int(n):,} files (median of {row['repeat']}) | {row['seconds']:.2f} s, "
                f"{row['files_per_s']:,.0f} files/s, peak {row['peak_rss_mib']:.0f} MiB "
                f"| openssl loop {row['openssl_extrapolated_s']:,.0f} s (extrapolated from "
                f"{loop['sample']} files, {loop['per_file_ms']:.1f} ms/file) "
                f"| {row['speedup']:,.1f}x faster (CPU: {row['cpu_s']:.1f} s vs "
                f"{row['openssl_extrapolated_cpu_s']:,.0f} s, {row['cpu_speedup']:,.1f}x) "
                f"| {'<= 3 s, ' if int(n) >= 10_000 else ''}"
                f">= 100x | {'yes' if met else 'no'} |"
            )
        growth = scan.get("growth")
        if growth:
            lines.append(
                f"| scan growth {growth['files']:.0f}x files | {growth['time']:.1f}x time | | "
                f"| <= 12x | {'yes' if growth['time'] <= 12 else 'no'} |"
            )
    bot = results.get("bot")
    if bot:
        for row in bot["rows"]:
            lines.append(
                f"| bot ({row.get('server', '?')}), {row['concurrency']} concurrent, "
                + (
                    f"{row['offered_per_s']:.0f}/s offered"
                    if row.get("offered_per_s")
                    else "unpaced"
                )
                + f", {row['seconds']:.0f} s "
                f"| {row['events_per_s']:.0f} events/s; ack p50 {row['ack_p50_ms']:.1f} / "
                f"p99 {row['ack_p99_ms']:.1f} ms; reply p50 {row['reply_p50_ms']:.0f} / "
                f"p95 {row['reply_p95_ms']:.0f} ms; RSS {row['rss_start_mib']:.0f} -> "
                f"{row['rss_end_mib']:.0f} MiB | | | ack p99 <= 50 ms, reply p95 <= 150 ms, "
                f">= 100/s | {row['met']} |"
            )
    elif "bot_skipped" in results:
        lines.append(f"| bot under load | not measured: {results['bot_skipped']} | | | | |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.run", description=__doc__)
    parser.add_argument(
        "--sizes", default="1000,10000", help="scan tree sizes (default 1000,10000)"
    )
    parser.add_argument("--repeat", type=int, default=15, help="one-pair repetitions")
    parser.add_argument("--scan-repeat", type=int, default=3, help="scan repetitions per size")
    parser.add_argument("--sample", type=int, default=300, help="files in the openssl loop sample")
    parser.add_argument("--bot-seconds", type=float, default=60.0, help="load duration per level")
    parser.add_argument("--concurrency", default="1,8,32", help="bot concurrent deliveries")
    parser.add_argument(
        "--bot-rates",
        default="110,0",
        help="offered events/s per level; 0 = unpaced closed loop (default 110,0: the 100/s target plus headroom)",
    )
    parser.add_argument(
        "--bot-server",
        choices=("gunicorn", "python"),
        default="gunicorn",
        help="the Procfile's web: line (default) or `python -m bot`",
    )
    parser.add_argument("--only", choices=("pair", "scan", "bot"), action="append")
    args = parser.parse_args(argv)
    parts = set(args.only or ("pair", "scan", "bot"))
    results: dict[str, Any] = {"machine": machine()}
    if "pair" in parts:
        print("part 1: one pair ...", file=sys.stderr)
        results["pair"] = bench_pair(args.repeat)
    if "scan" in parts:
        sizes = [int(s) for s in args.sizes.split(",")]
        print(f"part 2: scan of {sizes} files (first run generates them) ...", file=sys.stderr)
        results["scan"] = bench_scan(sizes, args.scan_repeat, args.sample)
    if "bot" in parts:
        try:
            from bench.bot_load import bench_bot
        except ImportError as exc:
            results["bot_skipped"] = f"bench/bot_load.py is not available ({exc})"
        else:
            print("part 3: bot under load ...", file=sys.stderr)
            levels = [int(c) for c in args.concurrency.split(",")]
            results["bot"] = bench_bot(
                levels,
                args.bot_seconds,
                args.bot_server,
                tuple(float(r) for r in args.bot_rates.split(",")),
            )
    results["machine"]["loadavg_end"] = " ".join(f"{x:.2f}" for x in os.getloadavg())
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / "results.json").write_text(json.dumps(results, indent=1) + "\n")
    print(table(results))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
