"""Certificates and CSRs that cryptography's strict DER parser refuses but openssl reads.

Old CAs, appliances and test suites write certificates that break a DER rule (an explicit
default, a BER boolean, an unsorted SET, a PrintableString with '_', a version-2 certificate, a
negative pathLen...). openssl and most servers read them, so certmatch does too: asn1crypto,
a parser made for exactly this (lazy, tolerant of BER and bad string characters), reads the
fields certmatch compares, and the artefact carries the rule the file breaks for the
`not-strict-der` finding.

Imported only when the strict parser has refused (certmatch.load.certificates), so clean input
never pays for asn1crypto's import.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

from asn1crypto import csr as asn1_csr
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import dsa, ec, padding, rsa

from certmatch.errors import UnsupportedInputError, UnusableInputError
from certmatch.keys import key_info
from certmatch.load import artefacts as described
from certmatch.load.der import OID, certificate_spki, csr_spki, read_header
from certmatch.load.names import rdns
from certmatch.load.parsing import reason
from certmatch.model import Artefact, ArtefactKind, KeyInfo

# asn1crypto's key usage names -> RFC 5280's, in bit order.
_KU_NAMES = {
    "digital_signature": "digitalSignature",
    "non_repudiation": "nonRepudiation",
    "key_encipherment": "keyEncipherment",
    "data_encipherment": "dataEncipherment",
    "key_agreement": "keyAgreement",
    "key_cert_sign": "keyCertSign",
    "crl_sign": "cRLSign",
    "encipher_only": "encipherOnly",
    "decipher_only": "decipherOnly",
}
_HASHES: dict[str, type[hashes.HashAlgorithm]] = {
    "sha1": hashes.SHA1,
    "sha224": hashes.SHA224,
    "sha256": hashes.SHA256,
    "sha384": hashes.SHA384,
    "sha512": hashes.SHA512,
    "md5": hashes.MD5,
}
# The words of cryptography's ParseError kinds and errors -> the DER or RFC 5280 rule broken.
_RULES = (
    ("EncodedDefault", "a field that holds its DEFAULT value is written out, which DER forbids"),
    ("InvalidSetOrdering", "a SET's elements are not in the sorted order DER requires"),
    ("PrintableString", "a PrintableString holds characters PrintableString cannot hold"),
    ("IA5String", "an IA5String holds characters that are not ASCII"),
    ("Extension::critical", "a BOOLEAN is not encoded as DER requires (TRUE must be 0xFF)"),
    ("path_length must be None", "basicConstraints has a pathLenConstraint but cA is FALSE"),
    ("path_length", "basicConstraints' pathLenConstraint is negative"),
    ("Duplicate", "an extension appears more than once (RFC 5280 allows each once)"),
    ("cannot be empty", "a name holds an empty RDN (a SET with nothing in it)"),
    ("not a valid X509 version", "the certificate is X.509 version 2; RFC 5280 wants v1 or v3"),
    ("year 0", "a validity date is in the year 0, which no calendar has"),
    ("out of range", "a validity date cannot be represented"),
    ("signature_alg", "an AlgorithmIdentifier carries parameters its algorithm does not take"),
    ("SubjectPublicKeyInfo::algorithm", "the public key's algorithm parameters are not NULL"),
    ("InvalidLength", "a length is not written in DER's shortest form"),
    ("ExtraData", "an element carries data its definition does not allow"),
    ("InvalidValue", "a value is not encoded as DER requires"),
)


# cryptography's field names in a ParseError location -> words.
_WHERE = {
    "subject": "the subject",
    "issuer": "the issuer",
    "raw_extensions": "an extension",
    "version": "the version field",
    "signature_alg": "the signature algorithm",
    "spki": "the public key",
    "validity": "the validity",
    "serial": "the serial number",
}


def broken_rule(exc: BaseException) -> str:
    """The DER/RFC 5280 rule cryptography's refusal names, in words, with where it is."""
    text = str(exc)
    rule = next((words for key, words in _RULES if key in text), None)
    if rule is None:
        return f"it breaks a rule of DER or RFC 5280 (cryptography: {reason(exc)})"
    fields = re.findall(r'"(?:\w+::)?(\w+)"', text)
    where = next((_WHERE[f] for f in fields if f in _WHERE), None)
    return f"{rule}, in {where}" if where else rule


