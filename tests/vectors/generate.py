"""Generate the loader vectors in tests/vectors/ with the openssl CLI (throwaway keys only).

Run from the repository root: `.venv/bin/python tests/vectors/generate.py`. Every run makes new
keys, so every key-dependent file changes; commit them together. Names, subjects, serials,
passwords and the damage applied to the bad-input vectors are fixed, so tests can rely on them.
Each file is described by one line in tests/vectors/README.md (written by this script too).
The Cisco UC vectors in uc/ come from generate_uc.py, not from here.

The large bad inputs (a 6 MB pile of PEM, a PKCS#7 with thousands of certificates) are built
at test time by `pem_pile()` and `pkcs7_with_certificates()` below, not committed.
"""

from __future__ import annotations

import base64
import hashlib
import random
import re
import subprocess
import tempfile
from collections.abc import Callable
from pathlib import Path

OUT = Path(__file__).resolve().parent

PKCS8_PASSWORD = "throwaway-pkcs8"
LEGACY_PASSWORD = "throwaway-legacy"
P12_PASSWORD = "throwaway-p12"

SERVER_SUBJECT = "/C=AU/ST=NSW/L=Sydney/O=Example Corp/OU=Voice/CN=cucm-pub.example.test"
SERVER_SANS = "DNS:cucm-pub.example.test,DNS:cucm-pub,IP:10.0.0.10"
SERVER_EXTS = (
    f"subjectAltName={SERVER_SANS}",
    "keyUsage=critical,digitalSignature,keyEncipherment",
    "extendedKeyUsage=serverAuth,clientAuth",
)
LEAF_EXTFILE = """\
[leaf]
basicConstraints=critical,CA:FALSE
subjectKeyIdentifier=hash
authorityKeyIdentifier=keyid
"""
CA_EXTFILE = """\
[root]
basicConstraints=critical,CA:TRUE
keyUsage=critical,keyCertSign,cRLSign
subjectKeyIdentifier=hash
[intermediate]
basicConstraints=critical,CA:TRUE,pathlen:0
keyUsage=critical,keyCertSign,cRLSign
subjectKeyIdentifier=hash
authorityKeyIdentifier=keyid
"""

# name -> (genpkey arguments, subject CN); every other key type beside the RSA server.
KEY_TYPES: dict[str, tuple[list[str], str]] = {
    "ec-p256": (["-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256"], "ec256"),
    "ec-p384": (["-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-384"], "ec384"),
    "ec-p521": (["-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-521"], "ec521"),
    "ed25519": (["-algorithm", "ED25519"], "ed25519"),
    "ed448": (["-algorithm", "ED448"], "ed448"),
    "dsa": ([], "dsa"),  # from DSA parameters, see _dsa_key
    "rsa-pss": (["-algorithm", "RSA-PSS", "-pkeyopt", "rsa_keygen_bits:2048"], "rsapss"),
}

README: dict[str, str] = {}


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        _rsa_pki(work)
        _label_variants(work)
        _bundles(work)
        _encrypted_keys(work)
        for name in KEY_TYPES:
            _other_key_type(work, name)
        _pasted_text()
        _hash_lines()
        _bad_inputs()
    _write_readme()


# --- the RSA PKI: root, intermediate, server certificate, its CSR and key ----------------------


