"""End-to-end helpers: run the real app over HTTP against the Slack stand-in and send signed Slack requests.

Payloads follow /work/shared/slack (Events API `message`/`file_share`, slash command form,
interactivity `payload=` form). Requests are signed exactly as Slack signs them:
`v0=hex(HMAC-SHA256(secret, "v0:" + timestamp + ":" + raw body))`.
"""

from __future__ import annotations

import hashlib
import hmac
import itertools
import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from bot.config import Settings
from bot.jobs.queue import JobQueue
from bot.store import Store
from bot.web import serve_in_thread, wsgi_app
from bot.wiring import Bot, build_bot
from standin import BOT_TOKEN, BOT_USER_ID, TEAM_ID, SlackStandIn

SIGNING_SECRET = "standin-signing-secret-0123456789"
ROOT = Path(__file__).resolve().parent.parent
VECTORS = Path(__file__).resolve().parent / "vectors"
_ids = itertools.count(1)


DAY = 86400.0


@dataclass
class Clock:
    """The bot's notion of now, handed to the app; tests move it forward by days."""

    now: float

    def __call__(self) -> float:
        return self.now

    def advance(self, days: float) -> None:
        self.now += days * DAY


def vector(name: str) -> bytes:
    return (VECTORS / name).read_bytes()


def modulus_md5(pem_certificate: bytes) -> str:
    """md5 of openssl's `Modulus=<HEX>` line for a PEM certificate: the value replies must show."""
    from cryptography import x509
    from cryptography.hazmat.primitives.asymmetric import rsa

    key = x509.load_pem_x509_certificate(pem_certificate).public_key()
    assert isinstance(key, rsa.RSAPublicKey)
    line = f"Modulus={key.public_numbers().n:X}\n".encode()
    return hashlib.md5(line, usedforsecurity=False).hexdigest()


def sign(body: bytes, secret: str = SIGNING_SECRET, timestamp: int | None = None) -> dict[str, str]:
    ts = str(int(time.time()) if timestamp is None else timestamp)
    base = b"v0:" + ts.encode() + b":" + body
    digest = hmac.new(secret.encode(), base, hashlib.sha256).hexdigest()
    return {"X-Slack-Request-Timestamp": ts, "X-Slack-Signature": f"v0={digest}"}


@dataclass
class Response:
    status: int
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


@dataclass
class RunningBot:
    url: str
    settings: Settings
    store: Store
    stop: Callable[[], None]
    bot: Bot | None = None

    def post(
        self,
        body: bytes,
        content_type: str,
        *,
        secret: str = SIGNING_SECRET,
        timestamp: int | None = None,
        extra_headers: dict[str, str] | None = None,
    ) -> Response:
        headers = {"Content-Type": content_type, **sign(body, secret, timestamp)}
        headers.update(extra_headers or {})
        request = urllib.request.Request(
            self.url + "/slack/events", data=body, headers=headers, method="POST"
        )
        try:
            with urllib.request.urlopen(request, timeout=10) as response:
                return Response(response.status, response.read())
        except urllib.error.HTTPError as exc:
            with exc:
                return Response(exc.code, exc.read())

    def send_event(
        self, payload: dict[str, Any], *, retry_num: int | None = None, **kw: Any
    ) -> Response:
        extra = {}
        if retry_num is not None:
            extra = {"X-Slack-Retry-Num": str(retry_num), "X-Slack-Retry-Reason": "http_timeout"}
        return self.post(
            json.dumps(payload).encode(), "application/json", extra_headers=extra, **kw
        )

    def send_command(self, form: dict[str, str], **kw: Any) -> Response:
        return self.post(urlencode(form).encode(), "application/x-www-form-urlencoded", **kw)

    def send_interaction(self, payload: dict[str, Any], **kw: Any) -> Response:
        body = urlencode({"payload": json.dumps(payload)}).encode()
        return self.post(body, "application/x-www-form-urlencoded", **kw)

    def get(self, path: str) -> Response:
        try:
            with urllib.request.urlopen(self.url + path, timeout=10) as response:
                return Response(response.status, response.read())
        except urllib.error.HTTPError as exc:
            with exc:
                return Response(exc.code, exc.read())


def settings_for(
    standin: SlackStandIn, database_url: str, prefix: str, **overrides: Any
) -> Settings:
    settings = Settings(
        bot_token=BOT_TOKEN,
        signing_secret=SIGNING_SECRET,
        api_url=standin.api_url,
        database_url=database_url,
        table_prefix=prefix,
        download_timeout=3.0,
    )
    return replace(settings, **overrides)