def read_certificate(der: bytes, source: str, container: str, strict: BaseException) -> Artefact:
    """The certificate as openssl reads it; UnusableInputError when it is damaged after all."""
    try:
        _check_oids(der)
        cert = asn1_x509.Certificate.load(der)
        tbs = cert["tbs_certificate"]
        subject, issuer = _name(tbs["subject"]), _name(tbs["issuer"])
        validity = tbs["validity"]
        fields = _extension_fields(tbs["extensions"])
        spki = certificate_spki(der)
        key = _key(spki, tbs["subject_public_key_info"], source)
        return Artefact(
            source=source,
            kind=ArtefactKind.CERTIFICATE,
            key=key,
            container=container,
            subject=subject.rfc4514_string(),
            subject_rdns=rdns(subject),
            issuer=issuer.rfc4514_string(),
            serial=described.serial_hex(tbs["serial_number"].native),
            not_before=_time(validity["not_before"].native),
            not_after=_time(validity["not_after"].native),
            signature_algorithm=_signature_name(cert["signature_algorithm"]),
            public_pem=_pem("CERTIFICATE", der),
            der_violations=(broken_rule(strict),),
            **fields,
        )
    except UnusableInputError:
        raise
    except Exception as exc:  # asn1crypto raises ValueError, TypeError, KeyError...
        raise UnusableInputError(
            f"{source}: the certificate is damaged and cannot be read ({reason(strict)}); "
            "download it from the CA again"
        ) from exc


def read_csr(der: bytes, source: str, container: str, strict: BaseException) -> Artefact:
    """The CSR as openssl reads it, with its self-signature checked."""
    try:
        _check_oids(der)
        csr = asn1_csr.CertificationRequest.load(der)
        info = csr["certification_request_info"]
        subject = _name(info["subject"])
        extensions = None
        for attribute in info["attributes"]:
            if attribute["type"].native == "extension_request":
                extensions = attribute["values"][0]
        spki = csr_spki(der)
        key = _key(spki, info["subject_pk_info"], source)
        public = serialization.load_der_public_key(_public_spki(spki, info["subject_pk_info"]))
        return Artefact(
            source=source,
            kind=ArtefactKind.CSR,
            key=key,
            container=container,
            subject=subject.rfc4514_string(),
            subject_rdns=rdns(subject),
            signature_algorithm=_signature_name(csr["signature_algorithm"]),
            signature_valid=_signature_valid(csr, public),
            public_pem=_pem("CERTIFICATE REQUEST", der),
            der_violations=(broken_rule(strict),),
            **_extension_fields(extensions),
        )
    except UnusableInputError:
        raise
    except Exception as exc:
        raise UnusableInputError(
            f"{source}: the CSR is damaged and cannot be read ({reason(strict)}); download it "
            "from the server again rather than retyping or OCR'ing it"
        ) from exc


def _check_oids(der: bytes) -> None:
    """Refuse what openssl refuses and asn1crypto would read: an OID whose encoding is broken.

    Why: a character changed in the base64 (the OCR'd or retyped copy) often lands in an OID;
    cryptography's refusal then looks like a broken DER rule, and only this check tells damage
    from an old CA's habits. Raises ValueError.
    """
    pos, size = 0, len(der)
    while (
        pos < size
    ):  # every header in file order: into each constructed value, over each primitive
        tag, start, length = read_header(der, pos)
        if length is None:
            raise ValueError("an indefinite length inside a certificate")
        if tag & 0x20:
            pos = start
            continue
        if tag == OID:
            content = der[start : start + length]
            starts = [0] + [i + 1 for i, byte in enumerate(content[:-1]) if not byte & 0x80]
            if not content or content[-1] & 0x80 or any(content[i] == 0x80 for i in starts):
                raise ValueError("an OID is not validly encoded")
        pos = start + length


def _name(name: Any) -> x509.Name:
    """asn1crypto's Name as cryptography's (empty RDNs, which it cannot hold, left out)."""
    rdns = []
    for rdn in name.chosen:
        attributes = [
            x509.NameAttribute(
                x509.ObjectIdentifier(atv["type"].dotted),
                _text(atv["value"]),
                _validate=False,
            )
            for atv in rdn
        ]
        if attributes:
            rdns.append(x509.RelativeDistinguishedName(attributes))
    return x509.Name(rdns)


def _text(value: Any) -> str:
    native = value.native
    if isinstance(native, str):
        return native
    if isinstance(native, bytes):
        return native.hex()
    return str(native)


