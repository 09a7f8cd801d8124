"""Trust-path validation against anchors the caller hands over (`--ca-file`, `--system-trust`).

RFC 5280 path building is cryptography's (`cryptography.x509.verification`): the web PKI's
rules for CA certificates, none for the end-entity's extensions (its key usages and SANs are
the profiles' and the host check's business). Where that API refuses, the project's own
signature walk (`analysis.match.issued_by`: SHA-1/MD5 signatures checked by hand, AKI/SKI
where no signature check is possible) tells "no path at all" (and which certificate is
missing) from "a path that RFC 5280 refuses" (and why). Findings: `chain-ok`, `chain-untrusted`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING

from certmatch.analysis.match import common_name, issued_by
from certmatch.errors import UnusableInputError
from certmatch.model import Artefact, ArtefactKind, Finding, Severity

if TYPE_CHECKING:
    from cryptography.x509 import Certificate

__all__ = ["TrustAnchors", "read_anchors", "trust_findings"]

_MAX_DEPTH = 10  # certificates in a path; cryptography's default allows 8 intermediates


@dataclass(frozen=True, slots=True)
class TrustAnchors:
    """The certificates to trust, and where they came from (for messages)."""

    source: str  # "ca.pem", "the system trust store (/etc/ssl/certs/ca-certificates.crt)"
    certificates: tuple[Certificate, ...] = field(repr=False)


def read_anchors(name: str, data: bytes) -> tuple[Certificate, ...]:
    """The certificates in one trust-anchor file: PEM (any number), DER, PKCS#7 (PEM or DER).

    UnusableInputError naming the file when it holds no certificate.
    """
    from cryptography import x509
    from cryptography.hazmat.primitives.serialization import pkcs7

    attempts = (
        (x509.load_pem_x509_certificates, b"-----BEGIN CERTIFICATE"),
        (pkcs7.load_pem_pkcs7_certificates, b"-----BEGIN PKCS7"),
        (lambda d: [x509.load_der_x509_certificate(d)], b""),
        (pkcs7.load_der_pkcs7_certificates, b""),
    )
    for loader, marker in attempts:
        if marker and marker not in data:
            continue
        try:
            found = loader(data)
        except ValueError:
            continue
        if found:
            return tuple(found)
    raise UnusableInputError(
        f"{name}: no trust anchor could be read (give PEM certificates, a DER certificate or "
        "a PKCS#7 .p7b file of the CA certificates to trust)"
    )


def trust_findings(
    artifacts: Sequence[Artefact],
    leaf: int,
    pool: Sequence[int],
    anchors: TrustAnchors,
    now: datetime,
) -> list[Finding]:
    """`chain-ok` or `chain-untrusted` for the certificate `leaf`, with the certificates at
    `pool` as the intermediates a client would be handed."""
    from cryptography import x509

    target = artifacts[leaf].native
    if not isinstance(target, x509.Certificate) or not anchors.certificates:
        return []
    given = [i for i in pool if i != leaf and isinstance(artifacts[i].native, x509.Certificate)]
    intermediates = [artifacts[i].native for i in given]
    refusal = _validate(target, intermediates, anchors.certificates, now)
    path = _walk(target, intermediates, anchors.certificates)
    names = _namer(artifacts, [leaf, *given])
    shown = " -> ".join(names(c) for c in path)
    members = tuple(i for i in [leaf, *given] if artifacts[i].native in path)
    if refusal is None:
        return [
            Finding(
                "chain-ok",
                Severity.INFO,
                f"The chain validates to a trust anchor from {anchors.source}: {shown}.",
                "Nothing to do: clients that trust this anchor accept the chain (RFC 5280 "
                "path validation; host names are checked separately).",
                members,
                "RFC 5280 section 6",
            )
        ]
    if path and _is_anchor(path[-1], anchors.certificates):
        window = _common_validity(path)
        if (
            window is not None
            and _validate(target, intermediates, anchors.certificates, window) is None
        ):
            return [
                Finding(
                    "chain-ok",
                    Severity.INFO,
                    f"The chain reaches a trust anchor from {anchors.source}: {shown} (valid "
                    "as a path; a certificate in it is outside its validity dates, see the "
                    "other findings).",
                    "Replace the certificate that is expired or not yet valid; the path itself "
                    "is sound.",
                    members,
                    "RFC 5280 section 6",
                )
            ]
        return [
            Finding(
                "chain-untrusted",
                Severity.ERROR,
                f"A path to a trust anchor from {anchors.source} exists ({shown}), but RFC "
                f"5280 validation refuses it: {refusal}.",
                "Clients that validate strictly will refuse this chain: have the CA fix the "
                "certificate named (or re-issue from a CA certificate with basicConstraints "
                "CA:TRUE, a key of 2048 bits or more and a SHA-256 signature).",
                members,
                "RFC 5280 section 6",
            )
        ]
    top = path[-1] if path else target
    assert isinstance(top, x509.Certificate)
    if top.issuer == top.subject and issued_by(top, top):
        missing = (
            f"{names(top)} is a root CA certificate that is not among the trust anchors from "
            f"{anchors.source}"
        )
        hint = (
            "If this root is your organisation's CA, add its certificate to the trust store "
            "(--ca-file ROOT.pem); otherwise the server certificate comes from a CA the "
            "clients do not trust: have it issued by a trusted CA."
        )
    else:
        missing = (
            f"the certificate missing is the issuer of {names(top)}: "
            f"{top.issuer.rfc4514_string()}, which is neither among the certificates given nor "
            f"a trust anchor from {anchors.source}"
        )
        hint = (
            "Get that CA certificate from the CA. If it is an intermediate, serve/install it "
            "with the server certificate; if it is a root, add it to the trust store."
        )
    return [
        Finding(
            "chain-untrusted",
            Severity.ERROR,
            f"No path from {names(target)} to a trust anchor: {missing}.",
            hint,
            members or (leaf,),
            "RFC 5280 section 6",
        )
    ]


def _validate(
    leaf: object, intermediates: Sequence[object], anchors: Sequence[object], moment: datetime
) -> str | None:
    """None when cryptography's RFC 5280 validation accepts the chain, else its reason."""
    from cryptography import x509
    from cryptography.x509 import verification as v

    assert isinstance(leaf, x509.Certificate)
    certs = [c for c in intermediates if isinstance(c, x509.Certificate)]
    store = v.Store([c for c in anchors if isinstance(c, x509.Certificate)])
    builder = (
        v.PolicyBuilder()
        .store(store)
        .time(moment)
        .extension_policies(
            ca_policy=v.ExtensionPolicy.webpki_defaults_ca(),
            ee_policy=v.ExtensionPolicy.permit_all(),
        )
    )
    try:
        builder.build_client_verifier().verify(leaf, certs)
    except v.VerificationError as exc:
        return _reason(str(exc))
    except (ValueError, TypeError) as exc:  # an algorithm or encoding the API cannot handle
        return str(exc) or type(exc).__name__
    return None