def start_bot(
    settings: Settings, store: Store | None = None, clock: Callable[[], float] = time.time
) -> RunningBot:
    """The whole bot (bot.wiring, its job workers included) behind the real WSGI endpoint on 127.0.0.1."""
    store = store or Store.open(settings.database_url, settings.table_prefix)
    bot = build_bot(settings, store, clock)
    server, stop_serving = serve_in_thread(wsgi_app(bot.app, intake=bot.door_intake))
    host, port = str(server.server_address[0]), server.server_address[1]

    def stop() -> None:
        stop_serving()
        bot.stop_workers(5.0)
        store.close()

    return RunningBot(f"http://{host}:{port}", settings, store, stop, bot)


def post_file(
    bot: RunningBot,
    standin: SlackStandIn,
    name: str,
    content: bytes,
    *,
    channel: str = "C0PKI",
    user: str = "U0ALICE",
    thread_ts: str | None = None,
    channel_type: str = "channel",
    shared: bool = False,
    stub: bool = False,
    extra: dict[str, Any] | None = None,
) -> tuple[dict[str, Any], dict[str, Any]]:
    """Upload one file as a message and wait for the bot's reply; return (the event payload, the reply).

    `channel_type` and `shared` say what kind of conversation it is (the event's channel_type,
    the envelope's is_ext_shared_channel); `stub` sends the file as a Slack Connect stub.
    """
    before = len(standin.posts())
    file = standin.add_file(name, content)
    payload = message_event(
        files=[standin.stub(file) if stub else file],
        channel=channel,
        user=user,
        thread_ts=thread_ts,
        extra={"channel_type": channel_type, **(extra or {})},
    )
    payload["is_ext_shared_channel"] = shared
    assert bot.send_event(payload).status == 200
    standin.wait_for(lambda s: len(s.posts()) == before + 1)
    return payload, standin.posts()[-1]


def wait_quiet(standin: SlackStandIn, bot: RunningBot, seconds: float = 10.0) -> None:
    """Wait until the bot's queue is empty and its workers idle: every queued message answered.

    What a test waits on instead of a fixed sleep before asserting that nothing more came.
    """
    assert bot.bot is not None
    queue, workers = bot.bot.queue, bot.bot.workers
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if workers.busy == 0 and all(s == "done" for s in queue.states().values()):
            return
        time.sleep(0.02)
    raise AssertionError(f"queue not drained: {queue.states()}")


def wait_jobs_done(database_url: str, prefix: str = "certmatch_", seconds: float = 20.0) -> None:
    """Wait until every job in the database is done (bots running as their own processes)."""
    store = Store(database_url, prefix)
    try:
        queue = JobQueue(store)
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            states = queue.states()
            if all(s == "done" for s in states.values()):
                time.sleep(0.05)  # the worker posts, then marks done: the post has landed
                return
            time.sleep(0.02)
        raise AssertionError(f"jobs not done: {queue.states()}")
    finally:
        store.close()


def replies_per_thread(standin: SlackStandIn) -> dict[str, int]:
    """How many bot messages each thread got (exactly-once assertions)."""
    counts: dict[str, int] = {}
    for post in standin.posts():
        thread = str(post.get("thread_ts") or "")
        counts[thread] = counts.get(thread, 0) + 1
    return counts


# -- payloads shaped like /work/shared/slack --------------------------------------------------


def event_id() -> str:
    return f"Ev{int(time.time() * 1000)}{next(_ids):04d}"


def new_ts() -> str:
    return f"{int(time.time())}.{next(_ids):06d}"


def message_event(
    *,
    text: str = "",
    files: list[dict[str, Any]] | None = None,
    ts: str | None = None,
    thread_ts: str | None = None,
    channel: str = "C0PKI",
    user: str = "U0ALICE",
    eid: str | None = None,
    extra: dict[str, Any] | None = None,
) -> dict[str, Any]:
    ts = ts or new_ts()
    event: dict[str, Any] = {
        "type": "message",
        "text": text,
        "user": user,
        "ts": ts,
        "channel": channel,
        "channel_type": "channel",
        "event_ts": ts,
        "team": TEAM_ID,
    }
    if files:
        event.update({"subtype": "file_share", "files": files, "upload": True})
    if thread_ts:
        event.update({"thread_ts": thread_ts, "parent_user_id": user})
    event.update(extra or {})
    return envelope(event, eid)


