"""`/certmatch check HOST[:PORT]` and `@certmatch check HOST`: connect, but only where allowed.

The bot runs inside someone's network, so a chat message must not make it a port scanner or
a way into the metadata service. It connects only when the host matches a pattern of
`CERTMATCH_CONNECT_ALLOW` (empty: the feature is off), and only to addresses it resolved and
vetted itself: never loopback, link-local (which holds the cloud metadata services),
unspecified, multicast or a known metadata address, unless the pattern that allowed the
host is that address written out. There is nothing to redirect: one TLS handshake, no HTTP.
"""

from __future__ import annotations

import fnmatch
import ipaddress
import logging
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from certmatch import (
    ConnectError,
    Input,
    InputProblem,
    Report,
    Target,
    check,
    fetch_served,
    parse_target,
    resolve,
)

logger = logging.getLogger("certmatch.bot")

Address = tuple[int, str]
Resolver = Callable[[str, int, float], list[Address]]

CONNECT_TIMEOUT = 5.0
STARTTLS_WORDS = ("xmpp", "xmpp-server", "smtp")
TURN_ON = (
    "Checking a live server from Slack is off. An admin turns it on by setting "
    "`CERTMATCH_CONNECT_ALLOW` to the hosts the bot may connect to, as comma-separated "
    "patterns (`*.uc.example.com,cucm-*.corp.example`), and restarting the app. Until then, "
    "run `python -m certmatch connect HOST[:PORT] tomcat.csr` on your machine."
)
# Cloud metadata services outside link-local: Alibaba, Azure's wire server, AWS over IPv6.
_METADATA = frozenset(
    ipaddress.ip_address(a) for a in ("100.100.100.200", "168.63.129.16", "fd00:ec2::254")
)
# Slack writes a host it recognises as a link: <http://cucm1.example.com|cucm1.example.com>.
_SLACK_LINK = re.compile(r"^<([^|>]+)(?:\|([^>]*))?>$")


class Refused(Exception):
    """The bot will not connect there; the message tells the person why."""


@dataclass(frozen=True, slots=True)
class AllowList:
    patterns: tuple[str, ...]  # lower case; `*` stands for part of one label

    @property
    def enabled(self) -> bool:
        return bool(self.patterns)

    def pattern_for(self, host: str) -> str | None:
        """The pattern that allows `host`, or None. IP addresses only by a literal pattern."""
        name = host.strip("[]").rstrip(".").lower()
        literal = _ip(name)
        for pattern in self.patterns:
            if literal is not None:
                if _ip(pattern) == literal:
                    return pattern
            elif _ip(pattern) is None and _label_match(name, pattern):
                return pattern
        return None


def _label_match(name: str, pattern: str) -> bool:
    labels, wanted = name.split("."), pattern.split(".")
    return len(labels) == len(wanted) and all(
        fnmatch.fnmatchcase(label, want) for label, want in zip(labels, wanted, strict=True)
    )


def _ip(text: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        address = ipaddress.ip_address(text.strip("[]"))
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped
    return address


def forbidden(address: str) -> str | None:
    """Why the bot must not connect to `address` (None: it may)."""
    ip = _ip(address)
    if ip is None:
        return "not an IP address"
    if ip.is_loopback:
        return "a loopback address"
    if ip.is_link_local:
        return "a link-local address (where cloud metadata services live)"
    if ip in _METADATA:
        return "a cloud metadata address"
    if ip.is_unspecified or ip.is_multicast or ip.is_reserved:
        return "not a host address"
    return None


def vet(target: Target, allow: AllowList, resolver: Resolver, timeout: float) -> list[Address]:
    """The addresses the bot may connect to for `target`; Refused saying why there are none."""
    pattern = allow.pattern_for(target.host)
    if pattern is None:
        shown = ", ".join(f"`{p}`" for p in allow.patterns)
        raise Refused(
            f"`{target.host}` is not among the hosts this app may connect to ({shown}). An "
            "admin can add it to `CERTMATCH_CONNECT_ALLOW`."
        )
    try:
        found = resolver(target.host, target.port, timeout)
    except ConnectError as exc:
        raise Refused(str(exc)) from exc
    allowed: list[Address] = []
    refused: list[str] = []
    for family, address in found:
        reason = forbidden(address)
        if reason is not None and _ip(pattern) != _ip(address):
            refused.append(f"{address} ({reason})")
        else:
            allowed.append((family, address))
    if not allowed:
        raise Refused(
            f"`{target.host}` resolves to {', '.join(refused)}: the bot does not connect there "
            "unless `CERTMATCH_CONNECT_ALLOW` names that address itself."
        )
    return allowed


def parse_request(text: str) -> tuple[str, str | None]:
    """`HOST[:PORT] [xmpp|xmpp-server|smtp]` (Slack link markup removed); ValueError if not."""
    words = text.split()
    if not words or len(words) > 2:
        raise ValueError(
            "Usage: `/certmatch check HOST[:PORT] [xmpp|xmpp-server|smtp]`, for example "
            "`/certmatch check cucm1.example.com:8443`."
        )
    target = words[0]
    link = _SLACK_LINK.match(target)
    if link is not None:
        target = link.group(2) or link.group(1)
        if "://" in target and not target.lower().startswith("https://"):
            target = target.split("://", 1)[1]  # Slack's added http:// on a bare host name
    starttls = words[1].lower() if len(words) == 2 else None
    if starttls is not None and starttls not in STARTTLS_WORDS:
        raise ValueError(
            f"`{words[1]}`: after the host give nothing, or one of xmpp, xmpp-server, smtp."
        )
    return target, starttls


class EndpointChecker:
    """Runs `connect` for Slack within the allow list; the Service calls it."""

    def __init__(
        self,
        allow: Sequence[str],
        *,
        resolver: Resolver = resolve,
        timeout: float = CONNECT_TIMEOUT,
    ) -> None:
        self.allow = AllowList(tuple(p.lower() for p in allow))
        self.resolver = resolver
        self.timeout = timeout

    def run(self, text: str, *, memory: Sequence[Input], profile: str) -> Report | str:
        """For `check TEXT`: the Report of the connect check, or why there is none (mrkdwn:
        the feature is off, the host is not allowed, the request is not understood)."""
        if not self.allow.enabled:
            return TURN_ON
        try:
            raw, starttls = parse_request(text)
            target = parse_target(raw)
            addresses = vet(target, self.allow, self.resolver, self.timeout)
        except (ValueError, Refused) as exc:
            return str(exc)
        problems: list[InputProblem] = []
        served, endpoint = fetch_served(
            target,
            timeout=self.timeout,
            starttls=starttls,
            problems=problems,
            addresses=addresses,
        )
        report = check(
            list(memory), profile=profile, problems=problems, served=served, endpoint=endpoint
        )
        logger.info("connect check of %s: %s", target, report.verdict.value)
        return report
