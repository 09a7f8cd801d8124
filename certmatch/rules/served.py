"""Findings about the chain a TLS server sent (`connect`): order, root, gaps, an old certificate.

Pure: the caller hands over the artefact indexes of the served certificates in the order the
server sent them; everything else given (files, trust anchors) only helps to name a gap.
"""

from __future__ import annotations

from collections.abc import Sequence

from certmatch.analysis.diff import san_key
from certmatch.analysis.match import common_name, is_self_signed, issued_by, signed_by
from certmatch.model import Artefact, ArtefactKind, Finding, Severity

__all__ = ["served_findings", "served_leaf"]

_REFERENCE = "RFC 8446 section 4.4.2; RFC 5246 section 7.4.2"


def served_leaf(artifacts: Sequence[Artefact], served: Sequence[int]) -> int | None:
    """The server certificate among the served ones: the first that is not a CA and signed
    none of the others (a server sends it first; a misconfigured one may not)."""
    certs = [i for i in served if artifacts[i].kind is ArtefactKind.CERTIFICATE]
    for i in certs:
        a = artifacts[i]
        if not a.is_ca and not any(signed_by(artifacts[j], a) for j in certs if j != i):
            return i
    return certs[0] if certs else None


def _describe(a: Artefact) -> str:
    cn = common_name(a)
    return f"{a.source} (CN={cn})" if cn else a.source


def _path(artifacts: Sequence[Artefact], leaf: int, served: Sequence[int]) -> list[int]:
    """The leaf, then its issuers by signature among the served certificates."""
    path = [leaf]
    while True:
        nxt = next(
            (j for j in served if j not in path and signed_by(artifacts[path[-1]], artifacts[j])),
            None,
        )
        if nxt is None:
            return path
        path.append(nxt)


def served_findings(
    artifacts: Sequence[Artefact],
    served: Sequence[int],
    *,
    anchors: Sequence[object] = (),
    aborted: str | None = None,
) -> list[Finding]:
    """served-chain-order, served-root-included, served-chain-incomplete, served-old-certificate,
    and handshake-aborted when the server ended the handshake (`aborted`: its reason)."""
    leaf = served_leaf(artifacts, served)
    if leaf is None:
        return []
    path = _path(artifacts, leaf, served)
    out: list[Finding] = []
    if aborted is not None:
        out.append(
            Finding(
                "handshake-aborted",
                Severity.INFO,
                f"The server ended the TLS handshake after sending its certificates ({aborted}): "
                "it most likely requires a client certificate (mutual TLS). The certificates "
                "it sent are checked as usual.",
                "Nothing to fix if the service is meant to require client certificates (CUCM "
                "SIP TLS 5061 in mixed mode, server-to-server links); otherwise check the "
                "server's client-authentication setting.",
                tuple(served),
                "RFC 5246 section 7.4.4",
            )
        )
    sent = list(served)
    if sent[: len(path)] != path:

        def label(i: int) -> str:
            return f"#{sent.index(i) + 1} {common_name(artifacts[i]) or artifacts[i].subject}"

        order = " -> ".join(label(i) for i in sent)
        by_signature = " -> ".join(label(i) for i in path)
        out.append(
            Finding(
                "served-chain-order",
                Severity.WARNING,
                f"The server sends its chain out of order: {order}; by signature it is "
                f"{by_signature} (#n: position served).",
                "TLS 1.2 requires the server certificate first and each certificate followed "
                "by the one that signed it; strict clients (Java, older Cisco phones and "
                "Jabber, embedded stacks) refuse anything else. Re-install the chain in order: "
                "server certificate, then intermediates, root last (or left out).",
                tuple(sent),
                _REFERENCE,
            )
        )
    extra = [i for i in sent if i not in path]
    if extra:
        out.append(
            Finding(
                "served-chain-order",
                Severity.WARNING,
                "The server also sends certificates that are not in its certificate's chain: "
                + ", ".join(_describe(artifacts[i]) for i in extra)
                + ".",
                "Remove them from the server's chain file (an old intermediate, another "
                "server's certificate); some clients refuse a chain with strays in it.",
                tuple(extra),
                _REFERENCE,
            )
        )
    top = artifacts[path[-1]]
    for i in served:
        a = artifacts[i]
        if i != leaf and a.is_ca and is_self_signed(a):
            out.append(
                Finding(
                    "served-root-included",
                    Severity.INFO,
                    f"The server sends the root CA certificate {_describe(a)}.",
                    "Harmless, but useless: a client trusts a root only from its own store. "
                    "Leaving it out saves bytes in every handshake.",
                    (i,),
                    _REFERENCE,
                )
            )
    if not is_self_signed(top):
        out.extend(_gap(artifacts, path[-1], served, anchors))
    out.extend(_old_certificate(artifacts, leaf, served))
    return out


