"""Fetching files people shared in Slack: size first, bot token only to Slack's hosts, no cross-host redirects.

Slack's quirks handled here: Slack Connect stubs (`file_access: check_file_info`, no URLs) are
resolved with `files.info`; a token without `files:read` gets **200 and an HTML sign-in page**
instead of the file (https://api.slack.com/types/file#authentication), which is detected and
turned into an instruction; mimetype/filetype may be empty, so nothing here looks at them.
"""

from __future__ import annotations

import http.client
import time
import urllib.error
import urllib.request
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urljoin, urlsplit

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

# Slack's own file hosts (files.slack.com, GovSlack's files.slack-gov.com, and their subdomains).
SLACK_FILE_DOMAINS = ("slack.com", "slack-gov.com")
_MAX_REDIRECTS = 3
_CHUNK = 64 * 1024
# A connection reset, a body cut short or a 5xx from the file host is usually gone a moment
# later: try again after these pauses. A stall is not retried (it already cost a timeout).
_RETRY_PAUSES = (0.5, 1.0)


@dataclass(frozen=True, slots=True)
class FetchedFile:
    name: str
    data: bytes


@dataclass(frozen=True, slots=True)
class FileProblem:
    """A file that could not be fetched, with a message the user can act on."""

    name: str
    code: str  # "too-large", "missing-scope", "host-refused", "download-failed", "lookup-failed"
    # ("download-transient" only inside SlackFileFetcher: a failure worth one more try)
    message: str


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    # Redirects are followed by hand so the token never leaves the original host.
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