def _rsa_pki(work: Path) -> None:
    _openssl(
        "genpkey",
        "-algorithm",
        "RSA",
        "-pkeyopt",
        "rsa_keygen_bits:2048",
        "-out",
        OUT / "root-ca.key.pem",
    )
    _openssl(
        "req",
        "-new",
        "-x509",
        "-key",
        OUT / "root-ca.key.pem",
        "-subj",
        "/O=Example Corp/CN=Example Test Root CA",
        "-days",
        "7300",
        "-sha256",
        "-set_serial",
        "1",
        "-config",
        _file(work, "ca.cnf", CA_EXTFILE + _REQ_CONFIG),
        "-extensions",
        "root",
        "-out",
        OUT / "root-ca.pem",
    )
    _describe(
        "root-ca.key.pem",
        "throwaway RSA-2048 key of the test root CA (PKCS#8 PRIVATE KEY), for signing more vectors",
    )
    _describe("root-ca.pem", "self-signed RSA root CA certificate, CN=Example Test Root CA")
    _der("x509", "root-ca.pem", "root-ca.der")
    _describe("root-ca.der", "DER twin of root-ca.pem")

    _openssl(
        "genpkey",
        "-algorithm",
        "RSA",
        "-pkeyopt",
        "rsa_keygen_bits:2048",
        "-out",
        OUT / "intermediate-ca.key.pem",
    )
    _openssl(
        "req",
        "-new",
        "-key",
        OUT / "intermediate-ca.key.pem",
        "-subj",
        "/O=Example Corp/CN=Example Test Issuing CA",
        "-out",
        work / "intermediate.csr",
    )
    _sign(
        work,
        work / "intermediate.csr",
        "root-ca",
        "intermediate-ca.pem",
        serial="4096",
        extfile=_file(work, "ca.ext", CA_EXTFILE),
        section="intermediate",
        days="5475",
    )
    _describe(
        "intermediate-ca.key.pem", "throwaway RSA-2048 key of the issuing CA (PKCS#8 PRIVATE KEY)"
    )
    _describe(
        "intermediate-ca.pem",
        "intermediate (issuing) CA certificate, CN=Example Test Issuing CA, signed by root-ca.pem",
    )
    _der("x509", "intermediate-ca.pem", "intermediate-ca.der")
    _describe("intermediate-ca.der", "DER twin of intermediate-ca.pem")

    _openssl(
        "genpkey",
        "-algorithm",
        "RSA",
        "-pkeyopt",
        "rsa_keygen_bits:2048",
        "-out",
        OUT / "server.key.pem",
    )
    _csr(OUT / "server.key.pem", "server.csr.pem")
    _sign(work, OUT / "server.csr.pem", "intermediate-ca", "server.cert.pem", serial="1001")
    _describe(
        "server.key.pem",
        "throwaway RSA-2048 key of the server (PKCS#8 PRIVATE KEY); server.csr.pem was made with it",
    )
    _describe(
        "server.csr.pem",
        f"CSR for CN=cucm-pub.example.test, SANs {SERVER_SANS}, serverAuth+clientAuth (CERTIFICATE REQUEST)",
    )
    _describe(
        "server.cert.pem",
        "server certificate issued by intermediate-ca.pem for server.csr.pem: same key, same SANs/EKU (the matching pair)",
    )
    _der("req", "server.csr.pem", "server.csr.der")
    _der("x509", "server.cert.pem", "server.cert.der")
    _describe("server.csr.der", "DER twin of server.csr.pem")
    _describe("server.cert.der", "DER twin of server.cert.pem")
    _openssl(
        "pkey", "-in", OUT / "server.key.pem", "-outform", "DER", "-out", OUT / "server.key.der"
    )
    _describe("server.key.der", "DER twin of server.key.pem (PKCS#8)")
    _openssl(
        "rsa", "-in", OUT / "server.key.pem", "-traditional", "-out", OUT / "server-pkcs1.key.pem"
    )
    _describe(
        "server-pkcs1.key.pem",
        "the server key as RSA PRIVATE KEY (PKCS#1, traditional OpenSSL form)",
    )
    _openssl(
        "rsa",
        "-in",
        OUT / "server.key.pem",
        "-traditional",
        "-outform",
        "DER",
        "-out",
        OUT / "server-pkcs1.key.der",
    )
    _describe("server-pkcs1.key.der", "DER twin of server-pkcs1.key.pem")
    _openssl("pkey", "-in", OUT / "server.key.pem", "-pubout", "-out", OUT / "server.pub.pem")
    _describe("server.pub.pem", "the server's public key as PUBLIC KEY (SubjectPublicKeyInfo)")
    _openssl(
        "pkey",
        "-in",
        OUT / "server.key.pem",
        "-pubout",
        "-outform",
        "DER",
        "-out",
        OUT / "server.pub.der",
    )
    _describe("server.pub.der", "DER twin of server.pub.pem")
    _openssl(
        "rsa",
        "-in",
        OUT / "server.key.pem",
        "-RSAPublicKey_out",
        "-out",
        OUT / "server-pkcs1.pub.pem",
    )
    _describe("server-pkcs1.pub.pem", "the server's public key as RSA PUBLIC KEY (PKCS#1)")
    _openssl(
        "rsa",
        "-in",
        OUT / "server.key.pem",
        "-RSAPublicKey_out",
        "-outform",
        "DER",
        "-out",
        OUT / "server-pkcs1.pub.der",
    )
    _describe("server-pkcs1.pub.der", "DER twin of server-pkcs1.pub.pem")

    _openssl(
        "genpkey",
        "-algorithm",
        "RSA",
        "-pkeyopt",
        "rsa_keygen_bits:2048",
        "-out",
        OUT / "server-regenerated.key.pem",
    )
    _csr(OUT / "server-regenerated.key.pem", "server-regenerated.csr.pem")
    _der("req", "server-regenerated.csr.pem", "server-regenerated.csr.der")
    _describe(
        "server-regenerated.key.pem",
        "throwaway RSA-2048 key made when the CSR was regenerated (does NOT match server.cert.pem)",
    )
    _describe(
        "server-regenerated.csr.pem",
        "a second CSR for the same subject and SANs with a different key: the regenerated-CSR mismatch against server.cert.pem",
    )
    _describe("server-regenerated.csr.der", "DER twin of server-regenerated.csr.pem")
    _legacy_csrs()


def _legacy_csrs() -> None:
    # Older CUCM releases sign CSRs with SHA-1; OpenSSL 3 refuses to verify those by policy.
    adds = [arg for ext in SERVER_EXTS for arg in ("-addext", ext)]
    for digest in ("sha1", "md5"):
        _openssl(
            "req",
            "-new",
            "-key",
            OUT / "server.key.pem",
            "-subj",
            SERVER_SUBJECT,
            *adds,
            f"-{digest}",
            "-out",
            OUT / f"server-{digest}.csr.pem",
        )
        _describe(
            f"server-{digest}.csr.pem",
            f"server.csr.pem's request signed with {digest.upper()}WithRSA (valid self-signature)",
        )
    der = bytearray(_der_bytes("req", "server-sha1.csr.pem"))
    der[-1] ^= 0x01  # last byte of the signature
    (OUT / "server-sha1-bad-signature.csr.der").write_bytes(bytes(der))
    _describe(
        "server-sha1-bad-signature.csr.der",
        "server-sha1.csr.pem in DER with one signature bit flipped (self-signature invalid)",
    )