def _gap(
    artifacts: Sequence[Artefact], top: int, served: Sequence[int], anchors: Sequence[object]
) -> list[Finding]:
    """served-chain-incomplete: the served chain stops below a root."""
    a = artifacts[top]
    found = next((i for i, c in enumerate(artifacts) if i not in served and signed_by(a, c)), None)
    issuer = None if found is None else artifacts[found]
    if issuer is not None and is_self_signed(issuer):
        return []  # the server stops right below the root, as it should
    if any(issued_by(a.native, anchor) for anchor in anchors):
        return []  # signed by a trust anchor directly
    if found is not None and issuer is not None:
        return [
            Finding(
                "served-chain-incomplete",
                Severity.ERROR,
                f"The server does not send the intermediate CA certificate {_describe(issuer)} "
                f"that signed {_describe(a)}.",
                "Clients that do not fetch missing intermediates themselves (Java, curl, "
                "Cisco phones and Jabber, most servers) will fail. Install the intermediate "
                "with the server certificate (CUCM/Expressway: upload it as a trust "
                "certificate, then re-upload the server certificate).",
                (top, found),
                _REFERENCE,
            )
        ]
    if a.is_ca:
        # A served CA certificate whose issuer is unknown: servers stop below the root, and
        # nothing says this one did not. Only a given issuer (above) can prove a gap.
        return []
    return [
        Finding(
            "served-chain-incomplete",
            Severity.WARNING,
            f"The server sends its certificate {_describe(a)} with no CA certificate: unless "
            f"its issuer ({a.issuer}) is a root CA the clients hold, the chain is incomplete.",
            "Give certmatch the issuing CA certificate (as a FILE, or with --ca-file) to know "
            "for sure. If it is an intermediate, install it with the server certificate so "
            "clients that do not fetch intermediates (Java, curl, Cisco endpoints) succeed.",
            (top,),
            _REFERENCE,
        )
    ]


def _names(a: Artefact) -> set[str]:
    names = {san_key(s) for s in a.sans if s.startswith(("DNS:", "IP:"))}
    cn = common_name(a)
    if cn:
        names.add(san_key(f"DNS:{cn}"))
    return names


def _old_certificate(
    artifacts: Sequence[Artefact], leaf: int, served: Sequence[int]
) -> list[Finding]:
    """served-old-certificate: a given server certificate for the same names is newer."""
    current = artifacts[leaf]
    if current.not_before is None:
        return []
    names = _names(current)
    out = []
    for i, a in enumerate(artifacts):
        if (
            i in served
            or a.kind is not ArtefactKind.CERTIFICATE
            or a.is_ca
            or a.not_before is None
            or a.public_pem == current.public_pem
            or not names & _names(a)
            or a.not_before <= current.not_before
        ):
            continue
        out.append(
            Finding(
                "served-old-certificate",
                Severity.ERROR,
                f"The server still serves the previous certificate {_describe(current)} "
                f"(serial {current.serial}, valid from {current.not_before:%Y-%m-%d}); "
                f"{_describe(a)} (serial {a.serial}, valid from {a.not_before:%Y-%m-%d}) is "
                "newer and for the same names.",
                "Install the new certificate on the server, and restart the service that "
                "serves it (CUCM/IM&P: `utils service restart Cisco Tomcat` for tomcat, or the "
                "service the certificate is for; Expressway: it takes effect on upload). Then "
                "connect again.",
                (leaf, i),
            )
        )
    return out