def _reason(message: str) -> str:
    """cryptography's message without its prefixes and object dumps."""
    for prefix in ("validation failed: ", "candidates exhausted: "):
        if message.startswith(prefix):
            message = message[len(prefix) :]
    return message.split(" (encountered processing", 1)[0]


def _walk(leaf: object, intermediates: Sequence[object], anchors: Sequence[object]) -> list[object]:
    """Leaf first, then issuers by signature, ending at an anchor when one is reached."""
    path = [leaf]
    while len(path) < _MAX_DEPTH:
        current = path[-1]
        if _is_anchor(current, anchors):
            return path
        anchor = next((a for a in anchors if issued_by(current, a)), None)
        if anchor is not None:
            return [*path, anchor]
        issuer = next((c for c in intermediates if c not in path and issued_by(current, c)), None)
        if issuer is None:
            return path
        path.append(issuer)
    return path


def _is_anchor(cert: object, anchors: Sequence[object]) -> bool:
    return any(cert == a for a in anchors)


def _common_validity(path: Sequence[object]) -> datetime | None:
    """A moment at which every certificate of `path` is valid, if there is one."""
    from cryptography import x509

    certs = [c for c in path if isinstance(c, x509.Certificate)]
    start = max(c.not_valid_before_utc for c in certs)
    end = min(c.not_valid_after_utc for c in certs)
    return start if start <= end else None


def _namer(artifacts: Sequence[Artefact], indexes: Sequence[int]) -> Callable[[object], str]:
    by_cert = {id(artifacts[i].native): artifacts[i] for i in indexes}

    def name(cert: object) -> str:
        from cryptography import x509

        known = by_cert.get(id(cert))
        if known is not None and known.kind is ArtefactKind.CERTIFICATE:
            cn = common_name(known)
            return f"{known.source} (CN={cn})" if cn else known.source
        assert isinstance(cert, x509.Certificate)
        cns = cert.subject.get_attributes_for_oid(x509.NameOID.COMMON_NAME)
        label = str(cns[-1].value) if cns else cert.subject.rfc4514_string()
        return f"{label} (trust anchor)"

    return name
