"""The cisco-uc profile: what makes a CA-signed certificate fail to upload, or break later, on Cisco UC.

For CUCM, IM and Presence, Unity Connection, UCCX, CUIS and Expressway. Each rule states one
thing the server will refuse (or accept and then break on), in the words the server uses,
with the vendor document it rests on (references.py). Generic findings these rules restate are
superseded. The rules live by family (key.py, names.py, usage.py, chain.py, expressway.py);
scene.py is what they all read, products.py the products they tell apart.
"""

from __future__ import annotations

from collections.abc import Callable

from certmatch.analysis.context import CheckContext, Profile
from certmatch.model import Finding
from certmatch.rules.cisco_uc import chain, expressway, key, names, products, usage
from certmatch.rules.cisco_uc import purpose as uc_purpose
from certmatch.rules.cisco_uc.scene import Scene, build_scene, infer_purpose, purpose_of

__all__ = [
    "PROFILE",
    "RENAMED_CODES",
    "RULES",
    "SUPERSEDES",
    "infer_purpose",
    "purpose_of",
    "rules",
]

# Generic codes the rules below restate in UC words. "eku-dropped" and "weak-signature" are
# restated for serverAuth/clientAuth and SHA-1; the rest of them is re-emitted under the
# generic code by `eku_client_dropped` and `sha1`, so nothing is lost.
SUPERSEDES = frozenset(
    {
        "key-mismatch",
        "ca-as-leaf",
        "san-dropped",
        "san-added",
        "cert-expired",
        "cert-not-yet-valid",
        "eku-dropped",
        "ku-dropped",
        "weak-signature",
        "cn-changed",
        "cn-not-in-san",
        "chain-incomplete",
    }
)

RULES: tuple[Callable[[Scene], list[Finding]], ...] = (
    key.key_mismatch,
    key.ca_as_leaf,
    names.san_mismatch,
    chain.validity,
    names.wildcard,
    key.key_size,
    key.ecdsa,
    usage.eku_server_missing,
    usage.eku_client_dropped,
    usage.eku_purpose,
    usage.ku_dropped,
    usage.capf_not_ca,
    usage.critical_extension,
    chain.sha1,
    names.cn_changed,
    names.cn_not_in_san,
    names.ou_dropped,
    chain.chain_incomplete,
    chain.duplicate_subject,
    chain.bundle,
    names.multi_server_ip,
    expressway.expressway_content,
)

# Codes that were renamed: the old code is never reported again, scripts matching it should
# match the new one (docs/cisco-uc.md lists both).
RENAMED_CODES = {"uc-rsa-too-large": "uc-key-size"}


def rules(ctx: CheckContext) -> list[Finding]:
    scene = build_scene(ctx)
    return [finding for rule in RULES for finding in rule(scene)]


PROFILE = Profile(
    name="cisco-uc",
    rules=rules,
    supersedes=SUPERSEDES,
    infer_purpose=infer_purpose,
    parse_purpose=uc_purpose.parse,
    products=products.PRODUCT_NAMES,
    parse_product=products.parse,
    ca_note=None,  # the shared certmatch.rules.ca_note.ca_note serves every profile
)
