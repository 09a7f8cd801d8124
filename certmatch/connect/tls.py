"""One TCP connection and one TLS handshake (never verified), returning what the server sent.

Python 3.13 has `SSLSocket.get_unverified_chain()` (CPython gh-109109); 3.10 to 3.12 have the
same C function only on the private `_sslobj` (bpo-18233), returning certificate objects
instead of DER. Both are used through `_served_chain`, so the chain comes from the
interpreter's own OpenSSL in the order the server sent it, with no extra dependency. The handshake does not verify on purpose: the
point is to look at what is served, broken or not. No application data is sent.
"""

from __future__ import annotations

import _ssl
import contextlib
import ipaddress
import socket
import ssl
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass

from certmatch.connect.starttls import STARTTLS_KINDS, starttls
from certmatch.errors import ConnectError

__all__ = ["ConnectError", "Served", "fetch_chain", "resolve"]

Address = tuple[int, str]  # (socket family, IP address text)


@dataclass(frozen=True, slots=True)
class Served:
    address: str  # the IP address the handshake was made with
    tls_version: str | None
    cipher: str | None
    certificates: tuple[bytes, ...]  # DER, in the order the server sent them
    # Set when the server ended the handshake after sending its certificates (a server that
    # requires a client certificate does so in TLS 1.2): what it said.
    handshake_error: str | None = None


def resolve(host: str, port: int, timeout: float) -> list[Address]:
    """The addresses `host` resolves to (IPv6 and IPv4, resolver order), within `timeout`.

    Names under `.invalid` never resolve and are not looked up (RFC 6761 section 6.4).
    """
    literal = _literal(host)
    if literal is not None:
        return [literal]
    name = host.rstrip(".").lower()
    if name == "invalid" or name.endswith(".invalid"):
        raise ConnectError(f"{host} does not resolve (.invalid names never do, RFC 6761)")
    found: list[list[Address]] = []
    failed: list[OSError] = []

    def lookup() -> None:
        try:
            infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
        except OSError as exc:
            failed.append(exc)
            return
        seen: dict[str, int] = {}
        for family, _, _, _, sockaddr in infos:
            if family in (socket.AF_INET, socket.AF_INET6):
                seen.setdefault(str(sockaddr[0]), family)
        found.append([(family, address) for address, family in seen.items()])

    # getaddrinfo has no timeout of its own: a daemon thread keeps the promise of --timeout.
    worker = threading.Thread(target=lookup, name="certmatch-resolve", daemon=True)
    worker.start()
    worker.join(timeout)
    if failed:
        reason = failed[0].strerror or str(failed[0])
        raise ConnectError(f"{host} does not resolve ({reason}); check the name")
    if not found:
        raise ConnectError(f"resolving {host} timed out after {timeout:g} s")
    if not found[0]:
        raise ConnectError(f"{host} has no IPv4 or IPv6 address")
    return found[0]


def _literal(host: str) -> Address | None:
    try:
        ip = ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return None
    return (socket.AF_INET6 if ip.version == 6 else socket.AF_INET, str(ip))


def fetch_chain(
    host: str,
    port: int,
    *,
    servername: str | None = None,
    timeout: float = 5.0,
    starttls_kind: str | None = None,
    addresses: Sequence[Address] | None = None,
) -> Served:
    """Connect, optionally STARTTLS, handshake, and return the served chain.

    `timeout` bounds resolving, connecting, STARTTLS and the handshake together. With
    `addresses` (already resolved and vetted by the caller) nothing is resolved and only
    those are tried. SNI is `servername`, else `host` unless it is an IP address.
    """
    if starttls_kind is not None and starttls_kind not in STARTTLS_KINDS:
        raise ValueError(f"unknown STARTTLS protocol {starttls_kind!r}")
    deadline = time.monotonic() + timeout
    targets = list(addresses) if addresses is not None else resolve(host, port, timeout)
    sni = servername or (None if _literal(host) is not None else host)
    if not targets:
        raise ConnectError(f"no address to connect to for {host}")
    sock, address = _connect(host, port, targets, deadline, timeout)
    # One watchdog for the whole exchange, so a server that trickles bytes cannot stretch the
    # per-read timeouts past the deadline. It shuts down whichever socket is current (the TLS
    # socket takes over the plain one's descriptor once it wraps it).
    current: list[socket.socket] = [sock]
    watchdog = threading.Timer(max(0.0, deadline - time.monotonic()), _abort, (current,))
    watchdog.daemon = True
    watchdog.start()
    stage = "STARTTLS" if starttls_kind else "the TLS handshake"
    try:
        sock.settimeout(max(0.001, deadline - time.monotonic()))
        if starttls_kind is not None:
            starttls(sock, starttls_kind, servername or host)
            stage = "the TLS handshake"
        context = _context()
        with context.wrap_socket(sock, server_hostname=sni, do_handshake_on_connect=False) as tls:
            current.append(tls)
            try:
                tls.do_handshake()
            except ssl.SSLError as exc:
                # TLS 1.2 sends the server's certificates before it asks for the client's; a
                # server that requires one (SIP TLS 5061) ends the handshake after that.
                chain = _served_chain(tls) if time.monotonic() < deadline else ()
                if not chain:
                    raise
                return Served(address, None, None, chain, _ssl_reason(exc))
            return Served(address, tls.version(), _cipher(tls), _served_chain(tls))
    except ConnectError as exc:  # STARTTLS refused, or the server hung up during it
        if time.monotonic() >= deadline:
            raise _timed_out(stage, address, port, timeout) from exc
        raise ConnectError(f"{_show(address)} port {port}: {exc}") from exc
    except TimeoutError as exc:
        raise _timed_out(stage, address, port, timeout) from exc
    except ssl.SSLError as exc:
        if time.monotonic() >= deadline:
            raise _timed_out(stage, address, port, timeout) from exc
        raise ConnectError(
            f"the TLS handshake with {_show(address)} port {port} failed: {_ssl_reason(exc)}"
            + _plain_hint(starttls_kind)
        ) from exc
    except OSError as exc:
        if time.monotonic() >= deadline:
            raise _timed_out(stage, address, port, timeout) from exc
        raise ConnectError(
            f"{_show(address)} port {port} closed the connection during {stage} "
            f"({exc.strerror or type(exc).__name__})" + _plain_hint(starttls_kind)
        ) from exc
    finally:
        watchdog.cancel()
        sock.close()