class SlackFileFetcher:
    """Downloads `url_private_download` with the bot token, within the bounds given."""

    def __init__(self, bot_token: str, api_url: str, max_bytes: int, timeout: float) -> None:
        self._token = bot_token
        api = urlsplit(api_url)
        self._api_netloc = api.netloc.lower()
        self._max_bytes = max_bytes
        self._timeout = timeout
        self._opener = urllib.request.build_opener(_NoRedirects())

    def host_allowed(self, url: str) -> bool:
        """True for Slack's own HTTPS file hosts and for the host of SLACK_API_URL."""
        parts = urlsplit(url)
        if parts.netloc.lower() == self._api_netloc and parts.scheme in ("http", "https"):
            return True
        host = (parts.hostname or "").lower()
        return parts.scheme == "https" and any(
            host == domain or host.endswith("." + domain) for domain in SLACK_FILE_DOMAINS
        )

    def fetch_all(
        self, client: WebClient, files: Iterable[Mapping[str, Any]]
    ) -> tuple[list[FetchedFile], list[FileProblem]]:
        fetched: list[FetchedFile] = []
        problems: list[FileProblem] = []
        for file in files:
            result = self.fetch(client, file)
            (fetched if isinstance(result, FetchedFile) else problems).append(result)  # type: ignore[arg-type]
        return fetched, problems

    def fetch(self, client: WebClient, file: Mapping[str, Any]) -> FetchedFile | FileProblem:
        resolved = self.resolve(client, file)
        if isinstance(resolved, FileProblem):
            return resolved
        name = str(resolved.get("name") or resolved.get("title") or resolved.get("id") or "file")
        size = resolved.get("size")
        if isinstance(size, int) and size > self._max_bytes:
            return FileProblem(
                name,
                "too-large",
                f"{name} is {size:,} bytes; certmatch reads files up to {self._max_bytes:,} "
                "bytes, so it was not downloaded. Certificates and CSRs are a few KB: check "
                "that this is the right file.",
            )
        url = resolved.get("url_private_download") or resolved.get("url_private")
        if not isinstance(url, str) or not url:
            return FileProblem(name, "download-failed", f"Slack gave no download link for {name}.")
        return self._download(name, url)

    def resolve(
        self, client: WebClient, file: Mapping[str, Any]
    ) -> Mapping[str, Any] | FileProblem:
        """The full file object: Slack Connect stubs carry no URLs until `files.info` is asked."""
        if file.get("url_private_download") and file.get("file_access") != "check_file_info":
            return file
        file_id = str(file.get("id") or "")
        try:
            response = client.files_info(file=file_id)
        except SlackApiError as exc:
            error = exc.response.get("error", "error") if exc.response is not None else "error"
            return FileProblem(
                file_id or "file",
                "lookup-failed",
                f"Slack would not describe file {file_id} (files.info: {error}). In a Slack "
                "Connect channel the file's owner may need to share it again.",
            )
        info = response.get("file")
        if not isinstance(info, Mapping):
            return FileProblem(file_id, "lookup-failed", f"files.info returned no file {file_id}.")
        return info

    def _download(self, name: str, url: str) -> FetchedFile | FileProblem:
        result = self._download_once(name, url)
        for pause in _RETRY_PAUSES:
            if not (isinstance(result, FileProblem) and result.code == "download-transient"):
                break
            time.sleep(pause)
            result = self._download_once(name, url)
        if isinstance(result, FileProblem) and result.code == "download-transient":
            return FileProblem(name, "download-failed", result.message)
        return result

    def _download_once(self, name: str, url: str) -> FetchedFile | FileProblem:
        for _ in range(_MAX_REDIRECTS + 1):
            if not self.host_allowed(url):
                return FileProblem(
                    name,
                    "host-refused",
                    f"{name}: the download link points outside Slack ({urlsplit(url).hostname}); "
                    "certmatch sends its token only to Slack, so it did not fetch it.",
                )
            request = urllib.request.Request(
                url, headers={"Authorization": f"Bearer {self._token}"}
            )
            try:
                with self._opener.open(request, timeout=self._timeout) as response:
                    content_type = response.headers.get("Content-Type", "")
                    data = self._read_bounded(response)
            except urllib.error.HTTPError as exc:
                location = (
                    exc.headers.get("Location") if exc.code in (301, 302, 303, 307, 308) else None
                )
                exc.close()
                if location is None:
                    return FileProblem(
                        name,
                        "download-transient" if exc.code >= 500 else "download-failed",
                        f"Slack answered {exc.code} when downloading {name}; please try again "
                        "in a minute.",
                    )
                target = urljoin(url, location)
                if urlsplit(target).netloc.lower() != urlsplit(url).netloc.lower():
                    return FileProblem(
                        name,
                        "host-refused",
                        f"{name}: the download was redirected to another host "
                        f"({urlsplit(target).hostname}); certmatch does not follow it with its token.",
                    )
                url = target
                continue
            except _TooLarge:
                return FileProblem(
                    name,
                    "too-large",
                    f"{name} is larger than {self._max_bytes:,} bytes; certmatch stopped reading it.",
                )
            except (TimeoutError, OSError, http.client.HTTPException) as exc:
                timed_out = isinstance(exc, TimeoutError) or "timed out" in str(exc)
                reason = "timed out" if timed_out else "was cut off (connection lost)"
                return FileProblem(
                    name,
                    "download-failed" if timed_out else "download-transient",
                    f"Downloading {name} from Slack {reason}; please try again in a minute.",
                )
            if _is_sign_in_page(content_type, data):
                return FileProblem(
                    name,
                    "missing-scope",
                    f"Slack sent a sign-in page instead of {name}: the app lacks the files:read "
                    "scope. Add files:read under OAuth & Permissions > Bot Token Scopes, then "
                    "reinstall the app to the workspace.",
                )
            return FetchedFile(name, data)
        return FileProblem(name, "download-failed", f"Too many redirects downloading {name}.")

    def _read_bounded(self, response: Any) -> bytes:
        # Never trust the announced size alone: stop reading past the bound, and past the deadline.
        # read1 returns what one socket read brings, so a body trickling in byte by byte still
        # meets the deadline check (read(n) would wait for all n bytes, past any deadline).
        deadline = time.monotonic() + self._timeout
        announced = response.headers.get("Content-Length")
        chunks: list[bytes] = []
        total = 0
        while True:
            chunk = response.read1(_CHUNK)
            if not chunk:
                # http.client returns what came when the connection closes early; a body
                # shorter than announced is a lost connection, not a damaged certificate.
                if announced is not None and announced.isdigit() and total < int(announced):
                    raise http.client.IncompleteRead(b"", int(announced) - total)
                return b"".join(chunks)
            total += len(chunk)
            if total > self._max_bytes:
                raise _TooLarge
            if time.monotonic() > deadline:
                raise TimeoutError("download timed out")
            chunks.append(chunk)


class _TooLarge(Exception):
    pass


def _is_sign_in_page(content_type: str, data: bytes) -> bool:
    head = data[:512].lstrip().lower()
    return content_type.lower().startswith("text/html") or head.startswith(
        (b"<!doctype html", b"<html")
    )