def _label_variants(work: Path) -> None:
    del work
    _relabel("server.cert.pem", "server-x509-label.cert.pem", "CERTIFICATE", "X509 CERTIFICATE")
    _describe("server-x509-label.cert.pem", "server.cert.pem under the old label X509 CERTIFICATE")
    _relabel(
        "server.csr.pem",
        "server-new-label.csr.pem",
        "CERTIFICATE REQUEST",
        "NEW CERTIFICATE REQUEST",
    )
    _describe(
        "server-new-label.csr.pem",
        "server.csr.pem under the label NEW CERTIFICATE REQUEST (as Windows and Java tools write it)",
    )
    _openssl(
        "x509",
        "-in",
        OUT / "server.cert.pem",
        "-trustout",
        "-addtrust",
        "serverAuth",
        "-setalias",
        "cucm-pub",
        "-out",
        OUT / "server-trusted.cert.pem",
    )
    _describe(
        "server-trusted.cert.pem",
        "server.cert.pem as TRUSTED CERTIFICATE (openssl -trustout: trust settings appended after the certificate)",
    )


def _bundles(work: Path) -> None:
    server, intermediate, root = (
        _read(f"{n}.pem") for n in ("server.cert", "intermediate-ca", "root-ca")
    )
    _write("fullchain.pem", server + intermediate + root)
    _describe("fullchain.pem", "server, intermediate and root certificates, in that order")
    _write("chain-out-of-order.pem", root + server + intermediate)
    _describe(
        "chain-out-of-order.pem",
        "root, server, intermediate: the same chain in the wrong file order",
    )
    _write(
        "mixed-kinds.pem",
        intermediate + _read("server.csr.pem") + root + _read("server.pub.pem") + server,
    )
    _describe(
        "mixed-kinds.pem",
        "five blocks of mixed kinds: intermediate, server CSR, root, server PUBLIC KEY, server certificate",
    )
    _write("server-cert-and-key.pem", server + intermediate + _read("server-pkcs1.key.pem"))
    _describe(
        "server-cert-and-key.pem",
        "server certificate, intermediate and the server's RSA PRIVATE KEY in one file (haproxy style)",
    )
    # As AD CS hands them out: a PKCS#7 certificate bundle, here with the certificates out of order.
    _openssl(
        "crl2pkcs7",
        "-nocrl",
        "-certfile",
        OUT / "intermediate-ca.pem",
        "-certfile",
        OUT / "root-ca.pem",
        "-certfile",
        OUT / "server.cert.pem",
        "-outform",
        "DER",
        "-out",
        OUT / "chain.p7b",
    )
    _describe(
        "chain.p7b",
        "DER PKCS#7 (openssl crl2pkcs7) with intermediate, root, server: certificates out of order",
    )
    _openssl(
        "crl2pkcs7",
        "-nocrl",
        "-certfile",
        OUT / "intermediate-ca.pem",
        "-certfile",
        OUT / "root-ca.pem",
        "-certfile",
        OUT / "server.cert.pem",
        "-out",
        OUT / "chain.p7b.pem",
    )
    _describe("chain.p7b.pem", "PEM twin of chain.p7b (label PKCS7)")
    _openssl(
        "crl2pkcs7",
        "-nocrl",
        "-certfile",
        OUT / "server.cert.pem",
        "-outform",
        "DER",
        "-out",
        OUT / "server-only.p7b",
    )
    _adcs_base64_chain()
    _describe("server-only.p7b", "DER PKCS#7 holding only the server certificate")
    chain = _file(work, "chain.pem", intermediate + root)
    _openssl(
        "pkcs12",
        "-export",
        "-inkey",
        OUT / "server.key.pem",
        "-in",
        OUT / "server.cert.pem",
        "-certfile",
        chain,
        "-name",
        "cucm-pub",
        "-passout",
        "pass:",
        "-out",
        OUT / "server-nopass.p12",
    )
    _describe(
        "server-nopass.p12",
        "PKCS#12 with the server key, server certificate and chain, empty password",
    )
    _openssl(
        "pkcs12",
        "-export",
        "-inkey",
        OUT / "server.key.pem",
        "-in",
        OUT / "server.cert.pem",
        "-certfile",
        chain,
        "-name",
        "cucm-pub",
        "-passout",
        f"pass:{P12_PASSWORD}",
        "-out",
        OUT / "server-password.p12",
    )
    _describe("server-password.p12", f"the same PKCS#12 protected by the password '{P12_PASSWORD}'")