def _connect(
    host: str, port: int, targets: Sequence[Address], deadline: float, timeout: float
) -> tuple[socket.socket, str]:
    errors: list[str] = []
    for family, address in targets:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            break
        sock = socket.socket(family, socket.SOCK_STREAM)
        sock.settimeout(remaining)
        try:
            sock.connect((address, port))
        except TimeoutError:
            sock.close()
            errors.append(f"{_show(address)}: no answer")
            continue
        except ConnectionRefusedError:
            sock.close()
            errors.append(f"{_show(address)}: refused")
            continue
        except OSError as exc:
            sock.close()
            errors.append(f"{_show(address)}: {exc.strerror or type(exc).__name__}")
            continue
        return sock, address
    if errors and all(e.endswith(": refused") for e in errors):
        raise ConnectError(
            f"connection to {host} port {port} refused ({', '.join(errors)}): nothing listens "
            "there; check the port and that the service is running"
        )
    if not errors or all(e.endswith(": no answer") for e in errors):
        raise ConnectError(
            f"connecting to {host} port {port} timed out after {timeout:g} s (a firewall may "
            "drop the traffic, or the host is down)"
        )
    raise ConnectError(f"cannot connect to {host} port {port}: {'; '.join(errors)}")


def _abort(current: list[socket.socket]) -> None:
    with contextlib.suppress(OSError):  # already closed
        # The plain socket's shutdown: SSLSocket.shutdown would drop its SSL object under the
        # thread that is still in the handshake.
        socket.socket.shutdown(current[-1], socket.SHUT_RDWR)


def _context() -> ssl.SSLContext:
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    # Old servers (TLS 1.0, SHA-1 signatures) must still show what they serve: nothing is
    # sent over this connection, so the weakest parameters cost nothing and hide nothing.
    try:
        context.minimum_version = ssl.TLSVersion.MINIMUM_SUPPORTED
        context.set_ciphers("ALL:@SECLEVEL=0")
    except (ValueError, ssl.SSLError):
        pass  # an OpenSSL build without them: its defaults still reach current servers
    return context


def _served_chain(tls: ssl.SSLSocket) -> tuple[bytes, ...]:
    if getattr(tls, "_sslobj", None) is None:
        return ()  # closed
    public = getattr(tls, "get_unverified_chain", None)  # Python 3.13+
    raw = public() if public is not None else getattr(tls, "_sslobj").get_unverified_chain()  # noqa: B009
    out = []
    for cert in raw or ():
        out.append(cert if isinstance(cert, bytes) else cert.public_bytes(_ssl.ENCODING_DER))
    return tuple(out)


def _cipher(tls: ssl.SSLSocket) -> str | None:
    chosen = tls.cipher()
    return None if chosen is None else chosen[0]


def _show(address: str) -> str:
    return f"[{address}]" if ":" in address else address


def _timed_out(stage: str, address: str, port: int, timeout: float) -> ConnectError:
    detail = (
        " (the port accepts connections but sends no TLS: is it a STARTTLS port (--starttls "
        "xmpp|smtp) or a plain-text service?)"
        if stage == "the TLS handshake"
        else ""
    )
    return ConnectError(
        f"{_show(address)} port {port} accepted the connection but {stage} timed out after "
        f"{timeout:g} s{detail}"
    )


def _ssl_reason(exc: ssl.SSLError) -> str:
    return str(exc.reason or exc.strerror or exc).lower().replace("_", " ")


def _plain_hint(kind: str | None) -> str:
    if kind is not None:
        return ""
    return "; if the port speaks plain text first (XMPP 5222/5269, SMTP 25/587), use --starttls"
