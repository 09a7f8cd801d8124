"""`/certmatch check HOST` and `@certmatch check HOST`: the allow list, the address rules, and
real checks of a local TLS server through the app and the Slack stand-in."""

from __future__ import annotations

import json
import socket
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization

from bot.config import ConfigError, load_settings
from bot.endpoint import AllowList, EndpointChecker, Refused, forbidden, parse_request, vet
from certmatch.connect import Target
from handlers.connect import command_request, mention_request
from standin import BOT_USER_ID, SlackStandIn
from tests.bot_e2e_support import (
    RunningBot,
    command_form,
    message_event,
    post_text,
    settings_for,
    start_bot,
)
from tests.factory import issue, make_csr, make_pki, new_key
from tests.tls_servers import tls_server, write_chain

V4, V6 = socket.AF_INET, socket.AF_INET6


def resolver_of(table: dict[str, list[str]]):  # type: ignore[no-untyped-def]
    """A resolver answering from `table` (names only; a literal answers itself)."""

    def answer(host: str, port: int, timeout: float) -> list[tuple[int, str]]:
        if host not in table:
            return [(V6 if ":" in host else V4, host)]
        return [(V6 if ":" in a else V4, a) for a in table[host]]

    return answer


ALLOW = AllowList(("*.uc.example.com", "cucm-*.corp.example", "10.1.1.10", "127.0.0.1"))


@pytest.mark.parametrize(
    ("host", "allowed"),
    [
        ("cucm1.uc.example.com", True),
        ("CUCM1.UC.Example.com.", True),
        ("uc.example.com", False),
        ("a.b.uc.example.com", False),  # * is part of one label, never several
        ("cucm-pub.corp.example", True),
        ("imp-pub.corp.example", False),
        ("evil.example.com", False),
        ("10.1.1.10", True),
        ("10.1.1.11", False),  # an IP address only when written out
        ("127.0.0.1", True),
        ("::1", False),
    ],
)
def test_allow_list_patterns(host: str, allowed: bool) -> None:
    assert (ALLOW.pattern_for(host) is not None) is allowed


@pytest.mark.parametrize(
    ("address", "reason"),
    [
        ("127.0.0.1", "loopback"),
        ("127.8.9.10", "loopback"),
        ("::1", "loopback"),
        ("::ffff:127.0.0.1", "loopback"),
        ("169.254.169.254", "link-local"),
        ("fe80::1", "link-local"),
        ("fd00:ec2::254", "metadata"),
        ("100.100.100.200", "metadata"),
        ("168.63.129.16", "metadata"),
        ("0.0.0.0", "not a host"),
        ("224.0.0.1", "not a host"),
        ("10.1.1.10", None),
        ("192.0.2.7", None),
        ("2001:db8::7", None),
    ],
)
def test_addresses_the_bot_never_connects_to(address: str, reason: str | None) -> None:
    found = forbidden(address)
    assert (found is None) if reason is None else (found is not None and reason in found)


def test_a_listed_name_that_resolves_to_loopback_or_metadata_is_refused() -> None:
    resolver = resolver_of({"cucm1.uc.example.com": ["127.0.0.1", "169.254.169.254"]})
    with pytest.raises(Refused, match=r"loopback.*link-local"):
        vet(Target("cucm1.uc.example.com", 443), ALLOW, resolver, 1.0)


def test_only_the_vetted_addresses_of_a_listed_name_are_used() -> None:
    resolver = resolver_of({"cucm1.uc.example.com": ["::1", "10.1.1.20", "fe80::5"]})
    assert vet(Target("cucm1.uc.example.com", 443), ALLOW, resolver, 1.0) == [(V4, "10.1.1.20")]


def test_a_pattern_naming_a_special_address_literally_allows_it() -> None:
    assert vet(Target("127.0.0.1", 8443), ALLOW, resolver_of({}), 1.0) == [(V4, "127.0.0.1")]


def test_a_name_not_on_the_list_is_never_resolved() -> None:
    def must_not_resolve(host: str, port: int, timeout: float) -> list[tuple[int, str]]:
        raise AssertionError(f"resolved {host}")

    with pytest.raises(Refused, match="not among the hosts"):
        vet(Target("evil.example.com", 443), ALLOW, must_not_resolve, 1.0)


def test_feature_is_off_without_an_allow_list() -> None:
    outcome = EndpointChecker(()).run("cucm1.example.com", memory=[], profile="generic")
    assert isinstance(outcome, str) and "CERTMATCH_CONNECT_ALLOW" in outcome


@pytest.mark.parametrize(
    ("text", "request_"),
    [
        ("cucm1.example.com", ("cucm1.example.com", None)),
        ("<http://cucm1.example.com|cucm1.example.com>", ("cucm1.example.com", None)),
        (
            "<https://cucm1.example.com:8443/ccmadmin>",
            ("https://cucm1.example.com:8443/ccmadmin", None),
        ),
        ("imp1.example.com:5222 XMPP", ("imp1.example.com:5222", "xmpp")),
    ],
)
def test_check_requests_are_read_from_slack_text(
    text: str, request_: tuple[str, str | None]
) -> None:
    assert parse_request(text) == request_


@pytest.mark.parametrize("text", ["", "a b c", "host ftp"])
def test_bad_check_requests_get_the_usage(text: str) -> None:
    with pytest.raises(ValueError):
        parse_request(text)


