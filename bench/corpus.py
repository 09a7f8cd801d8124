"""Generated benchmark inputs: a pool of throwaway keys, a two-level CA and inventory trees of N files.

Everything lands under bench/out/ (git-ignored) and is reused on the next run, because RSA key
generation dominates: a pool of RSA keys is generated once and shared across sets (a renewal
that kept its key is realistic), while EC keys are cheap enough to be unique per set.
None of these keys protect anything; they exist only to be scanned.
"""

from __future__ import annotations

import datetime as dt
import os
import pickle
import random
import shutil
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.hazmat.primitives.serialization import pkcs7
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

OUT = Path(__file__).resolve().parent / "out"
POOL_2048 = 240
POOL_3072 = 80
CORPUS_VERSION = 2  # bump when the layout below changes, so cached trees are rebuilt

PrivateKey = rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey
_PEM = serialization.Encoding.PEM
_DER = serialization.Encoding.DER


def _gen_rsa(bits: int) -> bytes:
    key = rsa.generate_private_key(public_exponent=65537, key_size=bits)
    return key.private_bytes(_DER, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())


def rsa_pool() -> list[bytes]:
    """PKCS#8 DER of the shared RSA keys (2048 then 3072 bits), generated on both cores once."""
    path = OUT / "rsa-pool.pickle"
    if path.exists():
        pool: list[bytes] = pickle.loads(path.read_bytes())
        if len(pool) == POOL_2048 + POOL_3072:
            return pool
    OUT.mkdir(parents=True, exist_ok=True)
    sizes = [2048] * POOL_2048 + [3072] * POOL_3072
    with ProcessPoolExecutor(max_workers=os.cpu_count() or 2) as executor:
        pool = list(executor.map(_gen_rsa, sizes, chunksize=8))
    path.write_bytes(pickle.dumps(pool))
    return pool


def _load_key(der: bytes) -> PrivateKey:
    key = serialization.load_der_private_key(der, None, unsafe_skip_rsa_key_validation=True)
    assert isinstance(key, rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey)
    return key


def _name(cn: str, ou: str | None = None) -> x509.Name:
    attrs = [
        x509.NameAttribute(NameOID.COUNTRY_NAME, "US"),
        x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Example Corp"),
    ]
    if ou:
        attrs.append(x509.NameAttribute(NameOID.ORGANIZATIONAL_UNIT_NAME, ou))
    attrs.append(x509.NameAttribute(NameOID.COMMON_NAME, cn))
    return x509.Name(attrs)


@dataclass(frozen=True, slots=True)
class CA:
    root: x509.Certificate
    issuing: x509.Certificate
    issuing_key: PrivateKey


def _ca_cert(
    subject: x509.Name, issuer: x509.Name, key: PrivateKey, signer: PrivateKey, now: dt.datetime
) -> x509.Certificate:
    ski = x509.SubjectKeyIdentifier.from_public_key(key.public_key())
    aki = x509.AuthorityKeyIdentifier.from_issuer_public_key(signer.public_key())
    return (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=365))
        .not_valid_after(now + dt.timedelta(days=3650))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(ski, critical=False)
        .add_extension(aki, critical=False)
        .sign(signer, hashes.SHA256())
    )


def make_ca(now: dt.datetime) -> CA:
    root_key = ec.generate_private_key(ec.SECP384R1())
    issuing_key = ec.generate_private_key(ec.SECP256R1())
    root_name = _name("Example Root CA")
    issuing_name = _name("Example Issuing CA 1")
    root = _ca_cert(root_name, root_name, root_key, root_key, now)
    issuing = _ca_cert(issuing_name, root_name, issuing_key, root_key, now)
    return CA(root, issuing, issuing_key)


def make_csr(key: PrivateKey, cn: str, sans: list[str]) -> x509.CertificateSigningRequest:
    return (
        x509.CertificateSigningRequestBuilder()
        .subject_name(_name(cn, "Unified Communications"))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName(s) for s in sans]), critical=False)
        .add_extension(
            x509.ExtendedKeyUsage(
                [ExtendedKeyUsageOID.SERVER_AUTH, ExtendedKeyUsageOID.CLIENT_AUTH]
            ),
            critical=False,
        )
        .sign(key, hashes.SHA256())
    )


def issue(
    ca: CA, csr: x509.CertificateSigningRequest, not_before: dt.datetime, not_after: dt.datetime
) -> x509.Certificate:
    san = csr.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    return (
        x509.CertificateBuilder()
        .subject_name(csr.subject)
        .issuer_name(ca.issuing.subject)
        .public_key(csr.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(not_before)
        .not_valid_after(not_after)
        .add_extension(san, critical=False)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca.issuing_key.public_key()),
            critical=False,
        )
        .sign(ca.issuing_key, hashes.SHA256())
    )


def _key_pem(key: PrivateKey) -> bytes:
    return key.private_bytes(_PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())


