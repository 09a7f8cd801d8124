"""`HOST[:PORT]`, `[V6]:PORT` and `https://HOST[:PORT]/...` -> host and port (no I/O)."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlsplit

__all__ = ["DEFAULT_PORT", "Target", "parse_target"]

DEFAULT_PORT = 443


@dataclass(frozen=True, slots=True)
class Target:
    host: str  # a DNS name or an IP address, without brackets
    port: int

    def __str__(self) -> str:
        return f"[{self.host}]:{self.port}" if ":" in self.host else f"{self.host}:{self.port}"


def parse_target(text: str, default_port: int = DEFAULT_PORT) -> Target:
    """The host and port named by `text`; ValueError saying what is wrong."""
    given = text.strip()
    if "://" in given:
        parts = urlsplit(given)
        if parts.scheme.lower() != "https":
            raise ValueError(
                f"{text!r}: only https:// URLs are understood; give HOST[:PORT] for other "
                "services (and --starttls xmpp|smtp where the service needs it)"
            )
        try:
            port = parts.port
        except ValueError:
            raise ValueError(f"{text!r}: the port is not a number from 1 to 65535") from None
        host = parts.hostname or ""
        return _checked(text, host, port if port is not None else DEFAULT_PORT)
    if given.startswith("["):
        host, sep, rest = given[1:].partition("]")
        if not sep or (rest and not rest.startswith(":")):
            raise ValueError(f"{text!r}: write an IPv6 address as [ADDRESS] or [ADDRESS]:PORT")
        return _checked(text, host, _port(text, rest[1:]) if rest else default_port)
    if given.count(":") > 1:
        return _checked(text, given, default_port)  # a bare IPv6 address
    host, sep, port_text = given.partition(":")
    return _checked(text, host, _port(text, port_text) if sep else default_port)


def _port(text: str, port_text: str) -> int:
    if not port_text.isdigit() or not 0 < int(port_text) < 65536:
        raise ValueError(f"{text!r}: the port is not a number from 1 to 65535")
    return int(port_text)


def _checked(text: str, host: str, port: int) -> Target:
    host = host.strip()
    if not host or any(c.isspace() or c in "/?#@" for c in host):
        raise ValueError(f"{text!r}: give a host name or IP address, as HOST[:PORT]")
    return Target(host, port)
