"""Part 3: the bot under the loads of issue 17, as processes (the Procfile's gunicorn line) against the Slack stand-in.

Scenarios, each on SQLite and then PostgreSQL (a fresh database each):
- burst: N relevant uploads (CSR + certificate files, each in its own channel) from C
  concurrent clients: refused, answered exactly once, time to the last reply;
- chatter: messages without material at R/s for S seconds: acknowledgement p99 and the rows
  written (claims, jobs, replies) meanwhile;
- sustained: pasted CSR + certificate at R/s for S seconds: answered per second,
  acknowledgement p99, reply p95, RSS at start and end;
- sigkill (PostgreSQL): two instances share the queue, one is SIGKILLed half way through a
  burst; deliveries it refused go to the other (Slack's retry); every event answered once?
Durations and sizes are flags (bench.run --help); nothing is asserted.
"""

from __future__ import annotations

import json
import signal
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from bench.bot_client import (
    Sender,
    database,
    event,
    pairs,
    percentile,
    rss_mib,
    start_bot,
    stop_bot,
    written_rows,
)
from bench.bot_paced import paced
from bench.corpus import OUT
from bench.lock_report import lock_per_reply
from bench.procs import machine_cpu_seconds, named_cpu_seconds, tree_cpu_seconds
from standin import SlackStandIn

CHATTER = "standup moved to 10:30, ok?"


def _replies(standin: SlackStandIn) -> dict[str, list[float]]:
    """Arrival times of the bot's replies, by thread."""
    out: dict[str, list[float]] = {}
    for call in standin.calls_to("chat.postMessage"):
        if call.ok:
            out.setdefault(str(call.args.get("thread_ts", "")), []).append(call.at)
    return out


