"""Plain text for the endpoint a `connect` check looked at: where, how, and what it served."""

from __future__ import annotations

import shlex

from certmatch.model import Artefact, Endpoint, Report

__all__ = ["render_endpoint", "served_command"]


def render_endpoint(report: Report) -> str:
    endpoint = report.endpoint
    if endpoint is None:
        return ""
    host = f"[{endpoint.host}]" if ":" in endpoint.host else endpoint.host
    lines = ["", f"Endpoint {host}:{endpoint.port}"]
    if endpoint.address is None:
        lines.append("  no TLS handshake was completed (see the findings)")
    else:
        via = f" after STARTTLS ({endpoint.starttls})" if endpoint.starttls else ""
        sni = endpoint.servername or "none (IP address)"
        lines.append(f"  address {endpoint.address}, SNI {sni}{via}")
        if endpoint.handshake_error is not None:
            lines.append(f"  handshake ended by the server: {endpoint.handshake_error}")
        else:
            lines.append(f"  {endpoint.tls_version}, cipher {endpoint.cipher}")
        lines.append("  served, in the server's order:")
        for n, i in enumerate(endpoint.served_order, start=1):
            a = report.artifacts[i]
            lines.append(f"    {n}. {a.subject or a.source} (issuer {a.issuer})")
    return "\n".join(lines) + "\n"


def served_command(endpoint: Endpoint, leaf: Artefact) -> str:
    """The openssl pipeline that prints the served certificate's modulus md5 / SPKI SHA-256."""
    host = f"[{endpoint.host}]" if ":" in endpoint.host else endpoint.host
    parts = ["openssl s_client", f"-connect {shlex.quote(f'{host}:{endpoint.port}')}"]
    if endpoint.servername:
        parts.append(f"-servername {shlex.quote(endpoint.servername)}")
    if endpoint.starttls:
        parts.append(f"-starttls {endpoint.starttls}")
        if endpoint.starttls.startswith("xmpp"):
            parts.append(f"-xmpphost {shlex.quote(endpoint.servername or endpoint.host)}")
    fetch = " ".join(parts) + " </dev/null 2>/dev/null"
    if leaf.key.modulus_md5 is not None:
        return f"{fetch} | openssl x509 -noout -modulus | openssl md5"
    return (
        f"{fetch} | openssl x509 -noout -pubkey | openssl pkey -pubin -outform DER "
        "| openssl dgst -sha256"
    )
