"""Part 3: `python -m bot` (HTTP, its own process) under closed-loop load through the Slack stand-in.

C client threads each post a signed Events API `message` with a pasted CSR + certificate (new
event id and ts every time), wait for the HTTP acknowledgement, and post the next. The
stand-in (standin/, a real HTTP server shared with the tests) timestamps each `chat.postMessage` it
receives, so event-to-reply is measured from the send to the reply reaching "Slack" in the
event's thread. Memory is the bot process's RSS after warm-up and at the end.
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import http.client
import itertools
import json
import os
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

from bench.corpus import OUT, build_tree
from standin import BOT_TOKEN, BOT_USER_ID, TEAM_ID, SlackStandIn

ROOT = Path(__file__).resolve().parent.parent

SECRET = "bench-signing-secret-0123456789abcdef"
VECTORS = ROOT / "tests" / "vectors"
_ids = itertools.count(1)


def _texts(limit: int = 2000) -> list[str]:
    """Distinct pasted CSR + certificate pairs: the matched PEM servers of the 10,000-file tree.

    Distinct, because a bot that remembers what it saw (the fingerprint index) does different
    work for the thousandth copy of one pair than for a new one; each pair recurs a few times
    in a 60 s run, as renewals and re-checks do.
    """
    tree = build_tree(10_000)
    texts = []
    for csr in sorted(tree.glob("*/*/*.csr")):
        cert = csr.with_suffix(".pem")
        if cert.exists() and not csr.stem.endswith("-regenerated"):
            texts.append(f"does this cert belong to my CSR?\n{csr.read_text()}\n{cert.read_text()}")
        if len(texts) >= limit:
            break
    if not texts:
        texts.append(
            (VECTORS / "server.csr.pem").read_text() + (VECTORS / "server.cert.pem").read_text()
        )
    return texts


def _event(texts: list[str], run: str) -> tuple[bytes, str]:
    n = next(_ids)
    text = texts[n % len(texts)]
    ts = f"{int(time.time())}.{n:06d}"
    event = {
        "type": "message",
        "text": text,
        "user": "U0ALICE",
        "ts": ts,
        "channel": "C0PKI",
        "channel_type": "channel",
        "event_ts": ts,
        "team": TEAM_ID,
    }
    body = {
        "token": "(legacy)",
        "team_id": TEAM_ID,
        "api_app_id": "A0CERTMATCH",
        "event": event,
        "type": "event_callback",
        "event_id": f"Ev{run}{n:08d}",
        "event_time": int(time.time()),
        "authorizations": [
            {"team_id": TEAM_ID, "user_id": BOT_USER_ID, "is_bot": True, "enterprise_id": None}
        ],
    }
    return json.dumps(body).encode(), ts


def _signed(body: bytes) -> dict[str, str]:
    stamp = str(int(time.time()))
    digest = hmac.new(SECRET.encode(), b"v0:" + stamp.encode() + b":" + body, hashlib.sha256)
    return {
        "Content-Type": "application/json",
        "X-Slack-Request-Timestamp": stamp,
        "X-Slack-Signature": "v0=" + digest.hexdigest(),
    }


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _rss_mib(pid: int) -> float:
    """The bot's memory: its process and any workers (gunicorn's master and workers)."""
    from bench.run import tree_rss_kib

    return tree_rss_kib(pid) / 1024


# The Procfile's `web:` line (production HTTP), and `python -m bot` (one process, wsgiref).
SERVERS = {
    "gunicorn": [
        str(Path(sys.executable).parent / "gunicorn"),
        "--worker-class",
        "gthread",
        "--workers",
        "2",
        "--threads",
        "8",
        "--timeout",
        "60",
        "bot.web:create_wsgi_app()",
    ],
    "python": [sys.executable, "-m", "bot"],
}


def _start_bot(standin: SlackStandIn, db: Path, server: str) -> tuple[subprocess.Popen[bytes], int]:
    port = _free_port()
    env = {
        "PATH": os.environ.get("PATH", ""),
        "PYTHONPATH": str(ROOT),
        "SLACK_BOT_TOKEN": BOT_TOKEN,
        "SLACK_SIGNING_SECRET": SECRET,
        "SLACK_API_URL": standin.api_url,
        "PORT": str(port),
        "DATABASE_URL": f"sqlite:///{db}",
        "LOG_LEVEL": "WARNING",
    }
    # cwd out of the repository so a developer's .env cannot change the measured settings
    command = list(SERVERS[server])
    if server == "gunicorn":
        command[1:1] = ["--bind", f"127.0.0.1:{port}"]
    # its own session, so stopping it reaches gunicorn's workers too (see _stop_bot)
    proc = subprocess.Popen(
        command, cwd=OUT, env=env, stderr=subprocess.DEVNULL, start_new_session=True
    )
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=1)
            conn.request("GET", "/healthz")
            if conn.getresponse().status == 200:
                return proc, port
        except OSError:
            time.sleep(0.1)
        if proc.poll() is not None:
            break
    _stop_bot(proc)
    raise RuntimeError(f"the bot did not start ({' '.join(command)}); run it by hand to see why")


def _stop_bot(proc: subprocess.Popen[bytes]) -> None:
    """SIGTERM to the bot's whole process group, SIGKILL after 5 s: a gunicorn worker with a
    backlog would otherwise finish its queue (graceful shutdown) long after the master left."""
    try:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=5)
    except subprocess.TimeoutExpired:
        pass
    except ProcessLookupError:
        return
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()


def _percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def _level(
    concurrency: int, seconds: float, texts: list[str], server: str, rate: float
) -> dict[str, Any]:
    standin = SlackStandIn().start()
    db = OUT / f"bot-load-{concurrency}.sqlite3"
    db.unlink(missing_ok=True)
    proc, port = _start_bot(standin, db, server)
    run = f"{concurrency:02d}{int(time.time()) % 100000:05d}"
    sent: dict[str, float] = {}
    acks: list[float] = []
    failures = 0
    lock = threading.Lock()
    try:
        # warm-up: the first events pay for lazy imports and connection set-up
        for _ in range(3):
            body, _ts = _event(texts, run + "w")
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
            conn.request("POST", "/slack/events", body, _signed(body))
            conn.getresponse().read()
        standin.wait_for_calls("chat.postMessage", 3, timeout=20)
        rss_start = _rss_mib(proc.pid)
        began = time.monotonic()
        stop_at = began + seconds
        slots = itertools.count()

        def client() -> None:
            nonlocal failures
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
            while time.monotonic() < stop_at:
                if rate > 0:
                    # paced: event k is due at k/rate; a client that is late sends at once
                    due = began + next(slots) / rate
                    delay = due - time.monotonic()
                    if delay > 0:
                        time.sleep(delay)
                    if time.monotonic() >= stop_at:
                        break
                body, ts = _event(texts, run)
                started = time.time()
                try:
                    conn.request("POST", "/slack/events", body, _signed(body))
                    response = conn.getresponse()
                    response.read()
                    ok = response.status == 200
                except (OSError, http.client.HTTPException):
                    ok = False
                    conn.close()
                    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
                elapsed = time.time() - started
                with lock:
                    if ok:
                        sent[ts] = started
                        acks.append(elapsed)
                    else:
                        failures += 1
            conn.close()

        threads = [threading.Thread(target=client) for _ in range(concurrency)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        load_seconds = time.monotonic() - began
        load_end = time.time()
        # replies still in flight when sending stopped count, if they come within 15 s
        deadline = time.monotonic() + 15
        replies: dict[str, float] = {}
        while time.monotonic() < deadline:
            for call in standin.calls_to("chat.postMessage"):
                thread_ts = str(call.args.get("thread_ts", ""))
                if thread_ts in sent:
                    replies.setdefault(thread_ts, call.at)
            if len(replies) >= len(sent):
                break
            time.sleep(0.2)
        rss_end = _rss_mib(proc.pid)
    finally:
        _stop_bot(proc)
        standin.stop()
        db.unlink(missing_ok=True)
    in_window = [at for at in replies.values() if at <= load_end]
    reply_latency = [replies[ts] - sent[ts] for ts in replies]
    row: dict[str, Any] = {
        "concurrency": concurrency,
        "offered_per_s": rate or None,
        "seconds": load_seconds,
        "events_sent": len(sent),
        "replies": len(replies),
        "missing_replies": len(sent) - len(replies),
        "failed_deliveries": failures,
        "acked_per_s": len(sent) / load_seconds,
        "events_per_s": len(in_window) / load_seconds,
        "ack_p50_ms": statistics.median(acks) * 1000 if acks else float("nan"),
        "ack_p99_ms": _percentile(acks, 0.99) * 1000,
        "reply_p50_ms": _percentile(reply_latency, 0.50) * 1000,
        "reply_p95_ms": _percentile(reply_latency, 0.95) * 1000,
        "rss_start_mib": rss_start,
        "rss_end_mib": rss_end,
    }
    met = (
        (row["ack_p99_ms"] <= 50 or concurrency != 32)
        and row["reply_p95_ms"] <= 150
        and row["events_per_s"] >= 100
        and row["missing_replies"] == 0
    )
    row["met"] = "yes" if met else "no"
    return row


def bench_bot(
    levels: list[int],
    seconds: float,
    server: str = "gunicorn",
    rates: tuple[float, ...] = (110.0, 0.0),
) -> dict[str, Any]:
    """Each level at the target's offered rate (paced), then unpaced (closed loop, saturation)."""
    texts = _texts()
    rows = []
    for concurrency, rate in itertools.product(levels, rates):
        offered = f"{rate:.0f}/s offered" if rate else "as fast as acknowledged"
        print(
            f"  {server}: {concurrency} concurrent, {offered}, {seconds:.0f} s ...", file=sys.stderr
        )
        row = _level(concurrency, seconds, texts, server, rate)
        row["server"] = server
        rows.append(row)
    return {
        "rows": rows,
        "server": " ".join(
            Path(part).name if part.startswith("/") else part for part in SERVERS[server]
        ),
        "payload": f"message events pasting one of {len(texts)} distinct CSR + certificate pairs",
    }
