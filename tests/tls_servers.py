"""Real local TLS servers for the connect tests: a chain served in a given order, STARTTLS
(XMPP, SMTP), a port that accepts and never answers. Loopback only, port 0, stopped by
the test; the accept loop polls for shutdown every 0.05 s."""

from __future__ import annotations

import socket
import ssl
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import serialization

from tests.factory import PrivateKey


def write_chain(
    folder: Path, name: str, served: Sequence[x509.Certificate], key: PrivateKey
) -> tuple[Path, Path]:
    """PEM files for ssl.load_cert_chain: the certificates in the order they are to be served."""
    chain = folder / f"{name}-chain.pem"
    chain.write_bytes(b"".join(c.public_bytes(serialization.Encoding.PEM) for c in served))
    key_file = folder / f"{name}.key"
    key_file.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return chain, key_file


def _xmpp_preamble(conn: socket.socket) -> None:
    seen = b""
    while b"<stream:stream" not in seen or b">" not in seen.split(b"<stream:stream", 1)[1]:
        chunk = conn.recv(4096)
        if not chunk:
            return
        seen += chunk
    conn.sendall(
        b"<?xml version='1.0'?><stream:stream xmlns='jabber:client' "
        b"xmlns:stream='http://etherx.jabber.org/streams' from='cucm1.example.com' id='1' "
        b"version='1.0'><stream:features><starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'>"
        b"<required/></starttls></stream:features>"
    )
    seen = b""
    while b"<starttls" not in seen:
        chunk = conn.recv(4096)
        if not chunk:
            return
        seen += chunk
    conn.sendall(b"<proceed xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>")


def _smtp_preamble(conn: socket.socket) -> None:
    reader = conn.makefile("rb")
    conn.sendall(b"220 mail.example.com ESMTP ready\r\n")
    reader.readline()  # EHLO
    conn.sendall(b"250-mail.example.com\r\n250-SIZE 1000000\r\n250 STARTTLS\r\n")
    reader.readline()  # STARTTLS
    conn.sendall(b"220 2.0.0 Ready to start TLS\r\n")
    reader.close()


_PREAMBLES = {"xmpp": _xmpp_preamble, "smtp": _smtp_preamble}


@contextmanager
def tls_server(
    chain: Path,
    key: Path,
    *,
    host: str = "127.0.0.1",
    starttls: str | None = None,
    client_ca: Path | None = None,
) -> Iterator[int]:
    """Serve `chain` (certificates in file order) with `key` until the block ends; yields the port.

    With `client_ca`, TLS 1.2 only and a client certificate from that CA is required (as CUCM's
    SIP TLS port does), so a client without one is refused after the server's certificates.
    """
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(chain, key)
    if client_ca is not None:
        context.maximum_version = ssl.TLSVersion.TLSv1_2
        context.verify_mode = ssl.CERT_REQUIRED
        context.load_verify_locations(client_ca)
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as listener:
        listener.bind((host, 0))
        listener.listen(8)
        listener.settimeout(0.05)
        stop = threading.Event()

        def serve() -> None:
            while not stop.is_set():
                try:
                    conn, _ = listener.accept()
                except TimeoutError:
                    continue
                except OSError:
                    return
                with conn:
                    conn.settimeout(5)
                    try:
                        if starttls is not None:
                            _PREAMBLES[starttls](conn)
                        with context.wrap_socket(conn, server_side=True) as tls:
                            tls.recv(1)  # until the client closes
                    except (OSError, ssl.SSLError):
                        continue

        worker = threading.Thread(target=serve, daemon=True)
        worker.start()
        try:
            yield listener.getsockname()[1]
        finally:
            stop.set()
            worker.join(5)


@contextmanager
def silent_server() -> Iterator[int]:
    """A port that accepts TCP connections and never sends a byte."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(8)
        yield listener.getsockname()[1]  # the kernel completes the TCP handshake; no accept


def closed_port() -> int:
    """A loopback port that nothing listens on (bound, then released)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def ipv6_loopback() -> bool:
    try:
        with socket.socket(socket.AF_INET6, socket.SOCK_STREAM) as probe:
            probe.bind(("::1", 0))
    except OSError:
        return False
    return True


@contextmanager
def trickling_server(interval: float = 0.05) -> Iterator[int]:
    """A port that starts a TLS record and then sends one byte every `interval` seconds, so no
    single read ever times out."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(8)
        listener.settimeout(0.05)
        stop = threading.Event()

        def serve() -> None:
            while not stop.is_set():
                try:
                    conn, _ = listener.accept()
                except TimeoutError:
                    continue
                except OSError:
                    return
                with conn:
                    try:
                        conn.sendall(b"\x16\x03\x03\x40\x00")  # a handshake record of 16 KiB
                        while not stop.wait(interval):
                            conn.sendall(b"\x00")
                    except OSError:
                        continue

        worker = threading.Thread(target=serve, daemon=True)
        worker.start()
        try:
            yield listener.getsockname()[1]
        finally:
            stop.set()
            worker.join(5)
