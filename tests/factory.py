"""Throwaway keys, CSRs and CA/intermediate/leaf certificates built with cryptography, for unit tests."""

from __future__ import annotations

import datetime as dt
import functools
import ipaddress
from collections.abc import Sequence
from dataclasses import dataclass

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import dsa, ec, ed448, ed25519, rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from certmatch.load.artefacts import from_certificate, from_csr, from_private_key
from certmatch.model import Artefact

PrivateKey = (
    rsa.RSAPrivateKey
    | ec.EllipticCurvePrivateKey
    | ed25519.Ed25519PrivateKey
    | ed448.Ed448PrivateKey
    | dsa.DSAPrivateKey
)
# The digests cryptography's builders sign with (SHA-1 and MD5 are refused, so the weak-signature
# vectors are re-signed by hand in tests/vectors/generate_uc.py).
SigningHash = (
    hashes.SHA224
    | hashes.SHA256
    | hashes.SHA384
    | hashes.SHA512
    | hashes.SHA3_224
    | hashes.SHA3_256
    | hashes.SHA3_384
    | hashes.SHA3_512
)

# Key kinds the engine must handle; tests parametrize over these names.
KEY_KINDS = ("rsa2048", "ec256", "ec384", "ec521", "ed25519", "ed448", "dsa2048")

NOW = dt.datetime(2026, 6, 1, 12, 0, tzinfo=dt.UTC)

_EKU = {
    "serverAuth": ExtendedKeyUsageOID.SERVER_AUTH,
    "clientAuth": ExtendedKeyUsageOID.CLIENT_AUTH,
}

_RDN = {
    "CN": NameOID.COMMON_NAME,
    "OU": NameOID.ORGANIZATIONAL_UNIT_NAME,
    "O": NameOID.ORGANIZATION_NAME,
    "L": NameOID.LOCALITY_NAME,
    "ST": NameOID.STATE_OR_PROVINCE_NAME,
    "C": NameOID.COUNTRY_NAME,
}


def new_key(kind: str = "rsa2048") -> PrivateKey:
    """A fresh throwaway private key: "rsa<bits>", "ec256|384|521", "ed25519", "ed448", "dsa<bits>"."""
    if kind.startswith("rsa"):
        return rsa.generate_private_key(public_exponent=65537, key_size=int(kind[3:]))
    if kind.startswith("ec"):
        curve = {"256": ec.SECP256R1(), "384": ec.SECP384R1(), "521": ec.SECP521R1()}[kind[2:]]
        return ec.generate_private_key(curve)
    if kind == "ed25519":
        return ed25519.Ed25519PrivateKey.generate()
    if kind == "ed448":
        return ed448.Ed448PrivateKey.generate()
    if kind.startswith("dsa"):
        return _dsa_parameters(int(kind[3:])).generate_private_key()
    raise ValueError(f"unknown key kind {kind}")


@functools.cache
def _dsa_parameters(bits: int) -> dsa.DSAParameters:
    """Generating DSA parameters takes a third of a second, a key from them well under a
    millisecond: keys share (p, q, g) as keys of one DSA domain do, and stay distinct keys."""
    return dsa.generate_parameters(key_size=bits)


def name(**rdns: str) -> x509.Name:
    """x509.Name from keyword RDNs in the given order: name(CN="a", OU="b")."""
    return x509.Name([x509.NameAttribute(_RDN[k], v) for k, v in rdns.items()])


def general_names(sans: Sequence[str]) -> list[x509.GeneralName]:
    out: list[x509.GeneralName] = []
    for san in sans:
        kind, _, value = san.partition(":")
        if kind == "DNS":
            out.append(x509.DNSName(value))
        elif kind == "IP":
            out.append(x509.IPAddress(ipaddress.ip_address(value)))
        elif kind == "email":
            out.append(x509.RFC822Name(value))
        elif kind == "URI":
            out.append(x509.UniformResourceIdentifier(value))
        else:
            raise ValueError(san)
    return out


def key_usage(*names: str) -> x509.KeyUsage:
    flags = {
        "digitalSignature": "digital_signature",
        "nonRepudiation": "content_commitment",
        "keyEncipherment": "key_encipherment",
        "dataEncipherment": "data_encipherment",
        "keyAgreement": "key_agreement",
        "keyCertSign": "key_cert_sign",
        "cRLSign": "crl_sign",
    }
    unknown = set(names) - set(flags)
    if unknown:
        raise ValueError(unknown)
    kwargs = {attr: (n in names) for n, attr in flags.items()}
    return x509.KeyUsage(encipher_only=False, decipher_only=False, **kwargs)


def _hash_for(key: PrivateKey, algorithm: SigningHash | None) -> SigningHash | None:
    if isinstance(key, ed25519.Ed25519PrivateKey | ed448.Ed448PrivateKey):
        return None
    return algorithm or hashes.SHA256()


def _extensions(
    builder: x509.CertificateBuilder | x509.CertificateSigningRequestBuilder,
    *,
    sans: Sequence[str],
    ku: Sequence[str] | None,
    eku: Sequence[str] | None,
    ca: bool | None,
    path_length: int | None = None,
) -> x509.CertificateBuilder | x509.CertificateSigningRequestBuilder:
    if sans:
        builder = builder.add_extension(x509.SubjectAlternativeName(general_names(sans)), False)
    if ku is not None:
        builder = builder.add_extension(key_usage(*ku), True)
    if eku is not None:
        builder = builder.add_extension(x509.ExtendedKeyUsage([_EKU[e] for e in eku]), False)
    if ca is not None:
        builder = builder.add_extension(
            x509.BasicConstraints(ca, path_length if ca else None), True
        )
    return builder


