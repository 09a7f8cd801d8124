"""The plain-text exchange before a STARTTLS handshake, as `openssl s_client -starttls` does it.

XMPP (RFC 6120 section 5.4.2: client-to-server `xmpp`, IM&P 5222; server-to-server
`xmpp-server`, IM&P 5269) and SMTP (RFC 3207: EHLO, then STARTTLS). Reads are bounded; the
caller's socket timeout and watchdog bound the time.
"""

from __future__ import annotations

import re
import socket
from xml.sax.saxutils import quoteattr

from certmatch.errors import ConnectError

__all__ = ["STARTTLS_KINDS", "starttls"]

STARTTLS_KINDS = ("xmpp", "xmpp-server", "smtp")
_MAX_PREAMBLE = 64 * 1024  # a stream header and features, or an SMTP greeting, are far smaller
_XMPP_TLS = "urn:ietf:params:xml:ns:xmpp-tls"


class StartTlsError(ConnectError):
    """The server did not agree to STARTTLS; the message says what it answered."""


def starttls(sock: socket.socket, kind: str, domain: str) -> None:
    """Run the `kind` exchange on `sock` until the server is ready for the TLS handshake."""
    if kind == "smtp":
        _smtp(sock)
    else:
        _xmpp(sock, domain, "jabber:server" if kind == "xmpp-server" else "jabber:client")


def _xmpp(sock: socket.socket, domain: str, namespace: str) -> None:
    header = (
        "<?xml version='1.0'?><stream:stream xmlns='" + namespace + "' "
        "xmlns:stream='http://etherx.jabber.org/streams' to=" + quoteattr(domain) + " "
        "version='1.0'>"
    )
    sock.sendall(header.encode("utf-8"))
    seen = _read_until(sock, (b"<starttls", b"</stream:features>", b"</stream:stream>"))
    if b"<starttls" not in seen:
        raise StartTlsError(
            "the XMPP server does not offer STARTTLS in its stream features"
            + (" (it sent a stream error)" if b"stream:error" in seen else "")
            + "; check the port (IM&P: 5222 client, 5269 server) and the XMPP domain "
            "(--servername)"
        )
    sock.sendall(f"<starttls xmlns='{_XMPP_TLS}'/>".encode())
    answer = _read_until(sock, (b"<proceed", b"<failure", b"</stream:stream>"))
    if b"<proceed" not in answer:
        raise StartTlsError("the XMPP server refused STARTTLS (it answered <failure/>)")


_SMTP_LINE = re.compile(rb"^(\d{3})([ -])(.*)$")


def _smtp(sock: socket.socket) -> None:
    code, _ = _smtp_reply(sock)
    if code != b"220":
        raise StartTlsError(f"the SMTP server's greeting is {code.decode()}, not 220")
    sock.sendall(b"EHLO certmatch.invalid\r\n")
    code, lines = _smtp_reply(sock)
    if code != b"250":
        raise StartTlsError(f"the SMTP server answered EHLO with {code.decode()}")
    if not any(line.upper().startswith(b"STARTTLS") for line in lines):
        raise StartTlsError("the SMTP server does not offer STARTTLS (not in its EHLO reply)")
    sock.sendall(b"STARTTLS\r\n")
    code, lines = _smtp_reply(sock)
    if code != b"220":
        said = lines[-1].decode("utf-8", "replace") if lines else ""
        raise StartTlsError(f"the SMTP server refused STARTTLS: {code.decode()} {said}".strip())


def _smtp_reply(sock: socket.socket) -> tuple[bytes, list[bytes]]:
    """One (multi-line) SMTP reply: its code and the text of each line."""
    buffer = b""
    lines: list[bytes] = []
    while True:
        while b"\r\n" not in buffer and b"\n" not in buffer:
            buffer += _recv(sock, len(buffer))
        line, _, buffer = buffer.replace(b"\r\n", b"\n").partition(b"\n")
        found = _SMTP_LINE.match(line)
        if found is None:
            raise StartTlsError("the server does not speak SMTP (an unexpected reply line)")
        lines.append(found.group(3))
        if found.group(2) == b" ":
            return found.group(1), lines


def _read_until(sock: socket.socket, markers: tuple[bytes, ...]) -> bytes:
    seen = b""
    while not any(m in seen for m in markers):
        seen += _recv(sock, len(seen))
    return seen


def _recv(sock: socket.socket, already: int) -> bytes:
    if already > _MAX_PREAMBLE:
        raise StartTlsError(
            f"the server sent more than {_MAX_PREAMBLE // 1024} KiB before STARTTLS"
        )
    chunk = sock.recv(4096)
    if not chunk:
        raise StartTlsError("the server closed the connection before STARTTLS")
    return chunk