def _wait_answered(standin: SlackStandIn, threads: set[str], timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and not threads <= set(_replies(standin)):
        time.sleep(0.1)
    time.sleep(1.0)  # a duplicate, were there one, would come within the next poll


def _warm_up(standin: SlackStandIn, port: int, text: str) -> None:
    sender = Sender(port)
    sent = set()
    for n in range(3):
        body, ts = event(f"C0WARM{n}", text=text)
        sender.send(body)
        sent.add(ts)
    sender.close()
    _wait_answered(standin, sent, 30)


def _once(standin: SlackStandIn, sent: dict[str, float]) -> dict[str, int]:
    got = _replies(standin)
    counts = [len(got.get(ts, [])) for ts in sent]
    return {
        "answered_once": sum(1 for c in counts if c == 1),
        "duplicated": sum(1 for c in counts if c > 1),
        "missing": sum(1 for c in counts if c == 0),
    }


def burst(kind: str, server: str, count: int, concurrency: int) -> dict[str, Any]:
    standin = SlackStandIn().start()
    material = pairs(count)
    try:
        with database(kind, "burst") as url:
            proc, port = start_bot(standin.api_url, url, server)
            try:
                _warm_up(standin, port, (material[0][0] + material[0][1]).decode())
                bodies = []
                for n in range(count):
                    csr, cert = material[n % len(material)]
                    files = [standin.add_file("tomcat.csr", csr), standin.add_file("new.cer", cert)]
                    bodies.append(event(f"C{n:05d}", files=files))
                sent: dict[str, float] = {}
                statuses: list[int] = []
                lock = threading.Lock()
                local = threading.local()

                def deliver(item: tuple[bytes, str]) -> None:
                    if not hasattr(local, "sender"):
                        local.sender = Sender(port)
                    started = time.time()
                    status = local.sender.send(item[0])
                    with lock:
                        statuses.append(status)
                        if status == 200:
                            sent[item[1]] = started

                began = time.time()
                with ThreadPoolExecutor(concurrency) as pool:
                    list(pool.map(deliver, bodies))
                _wait_answered(standin, set(sent), 120)
                got = _replies(standin)
                last = max((min(got[ts]) for ts in sent if ts in got), default=float("nan"))
            finally:
                stop_bot(proc)
    finally:
        standin.stop()
    row: dict[str, Any] = {
        "events": count,
        "concurrency": concurrency,
        "refused": count - len(sent),
    }
    row.update(_once(standin, sent))
    row["last_reply_s"] = last - began
    row["met"] = row["refused"] == 0 and row["answered_once"] == count and row["last_reply_s"] <= 60
    return row


def chatter(
    kind: str, server: str, rate: float, seconds: float, concurrency: int
) -> dict[str, Any]:
    standin = SlackStandIn().start()
    material = pairs(1)[0]
    try:
        with database(kind, "chatter") as url:
            proc, port = start_bot(standin.api_url, url, server)
            try:
                _warm_up(standin, port, (material[0] + material[1]).decode())
                before = written_rows(url)
                spec = {"channel_prefix": "C0TALK", "channels": 50, "text": CHATTER}
                run = paced(port, rate, seconds, concurrency, spec)
                time.sleep(1.0)
                after = written_rows(url)
            finally:
                stop_bot(proc)
    finally:
        standin.stop()
    acks, took = run["acks"], run["took"]
    row = {
        "offered_per_s": rate,
        "seconds": took,
        "acked": len(run["sent"]),
        "failed": run["failed"],
        "acked_per_s": len(run["sent"]) / took,
        "ack_p50_ms": percentile(acks, 0.5) * 1000,
        "ack_p99_ms": percentile(acks, 0.99) * 1000,
        "late_p99_ms": percentile(run["late"], 0.99) * 1000,
        "generators": run["processes"],
        "rows_written": after - before,
        "replies": len(_replies(standin)) - 3,  # the warm-up's three
    }
    row["met"] = (
        row["ack_p99_ms"] <= 20
        and row["rows_written"] == 0
        and row["failed"] == 0
        and row["acked_per_s"] >= 0.98 * rate
    )
    return row


def sustained(
    kind: str, server: str, rate: float, seconds: float, concurrency: int
) -> dict[str, Any]:
    standin = SlackStandIn().start()
    texts = [(c + b).decode() for c, b in pairs(2000)]
    texts_file = OUT / "sustained-texts.json"
    texts_file.write_text(json.dumps(texts))
    try:
        with database(kind, "sustained") as url:
            proc, port = start_bot(standin.api_url, url, server)
            try:
                _warm_up(standin, port, texts[0])
                rss_start = rss_mib(proc.pid)
                spec = {"channel_prefix": "C0PKI", "channels": 64, "texts_file": str(texts_file)}
                series: list[float] = []
                answered: list[int] = []  # replies per 10 s: a decay shows, not only the mean
                done = threading.Event()

                def sample() -> None:  # RSS every 10 s: a slope shows, not only two points
                    before = _posted(standin)
                    while not done.wait(10.0):
                        series.append(rss_mib(proc.pid))
                        now = _posted(standin)
                        answered.append(now - before)
                        before = now

                sampler = threading.Thread(target=sample, daemon=True)
                sampler.start()
                # CPU over the paced window: the bot, the database server, the whole machine
                # (what each answered event cost, steadier than a rate on a shared machine).
                cpu_before = _cpu_now(proc.pid)
                answered_before = _posted(standin)
                run = paced(port, rate, seconds, concurrency, spec)
                cpu_after = _cpu_now(proc.pid)
                answered_window = _posted(standin) - answered_before
                done.set()
                sent, acks, took = run["sent"], run["acks"], run["took"]
                window_end = run["began"] + took
                _wait_answered(standin, set(sent), 60)
                rss_end = rss_mib(proc.pid)
            finally:
                stop_bot(proc)
    finally:
        standin.stop()
    got = _replies(standin)
    latencies = [min(got[ts]) - at for ts, at in sent.items() if ts in got]
    in_window = sum(1 for ts in sent if ts in got and min(got[ts]) <= window_end)
    # The warm-up's and the drain's replies too: the lock's tallies cover the bot's whole life.
    locked = lock_per_reply(OUT / f"bot-{port}.log", _posted(standin))
    row = {
        "offered_per_s": rate,
        "seconds": took,
        "sent": len(sent),
        "failed": run["failed"],
        "answered_per_s": in_window / took,
        "ack_p99_ms": percentile(acks, 0.99) * 1000,
        "late_p99_ms": percentile(run["late"], 0.99) * 1000,
        "reply_p50_ms": percentile(latencies, 0.5) * 1000,
        "reply_p95_ms": percentile(latencies, 0.95) * 1000,
        "rss_start_mib": rss_start,
        "rss_end_mib": rss_end,
        "rss_every_10s_mib": [round(x) for x in series],
        **_cpu_per_event(cpu_before, cpu_after, answered_window, took),
        "answered_every_10s": answered,
        **locked,
    }
    # Flat: over the second half of the run RSS grew by at most 5 % of its peak (warm-up is
    # the first half's business). Judged only on a run of 10 minutes, as the issue asks.
    half = series[len(series) // 2 :]
    row["memory"] = (
        "not judged (runs under 600 s)"
        if seconds < 600 or not half
        else ("flat" if max(half) - half[0] <= 0.05 * max(series) else "grew")
    )
    row.update(_once(standin, sent))
    row["met"] = (
        row["answered_per_s"] >= 200
        and row["ack_p99_ms"] <= 50
        and row["reply_p95_ms"] <= 1000
        and row["missing"] == 0
        and row["duplicated"] == 0
        and row["failed"] == 0
    )
    return row


def _posted(standin: SlackStandIn) -> int:
    """Replies Slack (the stand-in) accepted so far."""
    return sum(1 for c in standin.calls_to("chat.postMessage") if c.ok)


def _cpu_now(pid: int) -> tuple[float, float, float, float]:
    return (tree_cpu_seconds(pid), named_cpu_seconds("postgres"), *machine_cpu_seconds())


def _cpu_per_event(
    before: tuple[float, float, float, float],
    after: tuple[float, float, float, float],
    answered: int,
    took: float,
) -> dict[str, float]:
    bot, database, machine, stolen = (a - b for a, b in zip(after, before, strict=True))
    per = 1000 / max(answered, 1)
    return {
        "bot_cpu_ms_per_event": bot * per,
        "db_cpu_ms_per_event": database * per,
        "machine_cores_busy": machine / took,
        "machine_cores_stolen": stolen / took,
    }


def sigkill(server: str, count: int, concurrency: int) -> dict[str, Any]:
    """Two instances on one PostgreSQL database; one SIGKILLed half way through the burst."""
    standin = SlackStandIn().start()
    texts = [(c + b).decode() for c, b in pairs(count)]
    try:
        with database("postgresql", "sigkill") as url:
            one, port_one = start_bot(standin.api_url, url, server)
            two, port_two = start_bot(standin.api_url, url, server)
            try:
                _warm_up(standin, port_two, texts[0])
                bodies = [event(f"C0K{n:04d}", text=texts[n % len(texts)]) for n in range(count)]
                sent: dict[str, float] = {}
                lock = threading.Lock()
                local = threading.local()
                retried = 0

                def deliver(index: int) -> None:
                    nonlocal retried
                    if not hasattr(local, "senders"):
                        local.senders = (Sender(port_one), Sender(port_two))
                    body, ts = bodies[index]
                    first = local.senders[index % 2]
                    started = time.time()
                    status = first.send(body)
                    if status != 200:  # refused or gone: Slack retries, here on the other
                        status = local.senders[1].send(body)
                        with lock:
                            retried += 1
                    with lock:
                        if status == 200:
                            sent[ts] = started

                half = count // 2
                began = time.time()
                with ThreadPoolExecutor(concurrency) as pool:
                    list(pool.map(deliver, range(half)))
                    stop_bot(one, signal.SIGKILL)
                    killed_at = time.time() - began
                    list(pool.map(deliver, range(half, count)))
                # The killed instance's jobs are taken over when their lease (30 s) ends.
                _wait_answered(standin, set(sent), 120)
                got = _replies(standin)
                last = max((min(got[ts]) for ts in sent if ts in got), default=float("nan"))
            finally:
                stop_bot(two)
                if one.poll() is None:
                    stop_bot(one)
    finally:
        standin.stop()
    row: dict[str, Any] = {
        "events": count,
        "acknowledged": len(sent),
        "retried_on_the_other": retried,
    }
    row.update(_once(standin, sent))
    row.update({"killed_at_s": killed_at, "last_reply_s": last - began})
    row["met"] = row["answered_once"] == count and row["duplicated"] == 0
    return row


def bench_bot(options: dict[str, Any]) -> dict[str, Any]:
    """Run the scenarios named in options["scenarios"] on options["databases"]."""
    server = options["server"]
    rows: list[dict[str, Any]] = []
    for kind in options["databases"]:
        for name in options["scenarios"]:
            if name == "sigkill":
                continue
            print(f"  {server} on {kind}: {name} ...", file=sys.stderr)
            if name == "burst":
                row = burst(kind, server, options["burst"], options["concurrency"])
            elif name == "chatter":
                row = chatter(
                    kind,
                    server,
                    options["chatter_rate"],
                    options["chatter_seconds"],
                    options["concurrency"],
                )
            else:
                row = sustained(
                    kind,
                    server,
                    options["sustained_rate"],
                    options["sustained_seconds"],
                    options["concurrency"],
                )
            rows.append({"scenario": name, "database": kind, **row})
    if "sigkill" in options["scenarios"] and "postgresql" in options["databases"]:
        print(f"  {server} x2 on postgresql: sigkill ...", file=sys.stderr)
        row = sigkill(server, options["sigkill_events"], options["concurrency"])
        rows.append({"scenario": "sigkill", "database": "postgresql", **row})
    return {"server": server, "rows": rows}
