"""The bot benchmark's tools: the bot as a process (the Procfile's gunicorn line or python -m bot), signed events, a fresh database, percentiles.

The Slack stand-in (standin/, shared with the tests) plays Slack: it hosts the uploaded files
and timestamps every chat.postMessage it receives, so event-to-reply is measured from the
send to the reply reaching "Slack" in the event's thread.
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
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from bench.corpus import OUT, build_tree
from bench.procs import tree_rss_kib
from standin import BOT_TOKEN, BOT_USER_ID, TEAM_ID

ROOT = Path(__file__).resolve().parent.parent
SECRET = "bench-signing-secret-0123456789abcdef"
POSTGRES_URL = os.environ.get(
    "CERTMATCH_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test"
)
_ids = itertools.count(1)

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


def pairs(limit: int) -> list[tuple[bytes, bytes]]:
    """Distinct (CSR, certificate) PEM pairs: the matched servers of the generated 10,000-file tree."""
    tree = build_tree(10_000)
    found = []
    for csr in sorted(tree.glob("*/*/*.csr")):
        cert = csr.with_suffix(".pem")
        if cert.exists() and not csr.stem.endswith("-regenerated"):
            found.append((csr.read_bytes(), cert.read_bytes()))
        if len(found) >= limit:
            break
    return found


def event(
    channel: str,
    *,
    text: str = "",
    files: list[dict[str, Any]] | None = None,
) -> tuple[bytes, str]:
    """A signed-ready Events API message body and its ts (the reply's thread)."""
    n = next(_ids)
    ts = f"{int(time.time())}.{n:06d}"
    message: dict[str, Any] = {
        "type": "message",
        "text": text,
        "user": "U0ALICE",
        "ts": ts,
        "channel": channel,
        "channel_type": "channel",
        "event_ts": ts,
        "team": TEAM_ID,
    }
    if files:
        message.update({"subtype": "file_share", "files": files, "upload": True})
    body = {
        "token": "(legacy)",
        "team_id": TEAM_ID,
        "api_app_id": "A0CERTMATCH",
        "event": message,
        "type": "event_callback",
        "event_id": f"Ev{uuid.uuid4().hex[:8]}{n:08d}",
        "event_time": int(time.time()),
        # Slack sends it in every envelope (../shared/slack/event-message-*.json); without it the
        # bot cannot tell a public channel from a Slack Connect one and looks up this channel
        # only (bot.privacy), which is not what a team channel does.
        "is_ext_shared_channel": False,
        "authorizations": [
            {"team_id": TEAM_ID, "user_id": BOT_USER_ID, "is_bot": True, "enterprise_id": None}
        ],
    }
    return json.dumps(body).encode(), ts


def signed(body: bytes) -> dict[str, str]:
    stamp = str(int(time.time()))
    digest = hmac.new(SECRET.encode(), b"v0:" + stamp.encode() + b":" + body, hashlib.sha256)
    return {
        "Content-Type": "application/json",
        "X-Slack-Request-Timestamp": stamp,
        "X-Slack-Signature": "v0=" + digest.hexdigest(),
    }


class Sender:
    """One keep-alive HTTP connection to the bot (one of the concurrent clients)."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)

    def send(self, body: bytes) -> int:
        """POST the event; the HTTP status, 0 when the connection failed."""
        try:
            self.conn.request("POST", "/slack/events", body, signed(body))
            response = self.conn.getresponse()
            response.read()
            return response.status
        except (OSError, http.client.HTTPException):
            self.conn.close()
            self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
            return 0

    def close(self) -> None:
        self.conn.close()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def start_bot(
    api_url: str, database_url: str, server: str, **env_extra: str
) -> tuple[subprocess.Popen[bytes], int]:
    port = free_port()
    env = {
        "PATH": os.environ.get("PATH", ""),
        "PYTHONPATH": str(ROOT),
        "SLACK_BOT_TOKEN": BOT_TOKEN,
        "SLACK_SIGNING_SECRET": SECRET,
        "SLACK_API_URL": api_url,
        "PORT": str(port),
        "DATABASE_URL": database_url,
        "LOG_LEVEL": "WARNING",
        # The bench's own CERTMATCH_* settings and GUNICORN_CMD_ARGS reach the bot (to try a
        # setting without editing the bench); nothing else of this environment does.
        **{k: v for k, v in os.environ.items() if k.startswith("CERTMATCH_")},
        **(
            {"GUNICORN_CMD_ARGS": os.environ["GUNICORN_CMD_ARGS"]}
            if "GUNICORN_CMD_ARGS" in os.environ
            else {}
        ),
        **env_extra,
    }
    command = list(SERVERS[server])
    if server == "gunicorn":
        command[1:1] = ["--bind", f"127.0.0.1:{port}"]
    # cwd out of the repository so a developer's .env cannot change the measured settings; its
    # own session, so stopping it reaches gunicorn's workers too (see stop_bot)
    OUT.mkdir(parents=True, exist_ok=True)
    # The bot's log, kept for reading after a run (job failures, database errors).
    log = (OUT / f"bot-{port}.log").open("wb")
    proc = subprocess.Popen(command, cwd=OUT, env=env, stderr=log, start_new_session=True)
    log.close()
    deadline = time.monotonic() + 30
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
    stop_bot(proc)
    raise RuntimeError(f"the bot did not start ({' '.join(command)}); run it by hand to see why")


def stop_bot(proc: subprocess.Popen[bytes], sig: int = signal.SIGTERM) -> None:
    """`sig` to the bot's whole process group, SIGKILL after 10 s."""
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, sig)
    with contextlib.suppress(subprocess.TimeoutExpired):
        proc.wait(timeout=10)
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()


def rss_mib(pid: int) -> float:
    """The bot's memory: its process and any workers (gunicorn's master and workers)."""
    return tree_rss_kib(pid) / 1024


@contextlib.contextmanager
def database(kind: str, name: str) -> Iterator[str]:
    """A fresh database for one scenario: a SQLite file, or a new PostgreSQL database."""
    if kind == "sqlite":
        path = OUT / f"bot-{name}.sqlite3"
        for old in OUT.glob(path.name + "*"):
            old.unlink()
        yield f"sqlite:///{path}"
        for old in OUT.glob(path.name + "*"):
            old.unlink()
        return
    import psycopg

    db = f"certmatch_bench_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(POSTGRES_URL, autocommit=True) as conn:
        conn.execute(f"CREATE DATABASE {db}")
    try:
        yield POSTGRES_URL.rsplit("/", 1)[0] + "/" + db
    finally:
        with psycopg.connect(POSTGRES_URL, autocommit=True) as conn:
            conn.execute(f"DROP DATABASE IF EXISTS {db} WITH (FORCE)")


def written_rows(database_url: str) -> int:
    """Rows in the tables an event could write (claims, jobs, replies)."""
    from bot.store import Store

    store = Store(database_url)
    try:
        t = store.tables
        return sum(store.count(table) for table in (t.events, t.jobs, t.replies))
    finally:
        store.close()


def percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]
