"""Fetching shared files from the Slack stand-in: token only to Slack, size first, sign-in page detected."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from slack_sdk import WebClient

from bot.files import FetchedFile, FileProblem, SlackFileFetcher
from standin import BOT_TOKEN, RecordingServer, SlackStandIn

PEM = b"-----BEGIN CERTIFICATE REQUEST-----\nMIIB\n-----END CERTIFICATE REQUEST-----\n"


@pytest.fixture
def other_host() -> Iterator[RecordingServer]:
    server = RecordingServer()
    yield server
    server.stop()


def _fetcher(standin: SlackStandIn, token: str = BOT_TOKEN, **kwargs: float) -> SlackFileFetcher:
    return SlackFileFetcher(
        token,
        standin.api_url,
        max_bytes=int(kwargs.get("max_bytes", 4096)),
        timeout=kwargs.get("timeout", 5.0),
    )


def _client(standin: SlackStandIn) -> WebClient:
    return WebClient(token=BOT_TOKEN, base_url=standin.api_url)


def test_file_is_downloaded_with_the_bot_token(standin: SlackStandIn) -> None:
    file = standin.add_file("tomcat.csr", PEM)
    result = _fetcher(standin).fetch(_client(standin), file)
    assert result == FetchedFile("tomcat.csr", PEM)
    assert [c.token for c in standin.calls_to("download")] == [BOT_TOKEN]


def test_slack_connect_stub_is_resolved_with_files_info(standin: SlackStandIn) -> None:
    file = standin.add_file("tomcat.csr", PEM)
    result = _fetcher(standin).fetch(_client(standin), SlackStandIn.stub(file))
    assert result == FetchedFile("tomcat.csr", PEM)
    assert standin.calls_to("files.info")[0].args["file"] == file["id"]


def test_unknown_stub_gives_a_lookup_problem(standin: SlackStandIn) -> None:
    result = _fetcher(standin).fetch(
        _client(standin), {"id": "F0GONE", "file_access": "check_file_info"}
    )
    assert isinstance(result, FileProblem) and result.code == "lookup-failed"
    assert "file_not_found" in result.message


def test_oversized_file_is_refused_without_downloading(standin: SlackStandIn) -> None:
    file = standin.add_file("huge.p7b", b"x" * 10, size=50_000_000)
    result = _fetcher(standin).fetch(_client(standin), file)
    assert isinstance(result, FileProblem) and result.code == "too-large"
    assert "50,000,000" in result.message
    assert standin.calls_to("download") == []


def test_file_larger_than_its_announced_size_stops_at_the_bound(standin: SlackStandIn) -> None:
    file = standin.add_file("liar.cer", b"A" * 10_000, size=100)
    result = _fetcher(standin, max_bytes=4096).fetch(_client(standin), file)
    assert isinstance(result, FileProblem) and result.code == "too-large"


def test_sign_in_page_for_a_wrong_token_is_reported_as_missing_scope(standin: SlackStandIn) -> None:
    file = standin.add_file("tomcat.csr", PEM)
    result = _fetcher(standin, token="xoxb-wrong").fetch(_client(standin), file)
    assert isinstance(result, FileProblem) and result.code == "missing-scope"
    assert "files:read" in result.message and "reinstall" in result.message


def test_sign_in_page_without_files_read_scope_is_reported(standin: SlackStandIn) -> None:
    standin.files_read_scope = False
    file = standin.add_file("tomcat.csr", PEM)
    result = _fetcher(standin).fetch(_client(standin), file)
    assert isinstance(result, FileProblem) and result.code == "missing-scope"


def test_token_is_never_sent_to_a_foreign_host(
    standin: SlackStandIn, other_host: RecordingServer
) -> None:
    file = {"id": "F1", "name": "x.cer", "size": 10, "url_private_download": other_host.url}
    result = _fetcher(standin).fetch(_client(standin), file)
    assert isinstance(result, FileProblem) and result.code == "host-refused"
    assert other_host.requests == []


def test_cross_host_redirect_is_not_followed(
    standin: SlackStandIn, other_host: RecordingServer
) -> None:
    file = standin.add_file("moved.cer", PEM, redirect_to=other_host.url)
    result = _fetcher(standin).fetch(_client(standin), file)
    assert isinstance(result, FileProblem) and result.code == "host-refused"
    assert other_host.requests == []


def test_stalled_download_times_out_with_a_message(standin: SlackStandIn) -> None:
    file = standin.add_file("slow.cer", PEM, stall_seconds=2.0)
    result = _fetcher(standin, timeout=0.5).fetch(_client(standin), file)
    assert isinstance(result, FileProblem) and result.code == "download-failed"
    assert "try again" in result.message


@pytest.mark.parametrize(
    ("url", "allowed"),
    [
        ("https://files.slack.com/files-pri/T-F/download/a.cer", True),
        ("https://files.slack-gov.com/files-pri/T-F/download/a.cer", True),
        ("http://files.slack.com/files-pri/T-F/download/a.cer", False),
        ("https://files.slack.com.evil.example/a.cer", False),
        ("https://evilslack.com/a.cer", False),
        ("https://example.com/a.cer", False),
    ],
)
def test_only_slack_hosts_and_the_api_host_are_allowed(url: str, allowed: bool) -> None:
    fetcher = SlackFileFetcher(BOT_TOKEN, "https://slack.com/api/", 4096, 5.0)
    assert fetcher.host_allowed(url) is allowed


def test_the_configured_api_host_is_allowed(standin: SlackStandIn) -> None:
    assert _fetcher(standin).host_allowed(standin.base_url + "/files-pri/x") is True
