"""Generate tests/vectors/compat/: files openssl reads that a strict reader refuses (issue 11).

Run from the repository root: `.venv/bin/python tests/vectors/generate_compat.py`. Every key is
a throwaway made for these vectors. The non-strict-DER certificates are openssl's own
certificates with one DER rule broken in the to-be-signed part and signed again by the test
CA, so each one breaks exactly the rule its name says. Each file gets one line in
tests/vectors/compat/README.md, written by this script too. Password for every encrypted file:
`throwaway-compat`.
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
from pathlib import Path

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.hazmat.primitives.asymmetric.types import PrivateKeyTypes

OUT = Path(__file__).resolve().parent / "compat"
PASSWORD = "throwaway-compat"
LEGACY = ("-provider", "legacy", "-provider", "default")
SUBJECT = "/C=AU/O=Example Corp/CN=compat.example.test"
EXTS = (
    "subjectAltName=DNS:compat.example.test,DNS:compat",
    "keyUsage=critical,digitalSignature,keyEncipherment",
    "extendedKeyUsage=serverAuth",
    "basicConstraints=critical,CA:FALSE",
)
README: dict[str, str] = {}

# A parsed DER element: (tag byte, primitive value or list of children).
Node = tuple[int, bytes | list["Node"]]


def main() -> None:
    OUT.mkdir(exist_ok=True)
    for old in OUT.iterdir():
        old.unlink()
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        _pki(work)
        _spki_pins(work)
        _non_strict(work)
        _encrypted_keys()
        _ber_containers(work)
        _key_types(work)
        _small_ones(work)
    _write_readme()


# --- the test CA and the pair everything is built from ---------------------------------


def _pki(work: Path) -> None:
    _openssl(
        "genpkey",
        "-algorithm",
        "RSA",
        "-pkeyopt",
        "rsa_keygen_bits:2048",
        "-out",
        OUT / "ca.key.pem",
    )
    _describe("ca.key.pem", "throwaway RSA key of the compat test CA")
    _openssl(
        "req", "-x509", "-new", "-key", OUT / "ca.key.pem", "-subj", "/CN=Compat Test CA",
        "-days", "3650", "-addext", "basicConstraints=critical,CA:TRUE", "-out", OUT / "ca.pem",
    )  # fmt: skip
    _describe("ca.pem", "self-signed compat test CA certificate, CN=Compat Test CA")
    _openssl(
        "genpkey",
        "-algorithm",
        "RSA",
        "-pkeyopt",
        "rsa_keygen_bits:2048",
        "-out",
        OUT / "server.key.pem",
    )
    _describe("server.key.pem", "throwaway RSA-2048 key every non-strict certificate below carries")
    _csr(OUT / "server.key.pem", OUT / "server.csr.pem")
    _describe(
        "server.csr.pem",
        "CSR for CN=compat.example.test made with server.key.pem (the CSR the non-strict certificates answer)",
    )
    _sign(work, OUT / "server.csr.pem", OUT / "server.cert.pem")
    _describe(
        "server.cert.pem",
        "strict-DER certificate for server.csr.pem, the base of every non-strict certificate",
    )


def _csr(key: Path, out: Path, subject: str = SUBJECT) -> None:
    adds = [arg for ext in EXTS for arg in ("-addext", ext)]
    _openssl("req", "-new", "-key", key, "-subj", subject, *adds, "-sha256", "-out", out)


def _sign(work: Path, csr: Path, out: Path, *extra: object) -> None:
    _openssl(
        "x509", "-req", "-in", csr, "-CA", OUT / "ca.pem", "-CAkey", OUT / "ca.key.pem",
        "-set_serial", "4660", "-days", "825", "-copy_extensions", "copyall", *extra,
        "-out", out,
    )  # fmt: skip
    del work


# --- class 1: openssl's pin ------------------------------------------------------------------


def _spki_pins(work: Path) -> None:
    def no_null(tbs: list[Node]) -> None:
        spki = _children(tbs[6])
        algorithm = _children(spki[0])
        del algorithm[1:]

    _mutated(
        "rsa-no-null.cert.pem",
        no_null,
        "server.cert.pem with the RSA SPKI's NULL parameter left out (cfssl/zlint test certificates)",
    )
    spki = _tree(_der_of(OUT / "server.key.pem", "pkey", "-pubout"))
    del _children(_children(spki)[0])[1:]
    _pem_file("rsa-no-null.pub.pem", "PUBLIC KEY", _encode(spki))
    _describe(
        "rsa-no-null.pub.pem",
        "server.key.pem's public key as an SPKI without the NULL parameter (some HSM exports)",
    )

    _openssl(
        "ecparam",
        "-name",
        "prime256v1",
        "-param_enc",
        "explicit",
        "-genkey",
        "-noout",
        "-out",
        OUT / "ec-explicit.key.pem",
    )
    _describe(
        "ec-explicit.key.pem",
        "throwaway P-256 key written with explicit curve parameters (EC PRIVATE KEY)",
    )
    _csr(OUT / "ec-explicit.key.pem", OUT / "ec-explicit.csr.pem", "/CN=ec-explicit.example.test")
    _describe(
        "ec-explicit.csr.pem",
        "CSR made with ec-explicit.key.pem (its SPKI carries the explicit parameters)",
    )
    _sign(work, OUT / "ec-explicit.csr.pem", OUT / "ec-explicit.cert.pem")
    _describe("ec-explicit.cert.pem", "certificate for ec-explicit.csr.pem")
    _openssl(
        "pkey", "-in", OUT / "ec-explicit.key.pem", "-pubout", "-out", OUT / "ec-explicit.pub.pem"
    )
    _describe("ec-explicit.pub.pem", "the public half of ec-explicit.key.pem as openssl writes it")
    _openssl("ecparam", "-name", "prime256v1", "-genkey", "-noout", "-out", work / "ec.pem")
    _openssl(
        "ec",
        "-in",
        work / "ec.pem",
        "-conv_form",
        "compressed",
        "-out",
        OUT / "ec-compressed.key.pem",
    )
    _describe(
        "ec-compressed.key.pem",
        "throwaway P-256 key (EC PRIVATE KEY) whose public point is stored compressed (openssl ec -conv_form compressed)",
    )
    _openssl(
        "pkey",
        "-in",
        OUT / "ec-compressed.key.pem",
        "-pubout",
        "-out",
        OUT / "ec-compressed.pub.pem",
    )
    _describe(
        "ec-compressed.pub.pem",
        "the public half of ec-compressed.key.pem as openssl writes it (compressed point)",
    )


# --- class 2: certificates and CSRs that break a DER rule ------------------------------------


def _non_strict(work: Path) -> None:
    del work

    def explicit_default_version(tbs: list[Node]) -> None:
        tbs[0] = (0xA0, [(0x02, b"\x00")])
        del tbs[7:]

    def version_2(tbs: list[Node]) -> None:
        tbs[0] = (0xA0, [(0x02, b"\x01")])
        del tbs[7:]

    def critical_false(tbs: list[Node]) -> None:
        _extension(tbs, "551d11").insert(1, (0x01, b"\x00"))

    def ber_boolean(tbs: list[Node]) -> None:
        _extension(tbs, "551d13")[1] = (0x01, b"\x01")

    def unsorted_set(tbs: list[Node]) -> None:
        subject = _children(tbs[5])
        o_rdn, cn_rdn = subject[1], subject[2]
        # One multi-valued RDN {CN, O}: DER sorts a SET by encoding; O (55 04 0a) is written
        # after CN (55 04 03) here, the wrong way round... reversed to break the order.
        both = _children(cn_rdn) + _children(o_rdn)
        both.sort(key=_encode, reverse=True)
        subject[1:3] = [(0x31, both)]

    def printable_invalid(tbs: list[Node]) -> None:
        _set_cn(tbs[5], (0x13, b"compat_host@example.test"))

    def empty_rdn(tbs: list[Node]) -> None:
        _children(tbs[5]).insert(1, (0x31, []))

    def negative_path_length(tbs: list[Node]) -> None:
        value: Node = (0x30, [(0x01, b"\xff"), (0x02, b"\xff")])
        _extension(tbs, "551d13")[-1] = (0x04, _encode(value))

    def path_length_not_ca(tbs: list[Node]) -> None:
        value: Node = (0x30, [(0x02, b"\x00")])
        _extension(tbs, "551d13")[-1] = (0x04, _encode(value))

    def duplicate_extension(tbs: list[Node]) -> None:
        extensions = _children(_children(tbs[7])[0])
        san = next(e for e in extensions if _children(e)[0] == (0x06, bytes.fromhex("551d11")))
        extensions.append(san)

    def validity_year_0(tbs: list[Node]) -> None:
        _children(tbs[4])[0] = (0x18, b"00000101000000Z")

    def rsa_params_not_null(tbs: list[Node]) -> None:
        _children(_children(tbs[6])[0])[1] = (0x04, b"")

    mutations = {
        "explicit-default-version": (
            explicit_default_version,
            "a v1 certificate whose version field is written out (DEFAULT v1 must be omitted)",
        ),
        "version-2": (version_2, "a version-2 (v2) certificate"),
        "critical-false": (
            critical_false,
            "the subjectAltName extension with `critical FALSE` written out (a DEFAULT value)",
        ),
        "ber-boolean": (
            ber_boolean,
            "basicConstraints marked critical with the BER boolean 0x01 (DER wants 0xFF)",
        ),
        "unsorted-set": (
            unsorted_set,
            "the subject's O and CN in one multi-valued RDN whose SET is not in DER order",
        ),
        "printablestring-invalid": (
            printable_invalid,
            "the subject CN as a PrintableString holding '_' and '@', which PrintableString cannot hold",
        ),
        "empty-rdn": (empty_rdn, "an empty RDN (a SET with nothing in it) in the subject"),
        "negative-pathlen": (
            negative_path_length,
            "basicConstraints with cA TRUE and pathLenConstraint -1",
        ),
        "pathlen-not-ca": (
            path_length_not_ca,
            "basicConstraints with pathLenConstraint 0 but cA FALSE",
        ),
        "duplicate-extension": (duplicate_extension, "the subjectAltName extension twice"),
        "validity-year-0": (
            validity_year_0,
            "notBefore in the year 0 (GeneralizedTime 00000101000000Z)",
        ),
        "rsa-params-not-null": (
            rsa_params_not_null,
            "the RSA SPKI with an empty OCTET STRING where the NULL parameter belongs",
        ),
    }
    for name, (mutate, line) in mutations.items():
        _mutated(f"{name}.cert.pem", mutate, f"server.cert.pem re-signed with {line}")
    _ecdsa_null_params()
    _csr_non_strict()


def _ecdsa_null_params() -> None:
    _openssl(
        "genpkey",
        "-algorithm",
        "EC",
        "-pkeyopt",
        "ec_paramgen_curve:P-256",
        "-out",
        OUT / "ec-ca.key.pem",
    )
    _describe("ec-ca.key.pem", "throwaway P-256 key of a second (ECDSA) compat test CA")
    _openssl(
        "req",
        "-x509",
        "-new",
        "-key",
        OUT / "ec-ca.key.pem",
        "-subj",
        "/CN=Compat ECDSA CA",
        "-days",
        "3650",
        "-out",
        OUT / "ec-ca.pem",
    )
    _describe("ec-ca.pem", "self-signed ECDSA compat test CA certificate")
    cert = _tree(_der_of(OUT / "server.cert.pem", "x509"))
    tbs = _children(_children(cert)[0])
    algorithm: Node = (0x30, [(0x06, bytes.fromhex("2a8648ce3d040302")), (0x05, b"")])
    tbs[2] = algorithm
    tbs[3] = _children(_children(_tree(_der_of(OUT / "ec-ca.pem", "x509")))[0])[5]  # subject
    key = _private_key(OUT / "ec-ca.key.pem")
    _write_signed("ecdsa-null-params.cert.pem", "CERTIFICATE", tbs, algorithm, key)
    _describe(
        "ecdsa-null-params.cert.pem",
        "server.cert.pem issued by ec-ca.pem with NULL parameters in its ecdsa-with-SHA256 AlgorithmIdentifiers",
    )


def _csr_non_strict() -> None:
    csr = _tree(_der_of(OUT / "server.csr.pem", "req"))
    info = _children(_children(csr)[0])
    _set_cn(info[1], (0x13, b"compat_host@example.test"))
    algorithm: Node = (0x30, [(0x06, bytes.fromhex("2a864886f70d01010b")), (0x05, b"")])
    _write_signed(
        "printablestring-invalid.csr.pem",
        "CERTIFICATE REQUEST",
        info,
        algorithm,
        _private_key(OUT / "server.key.pem"),
    )
    _describe(
        "printablestring-invalid.csr.pem",
        "server.csr.pem re-signed with its CN as a PrintableString holding '_' and '@'",
    )


# --- class 3: legacy-encrypted keys ----------------------------------------------------------


def _encrypted_keys() -> None:
    key = OUT / "server.key.pem"
    for cipher, name in (
        ("aes128", "AES-128-CBC"), ("aes192", "AES-192-CBC"), ("aes256", "AES-256-CBC"),
        ("des3", "DES-EDE3-CBC"), ("des", "DES-CBC"),
    ):  # fmt: skip
        out = f"legacy-{cipher}.key.pem"
        _openssl(
            "rsa",
            "-in",
            key,
            "-traditional",
            f"-{cipher}",
            "-passout",
            f"pass:{PASSWORD}",
            "-out",
            OUT / out,
            *LEGACY,
        )
        legacy = " (openssl reads it only with its legacy provider)" if cipher == "des" else ""
        _describe(
            out, f"server.key.pem as RSA PRIVATE KEY, Proc-Type: 4,ENCRYPTED with {name}{legacy}"
        )
    for cipher, name in (("des3", "DES-EDE3-CBC"), ("des-cbc", "DES-CBC")):
        out = f"pkcs8-pbes2-{cipher}.key.pem"
        _openssl(
            "pkcs8",
            "-topk8",
            "-in",
            key,
            "-v2",
            cipher,
            "-passout",
            f"pass:{PASSWORD}",
            "-out",
            OUT / out,
            *LEGACY,
        )
        legacy = " (openssl reads it only with its legacy provider)" if cipher == "des-cbc" else ""
        _describe(out, f"server.key.pem as ENCRYPTED PRIVATE KEY, PBES2/PBKDF2 with {name}{legacy}")
    out = "legacy-aria256.key.pem"
    _openssl(
        "rsa",
        "-in",
        key,
        "-traditional",
        "-aria256",
        "-passout",
        f"pass:{PASSWORD}",
        "-out",
        OUT / out,
    )
    _describe(
        out,
        "server.key.pem as Proc-Type: 4,ENCRYPTED with ARIA-256-CBC, a cipher certmatch cannot decrypt (it must say so, not 'wrong password')",
    )


# --- class 4: BER containers -------------------------------------------------------------------


def _ber_containers(work: Path) -> None:
    p7b = work / "chain.p7b"
    _openssl(
        "crl2pkcs7",
        "-nocrl",
        "-certfile",
        OUT / "server.cert.pem",
        "-certfile",
        OUT / "ca.pem",
        "-outform",
        "DER",
        "-out",
        p7b,
    )
    (OUT / "chain-ber.p7b").write_bytes(_indefinite(_tree(p7b.read_bytes()), depth=4))
    _describe(
        "chain-ber.p7b",
        "PKCS#7 bundle (server.cert.pem, ca.pem) re-encoded with BER indefinite lengths down to the certificate set, as Java and NSS write them",
    )
    p12 = work / "server.p12"
    _openssl(
        "pkcs12", "-export", "-inkey", OUT / "server.key.pem", "-in", OUT / "server.cert.pem",
        "-certfile", OUT / "ca.pem", "-passout", f"pass:{PASSWORD}", "-out", p12,
    )  # fmt: skip
    pfx = _tree(p12.read_bytes())
    (OUT / "server-ber.p12").write_bytes(_ber_pfx(pfx))
    _describe(
        "server-ber.p12",
        "PKCS#12 (server key, server.cert.pem, ca.pem) with BER indefinite lengths and a chunked OCTET STRING, as NSS/Firefox and Java write them",
    )


def _indefinite(node: Node, depth: int) -> bytes:
    """`node` with indefinite lengths on its constructed elements `depth` levels down."""
    tag, content = node
    if depth == 0 or isinstance(content, bytes):
        return _encode(node)
    inner = b"".join(_indefinite(child, depth - 1) for child in content)
    return bytes([tag, 0x80]) + inner + b"\x00\x00"


def _ber_pfx(pfx: Node) -> bytes:
    version, auth_safe, mac = _children(pfx)
    oid, explicit = _children(auth_safe)
    octets = _children(explicit)[0][1]
    assert isinstance(octets, bytes)
    chunks = b"".join(_encode((0x04, octets[i : i + 512])) for i in range(0, len(octets), 512))
    chunked = b"\x24\x80" + chunks + b"\x00\x00"  # constructed OCTET STRING, indefinite
    content_info = b"\x30\x80" + _encode(oid) + b"\xa0\x80" + chunked + b"\x00\x00" + b"\x00\x00"
    return b"\x30\x80" + _encode(version) + content_info + _encode(mac) + b"\x00\x00"


# --- class 5: key types --------------------------------------------------------------------


def _key_types(work: Path) -> None:
    for name in ("x25519", "x448"):
        key = OUT / f"{name}.key.pem"
        _openssl("genpkey", "-algorithm", name.upper(), "-out", key)
        _describe(f"{name}.key.pem", f"throwaway {name.upper()} key (PKCS#8 PRIVATE KEY)")
        _openssl("pkey", "-in", key, "-pubout", "-out", OUT / f"{name}.pub.pem")
        _describe(f"{name}.pub.pem", f"the public half of {name}.key.pem")
        # An X25519/X448 key cannot sign its own CSR: the CA's CSR carries the subject and
        # openssl's -force_pubkey puts the X key into the certificate.
        csr = work / f"{name}.csr.pem"
        _csr(OUT / "ca.key.pem", csr, f"/CN={name}.example.test")
        _sign(work, csr, OUT / f"{name}.cert.pem", "-force_pubkey", OUT / f"{name}.pub.pem")
        _describe(
            f"{name}.cert.pem",
            f"certificate for {name}.pub.pem issued by ca.pem (key agreement keys sign nothing, so no CSR)",
        )
    _p521_short_scalar()
    _ml_dsa()


def _p521_short_scalar() -> None:
    """A P-521 key whose private scalar is written in 65 bytes (its leading zero byte dropped)."""
    for _ in range(64):
        key = ec.generate_private_key(ec.SECP521R1())
        scalar = key.private_numbers().private_value.to_bytes(66, "big")
        if scalar[0] == 0:
            break
    else:
        sys.exit("no P-521 key with a leading zero byte in 64 tries")
    sec1 = _tree(
        key.private_bytes(
            serialization.Encoding.DER,
            serialization.PrivateFormat.TraditionalOpenSSL,
            serialization.NoEncryption(),
        )
    )
    _children(sec1)[1] = (0x04, scalar[1:])
    _pem_file("p521-short-scalar.key.pem", "EC PRIVATE KEY", _encode(sec1))
    _describe(
        "p521-short-scalar.key.pem",
        "throwaway P-521 key (SEC1) with a 65-byte private scalar, as some libraries write a scalar with a leading zero byte",
    )
    public = key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    (OUT / "p521-short-scalar.pub.pem").write_bytes(public)
    _describe("p521-short-scalar.pub.pem", "the public half of p521-short-scalar.key.pem")


def _ml_dsa() -> None:
    """An ML-DSA-44 certificate (openssl 3.0 does not know the algorithm; certmatch must say so)."""
    spki: Node = (
        0x30,
        [(0x30, [(0x06, bytes.fromhex("608648016503040311"))]), (0x03, b"\x00" + bytes(1312))],
    )
    cert = _tree(_der_of(OUT / "server.cert.pem", "x509"))
    tbs = _children(_children(cert)[0])
    tbs[6] = spki
    algorithm: Node = (0x30, [(0x06, bytes.fromhex("2a864886f70d01010b")), (0x05, b"")])
    _write_signed(
        "ml-dsa.cert.pem", "CERTIFICATE", tbs, algorithm, _private_key(OUT / "ca.key.pem")
    )
    _describe(
        "ml-dsa.cert.pem",
        "a certificate issued by ca.pem for an ML-DSA-44 key (an all-zero public key): an unsupported key type",
    )


# --- class 6: the small ones ---------------------------------------------------------------


def _small_ones(work: Path) -> None:
    empty = work / "empty.p7b"
    _openssl("crl2pkcs7", "-nocrl", "-out", empty)
    (OUT / "empty.p7b.pem").write_bytes(empty.read_bytes())
    _describe(
        "empty.p7b.pem", "bad: a PEM PKCS#7 bundle with no certificates (openssl crl2pkcs7 -nocrl)"
    )
    _openssl(
        "pkcs12",
        "-export",
        "-nokeys",
        "-in",
        OUT / "server.cert.pem",
        "-passout",
        "pass:",
        "-out",
        OUT / "cert-only.p12",
    )
    _describe(
        "cert-only.p12", "a PKCS#12 whose only content is server.cert.pem (no key), empty password"
    )
    # An RSA-4096 certificate's `-text` preamble runs past the first 4 KiB, where certmatch
    # looked for armour before deciding that control bytes mean binary data.
    big = work / "rsa4096.key.pem"
    _openssl("genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:4096", "-out", big)
    _csr(big, work / "rsa4096.csr.pem", "/CN=text-dump.example.test")
    _sign(work, work / "rsa4096.csr.pem", work / "rsa4096.cert.pem")
    text = subprocess.run(
        ["openssl", "x509", "-in", work / "rsa4096.cert.pem", "-text"],
        check=True,
        capture_output=True,
    ).stdout
    # Control bytes (an escape sequence and a BEL, as a terminal log captures them) at the top.
    text = text.replace(b"Certificate:\n", b"Certificate:\x1b[0m\x07\n", 1)
    (OUT / "text-preamble-control.cert.pem").write_bytes(text)
    _describe(
        "text-preamble-control.cert.pem",
        "`openssl x509 -text` output of a certificate for a throwaway RSA-4096 key (CN=text-dump.example.test), with an escape sequence and a BEL byte in the preamble, which runs past 4 KiB before the PEM block",
    )


# --- DER helpers -----------------------------------------------------------------------------


def _tree(der: bytes) -> Node:
    node, end = _parse(der, 0)
    assert end == len(der), "trailing data"
    return node


def _parse(der: bytes, pos: int) -> tuple[Node, int]:
    tag, first = der[pos], der[pos + 1]
    pos += 2
    if first & 0x80:
        count = first & 0x7F
        length = int.from_bytes(der[pos : pos + count], "big")
        pos += count
    else:
        length = first
    end = pos + length
    if not tag & 0x20:
        return (tag, der[pos:end]), end
    children = []
    while pos < end:
        child, pos = _parse(der, pos)
        children.append(child)
    return (tag, children), end


def _encode(node: Node) -> bytes:
    tag, content = node
    body = content if isinstance(content, bytes) else b"".join(_encode(c) for c in content)
    if len(body) < 0x80:
        return bytes([tag, len(body)]) + body
    size = len(body).to_bytes((len(body).bit_length() + 7) // 8, "big")
    return bytes([tag, 0x80 | len(size)]) + size + body


def _children(node: Node) -> list[Node]:
    content = node[1]
    assert isinstance(content, list)
    return content


def _extension(tbs: list[Node], oid_hex: str) -> list[Node]:
    """The fields of one extension of a TBSCertificate (extnID, [critical], extnValue)."""
    for extension in _children(_children(tbs[7])[0]):
        fields = _children(extension)
        if fields[0] == (0x06, bytes.fromhex(oid_hex)):
            return fields
    raise KeyError(oid_hex)


def _set_cn(name: Node, value: Node) -> None:
    for rdn in _children(name):
        for attribute in _children(rdn):
            fields = _children(attribute)
            if fields[0] == (0x06, bytes.fromhex("550403")):
                fields[1] = value


def _mutated(out: str, mutate: object, line: str) -> None:
    cert = _tree(_der_of(OUT / "server.cert.pem", "x509"))
    outer = _children(cert)
    tbs = _children(outer[0])
    assert callable(mutate)
    mutate(tbs)
    _write_signed(out, "CERTIFICATE", tbs, outer[1], _private_key(OUT / "ca.key.pem"))
    _describe(out, line)


def _write_signed(
    out: str, label: str, tbs: list[Node], algorithm: Node, key: PrivateKeyTypes
) -> None:
    body = _encode((0x30, tbs))
    if isinstance(key, rsa.RSAPrivateKey):
        signature = key.sign(body, padding.PKCS1v15(), hashes.SHA256())
    else:
        assert isinstance(key, ec.EllipticCurvePrivateKey)
        signature = key.sign(body, ec.ECDSA(hashes.SHA256()))
    der = _encode((0x30, [(0x30, tbs), algorithm, (0x03, b"\x00" + signature)]))
    _pem_file(out, label, der)


def _pem_file(out: str, label: str, der: bytes) -> None:
    import base64

    body = base64.encodebytes(der).decode("ascii").replace("\n", "")
    lines = [body[i : i + 64] for i in range(0, len(body), 64)]
    text = f"-----BEGIN {label}-----\n" + "\n".join(lines) + f"\n-----END {label}-----\n"
    (OUT / out).write_text(text)


def _private_key(path: Path) -> PrivateKeyTypes:
    return serialization.load_pem_private_key(path.read_bytes(), None)


def _der_of(path: Path, command: str, *extra: str) -> bytes:
    return subprocess.run(
        ["openssl", command, "-in", str(path), *extra, "-outform", "DER"],
        check=True,
        capture_output=True,
    ).stdout


def _openssl(*args: object) -> None:
    subprocess.run(["openssl", *map(str, args)], check=True, capture_output=True)


def _describe(name: str, line: str) -> None:
    README[name] = line


def _write_readme() -> None:
    lines = [
        "# Compatibility vectors (issue 11)",
        "",
        "Written by `tests/vectors/generate_compat.py`. Files that the openssl 3 CLI reads (except",
        "where a line says otherwise) and that a strict DER reader refuses, or whose SPKI pin is",
        "openssl's re-encoding rather than the bytes as stored. Every key is a **throwaway** test",
        f"key. Password for every encrypted key and PKCS#12: `{PASSWORD}`.",
        "",
    ]
    lines += [f"- `{name}`: {README[name]}" for name in sorted(README)]
    (OUT / "README.md").write_text("\n".join(lines) + "\n")
    listed = set(README) | {"README.md"}
    stray = sorted(p.name for p in OUT.iterdir() if p.name not in listed)
    if stray:
        sys.exit(f"undescribed vectors: {stray}")


if __name__ == "__main__":
    main()
