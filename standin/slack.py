"""A local stand-in for Slack: a real HTTP server playing the Web API, file hosts and response_url.

It answers the Web API methods certmatch calls (auth.test, chat.postMessage, chat.postEphemeral,
chat.getPermalink, conversations.replies with message metadata, files.info, views.open,
views.publish, apps.connections.open), serves
uploaded files behind the bot token exactly as Slack does (a 200 HTML sign-in page for a
wrong or missing token, or for an app without `files:read`), accepts `response_url` posts, and
records every request so tests assert on what the bot really sent. Faults (429 with
Retry-After, 5xx, cross-host redirects) are queued per method; download faults (connection
reset, truncated body, 500, stall, trickle) per file. `WebSocketStandIn` plays the
Socket Mode endpoint that `apps.connections.open` hands out.
"""

from __future__ import annotations

import itertools
import json
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from standin.blockkit import block_kit_problem, view_problem
from standin.files import BOT_TOKEN, SIGN_IN_PAGE, TEAM_ID, FileHost, HostedFile

__all__ = ["BOT_TOKEN", "SIGN_IN_PAGE", "TEAM_ID"]

APP_TOKEN = "xapp-standin-app-token"
BOT_USER_ID = "U0BOT"
BOT_ID = "B0SELF"


@dataclass
class Call:
    """One request the stand-in received."""

    method: str  # Web API method, "download", "response_url"
    args: dict[str, Any]
    token: str | None
    path: str
    headers: dict[str, str]
    at: float = field(default_factory=time.time)
    ok: bool = False  # the stand-in answered {"ok": true}


@dataclass
class Fault:
    status: int
    body: bytes
    headers: dict[str, str]