def _set_files(
    rng: random.Random, ca: CA, pool: list[bytes], index: int, now: dt.datetime
) -> Iterator[tuple[str, bytes]]:
    """The files of one server's folder: (relative path, content). Kinds are drawn by weight."""
    cluster = f"cluster-{index % 40:02d}"
    host = f"cucm-{index:05d}"
    cn = f"{host}.{cluster}.uc.example.com"
    folder = f"{cluster}/{host}"
    roll = rng.random()
    if roll < 0.45:
        key: PrivateKey = ec.generate_private_key(rng.choice([ec.SECP256R1(), ec.SECP384R1()]))
    else:
        key = _load_key(pool[rng.randrange(len(pool))])
    csr = make_csr(key, cn, [cn, f"{host}.uc.example.com"])
    kind = rng.choices(
        ["complete", "waiting", "orphan", "regenerated", "expired", "expiring", "junk"],
        weights=[50, 12, 10, 10, 6, 6, 6],
    )[0]
    valid = (now - dt.timedelta(days=30), now + dt.timedelta(days=365))
    if kind == "expired":
        valid = (now - dt.timedelta(days=400), now - dt.timedelta(days=20))
    elif kind == "expiring":
        valid = (now - dt.timedelta(days=355), now + dt.timedelta(days=10))
    if kind in ("complete", "waiting", "expired", "expiring", "regenerated"):
        yield f"{folder}/{host}.key", _key_pem(key)
        yield f"{folder}/{host}.csr", csr.public_bytes(_PEM)
    if kind == "waiting":
        return
    if kind == "junk":
        yield f"{folder}/notes.txt", b"renewal ticket CHG0012345: waiting on the CA\n"
        yield (
            f"{folder}/broken.pem",
            b"-----BEGIN CERTIFICATE-----\nMIIBroken==\n-----END CERTIFICATE-----\n",
        )
        return
    cert = issue(ca, csr, *valid)
    if kind == "regenerated":
        # The vendor-note story: a second key/CSR was generated after the first CSR went to the
        # CA, so the certificate that came back matches the old request, not the key on disk.
        new_key = ec.generate_private_key(ec.SECP256R1())
        yield f"{folder}/{host}.key", _key_pem(new_key)  # overwrites the old key, as on a server
        yield f"{folder}/{host}-regenerated.csr", make_csr(new_key, cn, [cn]).public_bytes(_PEM)
    form = rng.random()
    if form < 0.4:
        yield f"{folder}/{host}.pem", cert.public_bytes(_PEM)
    elif form < 0.7:
        yield f"{folder}/{host}.cer", cert.public_bytes(_DER)
    elif form < 0.85:
        chain = [cert, ca.issuing, ca.root]
        yield f"{folder}/{host}.p7b", pkcs7.serialize_certificates(chain, _DER)
    else:
        pem = b"".join(c.public_bytes(_PEM) for c in (cert, ca.issuing))
        yield f"{folder}/{host}-fullchain.pem", pem


def build_tree(n_files: int, seed: int = 6) -> Path:
    """A folder of exactly `n_files` files (reused when already built with this layout version).

    Every set has its own CSR, certificate and names; the RSA keys come from the shared pool
    (so their key files and the junk files repeat), EC keys are new per set. 100,000 files
    (the scan's distinct-files row) take about a minute on two cores and 540 MB of disk.
    """
    root = OUT / f"corpus-{n_files}"
    stamp = OUT / f"corpus-{n_files}.complete"  # beside the tree, or the scan would count it
    if stamp.exists() and stamp.read_text() == f"{CORPUS_VERSION}\n":
        return root
    pool = rsa_pool()
    rng = random.Random(seed)
    now = dt.datetime.now(dt.UTC).replace(microsecond=0)
    ca = make_ca(now)
    files: dict[str, bytes] = {
        "ca/root.pem": ca.root.public_bytes(_PEM),
        "ca/issuing-ca.cer": ca.issuing.public_bytes(_DER),
    }
    index = 0
    while len(files) < n_files:
        for path, data in _set_files(rng, ca, pool, index, now):
            files[path] = data
        index += 1
    paths = sorted(files)[:n_files]
    if root.exists():
        shutil.rmtree(root)  # a tree from an older layout must not leave files behind
    for path in paths:
        target = root / path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(files[path])
    stamp.write_text(f"{CORPUS_VERSION}\n")
    return root


def build_copies(n_files: int, base_files: int = 2200) -> Path:
    """A tree of exactly `n_files` made of hard links to the `base_files` tree, one copy per
    `backup-NNN/` folder (the last copy partial): a big estate's backups, where the same
    distinct files recur. Costs inodes, not disk (a plain copy where linking fails)."""
    base = build_tree(base_files)
    root = OUT / f"copies-{n_files}-of-{base_files}"
    stamp = OUT / f"copies-{n_files}-of-{base_files}.complete"
    if stamp.exists() and stamp.read_text() == f"{CORPUS_VERSION}\n":
        return root
    if root.exists():
        shutil.rmtree(root)
    originals = sorted(p.relative_to(base) for p in base.rglob("*") if p.is_file())
    made = 0
    copy = 0
    while made < n_files:
        for relative in originals[: n_files - made]:
            target = root / f"backup-{copy:03d}" / relative
            target.parent.mkdir(parents=True, exist_ok=True)
            try:
                os.link(base / relative, target)
            except OSError:
                shutil.copyfile(base / relative, target)
            made += 1
        copy += 1
    stamp.write_text(f"{CORPUS_VERSION}\n")
    return root


def build_pair() -> tuple[Path, Path]:
    """One RSA 2048 CSR and the certificate issued for it (part 1 of the benchmark)."""
    folder = OUT / "pair"
    csr_path, crt_path = folder / "r.csr", folder / "r.crt"
    if csr_path.exists() and crt_path.exists():
        return csr_path, crt_path
    folder.mkdir(parents=True, exist_ok=True)
    now = dt.datetime.now(dt.UTC)
    ca = make_ca(now)
    key = _load_key(rsa_pool()[0])
    csr = make_csr(key, "cucm-pub.uc.example.com", ["cucm-pub.uc.example.com"])
    cert = issue(ca, csr, now - dt.timedelta(days=1), now + dt.timedelta(days=365))
    csr_path.write_bytes(csr.public_bytes(_PEM))
    crt_path.write_bytes(cert.public_bytes(_PEM))
    return csr_path, crt_path
