"""The generic profile: every profile's base rules, in the order their findings are listed.

Codes are part of the JSON contract (docs/findings.md lists each one); change wording freely,
never a code. Every hint says what a person can do next. The rules live by subject in
artefact.py, pairing.py, request.py and chain.py; this module says which run, and when.
"""

from __future__ import annotations

from collections.abc import Sequence

from certmatch.analysis.context import CheckContext, Profile, Rule
from certmatch.model import Finding, Severity
from certmatch.rules.artefact import (
    csr_signature_invalid,
    not_strict_der,
    validity,
    weak_keys,
    weak_signatures,
)
from certmatch.rules.ca_note import ca_note
from certmatch.rules.chain import chain_findings
from certmatch.rules.pairing import (
    ca_as_leaf,
    key_findings,
    nothing_to_compare,
    private_key_present,
)
from certmatch.rules.request import requested_vs_issued

_SEVERITY_ORDER = {Severity.ERROR: 0, Severity.WARNING: 1, Severity.INFO: 2}

# The order findings are listed in before sorting by severity (a stable sort keeps it within
# one severity).
GENERIC_RULES: tuple[Rule, ...] = (
    key_findings,
    ca_as_leaf,
    csr_signature_invalid,
    validity,
    weak_signatures,
    weak_keys,
    not_strict_der,
    requested_vs_issued,
    chain_findings,
    private_key_present,
    nothing_to_compare,
)

# The rules that hold for a scan's key set as for one check. Left out: how the pieces handed
# over in one go pair up (a scan pairs across folders itself and words key-mismatch with
# `pairing.key_mismatch`), a CSR handed over as the certificate (a folder is not a hand-over),
# a private key found on disk (that is where it belongs) and nothing-to-compare (a CSR
# waiting for its certificate is an inventory's normal state).
INVENTORY_RULES: tuple[Rule, ...] = (
    csr_signature_invalid,
    validity,
    weak_signatures,
    weak_keys,
    not_strict_der,
    requested_vs_issued,
    chain_findings,
)


def generic_findings(ctx: CheckContext) -> list[Finding]:
    return [finding for rule in GENERIC_RULES for finding in rule(ctx)]


def inventory_findings(ctx: CheckContext) -> list[Finding]:
    return [finding for rule in INVENTORY_RULES for finding in rule(ctx)]


GENERIC = Profile(name="generic", rules=generic_findings)


def with_profile(profile: Profile, ctx: CheckContext, base: list[Finding]) -> list[Finding]:
    """`base` (generic findings) with those the profile restates dropped, then the profile's own.

    The check and the scan both combine a profile with the generic rules here.
    """
    if profile is GENERIC:
        return base
    own = profile.rules(ctx)
    return [f for f in base if _still_needed(f, profile.supersedes, own)] + own


# Findings that explain a mismatch verdict: a profile replaces them only with its own error about
# the same CSR/key, never with silence (issue 12: two CSRs and the certificate of one of them).
_VERDICT_CODES = frozenset({"key-mismatch", "ca-as-leaf"})


def _still_needed(finding: Finding, supersedes: frozenset[str], own: Sequence[Finding]) -> bool:
    if finding.code not in supersedes:
        return True
    if finding.code not in _VERDICT_CODES or not finding.artifacts:
        return False
    about = finding.artifacts[0]
    return not any(f.severity is Severity.ERROR and about in f.artifacts for f in own)


def ca_note_for(ctx: CheckContext, findings: Sequence[Finding]) -> str | None:
    """The re-issue request to the CA, for every profile (see certmatch.rules.ca_note)."""
    return ca_note(ctx, findings)


def sort_findings(findings: Sequence[Finding]) -> tuple[Finding, ...]:
    return tuple(sorted(findings, key=lambda f: _SEVERITY_ORDER[f.severity]))
