"""Generate the Cisco UC vectors in tests/vectors/uc/ (throwaway keys, never written to disk).

Run from the repository root: `.venv/bin/python tests/vectors/generate_uc.py`. Every run makes
new keys, so every file changes; commit the whole directory together. Each file is described
by one line in tests/vectors/uc/README.md (written by this script too).

The CSRs look like the ones Cisco Unified OS Administration generates (subject from
`set web-security`, FQDN among the SANs; key usage Digital Signature, Key Encipherment, Data
Encipherment, Key Agreement and EKU serverAuth, clientAuth, IPSec End System, as the tomcat CSR
in TAC 212214 and the CUCM 12.5(1)SU3 Administration Guide shows); the certificates are what a
CA sends back, right and in each of the ways UC uploads go wrong.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import ipaddress
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.hazmat.primitives.serialization import pkcs7
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

OUT = Path(__file__).resolve().parent / "uc"

# Wide validity so the vectors stay valid for the CLI tests, which use the real clock.
VALID = (dt.datetime(2025, 1, 1, tzinfo=dt.UTC), dt.datetime(2045, 1, 1, tzinfo=dt.UTC))
EXPIRED = (dt.datetime(2020, 1, 1, tzinfo=dt.UTC), dt.datetime(2021, 1, 1, tzinfo=dt.UTC))
FUTURE = (dt.datetime(2045, 6, 1, tzinfo=dt.UTC), dt.datetime(2050, 1, 1, tzinfo=dt.UTC))

SUBJECT = (
    ("CN", "cucmpub01.example.com"),
    ("OU", "Voice"),
    ("O", "Example Corp"),
    ("L", "Sydney"),
    ("ST", "NSW"),
    ("C", "AU"),
)
TOMCAT_SANS = ("DNS:cucmpub01.example.com", "DNS:example.com")
UC_EKU = ("serverAuth", "clientAuth", "ipsecEndSystem")
UC_KU = ("digitalSignature", "keyEncipherment", "dataEncipherment", "keyAgreement")
# What an AD CS "Web Server"-style template keeps of that request.
TEMPLATE_EKU = ("serverAuth", "clientAuth")
TEMPLATE_KU = ("digitalSignature", "keyEncipherment", "dataEncipherment")
EV_COUNTRY = "1.3.6.1.4.1.311.60.2.1.3"  # jurisdictionOfIncorporationCountryName

_RDN = {
    "CN": NameOID.COMMON_NAME,
    "OU": NameOID.ORGANIZATIONAL_UNIT_NAME,
    "O": NameOID.ORGANIZATION_NAME,
    "L": NameOID.LOCALITY_NAME,
    "ST": NameOID.STATE_OR_PROVINCE_NAME,
    "C": NameOID.COUNTRY_NAME,
}
_EKU = {
    "serverAuth": ExtendedKeyUsageOID.SERVER_AUTH,
    "clientAuth": ExtendedKeyUsageOID.CLIENT_AUTH,
    "ipsecEndSystem": x509.ObjectIdentifier("1.3.6.1.5.5.7.3.5"),
}

Key = rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey


@dataclass
class Request:
    """What a CSR asks for; a certificate issued from it starts from the same values."""

    key: Key
    subject: tuple[tuple[str, str], ...] = SUBJECT
    sans: tuple[str, ...] = TOMCAT_SANS
    eku: tuple[str, ...] = UC_EKU
    ku: tuple[str, ...] = UC_KU
    ca: bool = False
    path_length: int | None = 0  # with ca: CAPF asks for a CA that signs only end entities
    basic_constraints: bool = True  # False: no Basic Constraints extension at all
    critical_eku: bool = False


@dataclass
class Authority:
    key: Key
    cert: x509.Certificate


@dataclass
class Vectors:
    readme: list[tuple[str, str]] = field(default_factory=list)

    def write(self, name: str, data: bytes, description: str) -> None:
        (OUT / name).write_bytes(data)
        self.readme.append((name, description))


def rsa_key(bits: int = 2048) -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=bits)


def name(rdns: Sequence[tuple[str, str]]) -> x509.Name:
    """A subject from (short name or dotted OID, value) pairs."""
    return x509.Name(
        [x509.NameAttribute(_RDN.get(k) or x509.ObjectIdentifier(k), v) for k, v in rdns]
    )


def general_names(sans: Sequence[str]) -> list[x509.GeneralName]:
    out: list[x509.GeneralName] = []
    for san in sans:
        kind, _, value = san.partition(":")
        if kind == "DNS":
            out.append(x509.DNSName(value))
        else:
            out.append(x509.IPAddress(ipaddress.ip_address(value)))
    return out


def key_usage(bits: Sequence[str]) -> x509.KeyUsage:
    return x509.KeyUsage(
        digital_signature="digitalSignature" in bits,
        content_commitment="nonRepudiation" in bits,
        key_encipherment="keyEncipherment" in bits,
        data_encipherment="dataEncipherment" in bits,
        key_agreement="keyAgreement" in bits,
        key_cert_sign="keyCertSign" in bits,
        crl_sign="cRLSign" in bits,
        encipher_only=False,
        decipher_only=False,
    )


def extensions(req: Request) -> list[tuple[x509.ExtensionType, bool]]:
    out: list[tuple[x509.ExtensionType, bool]] = []
    if req.ca and req.basic_constraints:
        out.append((x509.BasicConstraints(ca=True, path_length=req.path_length), True))
    if req.ku:
        out.append((key_usage(req.ku), True))
    if req.eku:
        out.append((x509.ExtendedKeyUsage([_EKU[e] for e in req.eku]), req.critical_eku))
    if req.sans:
        out.append((x509.SubjectAlternativeName(general_names(req.sans)), False))
    return out


def make_csr(req: Request) -> x509.CertificateSigningRequest:
    builder = x509.CertificateSigningRequestBuilder().subject_name(name(req.subject))
    for ext, critical in extensions(req):
        builder = builder.add_extension(ext, critical)
    return builder.sign(req.key, hashes.SHA256())


def issue(
    req: Request,
    issuer: Authority | None,
    *,
    validity: tuple[dt.datetime, dt.datetime] = VALID,
    digest: hashes.HashAlgorithm | None = None,
) -> x509.Certificate:
    """A certificate for `req` (its key and fields); self-signed when `issuer` is None."""
    subject = name(req.subject)
    signer_key = req.key if issuer is None else issuer.key
    builder = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject if issuer is None else issuer.cert.subject)
        .public_key(req.key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(validity[0])
        .not_valid_after(validity[1])
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(req.key.public_key()), False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(signer_key.public_key()), False
        )
    )
    if not req.ca and req.basic_constraints:
        builder = builder.add_extension(x509.BasicConstraints(ca=False, path_length=None), True)
    for ext, critical in extensions(req):
        builder = builder.add_extension(ext, critical)
    made = builder.sign(signer_key, hashes.SHA256())  # ECDSA with SHA-256 for an EC signer
    if isinstance(digest, hashes.SHA1):
        made = resign_sha1(made, signer_key)
    return made


_SHA256_RSA = bytes.fromhex("06092a864886f70d01010b")  # sha256WithRSAEncryption
_SHA1_RSA = bytes.fromhex("06092a864886f70d010105")  # sha1WithRSAEncryption


def resign_sha1(cert: x509.Certificate, signer_key: Key) -> x509.Certificate:
    """The same certificate signed with SHA-1, which cryptography refuses to produce itself.

    Swap the algorithm OID inside the TBS (same length), sign the TBS with PKCS#1 v1.5 SHA-1,
    and reassemble Certificate ::= SEQUENCE { tbs, algorithm, signature BIT STRING }.
    """
    assert isinstance(signer_key, rsa.RSAPrivateKey)
    tbs = cert.tbs_certificate_bytes.replace(_SHA256_RSA, _SHA1_RSA, 1)
    signature = signer_key.sign(tbs, padding.PKCS1v15(), hashes.SHA1())
    algorithm = der_tlv(0x30, _SHA1_RSA + b"\x05\x00")
    bit_string = der_tlv(0x03, b"\x00" + signature)
    return x509.load_der_x509_certificate(der_tlv(0x30, tbs + algorithm + bit_string))


def der_tlv(tag: int, body: bytes) -> bytes:
    length = len(body)
    if length < 0x80:
        return bytes([tag, length]) + body
    size = length.to_bytes((length.bit_length() + 7) // 8, "big")
    return bytes([tag, 0x80 | len(size)]) + size + body


def authority(
    common_name: str,
    parent: Authority | None,
    *,
    digest: hashes.HashAlgorithm | None = None,
    validity: tuple[dt.datetime, dt.datetime] = VALID,
    key: Key | None = None,
    basic_constraints: bool = True,
) -> Authority:
    key = key or rsa_key()
    req = Request(
        key,
        subject=(("CN", common_name), ("O", "certmatch tests")),
        sans=(),
        eku=(),
        ku=("keyCertSign", "cRLSign"),
        ca=True,
        path_length=None,
        basic_constraints=basic_constraints,
    )
    return Authority(key, issue(req, parent, digest=digest, validity=validity))


def pem(*certs: x509.Certificate) -> bytes:
    return b"".join(c.public_bytes(serialization.Encoding.PEM) for c in certs)


def csr_pem(csr: x509.CertificateSigningRequest) -> bytes:
    return csr.public_bytes(serialization.Encoding.PEM)


def variant(req: Request, **changes: object) -> Request:
    return dataclasses.replace(req, **changes)  # type: ignore[arg-type]


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    for old in OUT.iterdir():
        if old.name != "README.md":
            old.unlink()
    v = Vectors()

    root = authority("certmatch UC Test Root CA", None)
    inter = authority("certmatch UC Test Issuing CA", root)
    inter_sha1 = authority("certmatch UC Test SHA-1 Issuing CA", root, digest=hashes.SHA1())
    inter_expired = authority("certmatch UC Test Retired Issuing CA", root, validity=EXPIRED)
    v.write("root.pem", pem(root.cert), "test root CA, self-signed, SHA-256")
    v.write("inter.pem", pem(inter.cert), "issuing CA signed by root.pem; issues the leaves")
    v.write("inter-sha1.pem", pem(inter_sha1.cert), "issuing CA signed by root.pem with SHA-1")
    v.write("inter-expired.pem", pem(inter_expired.cert), "issuing CA that expired in 2021")
    root_twin = authority("certmatch UC Test Root CA", None)
    v.write(
        "root-twin.pem",
        pem(root_twin.cert),
        "another self-signed root with root.pem's subject (a new key under the old name)",
    )
    root_4096 = authority("certmatch UC Test 4096 Root CA", None, key=rsa_key(4096))
    v.write("root-4096.pem", pem(root_4096.cert), "self-signed root CA with a 4096-bit RSA key")
    inter_ec = authority(
        "certmatch UC Test ECDSA Issuing CA", root, key=ec.generate_private_key(ec.SECP256R1())
    )
    v.write("inter-ec.pem", pem(inter_ec.cert), "issuing CA with a P-256 key, signed by root.pem")
    inter_no_bc = authority("certmatch UC Test Bare Issuing CA", root, basic_constraints=False)
    v.write(
        "inter-no-bc.pem",
        pem(inter_no_bc.cert),
        "issuing CA signed by root.pem without a Basic Constraints extension",
    )

    def csr(file: str, req: Request, description: str) -> Request:
        v.write(file, csr_pem(make_csr(req)), description)
        return req

    def cert(
        file: str,
        req: Request,
        description: str,
        *,
        issuer: Authority | None = inter,
        validity: tuple[dt.datetime, dt.datetime] = VALID,
        digest: hashes.HashAlgorithm | None = None,
    ) -> x509.Certificate:
        made = issue(req, issuer, validity=validity, digest=digest)
        v.write(file, pem(made), description)
        return made

    # -- the tomcat CSR and what CAs send back for it
    tomcat = csr(
        "tomcat.csr",
        Request(rsa_key()),
        "tomcat CSR as CUCM makes it (TAC 212214): subject with OU, SANs FQDN + domain, "
        "serverAuth/clientAuth/IPSec End System, Digital Signature/Key Encipherment/Data "
        "Encipherment/Key Agreement",
    )
    good = cert("tomcat.pem", tomcat, "tomcat.csr issued exactly as requested by inter.pem")
    csr(
        "tomcat-regenerated.csr",
        variant(tomcat, key=rsa_key()),
        "same subject and SANs as tomcat.csr, new key (the CSR regenerated after submission)",
    )
    cert(
        "tomcat-san-reordered.pem",
        variant(tomcat, sans=("DNS:EXAMPLE.COM", "DNS:cucmpub01.example.com")),
        "tomcat.csr's SANs in another order and case (same set)",
    )
    cert(
        "tomcat-san-changed.pem",
        variant(tomcat, sans=("DNS:cucmpub01.example.com", "DNS:www.cucmpub01.example.com")),
        "CA dropped DNS:example.com and added DNS:www.cucmpub01.example.com",
    )
    cert(
        "tomcat-san-added-ip.pem",
        variant(tomcat, sans=(*TOMCAT_SANS, "IP:10.66.90.50")),
        "CA added IP:10.66.90.50 to tomcat.csr's SANs",
    )
    cert(
        "tomcat-wildcard-added.pem",
        variant(tomcat, sans=(*TOMCAT_SANS, "DNS:*.example.com")),
        "CA added DNS:*.example.com to tomcat.csr's SANs",
    )
    cert("tomcat-expired.pem", tomcat, "tomcat.csr's key, valid 2020-2021", validity=EXPIRED)
    cert("tomcat-not-yet-valid.pem", tomcat, "tomcat.csr's key, valid from 2045", validity=FUTURE)
    cert(
        "tomcat-template.pem",
        variant(tomcat, eku=TEMPLATE_EKU, ku=TEMPLATE_KU),
        "tomcat.csr through a Web Server-style template: Key Agreement and IPSec End System "
        "dropped (Tomcat needs neither)",
    )
    cert(
        "tomcat-server-only.pem",
        variant(tomcat, eku=("serverAuth",)),
        "EKU serverAuth only: clientAuth dropped (what public CAs are moving to)",
    )
    cert(
        "tomcat-critical-eku.pem",
        variant(tomcat, critical_eku=True),
        "tomcat.csr issued with the Extended Key Usage extension marked critical",
    )
    cert(
        "tomcat-via-expired-inter.pem",
        tomcat,
        "tomcat.csr issued by the expired inter-expired.pem",
        issuer=inter_expired,
    )
    cert(
        "tomcat-via-ec-inter.pem",
        tomcat,
        "tomcat.csr issued (ecdsa-with-SHA256) by the P-256 CA inter-ec.pem",
        issuer=inter_ec,
    )
    cert(
        "tomcat-client-only.pem",
        variant(tomcat, eku=("clientAuth",)),
        "EKU clientAuth only: serverAuth missing",
    )
    cert("tomcat-no-eku.pem", variant(tomcat, eku=()), "no EKU extension at all (unrestricted)")
    cert(
        "tomcat-ku-dropped.pem",
        variant(tomcat, ku=("digitalSignature", "keyEncipherment")),
        "key usage without Data Encipherment (and Key Agreement)",
    )
    no_san = csr(
        "tomcat-no-san.csr",
        Request(rsa_key(), sans=()),
        "tomcat CSR without a SAN extension (Parent Domain left empty)",
    )
    cert(
        "tomcat-no-san.pem",
        variant(no_san, sans=("DNS:cucmpub01.example.com", "DNS:www.cucmpub01.example.com")),
        "tomcat-no-san.csr issued with SANs the CA added (FQDN and www.)",
    )
    cert(
        "tomcat-sha1.pem", tomcat, "tomcat.csr signed by inter.pem with SHA-1", digest=hashes.SHA1()
    )
    cert(
        "tomcat-via-sha1-inter.pem",
        tomcat,
        "tomcat.csr signed (SHA-256) by the SHA-1 intermediate inter-sha1.pem",
        issuer=inter_sha1,
    )
    cert(
        "tomcat-no-ou.pem",
        variant(tomcat, subject=tuple(r for r in SUBJECT if r[0] != "OU")),
        "subject without the requested OU",
    )
    cert(
        "tomcat-cn-changed.pem",
        variant(tomcat, subject=(("CN", "cucmpub01"), *SUBJECT[1:])),
        "subject CN shortened to the host name; SANs as requested",
    )
    cert(
        "tomcat-self-signed.pem",
        tomcat,
        "tomcat.csr's key, self-signed (a complete chain of one)",
        issuer=None,
    )
    v.write(
        "tomcat-chain.p7b",
        pkcs7.serialize_certificates([root.cert, inter.cert, good], serialization.Encoding.DER),
        "DER PKCS#7 as AD CS hands it out: root.pem, inter.pem, tomcat.pem",
    )
    v.write(
        "tomcat-chain.pem",
        pem(good, inter.cert, root.cert),
        "PEM bundle: tomcat.pem, inter.pem, root.pem",
    )
    v.write(
        "tomcat-csr-as.cer",
        csr_pem(make_csr(tomcat)),
        "tomcat.csr's request saved under a certificate's name (what came back was the CSR)",
    )

    # -- EC: key usage dropped is info only, and Key Agreement does not matter for tomcat
    ecdsa = csr(
        "tomcat-ECDSA.csr",
        Request(ec.generate_private_key(ec.SECP256R1()), ku=("digitalSignature", "keyAgreement")),
        "tomcat-ECDSA CSR, P-256, Digital Signature + Key Agreement",
    )
    cert("tomcat-ECDSA.pem", ecdsa, "tomcat-ECDSA.csr issued as requested")
    cert(
        "tomcat-ECDSA-ku-dropped.pem",
        variant(ecdsa, ku=("digitalSignature",)),
        "tomcat-ECDSA.csr issued without Key Agreement",
    )
    cm_ecdsa = csr(
        "CallManager-ECDSA.csr",
        Request(ec.generate_private_key(ec.SECP256R1()), ku=("digitalSignature", "keyAgreement")),
        "CallManager-ECDSA CSR, P-256, Digital Signature + Key Agreement",
    )
    cert(
        "CallManager-ECDSA-ku-dropped.pem",
        variant(cm_ecdsa, ku=("digitalSignature",)),
        "CallManager-ECDSA.csr issued without Key Agreement",
    )

    # -- other services (purpose inference)
    callmanager = csr(
        "CallManager.csr",
        Request(rsa_key(), sans=("DNS:cucmpub01.example.com",)),
        "CallManager CSR (purpose from the file name)",
    )
    cert("CallManager.pem", callmanager, "CallManager.csr issued as requested")
    cert(
        "CallManager-server-only.pem",
        variant(callmanager, eku=("serverAuth",)),
        "CallManager.csr issued with serverAuth only (clientAuth missing)",
    )
    csr(
        "ipsec.csr",
        Request(rsa_key(), eku=(*TEMPLATE_EKU, "ipsecEndSystem")),
        "ipsec CSR: EKU includes ipsecEndSystem",
    )
    capf = csr(
        "capf.csr",
        Request(
            rsa_key(),
            subject=(("CN", "CAPF-1a2b3c4d"), *SUBJECT[1:]),
            sans=(),
            eku=("serverAuth",),
            ku=("digitalSignature", "keyCertSign"),
            ca=True,
        ),
        "CAPF CSR: CN CAPF-..., CA:TRUE, Certificate Sign requested",
    )
    cert("capf.pem", capf, "capf.csr signed as a subordinate CA (CA:TRUE, keyCertSign)")
    cert(
        "capf-not-ca.pem",
        variant(capf, ca=False, ku=("digitalSignature",)),
        "capf.csr signed as an end entity (CA:FALSE, no keyCertSign)",
    )
    csr(
        "cup-xmpp.csr",
        Request(
            rsa_key(),
            subject=(("CN", "imp01.example.com"), *SUBJECT[1:]),
            sans=(
                "DNS:imp01.example.com",
                "DNS:example.com",
                "DNS:conference-1-StandAloneCluster1a2b.example.com",
            ),
        ),
        "IM and Presence cup-xmpp CSR with a group chat (conference) alias",
    )
    expressway = csr(
        "expe01.csr",
        Request(
            rsa_key(),
            subject=(("CN", "expe01.example.com"), *SUBJECT[1:]),
            sans=("DNS:expe01.example.com", "DNS:collab-edge.example.com"),
            eku=TEMPLATE_EKU,
            ku=("digitalSignature", "keyEncipherment"),
        ),
        "Expressway-E CSR with a collab-edge registration domain SAN",
    )
    cert("expe01.pem", expressway, "expe01.csr issued as requested")
    cert(
        "expe01-server-only.pem",
        variant(expressway, eku=("serverAuth",)),
        "expe01.csr issued with serverAuth only (what public CAs are moving to)",
    )
    cert(
        "expe01-2051.pem",
        expressway,
        "expe01.csr issued as requested, valid until 2051",
        validity=(VALID[0], dt.datetime(2051, 1, 1, tzinfo=dt.UTC)),
    )
    cert(
        "expe01-no-cn.pem",
        variant(expressway, subject=SUBJECT[1:]),
        "expe01.csr issued without a CN in the subject",
    )
    cert(
        "expe01-ev.pem",
        variant(expressway, subject=(*expressway.subject, (EV_COUNTRY, "AU"))),
        "expe01.csr issued with the EV jurisdictionOfIncorporationCountryName in the subject",
    )
    cert(
        "expe01-unknown-oid.pem",
        variant(expressway, subject=(*expressway.subject, ("1.3.6.1.4.1.99999.1", "x"))),
        "expe01.csr issued with an unknown OID (1.3.6.1.4.1.99999.1) in the subject",
    )
    cert(
        "expe01-via-no-bc.pem",
        expressway,
        "expe01.csr issued by inter-no-bc.pem (a CA without Basic Constraints)",
        issuer=inter_no_bc,
    )

    # -- names
    wildcard = csr(
        "wildcard.csr",
        Request(
            rsa_key(),
            subject=(("CN", "*.example.com"), *SUBJECT[1:]),
            sans=("DNS:*.example.com",),
        ),
        "wildcard CSR: CN and SAN *.example.com",
    )
    cert("wildcard.pem", wildcard, "wildcard.csr issued as requested")
    ms_subject = (("CN", "cucmpub01-ms.example.com"), *SUBJECT[1:])
    ms_sans = ("DNS:cucmpub01.example.com", "DNS:cucmsub01.example.com", "DNS:example.com")
    multi = csr(
        "tomcat-ms.csr",
        Request(rsa_key(), subject=ms_subject, sans=ms_sans),
        "multi-server (-ms) tomcat CSR for a two-node cluster",
    )
    cert("tomcat-ms.pem", multi, "tomcat-ms.csr issued as requested")
    cert(
        "tomcat-ms-cn-stripped.pem",
        variant(multi, subject=SUBJECT),
        "tomcat-ms.csr issued with -ms stripped from the CN",
    )
    multi_ip = csr(
        "tomcat-ms-ip.csr",
        Request(rsa_key(), subject=ms_subject, sans=(*ms_sans[:2], "IP:10.66.90.50")),
        "multi-server CSR carrying an IP SAN",
    )
    cert("tomcat-ms-ip.pem", multi_ip, "tomcat-ms-ip.csr issued as requested")
    single_ip = csr(
        "tomcat-ip.csr",
        Request(rsa_key(), sans=("DNS:cucmpub01.example.com", "IP:10.66.90.50")),
        "single-server CSR carrying an IP SAN (allowed)",
    )
    cert("tomcat-ip.pem", single_ip, "tomcat-ip.csr issued as requested")
    no_cn_san = csr(
        "cn-not-in-san.csr",
        Request(rsa_key(), sans=("DNS:example.com",)),
        "CSR whose SANs leave out its CN",
    )
    cert("cn-not-in-san.pem", no_cn_san, "cn-not-in-san.csr issued as requested")

    # -- key size
    big = csr("rsa4608.csr", Request(rsa_key(4608)), "tomcat CSR with a 4608-bit RSA key")
    cert("rsa4608.pem", big, "rsa4608.csr issued as requested")
    top = csr("rsa4096.csr", Request(rsa_key(4096)), "tomcat CSR with a 4096-bit RSA key (limit)")
    cert("rsa4096.pem", top, "rsa4096.csr issued as requested")

    lines = [
        "# Cisco UC vectors",
        "",
        "Generated by `tests/vectors/generate_uc.py` with **throwaway** keys that were never",
        "written anywhere (no private key is in this directory). CSR subjects follow what",
        "Cisco Unified OS Administration generates; CA certificates are named `certmatch UC Test`.",
        "",
    ]
    lines += [f"- `{file}`: {text}" for file, text in sorted(v.readme)]
    (OUT / "README.md").write_text("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
