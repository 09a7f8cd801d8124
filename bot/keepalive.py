"""A slack_sdk WebClient that keeps its HTTP connections to the Web API open between calls.

slack_sdk's WebClient sends every call through `urllib.request.urlopen`, which opens a new
TCP (and TLS) connection per call and closes it after the answer: under the sustained
benchmark (issue 17) that was a connect and a handshake per reply, and on the stand-in a new
server thread per call. This client keeps one connection per thread and host, and leaves
everything else to slack_sdk: the request it built, the retry handlers (errors are raised as
urlopen raises them: `HTTPError` for a status of 400 or more, `URLError` for a connection
that failed), the response parsing. A connection idle for longer than `IDLE_SECONDS` is
closed before use (servers end idle keep-alive connections, and a call should not be the
one to find out). Redirects are not followed (urllib followed them, with the token).
"""

from __future__ import annotations

import http.client
import io
import ssl
import threading
import time
from typing import Any
from urllib.error import HTTPError, URLError
from urllib.parse import urlsplit
from urllib.request import Request

from slack_sdk import WebClient

IDLE_SECONDS = 10.0


class _Kept(threading.local):
    def __init__(self) -> None:
        self.connections: dict[tuple[str, str], tuple[http.client.HTTPConnection, float]] = {}


class KeepAliveWebClient(WebClient):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._kept = _Kept()
        # Every open connection, whichever thread holds it, for close_connections() (held here
        # too, so one whose thread ended is still closed rather than collected open).
        self._opened: set[http.client.HTTPConnection] = set()
        self._opened_lock = threading.Lock()

    def close_connections(self) -> None:
        """Close every kept connection (at shutdown; a later call simply opens a new one)."""
        with self._opened_lock:
            opened, self._opened = self._opened, set()
        for conn in opened:
            conn.close()

    def _close(self, conn: http.client.HTTPConnection) -> None:
        conn.close()
        with self._opened_lock:
            self._opened.discard(conn)

    def _perform_urllib_http_request_internal(self, url: str, req: Request) -> dict[str, Any]:
        parts = urlsplit(url)
        if self.proxy is not None or parts.scheme not in ("http", "https"):
            return super()._perform_urllib_http_request_internal(url, req)
        conn = self._connection(parts.scheme, parts.netloc)
        path = parts.path + (f"?{parts.query}" if parts.query else "")
        try:
            conn.request(
                req.get_method(), path or "/", body=req.data, headers=dict(req.header_items())
            )
            resp = conn.getresponse()
            body = resp.read()
        except (OSError, http.client.HTTPException) as exc:
            self._close(conn)
            raise URLError(exc) from exc
        if resp.will_close:
            self._close(conn)
        else:
            self._kept.connections[(parts.scheme, parts.netloc)] = (conn, time.monotonic())
        if resp.status >= 400:
            raise HTTPError(url, resp.status, resp.reason, resp.msg, io.BytesIO(body))
        if resp.msg.get_content_type() == "application/gzip":
            return {"status": resp.status, "headers": resp.msg, "body": body}
        charset = resp.msg.get_content_charset() or "utf-8"
        return {"status": resp.status, "headers": resp.msg, "body": body.decode(charset)}

    def _connection(self, scheme: str, netloc: str) -> http.client.HTTPConnection:
        kept = self._kept.connections.pop((scheme, netloc), None)
        if kept is not None:
            conn, last_used = kept
            if time.monotonic() - last_used < IDLE_SECONDS:
                with self._opened_lock:
                    self._opened.add(conn)  # close_connections() may have closed it since
                return conn
            self._close(conn)
        fresh: http.client.HTTPConnection
        if scheme == "https":
            context = self.ssl or ssl.create_default_context()
            fresh = http.client.HTTPSConnection(netloc, timeout=self.timeout, context=context)
        else:
            fresh = http.client.HTTPConnection(netloc, timeout=self.timeout)
        with self._opened_lock:
            self._opened.add(fresh)
        return fresh
