"""Plain text for the endpoint a `connect` check looked at: where, how, and what it served."""

from __future__ import annotations

from certmatch.model import Report

__all__ = ["render_endpoint"]


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
        lines.append(f"  {endpoint.tls_version or '?'}, cipher {endpoint.cipher or '?'}")
        lines.append("  served, in the server's order:")
        for n, i in enumerate(endpoint.served_order, start=1):
            a = report.artifacts[i]
            lines.append(f"    {n}. {a.subject or a.source} (issuer {a.issuer})")
    return "\n".join(lines) + "\n"