def envelope(event: dict[str, Any], eid: str | None = None) -> dict[str, Any]:
    return {
        "token": "(legacy verification token)",
        "team_id": TEAM_ID,
        "context_team_id": TEAM_ID,
        "context_enterprise_id": None,
        "api_app_id": "A0CERTMATCH",
        "event": event,
        "type": "event_callback",
        "event_id": eid or event_id(),
        "event_time": int(time.time()),
        "authorizations": [
            {
                "enterprise_id": None,
                "team_id": TEAM_ID,
                "user_id": BOT_USER_ID,
                "is_bot": True,
                "is_enterprise_install": False,
            }
        ],
        "is_ext_shared_channel": False,
        "event_context": "4-example",
    }


def command_form(text: str, standin: SlackStandIn, channel: str = "C0PKI") -> dict[str, str]:
    return {
        "token": "(legacy)",
        "team_id": TEAM_ID,
        "team_domain": "example",
        "channel_id": channel,
        "channel_name": "pki",
        "user_id": "U0ALICE",
        "user_name": "alice",
        "command": "/certmatch",
        "text": text,
        "api_app_id": "A0CERTMATCH",
        "is_enterprise_install": "false",
        "response_url": f"{standin.base_url}/response/commands/{TEAM_ID}/1/abc",
        "trigger_id": "1.2.abc",
    }


def message_shortcut(
    message: dict[str, Any], standin: SlackStandIn, channel: str = "C0PKI"
) -> dict[str, Any]:
    return {
        "type": "message_action",
        "token": "(legacy)",
        "action_ts": str(time.time()),
        "team": {"id": TEAM_ID, "domain": "example"},
        "user": {"id": "U0ALICE", "username": "alice", "team_id": TEAM_ID, "name": "alice"},
        "channel": {"id": channel, "name": "pki"},
        "is_enterprise_install": False,
        "enterprise": None,
        "callback_id": "certmatch_check_message",
        "trigger_id": "1.2.shortcut",
        "response_url": f"{standin.base_url}/response/app/{TEAM_ID}/2/def",
        "message_ts": message["ts"],
        "message": message,
    }


def view_submission(
    *, channel: str, response_url: str | None, files: list[dict[str, Any]], text: str
) -> dict[str, Any]:
    return {
        "type": "view_submission",
        "team": {"id": TEAM_ID, "domain": "example"},
        "user": {"id": "U0ALICE", "username": "alice", "name": "alice", "team_id": TEAM_ID},
        "api_app_id": "A0CERTMATCH",
        "token": "(legacy)",
        "trigger_id": "1.2.view",
        "view": {
            "id": "V0FORM",
            "team_id": TEAM_ID,
            "type": "modal",
            "callback_id": "certmatch_check_modal",
            "private_metadata": json.dumps({"channel": channel, "response_url": response_url}),
            "state": {
                "values": {
                    "files": {"files_input": {"type": "file_input", "files": files}},
                    "text": {"text_input": {"type": "plain_text_input", "value": text or None}},
                }
            },
            "hash": "1.abc",
            "app_id": "A0CERTMATCH",
            "bot_id": "B0SELF",
        },
        "response_urls": [],
        "is_enterprise_install": False,
    }


def block_action(action_id: str, value: str, standin: SlackStandIn) -> dict[str, Any]:
    return {
        "type": "block_actions",
        "team": {"id": TEAM_ID, "domain": "example"},
        "user": {"id": "U0ALICE", "username": "alice", "name": "alice", "team_id": TEAM_ID},
        "api_app_id": "A0CERTMATCH",
        "token": "(legacy)",
        "container": {"type": "message", "message_ts": "1.1", "channel_id": "C0PKI"},
        "trigger_id": "1.2.button",
        "channel": {"id": "C0PKI", "name": "pki"},
        "message": {"type": "message", "ts": "1.1", "text": "certmatch"},
        "response_url": f"{standin.base_url}/response/actions/{TEAM_ID}/3/ghi",
        "actions": [
            {
                "action_id": action_id,
                "block_id": "certmatch_actions",
                "value": value,
                "type": "button",
                "action_ts": str(time.time()),
            }
        ],
    }


def post_text(call_args: dict[str, Any]) -> str:
    """Everything a chat.postMessage carried, as one string to search."""
    return json.dumps(call_args, ensure_ascii=False)


# -- the bot as its own process ------------------------------------------------------------------