def test_mentions_and_commands_are_recognised() -> None:
    assert mention_request(f"<@{BOT_USER_ID}> check cucm1:8443", BOT_USER_ID) == "cucm1:8443"
    assert mention_request(f"<@{BOT_USER_ID}|certmatch>  Check x", BOT_USER_ID) == "x"
    assert mention_request("check cucm1", BOT_USER_ID) is None
    assert mention_request("<@U0OTHER> check cucm1", BOT_USER_ID) is None
    assert command_request("check cucm1.example.com") == "cucm1.example.com"
    assert command_request("checkout") is None


def test_allow_list_setting_is_validated() -> None:
    base = {"SLACK_BOT_TOKEN": "xoxb-1", "SLACK_SIGNING_SECRET": "s"}
    settings = load_settings(
        {**base, "CERTMATCH_CONNECT_ALLOW": " *.UC.example.com , 10.1.1.10"}, None
    )
    assert settings.connect_allow == ("*.uc.example.com", "10.1.1.10")
    assert load_settings(base, None).connect_allow == ()
    for bad in ("*", "http://x.example", "a b"):
        with pytest.raises(ConfigError, match="CERTMATCH_CONNECT_ALLOW"):
            load_settings({**base, "CERTMATCH_CONNECT_ALLOW": bad}, None)


# -- through the app, with the Slack stand-in -------------------------------------------------


def _bot(standin: SlackStandIn, tmp_path: Path, allow: tuple[str, ...]) -> RunningBot:
    return start_bot(
        settings_for(
            standin, f"sqlite:///{tmp_path / 'bot.sqlite3'}", "certmatch_", connect_allow=allow
        )
    )


@pytest.fixture
def server(tmp_path: Path) -> Iterator[tuple[int, bytes]]:
    """A local TLS server for cucm1.example.com; yields its port and the CSR's PEM."""
    pki, key = make_pki("ec256"), new_key("ec256")
    csr = make_csr(key)
    # The IP SAN: the bot connects by the (literally allowed) loopback address.
    leaf = issue(csr, pki, sans=["DNS:cucm1.example.com", "IP:127.0.0.1"])
    chain, key_file = write_chain(tmp_path, "cucm", [leaf, pki.intermediate], key)
    with tls_server(chain, key_file) as port:
        yield port, csr.public_bytes(serialization.Encoding.PEM)


@pytest.mark.e2e
def test_slash_check_is_off_by_default_and_says_how_to_turn_it_on(
    standin: SlackStandIn, tmp_path: Path
) -> None:
    bot = _bot(standin, tmp_path, ())
    try:
        bot.send_command(command_form("check cucm1.example.com", standin))
        calls = standin.wait_for_calls("response_url")
    finally:
        bot.stop()
    assert "CERTMATCH_CONNECT_ALLOW" in calls[0].args["text"]


@pytest.mark.e2e
def test_slash_check_refuses_a_host_not_on_the_list(standin: SlackStandIn, tmp_path: Path) -> None:
    bot = _bot(standin, tmp_path, ("*.uc.example.invalid",))
    try:
        bot.send_command(command_form("check 127.0.0.1:443", standin))
        bot.send_command(command_form("check cucm1.uc.example.invalid", standin))
        calls = standin.wait_for_calls("response_url", 2)
    finally:
        bot.stop()
    texts = sorted(c.args["text"] for c in calls)
    assert any("`127.0.0.1` is not among the hosts" in t for t in texts)
    assert any("does not resolve" in t for t in texts)  # on the list, but .invalid


@pytest.mark.e2e
def test_mention_check_in_a_thread_compares_the_server_with_the_csr_posted_there(
    standin: SlackStandIn, tmp_path: Path, server: tuple[int, bytes]
) -> None:
    port, csr_pem = server
    bot = _bot(standin, tmp_path, ("127.0.0.1",))
    try:
        first = message_event(text=csr_pem.decode())
        bot.send_event(first)
        standin.wait_for(lambda s: len(s.posts()) == 1)
        thread = first["event"]["ts"]
        # Slack sends a mention in a channel twice: as a message and as an app_mention.
        ask = message_event(text=f"<@{BOT_USER_ID}> check 127.0.0.1:{port}", thread_ts=thread)
        mention = json.loads(json.dumps(ask))
        mention["event"]["type"] = "app_mention"
        mention["event_id"] = ask["event_id"] + "m"
        bot.send_event(ask)
        bot.send_event(mention)
        standin.wait_for(lambda s: len(s.posts()) == 2)
        time.sleep(0.5)  # a second answer to the same post would come now
    finally:
        bot.stop()
    assert len(standin.posts()) == 2
    reply = standin.posts()[1]
    assert reply["thread_ts"] == thread
    assert reply["text"].startswith("certmatch: Match"), reply["text"]
    assert f"127.0.0.1:{port} [served 1/2]" in post_text(reply)


@pytest.mark.e2e
def test_slash_check_names_where_the_served_certificates_csr_was_posted(
    standin: SlackStandIn, tmp_path: Path, server: tuple[int, bytes]
) -> None:
    port, csr_pem = server
    bot = _bot(standin, tmp_path, ("127.0.0.1",))
    try:
        bot.send_event(message_event(files=[standin.add_file("tomcat.csr", csr_pem)]))
        standin.wait_for(lambda s: len(s.posts()) == 1)
        bot.send_command(command_form(f"check 127.0.0.1:{port}", standin))
        calls = standin.wait_for_calls("response_url")
    finally:
        bot.stop()
    text = calls[0].args["text"] + json.dumps(calls[0].args.get("blocks"))
    assert "This certificate matches the CSR posted in another thread of <#C0PKI>" in text
    assert f":electric_plug: Served by `127.0.0.1:{port}`" in text  # the endpoint note