def _extension_fields(extensions: Any) -> dict[str, Any]:
    fields: dict[str, Any] = {}
    if extensions is None or extensions.native is None:
        return fields
    for extension in extensions:
        name = extension["extn_id"].native
        try:
            parsed = extension["extn_value"].parsed
        except Exception:  # a truncated or odd value: read the others
            continue
        if name == "subject_alt_name" and "sans" not in fields:
            fields["sans"] = tuple(_general_name(n) for n in parsed)
        elif name == "key_usage" and "key_usage" not in fields:
            bits = parsed.native
            fields["key_usage"] = tuple(v for k, v in _KU_NAMES.items() if k in bits)
            fields["key_usage_critical"] = bool(extension["critical"].native)
        elif name == "extended_key_usage" and "extended_key_usage" not in fields:
            fields["extended_key_usage"] = tuple(_eku_name(p.dotted) for p in parsed)
        elif name == "basic_constraints" and "basic_constraints_ca" not in fields:
            fields["basic_constraints_ca"] = bool(parsed["ca"].native)
            fields["basic_constraints_path_length"] = parsed["path_len_constraint"].native
    return fields


def _general_name(name: Any) -> str:
    kind, native = name.name, name.native
    if kind == "dns_name":
        return f"DNS:{native}"
    if kind == "ip_address":
        return f"IP:{native}"
    if kind == "rfc822_name":
        return f"email:{native}"
    if kind == "uniform_resource_identifier":
        return f"URI:{native}"
    if kind == "directory_name":
        return f"DirName:{_name(name.chosen).rfc4514_string()}"
    if kind == "registered_id":
        return f"RID:{name.chosen.dotted}"
    if kind == "other_name":
        return f"othername:{name.chosen['type_id'].dotted}"
    return f"{kind}:{native}"


def _eku_name(dotted: str) -> str:
    return described.eku_name(x509.ObjectIdentifier(dotted))


def _key(spki: bytes, info: Any, source: str) -> KeyInfo:
    der = _public_spki(spki, info)
    try:
        public = serialization.load_der_public_key(der)
        return key_info(public, spki if der == spki else None)
    except (ValueError, TypeError, UnsupportedAlgorithm) as exc:
        raise UnsupportedInputError(
            f"{source}: the public key is of a type certmatch does not read "
            f"({described.algorithm_name(spki)}); {described.KEY_TYPES}"
        ) from exc


def _public_spki(spki: bytes, info: Any) -> bytes:
    """An SPKI cryptography reads: as stored, or for RSA rebuilt from its modulus and exponent
    (an RSA key with non-NULL parameters or a BER length inside, as openssl re-encodes it)."""
    try:
        serialization.load_der_public_key(spki)
        return spki
    except (ValueError, UnsupportedAlgorithm):
        pass
    if info["algorithm"]["algorithm"].native in ("rsa", "rsassa_pss"):
        numbers = info["public_key"].parsed
        public = rsa.RSAPublicNumbers(
            numbers["public_exponent"].native, numbers["modulus"].native
        ).public_key()
        return public.public_bytes(
            serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
        )
    return bytes(info.dump(force=True))


def _signature_valid(csr: Any, public: object) -> bool | None:
    """The CSR's self-signature over its info as written; None where it cannot be checked."""
    algorithm = csr["signature_algorithm"]
    try:
        digest = _HASHES[algorithm.hash_algo]()
        kind = algorithm.signature_algo
    except (KeyError, ValueError):
        return None
    data, signature = csr["certification_request_info"].dump(), csr["signature"].native
    try:
        if kind == "rsassa_pkcs1v15" and isinstance(public, rsa.RSAPublicKey):
            public.verify(signature, data, padding.PKCS1v15(), digest)
        elif kind == "ecdsa" and isinstance(public, ec.EllipticCurvePublicKey):
            public.verify(signature, data, ec.ECDSA(digest))
        elif kind == "dsa" and isinstance(public, dsa.DSAPublicKey):
            public.verify(signature, data, digest)
        else:
            return None
    except InvalidSignature:
        return False
    except (ValueError, TypeError, UnsupportedAlgorithm):
        return None
    return True


def _signature_name(algorithm: Any) -> str:
    return described.signature_name(x509.ObjectIdentifier(algorithm["algorithm"].dotted))


def _time(value: object) -> datetime:
    """A validity time; one no datetime can hold (the year 0) as the earliest one that can."""
    if isinstance(value, datetime):
        return value.astimezone(UTC)
    return datetime.min.replace(tzinfo=UTC)


def _pem(label: str, der: bytes) -> str:
    import base64

    body = base64.b64encode(der).decode("ascii")
    lines = [body[i : i + 64] for i in range(0, len(body), 64)]
    return f"-----BEGIN {label}-----\n" + "\n".join(lines) + f"\n-----END {label}-----\n"
