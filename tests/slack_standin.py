"""A local stand-in for Slack: a real HTTP server playing the Web API, file hosts and response_url.

It answers the Web API methods certmatch calls (auth.test, chat.postMessage, chat.postEphemeral,
chat.getPermalink, files.info, views.open, views.publish, apps.connections.open), serves
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
import socket
import struct
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from websockets.sync.server import Server, ServerConnection, serve

BOT_TOKEN = "xoxb-standin-bot-token"
APP_TOKEN = "xapp-standin-app-token"
TEAM_ID = "T0EXAMPLE"
BOT_USER_ID = "U0BOT"
BOT_ID = "B0SELF"

# What Slack serves instead of a file when the token lacks files:read (status 200!).
SIGN_IN_PAGE = (
    b'<!DOCTYPE html><html lang="en-US"><head><title>Slack</title></head>'
    b'<body><h1>Sign in to your workspace</h1><form action="/signin"></form></body></html>'
)


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


@dataclass
class HostedFile:
    id: str
    name: str
    content: bytes
    size: int
    redirect_to: str | None = None
    stall_seconds: float = 0.0


class SlackStandIn:
    """Start with `SlackStandIn().start()`; `api_url` is what SLACK_API_URL should be."""

    def __init__(self) -> None:
        self.calls: list[Call] = []
        self.files: dict[str, HostedFile] = {}
        self.faults: dict[str, list[Fault]] = {}
        self.files_read_scope = True
        self.not_in_channels: set[str] = set()  # channels where the bot is not a member
        # Per file id, faults for the next downloads: "reset" (connection reset after part of
        # the body), "truncate" (closed after part of a body announced in full), "500",
        # "stall:<seconds>" (nothing sent for that long), "trickle:<seconds>" (one byte, then
        # a pause, ..., for that long).
        self.download_faults: dict[str, list[str]] = {}
        self.ws_url: str | None = None
        self._lock = threading.Lock()
        self._ts = itertools.count(1)
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # -- lifecycle -----------------------------------------------------------------------------

    def start(self) -> SlackStandIn:
        standin = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: Any) -> None:  # quiet test output
                pass

            def do_GET(self) -> None:
                standin._handle(self, "GET")

            def do_POST(self) -> None:
                standin._handle(self, "POST")

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()

    @property
    def base_url(self) -> str:
        assert self._server is not None
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    @property
    def api_url(self) -> str:
        return self.base_url + "/api/"

    # -- test controls -------------------------------------------------------------------------

    def add_file(
        self,
        name: str,
        content: bytes,
        *,
        size: int | None = None,
        redirect_to: str | None = None,
        stall_seconds: float = 0.0,
    ) -> dict[str, Any]:
        """Host a file and return the full file object Slack would put in `files[]`."""
        file_id = "F" + uuid.uuid4().hex[:10].upper()
        hosted = HostedFile(
            file_id,
            name,
            content,
            len(content) if size is None else size,
            redirect_to,
            stall_seconds,
        )
        with self._lock:
            self.files[file_id] = hosted
        return self.file_object(file_id)

    def file_object(self, file_id: str) -> dict[str, Any]:
        hosted = self.files[file_id]
        base = f"{self.base_url}/files-pri/{TEAM_ID}-{file_id}"
        return {
            "id": file_id,
            "created": 1764230400,
            "timestamp": 1764230400,
            "name": hosted.name,
            "title": hosted.name,
            # Empty until Slack's malware scan finishes: the bot must classify by content.
            "mimetype": "",
            "filetype": "",
            "pretty_type": "",
            "user": "U0ALICE",
            "user_team": TEAM_ID,
            "editable": False,
            "size": hosted.size,
            "mode": "hosted",
            "is_external": False,
            "external_type": "",
            "is_public": True,
            "public_url_shared": False,
            "display_as_bot": False,
            "username": "",
            "url_private": f"{base}/{hosted.name}",
            "url_private_download": f"{base}/download/{hosted.name}",
            "permalink": f"https://example.slack.com/files/U0ALICE/{file_id}/{hosted.name}",
            "is_starred": False,
            "has_rich_preview": False,
            "file_access": "visible",
        }

    @staticmethod
    def stub(file_object: dict[str, Any]) -> dict[str, Any]:
        """The Slack Connect form of a file: no URLs, `files.info` needed."""
        return {
            "id": file_object["id"],
            "mode": "file_access",
            "file_access": "check_file_info",
            "created": 0,
            "timestamp": 0,
            "user": "",
        }

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

    def fail_download(self, file_id: str, fault: str, *, times: int = 1) -> None:
        """Spoil the next `times` downloads of a file (see `download_faults`)."""
        with self._lock:
            self.download_faults.setdefault(file_id, []).extend([fault] * times)

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
            ts = f"1764400000.{next(self._ts):06d}"
            return {
                "ok": True,
                "channel": args.get("channel"),
                "ts": ts,
                "message": {"text": args.get("text"), "ts": ts, "bot_id": BOT_ID},
            }
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

    def _download(
        self, req: BaseHTTPRequestHandler, path: str, token: str | None, headers: dict[str, str]
    ) -> None:
        with self._lock:
            self.calls.append(Call("download", {}, token, path, headers))
        # /files-pri/T0EXAMPLE-F123/download/name
        segment = path.split("/")[2]
        file_id = segment.split("-", 1)[1] if "-" in segment else segment
        hosted = self.files.get(file_id)
        if token != BOT_TOKEN or not self.files_read_scope:
            # Slack's real behaviour: not 401/403 but a 200 HTML sign-in page.
            self._send(req, 200, SIGN_IN_PAGE, "text/html; charset=utf-8")
            return
        if hosted is None:
            self._send(req, 404, b"not found", "text/plain")
            return
        if hosted.redirect_to is not None:
            self._send(req, 302, b"", "text/plain", {"Location": hosted.redirect_to})
            return
        with self._lock:
            queued = self.download_faults.get(file_id)
            fault = queued.pop(0) if queued else None
        if fault is not None:
            self._download_fault(req, hosted, fault)
            return
        if hosted.stall_seconds:
            time.sleep(hosted.stall_seconds)
        self._send(req, 200, hosted.content, "application/octet-stream")

    def _download_fault(self, req: BaseHTTPRequestHandler, hosted: HostedFile, fault: str) -> None:
        kind, _, arg = fault.partition(":")
        if kind == "500":
            self._send(req, 500, b"internal error", "text/plain")
            return
        if kind == "stall":
            time.sleep(float(arg))
            self._send(req, 200, hosted.content, "application/octet-stream")
            return
        req.send_response(200)
        req.send_header("Content-Type", "application/octet-stream")
        req.send_header("Content-Length", str(len(hosted.content)))
        req.end_headers()
        half = hosted.content[: len(hosted.content) // 2]
        try:
            if kind == "trickle":
                deadline = time.time() + float(arg)
                for byte in hosted.content:
                    req.wfile.write(bytes([byte]))
                    req.wfile.flush()
                    if time.time() > deadline:
                        break
                    time.sleep(0.2)
            else:
                req.wfile.write(half)
                req.wfile.flush()
        except (BrokenPipeError, ConnectionResetError):
            pass
        if kind == "reset":
            # SO_LINGER 0: close() sends RST instead of FIN, as a dropped connection does.
            req.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        req.close_connection = True
        req.connection.close()

    @staticmethod
    def _send(
        req: BaseHTTPRequestHandler,
        status: int,
        body: bytes,
        content_type: str,
        headers: dict[str, str] | None = None,
    ) -> None:
        try:
            req.send_response(status)
            req.send_header("Content-Type", content_type)
            req.send_header("Content-Length", str(len(body)))
            for key, value in (headers or {}).items():
                req.send_header(key, value)
            req.end_headers()
            req.wfile.write(body)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the bot gave up (timeout); nothing to answer


def block_kit_problem(blocks: Any, max_blocks: int) -> str | None:
    """The first Block Kit limit these blocks break (as Slack would refuse them), or None."""
    if blocks is None:
        return None
    if isinstance(blocks, str):
        blocks = json.loads(blocks)
    if len(blocks) > max_blocks:
        return f"more than {max_blocks} blocks"
    for block in blocks:
        kind = block.get("type")
        if kind == "section" and len(block.get("text", {}).get("text", "")) > 3000:
            return "section text over 3000 characters"
        if kind == "header" and len(block.get("text", {}).get("text", "")) > 150:
            return "header text over 150 characters"
        if kind == "context":
            if len(block.get("elements", [])) > 10:
                return "context with more than 10 elements"
            if any(len(e.get("text", "")) > 3000 for e in block.get("elements", [])):
                return "context text over 3000 characters"
        if kind == "actions":
            for element in block.get("elements", []):
                if len(element.get("text", {}).get("text", "")) > 75:
                    return "button text over 75 characters"
                if len(element.get("value", "")) > 2000:
                    return "button value over 2000 characters"
                if len(element.get("action_id", "")) > 255:
                    return "action_id over 255 characters"
        if kind == "input" and len(block.get("label", {}).get("text", "")) > 2000:
            return "input label over 2000 characters"
    return None


def view_problem(view: dict[str, Any]) -> str | None:
    if view.get("type") not in ("modal", "home"):
        return "view type must be modal or home"
    if view.get("type") == "modal":
        for key in ("title", "submit", "close"):
            if key in view and len(view[key].get("text", "")) > 24:
                return f"{key} over 24 characters"
        if "title" not in view:
            return "modal without title"
    if len(view.get("private_metadata", "")) > 3000:
        return "private_metadata over 3000 characters"
    return block_kit_problem(view.get("blocks", []), max_blocks=100)


class RecordingServer:
    """A plain HTTP server on another port that records who called it (the 'other host')."""

    def __init__(self) -> None:
        self.requests: list[dict[str, str]] = []
        recorder = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: Any) -> None:
                pass

            def do_GET(self) -> None:
                recorder.requests.append({k.lower(): v for k, v in self.headers.items()})
                body = b"-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n"
                self.send_response(200)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        # 127.0.0.2 is a different host from the stand-in's 127.0.0.1.
        self._server = ThreadingHTTPServer(("127.0.0.2", 0), Handler)
        threading.Thread(target=self._server.serve_forever, daemon=True).start()

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}/elsewhere.cer"

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()


class WebSocketStandIn:
    """Slack's Socket Mode endpoint: says hello, pushes envelopes, records the app's acks."""

    def __init__(self) -> None:
        self.acks: list[dict[str, Any]] = []
        self.connected = threading.Event()
        self._connections: list[ServerConnection] = []
        self._lock = threading.Lock()
        self._server: Server = serve(self._on_connect, "127.0.0.1", 0)
        threading.Thread(target=self._server.serve_forever, daemon=True).start()

    @property
    def url(self) -> str:
        host, port = self._server.socket.getsockname()[:2]
        return f"ws://{host}:{port}/link/?ticket=standin"

    def _on_connect(self, conn: ServerConnection) -> None:
        conn.send(
            json.dumps(
                {
                    "type": "hello",
                    "num_connections": 1,
                    "debug_info": {"host": "standin", "approximate_connection_time": 3600},
                    "connection_info": {"app_id": "A0CERTMATCH"},
                }
            )
        )
        with self._lock:
            self._connections.append(conn)
        self.connected.set()
        try:
            for message in conn:
                data = json.loads(message)
                with self._lock:
                    self.acks.append(data)
        except Exception:  # the client closed the socket; the test is over
            return

    def send_envelope(self, payload_type: str, payload: dict[str, Any], retry: int = 0) -> str:
        envelope_id = str(uuid.uuid4())
        envelope = {
            "envelope_id": envelope_id,
            "type": payload_type,
            "payload": payload,
            "accepts_response_payload": payload_type != "events_api",
            "retry_attempt": retry,
            "retry_reason": "timeout" if retry else "",
        }
        with self._lock:
            conn = self._connections[-1]
        conn.send(json.dumps(envelope))
        return envelope_id

    def wait_for_ack(self, envelope_id: str, timeout: float = 10.0) -> dict[str, Any]:
        deadline = time.time() + timeout
        while time.time() < deadline:
            with self._lock:
                for ack in self.acks:
                    if ack.get("envelope_id") == envelope_id:
                        return ack
            time.sleep(0.02)
        raise AssertionError(f"no ack for envelope {envelope_id}")

    def stop(self) -> None:
        self._server.shutdown()