def _adcs_base64_chain() -> None:
    # AD CS web enrolment, "Download certificate chain" + "Base 64 encoded": a PKCS#7 bundle
    # armoured as CERTIFICATE (openssl pkcs7 refuses it until the label is changed).
    _write(
        "adcs-chain-base64.p7b", _read("chain.p7b.pem").replace("PKCS7-----", "CERTIFICATE-----")
    )
    _describe(
        "adcs-chain-base64.p7b",
        "chain.p7b.pem under the label CERTIFICATE, as AD CS hands out a Base64 certificate chain",
    )


def _encrypted_keys(work: Path) -> None:
    del work
    _openssl(
        "pkcs8",
        "-topk8",
        "-in",
        OUT / "server.key.pem",
        "-v2",
        "aes-256-cbc",
        "-passout",
        f"pass:{PKCS8_PASSWORD}",
        "-out",
        OUT / "server-encrypted-pkcs8.key.pem",
    )
    _describe(
        "server-encrypted-pkcs8.key.pem",
        f"the server key as ENCRYPTED PRIVATE KEY, password '{PKCS8_PASSWORD}'",
    )
    _openssl(
        "pkcs8",
        "-topk8",
        "-in",
        OUT / "server.key.pem",
        "-v2",
        "aes-256-cbc",
        "-passout",
        f"pass:{PKCS8_PASSWORD}",
        "-outform",
        "DER",
        "-out",
        OUT / "server-encrypted-pkcs8.key.der",
    )
    _describe(
        "server-encrypted-pkcs8.key.der",
        f"DER twin of server-encrypted-pkcs8.key.pem (password '{PKCS8_PASSWORD}')",
    )
    _openssl(
        "rsa",
        "-in",
        OUT / "server.key.pem",
        "-traditional",
        "-aes256",
        "-passout",
        f"pass:{LEGACY_PASSWORD}",
        "-out",
        OUT / "server-encrypted-legacy.key.pem",
    )
    _describe(
        "server-encrypted-legacy.key.pem",
        f"the server key as legacy RSA PRIVATE KEY with Proc-Type: 4,ENCRYPTED / DEK-Info, password '{LEGACY_PASSWORD}'",
    )


def _other_key_type(work: Path, name: str) -> None:
    args, cn = KEY_TYPES[name]
    key = OUT / f"{name}.key.pem"
    if name == "dsa":
        params = work / "dsa-params.pem"
        _openssl(
            "genpkey",
            "-genparam",
            "-algorithm",
            "DSA",
            "-pkeyopt",
            "dsa_paramgen_bits:2048",
            "-out",
            params,
        )
        _openssl("genpkey", "-paramfile", params, "-out", key)
    else:
        _openssl("genpkey", *args, "-out", key)
    label = {"rsa-pss": "RSA-PSS"}.get(name, name.upper().replace("EC-", "EC ").replace("ED", "Ed"))
    _describe(f"{name}.key.pem", f"throwaway {label} key (PKCS#8 PRIVATE KEY)")
    subject = f"/O=Example Corp/CN={cn}.example.test"
    _openssl(
        "req",
        "-new",
        "-key",
        key,
        "-subj",
        subject,
        "-addext",
        f"subjectAltName=DNS:{cn}.example.test",
        "-addext",
        "extendedKeyUsage=serverAuth",
        "-out",
        OUT / f"{name}.csr.pem",
    )
    _describe(f"{name}.csr.pem", f"CSR for CN={cn}.example.test made with {name}.key.pem")
    _sign(
        work,
        OUT / f"{name}.csr.pem",
        "intermediate-ca",
        f"{name}.cert.pem",
        serial=str(2000 + len(README)),
    )
    _describe(
        f"{name}.cert.pem",
        f"certificate for {name}.csr.pem's key, issued by intermediate-ca.pem (RSA signature)",
    )
    _der("req", f"{name}.csr.pem", f"{name}.csr.der")
    _der("x509", f"{name}.cert.pem", f"{name}.cert.der")
    _describe(f"{name}.csr.der", f"DER twin of {name}.csr.pem")
    _describe(f"{name}.cert.der", f"DER twin of {name}.cert.pem")
    _openssl("pkey", "-in", key, "-pubout", "-out", OUT / f"{name}.pub.pem")
    _describe(f"{name}.pub.pem", f"the public half of {name}.key.pem (PUBLIC KEY)")
    _openssl("pkey", "-in", key, "-outform", "DER", "-out", OUT / f"{name}.key.der")
    _describe(f"{name}.key.der", f"DER twin of {name}.key.pem")
    if name == "ec-p256":
        _openssl("ec", "-in", key, "-out", OUT / "ec-p256-sec1.key.pem")
        _describe(
            "ec-p256-sec1.key.pem", "ec-p256.key.pem as EC PRIVATE KEY (SEC1, traditional form)"
        )
        _write(
            "ec-p256-with-params.key.pem",
            _openssl_out("ecparam", "-name", "prime256v1") + _read("ec-p256-sec1.key.pem"),
        )
        _describe(
            "ec-p256-with-params.key.pem",
            "EC PARAMETERS block followed by the EC PRIVATE KEY (as `openssl ecparam -genkey` writes)",
        )
    if name == "dsa":
        _openssl("dsa", "-in", key, "-out", OUT / "dsa-traditional.key.pem")
        _describe("dsa-traditional.key.pem", "dsa.key.pem as DSA PRIVATE KEY (traditional form)")


