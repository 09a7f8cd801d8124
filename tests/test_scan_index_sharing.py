"""The scan's index keeps one copy of what recurs between records (scan/index.py `_share`).

Records arrive one pickle per chunk, so equal values come as distinct objects; the index must
point every artefact at one copy, or memory at 100,000 files grows by the copies (issue 18).
"""

from __future__ import annotations

import pickle

from certmatch.model import Artefact
from certmatch.scan.index import Index
from certmatch.scan.records import ScannedFile, slim
from tests.factory import cert_artefact, csr_artefact, issue, make_csr, make_pki, name, new_key


def _arrived(artefact: Artefact, path: str) -> ScannedFile:
    """A one-artefact record as the parent gets it: unpickled on its own, like each chunk."""
    record = ScannedFile(path, (slim(artefact),))
    copy: ScannedFile = pickle.loads(pickle.dumps(record))
    return copy


def test_records_from_separate_chunks_share_keys_names_and_recurring_values() -> None:
    pki = make_pki("ec256")
    index = Index()
    for n in range(2):
        key = new_key("ec256")
        csr = make_csr(key, name(CN=f"srv{n}.example.com", O="Example"))
        index.add(_arrived(csr_artefact(csr, f"srv{n}/host.csr"), f"srv{n}/host.csr"))
        cert = issue(csr, pki)
        index.add(_arrived(cert_artefact(cert, f"srv{n}/host.pem"), f"srv{n}/host.pem"))
    csr0, cert0, csr1, cert1 = index.artifacts
    assert csr0.key == cert0.key and csr0.key is cert0.key  # one KeyInfo per key
    assert cert0.issuer is not None and cert0.issuer == cert1.issuer
    assert cert0.issuer is cert1.issuer
    assert cert0.signature_algorithm is cert1.signature_algorithm
    assert cert0.extended_key_usage == cert1.extended_key_usage
    assert cert0.extended_key_usage is cert1.extended_key_usage
    assert csr0.subject_rdns[-1] is csr1.subject_rdns[-1]  # ("O", "Example")