class SlackStandIn(FileHost):
    """Start with `SlackStandIn().start()`; `api_url` is what SLACK_API_URL should be."""

    def __init__(self) -> None:
        self.calls: list[Call] = []
        self.files: dict[str, HostedFile] = {}
        self.faults: dict[str, list[Fault]] = {}
        # Per method, seconds to hold the answer of the next calls back after doing them (a
        # post that Slack made while the bot died waiting for the answer).
        self.answer_delays: dict[str, list[float]] = {}
        self.files_read_scope = True
        self.not_in_channels: set[str] = set()  # channels where the bot is not a member
        # Per file id, faults for the next downloads: "reset" (connection reset after part of
        # the body), "truncate" (closed after part of a body announced in full), "500",
        # "stall:<seconds>" (nothing sent for that long), "trickle:<seconds>" (one byte, then
        # a pause, ..., for that long).
        self.download_faults: dict[str, list[str]] = {}
        self.ws_url: str | None = None
        # What the bot posted, per (channel, thread ts), as conversations.replies returns it
        # (with message metadata).
        self.threads: dict[tuple[str, str], list[dict[str, Any]]] = {}
        self._lock = threading.Lock()
        self._ts = itertools.count(1)
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # -- lifecycle -----------------------------------------------------------------------------

    def start(self) -> SlackStandIn:
        standin = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            # Headers and body are two writes: with Nagle's algorithm the body of an answer on
            # a kept-alive connection waited for the client's delayed ACK (40 ms a call).
            disable_nagle_algorithm = True

            def log_message(self, format: str, *args: Any) -> None:  # quiet test output
                pass

            def do_GET(self) -> None:
                standin._handle(self, "GET")

            def do_POST(self) -> None:
                standin._handle(self, "POST")

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        # Shutdown noticed within 0.05 s (the default poll is 0.5 s), as bolt-python's mock server.
        self._thread = threading.Thread(
            target=self._server.serve_forever, args=(0.05,), daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()

    @property
    def base_url(self) -> str:
        assert self._server is not None
        host, port = str(self._server.server_address[0]), self._server.server_address[1]
        return f"http://{host}:{port}"

    @property
    def api_url(self) -> str:
        return self.base_url + "/api/"

    # -- test controls -------------------------------------------------------------------------

    def delay_answers(self, method: str, seconds: float, *, times: int = 1) -> None:
        """Do the next `times` calls of `method`, but answer each only after `seconds`."""
        with self._lock:
            self.answer_delays.setdefault(method, []).extend([seconds] * times)

    def fail_next(
        self,
        method: str,
        status: int,
        *,
        body: dict[str, Any] | None = None,
        headers: dict[str, str] | None = None,
        times: int = 1,
    ) -> None:
        """Answer the next `times` calls of `method` with this status instead of success."""
        payload = json.dumps(body or {"ok": False, "error": "fatal_error"}).encode()
        with self._lock:
            self.faults.setdefault(method, []).extend(
                Fault(status, payload, headers or {}) for _ in range(times)
            )

    def _record(
        self,
        method: str,
        args: dict[str, Any],
        token: str | None,
        path: str,
        headers: dict[str, str],
    ) -> None:
        with self._lock:
            self.calls.append(Call(method, args, token, path, headers))

    def _post_message(self, args: dict[str, Any]) -> dict[str, Any]:
        ts = f"1764400000.{next(self._ts):06d}"
        message: dict[str, Any] = {"type": "message", "text": args.get("text"), "ts": ts}
        message.update({"bot_id": BOT_ID, "user": BOT_USER_ID})
        if args.get("thread_ts"):
            message["thread_ts"] = args["thread_ts"]
        metadata = args.get("metadata")
        if isinstance(metadata, str):
            metadata = json.loads(metadata)
        if metadata:
            message["metadata"] = metadata
        with self._lock:
            key = (str(args.get("channel")), str(args.get("thread_ts") or ts))
            self.threads.setdefault(key, []).append(message)
        return {"ok": True, "channel": args.get("channel"), "ts": ts, "message": message}

    def forget_replies_in_threads(self) -> None:
        """For tests: conversations.replies finds nothing from now on (a message deleted)."""
        with self._lock:
            self.threads.clear()

    def calls_to(self, method: str) -> list[Call]:
        with self._lock:
            return [c for c in self.calls if c.method == method]

    def posts(self) -> list[dict[str, Any]]:
        """Successful chat.postMessage argument dicts, in order."""
        return [c.args for c in self.calls_to("chat.postMessage") if c.ok]

    def wait_for(self, predicate: Callable[[SlackStandIn], bool], timeout: float = 10.0) -> None:
        deadline = time.time() + timeout
        while time.time() < deadline:
            if predicate(self):
                return
            time.sleep(0.02)
        raise AssertionError(f"timed out; calls so far: {[c.method for c in self.calls]}")

    def wait_for_calls(self, method: str, count: int = 1, timeout: float = 10.0) -> list[Call]:
        self.wait_for(lambda s: len(s.calls_to(method)) >= count, timeout)
        return self.calls_to(method)

    # -- request handling ----------------------------------------------------------------------

    def _handle(self, req: BaseHTTPRequestHandler, verb: str) -> None:
        parts = urlsplit(req.path)
        length = int(req.headers.get("Content-Length") or 0)
        raw = req.rfile.read(length) if length else b""
        headers = {k.lower(): v for k, v in req.headers.items()}
        auth = headers.get("authorization", "")
        token = auth[len("Bearer ") :] if auth.startswith("Bearer ") else None
        args: dict[str, Any] = dict(parse_qsl(parts.query))
        if raw:
            if headers.get("content-type", "").startswith("application/json"):
                args.update(json.loads(raw))
            else:
                args.update(parse_qsl(raw.decode()))
        if token is None and "token" in args:
            token = str(args.pop("token"))

        if parts.path.startswith("/api/"):
            method = parts.path[len("/api/") :]
            call = Call(method, args, token, parts.path, headers)
            with self._lock:
                self.calls.append(call)
                queued = self.faults.get(method)
                fault = queued.pop(0) if queued else None
            if fault is not None:
                self._send(req, fault.status, fault.body, "application/json", fault.headers)
                return
            answer = self._api(method, args, token)
            call.ok = bool(answer.get("ok"))
            with self._lock:
                delays = self.answer_delays.get(method)
                delay = delays.pop(0) if delays else 0.0
            if delay:
                time.sleep(delay)  # done on Slack's side; the caller hears of it late
            self._send(req, 200, json.dumps(answer).encode(), "application/json")
            return
        if parts.path.startswith("/files-pri/"):
            self._download(req, parts.path, token, headers)
            return
        if parts.path.startswith("/response/"):
            with self._lock:
                self.calls.append(Call("response_url", args, token, parts.path, headers))
            self._send(req, 200, b"ok", "text/plain")
            return
        with self._lock:
            self.calls.append(Call("unknown", args, token, parts.path, headers))
        self._send(req, 404, b"not found", "text/plain")

    def _api(self, method: str, args: dict[str, Any], token: str | None) -> dict[str, Any]:
        if method == "apps.connections.open":
            if token != APP_TOKEN:
                return {"ok": False, "error": "invalid_auth"}
            return {"ok": True, "url": self.ws_url}
        if token != BOT_TOKEN:
            return {"ok": False, "error": "invalid_auth"}
        if method == "auth.test":
            return {
                "ok": True,
                "url": "https://example.slack.com/",
                "team": "Example",
                "user": "certmatch",
                "team_id": TEAM_ID,
                "user_id": BOT_USER_ID,
                "bot_id": BOT_ID,
                "is_enterprise_install": False,
            }
        if method in ("chat.postMessage", "chat.postEphemeral"):
            if args.get("channel") in self.not_in_channels:
                return {"ok": False, "error": "not_in_channel"}
            if not args.get("text") and not args.get("blocks"):
                return {"ok": False, "error": "no_text"}
            problem = block_kit_problem(args.get("blocks"), max_blocks=50)
            if problem:
                return {"ok": False, "error": "invalid_blocks", "errors": [problem]}
        if method == "chat.postMessage":
            return self._post_message(args)
        if method == "conversations.replies":
            # Slack returns metadata only with include_all_metadata=true.
            with self._lock:
                found = list(self.threads.get((str(args.get("channel")), str(args.get("ts"))), []))
            if str(args.get("include_all_metadata")).lower() not in ("1", "true"):
                found = [{k: v for k, v in m.items() if k != "metadata"} for m in found]
            return {"ok": True, "messages": found, "has_more": False}
        if method == "chat.postEphemeral":
            return {"ok": True, "message_ts": f"1764400000.{next(self._ts):06d}"}
        if method == "chat.getPermalink":
            channel, ts = args.get("channel"), str(args.get("message_ts", ""))
            return {
                "ok": True,
                "channel": channel,
                "permalink": f"https://example.slack.com/archives/{channel}/p{ts.replace('.', '')}",
            }
        if method == "files.info":
            file_id = str(args.get("file", ""))
            if file_id not in self.files:
                return {"ok": False, "error": "file_not_found"}
            return {"ok": True, "file": self.file_object(file_id), "comments": []}
        if method in ("views.open", "views.publish", "views.update", "views.push"):
            view = args.get("view")
            if isinstance(view, str):
                view = json.loads(view)
            problem = view_problem(view or {})
            if problem:
                return {"ok": False, "error": "invalid_arguments", "errors": [problem]}
            return {"ok": True, "view": {"id": "V" + uuid.uuid4().hex[:8].upper(), **(view or {})}}
        return {"ok": False, "error": "unknown_method"}