# --- text that went through chat and e-mail -----------------------------------------------------


def _pasted_text() -> None:
    csr, cert = _read("server.csr.pem"), _read("server.cert.pem")
    zwsp, nbsp = "\u200b", "\u00a0"
    mangled_csr = csr.replace("-----", "\u2014\u2013", 1).replace("-----", "\u2013\u2013\u2013", 1)
    mangled_csr = mangled_csr.replace("-----", "\u2014\u2014", 1).replace(
        "-----", "\u2013\u2014", 1
    )
    lines = _body_lines(cert)
    body = "\n".join(
        ("    " if i % 3 == 0 else "")
        + line[:10]
        + (zwsp if i % 4 == 0 else "")
        + line[10:]
        + (" " if i % 2 else "")
        for i, line in enumerate(lines)
    )
    text = (
        f"Hi team,{nbsp}the CA sent this back:\n```\n-----BEGIN CERTIFICATE-----\n{body}\n-----END CERTIFICATE-----\n```\n"
        f"and this is the CSR we{nbsp}submitted last week:\n```{mangled_csr}```\nDoes it match? Thanks!\n"
    )
    _write("pasted-chat-mangled.txt", text)
    _describe(
        "pasted-chat-mangled.txt",
        "server.cert.pem and server.csr.pem in chat prose: ``` fences, en/em dashes in the armour, zero-width and non-breaking spaces, indentation, trailing spaces",
    )

    rewrapped = _rewrap(cert, 76)
    quoted = "".join(f"> {line}\r\n" for line in rewrapped.splitlines())
    _write(
        "pasted-email-quoted.txt",
        f"Please see the certificate below.\r\n\r\nOn Monday the CA wrote:\r\n{quoted}> \r\n> Regards, PKI team\r\n",
    )
    _describe(
        "pasted-email-quoted.txt",
        "server.cert.pem quoted in an e-mail reply: CRLF, '> ' quote markers, base64 wrapped at 76",
    )

    escaped = (
        "&gt; "
        + csr.replace("\n", " ")
        + "\n&gt; from AT&amp;T's portal &lt;https://ca.example.test&gt;\n"
    )
    _write("pasted-slack-escaped.txt", escaped)
    _describe(
        "pasted-slack-escaped.txt",
        "server.csr.pem as Slack delivers a quoted paste: &gt; &amp; &lt; entities, all newlines turned into spaces",
    )

    _write("bare-base64.csr.txt", "".join(line + "\n" for line in _body_lines(csr)))
    _describe(
        "bare-base64.csr.txt",
        "the body of server.csr.pem without BEGIN/END lines (copied out of a CA web form), 64 wide",
    )
    _write("bare-base64-oneline.cert.txt", "".join(_body_lines(cert)) + "\n")
    _describe("bare-base64-oneline.cert.txt", "the body of server.cert.pem on one line, no armour")
    _write("pem-crlf.cert.pem", cert.replace("\n", "\r\n"))
    _describe("pem-crlf.cert.pem", "server.cert.pem with Windows (CRLF) line endings")
    _write("pem-ctrl-z.cert.pem", cert + "\x1a")
    _describe("pem-ctrl-z.cert.pem", "server.cert.pem followed by a DOS end-of-file (^Z) byte")
    utf16 = ("\ufeff" + cert.replace("\n", "\r\n")).encode("utf-16-le")
    (OUT / "pem-utf16.cert.pem").write_bytes(utf16)
    _describe(
        "pem-utf16.cert.pem",
        "server.cert.pem saved as UTF-16 LE with a byte order mark (PowerShell `>`)",
    )


