"""The floor under `certmatch scan`: the least work any scan keeping certmatch's checks must do.

`python -m bench.scan_floor TREE` walks TREE, forks one process per core as the scan does, and
in each reads its files and has cryptography do only what no Python scan can skip: parse each
certificate, CSR, PKCS#7 bundle and private key, take its public key's SubjectPublicKeyInfo
and SHA-256 (the "same key" test), and verify each CSR's signature. No repair, no bounds
walk, no names, no findings, no JSON, no pairing. It prints the number of public keys found.

The bench runs it beside the real scan and the openssl loop (bench/scan_bench.py), so the
table says how far the scan is from this floor and how far the floor itself is from a target
stated as a multiple of openssl's loop (issue 18): a target the floor cannot reach on this
machine is out of reach of any scan that keeps these checks, whatever the scan's own code.
"""

from __future__ import annotations

import hashlib
import os
import sys

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.types import PublicKeyTypes
from cryptography.hazmat.primitives.serialization import pkcs7

_SPKI = (serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
_BEGIN = b"-----BEGIN "


def _keys_of_pem(data: bytes) -> int:
    found = 0
    start = data.find(_BEGIN)
    while start != -1:
        label_end = data.find(b"-----", start + len(_BEGIN))
        if label_end == -1:
            break
        label = data[start + len(_BEGIN) : label_end]
        end_marker = b"-----END " + label + b"-----"
        end = data.find(end_marker, label_end)
        if end == -1:
            break
        block = data[start : end + len(end_marker)]
        found += _keys_of_block(label, block)
        start = data.find(_BEGIN, end)
    return found


def _keys_of_block(label: bytes, block: bytes) -> int:
    public: PublicKeyTypes
    try:
        if label == b"CERTIFICATE":
            public = x509.load_pem_x509_certificate(block).public_key()
        elif label == b"CERTIFICATE REQUEST":
            csr = x509.load_pem_x509_csr(block)
            csr.is_signature_valid  # noqa: B018 - the check every scan keeps
            public = csr.public_key()
        elif label.endswith(b"PRIVATE KEY"):
            key = serialization.load_pem_private_key(
                block, None, unsafe_skip_rsa_key_validation=True
            )
            public = key.public_key()
        else:
            return 0
    except ValueError:
        return 0  # junk: the real scan lists it as a problem
    hashlib.sha256(public.public_bytes(*_SPKI)).digest()
    return 1


def _keys_of_der(data: bytes) -> int:
    try:
        certs = [x509.load_der_x509_certificate(data)]
    except ValueError:
        try:
            certs = pkcs7.load_der_pkcs7_certificates(data)
        except ValueError:
            return 0
    for cert in certs:
        hashlib.sha256(cert.public_key().public_bytes(*_SPKI)).digest()
    return len(certs)


def _share(paths: list[str]) -> int:
    found = 0
    for path in paths:
        with open(path, "rb") as handle:
            data = handle.read()
        found += _keys_of_pem(data) if _BEGIN in data else _keys_of_der(data)
    return found


def main(root: str) -> int:
    files = sorted(os.path.join(d, n) for d, _dirs, names in os.walk(root) for n in names)
    workers = os.cpu_count() or 1
    reads = []
    for w in range(workers):
        read_end, write_end = os.pipe()
        if os.fork() == 0:
            os.close(read_end)
            os.write(write_end, str(_share(files[w::workers])).encode())
            os._exit(0)
        os.close(write_end)
        reads.append(read_end)
    total = 0
    for fd in reads:
        total += int(os.read(fd, 64) or b"0")
        os.close(fd)
    for _ in reads:
        os.wait()
    print(total)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1]))