def _ports() -> Iterator[int]:
    """This process's own slice of ports below the kernel's ephemeral range, round and round.

    A port from bind(0) lies in the range outgoing connections take theirs from, so another xdist
    worker's connection could take it in the half second before `python -m bot` binds it; and each
    worker (PYTEST_XDIST_WORKER gw0, gw1, ...) counting through its own slice keeps two workers,
    and two bots of one test, off the same port.
    """
    try:
        low = int(Path("/proc/sys/net/ipv4/ip_local_port_range").read_text().split()[0])
    except (OSError, ValueError, IndexError):
        low = 32768  # Linux's default
    worker = int(os.environ.get("PYTEST_XDIST_WORKER", "gw0").removeprefix("gw") or 0)
    size = 500
    first = max(1024, low - size * 24) + (worker % 24) * size
    return itertools.cycle(range(first, first + size))


_port_cycle = _ports()


def free_port() -> int:
    """A port nothing listens on now, for a bot process to be told as its PORT."""
    for _ in range(500):
        port = next(_port_cycle)
        with socket.socket() as sock:
            try:
                sock.bind(("127.0.0.1", port))
            except OSError:
                continue  # another program's port
            return port
    raise AssertionError("no free port in this worker's slice")


def process_env(**values: str) -> dict[str, str]:
    """This environment without any SLACK_/CERTMATCH_/DATABASE_URL of the developer's, plus `values`."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "CERTMATCH_"))}
    env.pop("DATABASE_URL", None)
    env["PYTHONPATH"] = str(ROOT)
    env["PATH"] = str(Path(sys.executable).parent) + os.pathsep + env.get("PATH", "")
    env.update(values)
    return env


def post_raw(base_url: str, body: bytes, headers: dict[str, str]) -> int:
    """POST to the app's /slack/events as given (signed or not); its HTTP status, 0 if the
    connection was refused or reset (a process that is gone)."""
    request = urllib.request.Request(
        base_url + "/slack/events", data=body, headers=headers, method="POST"
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return int(response.status)
    except urllib.error.HTTPError as exc:
        with exc:
            return int(exc.code)
    except OSError:
        return 0


class BotProcess:
    """`python -m bot` in HTTP mode against the stand-in, its stderr in a file for failure messages."""

    def __init__(
        self, tmp_path: Path, name: str, database_url: str, api_url: str, **env: str
    ) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.database_url = database_url
        workdir = tmp_path / name
        workdir.mkdir(exist_ok=True)
        self.log = workdir / "stderr.log"
        values = process_env(
            SLACK_BOT_TOKEN=BOT_TOKEN,
            SLACK_SIGNING_SECRET=SIGNING_SECRET,
            SLACK_API_URL=api_url,
            DATABASE_URL=database_url,
            PORT=str(self.port),
            **env,
        )
        self._log_file = self.log.open("ab")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "bot"],
            cwd=workdir,
            env=values,
            stdout=subprocess.DEVNULL,
            stderr=self._log_file,
        )

    def wait_healthy(self, timeout: float = 30.0) -> None:
        deadline = time.time() + timeout
        while time.time() < deadline:
            if self.process.poll() is not None:
                raise AssertionError(f"bot exited: {self.log.read_text()}")
            try:
                with urllib.request.urlopen(self.url + "/healthz", timeout=1) as response:
                    if response.status == 200:
                        return
            except OSError:
                time.sleep(0.05)
        raise AssertionError(f"bot never became healthy: {self.log.read_text()}")

    def send_event(self, payload: dict[str, Any], retry_num: int | None = None) -> int:
        body = json.dumps(payload).encode()
        headers = {"Content-Type": "application/json", **sign(body)}
        if retry_num is not None:
            headers.update({"X-Slack-Retry-Num": str(retry_num), "X-Slack-Retry-Reason": "timeout"})
        return post_raw(self.url, body, headers)

    def send_form(self, fields: dict[str, str]) -> int:
        """A signed form POST (a slash command, or `payload=` for interactivity)."""
        body = urlencode(fields).encode()
        headers = {"Content-Type": "application/x-www-form-urlencoded", **sign(body)}
        return post_raw(self.url, body, headers)

    def kill(self) -> None:
        """SIGKILL: no drain, no give-back (an OOM kill, Heroku after 30 s, a node failure)."""
        self.process.send_signal(signal.SIGKILL)
        self.process.wait()
        self._log_file.close()

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self._log_file.close()
