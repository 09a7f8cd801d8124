"""The stand-in's file host: files served behind the bot token exactly as Slack serves them, with download faults."""

from __future__ import annotations

import socket
import struct
import threading
import time
import uuid
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler
from typing import Any

TEAM_ID = "T0EXAMPLE"
BOT_TOKEN = "xoxb-standin-bot-token"

# What Slack serves instead of a file when the token lacks files:read (status 200!).
SIGN_IN_PAGE = (
    b'<!DOCTYPE html><html lang="en-US"><head><title>Slack</title></head>'
    b'<body><h1>Sign in to your workspace</h1><form action="/signin"></form></body></html>'
)


@dataclass
class HostedFile:
    id: str
    name: str
    content: bytes
    size: int
    redirect_to: str | None = None
    stall_seconds: float = 0.0


class FileHost:
    """Hosted files and their download faults; SlackStandIn serves them."""

    @property
    def base_url(self) -> str:
        raise NotImplementedError

    files: dict[str, HostedFile]
    files_read_scope: bool
    download_faults: dict[str, list[str]]
    calls: list[Any]
    _lock: threading.Lock

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

    def fail_download(self, file_id: str, fault: str, *, times: int = 1) -> None:
        """Spoil the next `times` downloads of a file (see `download_faults`)."""
        with self._lock:
            self.download_faults.setdefault(file_id, []).extend([fault] * times)

    def _download(
        self, req: BaseHTTPRequestHandler, path: str, token: str | None, headers: dict[str, str]
    ) -> None:
        self._record("download", {}, token, path, headers)
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

    def _record(
        self,
        method: str,
        args: dict[str, Any],
        token: str | None,
        path: str,
        headers: dict[str, str],
    ) -> None:
        raise NotImplementedError

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