def make_csr(
    key: PrivateKey,
    subject: x509.Name | None = None,
    *,
    sans: Sequence[str] = ("DNS:cucm1.example.com",),
    ku: Sequence[str] | None = ("digitalSignature", "keyEncipherment"),
    eku: Sequence[str] | None = ("serverAuth", "clientAuth"),
    ca: bool | None = None,
    algorithm: SigningHash | None = None,
) -> x509.CertificateSigningRequest:
    builder = x509.CertificateSigningRequestBuilder().subject_name(
        subject if subject is not None else name(CN="cucm1.example.com", OU="UC", O="Example")
    )
    built = _extensions(builder, sans=sans, ku=ku, eku=eku, ca=ca)
    assert isinstance(built, x509.CertificateSigningRequestBuilder)
    return built.sign(key, _hash_for(key, algorithm))


def make_cert(
    public_key: object,
    subject: x509.Name,
    issuer_cert: x509.Certificate | None,
    issuer_key: PrivateKey,
    *,
    sans: Sequence[str] = (),
    ku: Sequence[str] | None = None,
    eku: Sequence[str] | None = None,
    ca: bool | None = None,
    path_length: int | None = None,
    not_before: dt.datetime = NOW - dt.timedelta(days=30),
    not_after: dt.datetime = NOW + dt.timedelta(days=365),
    algorithm: SigningHash | None = None,
    serial: int | None = None,
    ski_aki: bool = True,
) -> x509.Certificate:
    """A certificate for `public_key`, signed by `issuer_key` (self-signed when issuer_cert is None)."""
    issuer_name = subject if issuer_cert is None else issuer_cert.subject
    builder = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer_name)
        .public_key(public_key)  # type: ignore[arg-type]
        .serial_number(serial if serial is not None else x509.random_serial_number())
        .not_valid_before(not_before)
        .not_valid_after(not_after)
    )
    built = _extensions(builder, sans=sans, ku=ku, eku=eku, ca=ca, path_length=path_length)
    assert isinstance(built, x509.CertificateBuilder)
    if ski_aki:
        built = built.add_extension(
            x509.SubjectKeyIdentifier.from_public_key(public_key),  # type: ignore[arg-type]
            False,
        )
        signer_public = issuer_key.public_key()
        built = built.add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(signer_public),
            False,
        )
    return built.sign(issuer_key, _hash_for(issuer_key, algorithm))


@dataclass(frozen=True)
class Pki:
    """A throwaway root and intermediate CA, with their keys."""

    root: x509.Certificate
    root_key: PrivateKey
    intermediate: x509.Certificate
    intermediate_key: PrivateKey


def make_pki(kind: str = "ec256") -> Pki:
    root_key = new_key(kind)
    root = make_cert(
        root_key.public_key(),
        name(CN="Example Root CA", O="Example"),
        None,
        root_key,
        ku=("keyCertSign", "cRLSign"),
        ca=True,
        not_after=NOW + dt.timedelta(days=3650),
    )
    inter_key = new_key(kind)
    inter = make_cert(
        inter_key.public_key(),
        name(CN="Example Issuing CA", O="Example"),
        root,
        root_key,
        ku=("keyCertSign", "cRLSign"),
        ca=True,
        path_length=0,
        not_after=NOW + dt.timedelta(days=1825),
    )
    return Pki(root, root_key, inter, inter_key)


def issue(
    csr: x509.CertificateSigningRequest,
    pki: Pki,
    *,
    public_key: object | None = None,
    subject: x509.Name | None = None,
    sans: Sequence[str] | None = None,
    ku: Sequence[str] | None = ("digitalSignature", "keyEncipherment"),
    eku: Sequence[str] | None = ("serverAuth", "clientAuth"),
    **kwargs: object,
) -> x509.Certificate:
    """What a CA hands back for `csr` (signed by the intermediate); override fields to misbehave."""
    requested_sans: list[str] = []
    try:
        san_ext = csr.extensions.get_extension_for_class(x509.SubjectAlternativeName)
    except x509.ExtensionNotFound:
        pass
    else:
        from certmatch.load.artefacts import general_name

        requested_sans = [general_name(n) for n in san_ext.value]
    return make_cert(
        public_key if public_key is not None else csr.public_key(),
        subject if subject is not None else csr.subject,
        pki.intermediate,
        pki.intermediate_key,
        sans=requested_sans if sans is None else sans,
        ku=ku,
        eku=eku,
        ca=False,
        **kwargs,  # type: ignore[arg-type]
    )


def cert_artefact(cert: x509.Certificate, source: str = "server.crt") -> Artefact:
    return from_certificate(cert, source, "pem")


def csr_artefact(csr: x509.CertificateSigningRequest, source: str = "server.csr") -> Artefact:
    return from_csr(csr, source, "pem")


def key_artefact(key: PrivateKey, source: str = "server.key") -> Artefact:
    return from_private_key(key, source, "pem", encrypted=False)


def pasted_pairs(count: int) -> list[str]:
    """`count` CSR + certificate pairs as one message's pasted PEM text, each of its own key and name."""
    pki = make_pki()
    pem = serialization.Encoding.PEM
    pairs = []
    for n in range(count):
        host = f"cucm{n}.example.com"
        csr = make_csr(new_key("ec256"), name(CN=host), sans=[f"DNS:{host}"])
        pairs.append((csr.public_bytes(pem) + issue(csr, pki).public_bytes(pem)).decode())
    return pairs