def _hash_lines() -> None:
    modulus = _openssl_out("x509", "-in", OUT / "server.cert.pem", "-noout", "-modulus")
    md5 = hashlib.md5(modulus.encode("ascii")).hexdigest()
    regenerated = _openssl_out(
        "req", "-in", OUT / "server-regenerated.csr.pem", "-noout", "-modulus"
    )
    regenerated_md5 = hashlib.md5(regenerated.encode("ascii")).hexdigest()
    cases = {
        "hash-md5-stdin.txt": (
            f"MD5(stdin)= {md5}\n",
            "the server key's modulus md5 as OpenSSL 3 prints it (MD5(stdin)= ...)",
        ),
        "hash-stdin-openssl1.txt": (
            f"(stdin)= {md5}\n",
            "the same md5 as OpenSSL 1.x prints it ((stdin)= ...)",
        ),
        "hash-modulus-line.txt": (
            modulus,
            "the server's raw `openssl x509 -noout -modulus` line (Modulus=<HEX>)",
        ),
        "hash-shell-transcript.txt": (
            "[root@cucm-pub keys]# openssl rsa -noout -modulus -in tomcat_priv.pem | openssl md5\n"
            f"{md5}\n[root@cucm-pub keys]#\n",
            "a root shell transcript: the command with -in tomcat_priv.pem, then a bare md5 line (OpenSSL 0.9.8 style)",
        ),
        "hash-md5-regenerated.txt": (
            f"MD5(stdin)= {regenerated_md5}\n",
            "modulus md5 of server-regenerated.key.pem (does NOT match server.cert.pem)",
        ),
        "hash-not-modulus-x509.txt": (
            "MD5(stdin)= baf59ff7f5b05fde6799439b6f31a290\n",
            "md5 of 'Modulus=No modulus for this public key type' (x509 -modulus on a non-RSA key): not a modulus",
        ),
        "hash-not-modulus-req.txt": (
            f"(stdin)= {hashlib.md5(b'Modulus=Wrong Algorithm type' + bytes([10])).hexdigest()}\n",
            "md5 of 'Modulus=Wrong Algorithm type' (req -modulus on a non-RSA key): not a modulus",
        ),
        "hash-not-modulus-empty.txt": (
            "MD5(stdin)= d41d8cd98f00b204e9800998ecf8427e\n",
            "md5 of empty input (`openssl rsa -modulus` on a non-RSA key prints nothing): not a modulus",
        ),
        "hash-modulus-error-line.txt": (
            _openssl_out("x509", "-in", OUT / "ec-p256.cert.pem", "-noout", "-modulus"),
            "the raw line `openssl x509 -noout -modulus` prints for an EC certificate (Modulus=No modulus ...)",
        ),
        "hash-text-dump-csr.txt": (
            _openssl_out("req", "-in", OUT / "server.csr.pem", "-noout", "-text"),
            "`openssl req -noout -text` of server.csr.pem: the modulus as colon-separated hex, no PEM",
        ),
        "hash-inline-markup.txt": (
            f"the server says `MD5(stdin)= {md5}` for tomcat_priv.pem\n",
            "the server md5 line inline in a chat sentence, inside `code` marks",
        ),
        "hash-sha256-line.txt": (
            "SHA2-256(stdin)= " + hashlib.sha256(b"not a real pin").hexdigest() + "\n",
            "a SHA-256 dgst line, which certmatch does not take as a comparison target",
        ),
    }
    for name, (text, line) in cases.items():
        _write(name, text)
        _describe(name, line)


# --- inputs that must be rejected, each with a clear message -------------------------------------


def _bad_inputs() -> None:
    rng = random.Random(20261127)
    cert, csr = _read("server.cert.pem"), _read("server.csr.pem")
    _write("empty.pem", "")
    _describe("empty.pem", "bad: zero bytes")
    _write("whitespace-only.txt", " \n\t\n  \n")
    _describe("whitespace-only.txt", "bad: only spaces, tabs and newlines")
    _write(
        "prose-only.txt",
        "Hi, can someone check whether the CA-signed cert matches the CSR I sent yesterday?\n",
    )
    _describe("prose-only.txt", "bad: a chat message with no certificate, CSR, key or hash in it")
    (OUT / "random-bytes.bin").write_bytes(bytes(rng.randrange(256) for _ in range(2048)))
    _describe("random-bytes.bin", "bad: 2048 seeded random bytes")
    (OUT / "random-bytes-der-header.bin").write_bytes(
        b"\x30\x82\x03\x00" + bytes(rng.randrange(256) for _ in range(768))
    )
    _describe(
        "random-bytes-der-header.bin", "bad: a DER SEQUENCE header followed by 768 random bytes"
    )

    lines = _body_lines(cert)
    _write(
        "truncated-base64.cert.pem",
        "-----BEGIN CERTIFICATE-----\n"
        + "\n".join(lines[: len(lines) // 2])
        + "\n-----END CERTIFICATE-----\n",
    )
    _describe(
        "truncated-base64.cert.pem",
        "bad: server.cert.pem with the second half of its base64 lines missing",
    )
    _write(
        "truncated-no-end.cert.pem",
        "-----BEGIN CERTIFICATE-----\n" + "\n".join(lines[: len(lines) - 3]) + "\n",
    )
    _describe(
        "truncated-no-end.cert.pem",
        "bad: server.cert.pem cut off before its last lines and END line",
    )
    der = (OUT / "server.cert.der").read_bytes()
    (OUT / "truncated.cert.der").write_bytes(der[: len(der) - 100])
    _describe("truncated.cert.der", "bad: server.cert.der without its last 100 bytes")
    corrupted = list("".join(lines))
    for position in (30, 31, 200, 420, 421, 422, 700):
        corrupted[position] = "A" if corrupted[position] != "A" else "B"
    _write("corrupted-base64.cert.pem", _armour("CERTIFICATE", "".join(corrupted)))
    _describe(
        "corrupted-base64.cert.pem",
        "bad: server.cert.pem with 7 base64 characters changed (valid base64, damaged DER)",
    )
    _write(
        "invalid-characters.cert.pem",
        _armour("CERTIFICATE", "".join(lines)[:300] + ".,;" + "".join(lines)[300:]),
    )
    _describe("invalid-characters.cert.pem", "bad: server.cert.pem with '.,;' inside its base64")

    # Like the OCR'd CSR in the seed note (a screenshot turned into text): look-alike
    # characters swapped, markdown's two trailing spaces, one line dropped.
    ocr = []
    for i, line in enumerate(_body_lines(csr)):
        if i == 7:
            continue
        swapped = line.translate(str.maketrans("OlS", "015")) if i % 2 else line.replace("I", "l")
        ocr.append(swapped + "  ")
    _write(
        "ocr-damaged.csr.txt",
        "Saved Request:\n\n-----BEGIN CERTIFICATE REQUEST-----\n"
        + "\n".join(ocr)
        + "\n-----END CERTIFICATE REQUEST-----\n",
    )
    _describe(
        "ocr-damaged.csr.txt",
        "bad: server.csr.pem as OCR'd from a screenshot (O/0, l/1, S/5, I/l swapped, a line lost, trailing double spaces), like the seed note's CSR",
    )
    csr_lines = _body_lines(csr)
    _write(
        "missing-begin.csr.txt", "\n".join(csr_lines[-4:]) + "\n-----END CERTIFICATE REQUEST-----\n"
    )
    _describe(
        "missing-begin.csr.txt",
        "bad: only the last four base64 lines and the END line of a CSR (the seed note's AD CS form)",
    )
    _write(
        "mixed-good-and-damaged.pem",
        cert
        + "-----BEGIN CERTIFICATE REQUEST-----\n"
        + "\n".join(csr_lines[:5])
        + "\n-----END CERTIFICATE REQUEST-----\n",
    )
    _describe(
        "mixed-good-and-damaged.pem",
        "partly bad: server.cert.pem followed by a CSR cut to its first five lines",
    )
    _write(
        "unknown-label.pem",
        _armour("SOMETHING ELSE", base64.b64encode(b"\x30\x03\x02\x01\x00").decode()),
    )
    _describe("unknown-label.pem", "bad: a PEM block labelled SOMETHING ELSE")
    (OUT / "deeply-nested.der").write_bytes(_nested(5000))
    _describe("deeply-nested.der", "bad: 5000 SEQUENCEs nested inside each other (about 20 KB)")
    (OUT / "oversized-length.der").write_bytes(b"\x30\x84\x7f\xff\xff\xff" + der[4:200])
    _describe(
        "oversized-length.der", "bad: a SEQUENCE claiming a length of 2 GiB, followed by 196 bytes"
    )
    _hostile_kdf_vectors()
    (OUT / "empty.p7b").write_bytes(_empty_pkcs7())
    _describe("empty.p7b", "bad: a DER PKCS#7 signed-data bundle with no certificates")


def _hostile_kdf_vectors() -> None:
    # Files asking for two billion password-hashing iterations: decrypting (or just checking
    # the MAC with an empty password) would run for hours.
    huge = 0x7FFFFFFF
    key = _reencode(
        _read_bytes("server-encrypted-pkcs8.key.der"), lambda path, v: huge if v == 2048 else v
    )
    (OUT / "hostile-kdf-iterations.key.der").write_bytes(key)
    _describe(
        "hostile-kdf-iterations.key.der",
        f"bad: server-encrypted-pkcs8.key.der re-encoded to ask for {huge} PBKDF2 iterations",
    )
    p12 = _reencode(
        _read_bytes("server-nopass.p12"), lambda path, v: huge if path == (0, 2, 2) else v
    )
    (OUT / "hostile-mac-iterations.p12").write_bytes(p12)
    _describe(
        "hostile-mac-iterations.p12",
        f"bad: server-nopass.p12 re-encoded to ask for {huge} MAC iterations",
    )


def _reencode(der: bytes, change: Callable[[tuple[int, ...], int], int]) -> bytes:
    """Re-encode DER, letting `change(path, value)` replace INTEGER values (path = child indexes)."""

    def walk(data: bytes, path: tuple[int, ...]) -> bytes:
        out = b""
        pos, index = 0, 0
        while pos < len(data):
            tag, first = data[pos], data[pos + 1]
            start = pos + 2
            length = first
            if first & 0x80:
                count = first & 0x7F
                length = int.from_bytes(data[start : start + count], "big")
                start += count
            content = data[start : start + length]
            here = (*path, index)
            if tag & 0x20:
                content = walk(content, here)
            elif tag == 0x02:
                value = change(here, int.from_bytes(content, "big", signed=True))
                content = value.to_bytes((value.bit_length() + 8) // 8, "big", signed=True)
            out += _tlv(tag, content)
            pos, index = start + length, index + 1
        return out

    return walk(der, ())


def _read_bytes(name: str) -> bytes:
    return (OUT / name).read_bytes()


# --- large inputs, built at test time ----------------------------------------------------------


def pem_pile(size: int = 6 * 1024 * 1024) -> bytes:
    """At least `size` bytes of concatenated PEM certificates (over the 4 MiB default cap)."""
    block = (OUT / "server.cert.pem").read_bytes()
    return block * (size // len(block) + 1)


def pkcs7_with_certificates(count: int) -> bytes:
    """A DER PKCS#7 signed-data bundle holding `count` copies of server.cert.der."""
    cert = (OUT / "server.cert.der").read_bytes()
    return _signed_data(cert * count)


def _empty_pkcs7() -> bytes:
    return _signed_data(b"")


def _signed_data(certificates: bytes) -> bytes:
    version = bytes.fromhex("020101")
    digests = _tlv(0x31, b"")
    content = _tlv(0x30, bytes.fromhex("06092a864886f70d010701"))  # id-data, no content
    certs = _tlv(0xA0, certificates) if certificates else b""
    signers = _tlv(0x31, b"")
    signed = _tlv(0x30, version + digests + content + certs + signers)
    return _tlv(0x30, bytes.fromhex("06092a864886f70d010702") + _tlv(0xA0, signed))


def _nested(depth: int) -> bytes:
    inner = b"\x05\x00"  # NULL
    for _ in range(depth):
        inner = _tlv(0x30, inner)
    return inner


def _tlv(tag: int, value: bytes) -> bytes:
    length = len(value)
    if length < 0x80:
        return bytes([tag, length]) + value
    encoded = length.to_bytes((length.bit_length() + 7) // 8, "big")
    return bytes([tag, 0x80 | len(encoded)]) + encoded + value


# --- helpers ----------------------------------------------------------------------------------------

_REQ_CONFIG = """\
[req]
distinguished_name=dn
[dn]
"""


def _openssl(*args: object) -> None:
    subprocess.run(["openssl", *map(str, args)], check=True, capture_output=True)


def _openssl_out(*args: object) -> str:
    return subprocess.run(
        ["openssl", *map(str, args)], check=True, capture_output=True, text=True
    ).stdout


def _csr(key: Path, out: str) -> None:
    adds = [arg for ext in SERVER_EXTS for arg in ("-addext", ext)]
    _openssl(
        "req", "-new", "-key", key, "-subj", SERVER_SUBJECT, *adds, "-sha256", "-out", OUT / out
    )


def _sign(
    work: Path,
    csr: Path,
    ca: str,
    out: str,
    *,
    serial: str,
    extfile: Path | None = None,
    section: str = "leaf",
    days: str = "3650",
) -> None:
    extfile = extfile or _file(work, "leaf.ext", LEAF_EXTFILE)
    copy = ["-copy_extensions", "copyall"] if section == "leaf" else []
    _openssl(
        "x509",
        "-req",
        "-in",
        csr,
        "-CA",
        OUT / f"{ca}.pem",
        "-CAkey",
        OUT / f"{ca}.key.pem",
        "-set_serial",
        serial,
        "-days",
        days,
        "-sha256",
        "-extfile",
        extfile,
        "-extensions",
        section,
        *copy,
        "-out",
        OUT / out,
    )


def _der(command: str, source: str, out: str) -> None:
    _openssl(command, "-in", OUT / source, "-outform", "DER", "-out", OUT / out)


def _der_bytes(command: str, source: str) -> bytes:
    return subprocess.run(
        ["openssl", command, "-in", str(OUT / source), "-outform", "DER"],
        check=True,
        capture_output=True,
    ).stdout


def _relabel(source: str, out: str, old: str, new: str) -> None:
    _write(
        out,
        _read(source)
        .replace(f"BEGIN {old}-", f"BEGIN {new}-")
        .replace(f"END {old}-", f"END {new}-"),
    )


def _body_lines(pem: str) -> list[str]:
    return [line for line in pem.splitlines() if line and not line.startswith("-----")]


def _rewrap(pem: str, width: int) -> str:
    label = re.search(r"BEGIN ([A-Z0-9 ]+)-----", pem)
    assert label is not None
    body = "".join(_body_lines(pem))
    lines = [body[i : i + width] for i in range(0, len(body), width)]
    return (
        f"-----BEGIN {label.group(1)}-----\n"
        + "\n".join(lines)
        + f"\n-----END {label.group(1)}-----\n"
    )


def _armour(label: str, body: str) -> str:
    lines = [body[i : i + 64] for i in range(0, len(body), 64)]
    return f"-----BEGIN {label}-----\n" + "\n".join(lines) + f"\n-----END {label}-----\n"


def _file(work: Path, name: str, text: str) -> Path:
    path = work / name
    path.write_text(text)
    return path


def _read(name: str) -> str:
    return (OUT / name).read_text()


def _write(name: str, text: str) -> None:
    (OUT / name).write_bytes(text.encode("utf-8"))


def _describe(name: str, line: str) -> None:
    README[name] = line


def _write_readme() -> None:
    lines = [
        "# Loader vectors",
        "",
        "Written by `tests/vectors/generate.py` (run `.venv/bin/python tests/vectors/generate.py`).",
        "Every private key here is a **throwaway** test key, generated for these vectors and used",
        f"nowhere else. Passwords: ENCRYPTED PRIVATE KEY `{PKCS8_PASSWORD}`, legacy Proc-Type key",
        f"`{LEGACY_PASSWORD}`, PKCS#12 `{P12_PASSWORD}`. The Cisco UC vectors in `uc/` come from",
        "`generate_uc.py` and are described in `uc/README.md`; the files openssl reads that a strict",
        "reader refuses (issue 11) are in `compat/`, from `generate_compat.py`, described in",
        "`compat/README.md`. The large bad inputs (6 MB of PEM,",
        "a PKCS#7 with thousands of certificates) are built at test time by `pem_pile()` and",
        "`pkcs7_with_certificates()` in generate.py.",
        "",
    ]
    lines += [f"- `{name}`: {README[name]}" for name in sorted(README)]
    (OUT / "README.md").write_text("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
