"""The orchestrator: inputs -> artefacts -> pairs, chain, diff, findings, verdict -> Report.

`check()` never raises for bad input: an input that cannot be used becomes a Report problem
and a finding, and the verdict says "error". `evaluate()` is the same minus loading, for
callers (tests, the bot's memory) that already hold artefacts.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from certmatch.analysis.context import CheckContext
from certmatch.analysis.diff import diff
from certmatch.analysis.match import MatchResult, is_requester, match
from certmatch.errors import EncryptedKeyError, NotAModulusError, UnusableInputError
from certmatch.load.limits import DEFAULT_LIMITS, Limits
from certmatch.model import (
    Artefact,
    ArtefactKind,
    DiffEntry,
    Finding,
    InputProblem,
    Report,
    Severity,
    Verdict,
)
from certmatch.record import replace
from certmatch.report.commands import commands_for
from certmatch.rules.generic import ca_note_for, generic_findings, sort_findings, with_profile
from certmatch.rules.inputs import non_modulus_reason, problem_finding
from certmatch.rules.registry import PROFILE_NAMES, get_profile

if TYPE_CHECKING:
    from certmatch.load import Input
    from certmatch.model import Endpoint
    from certmatch.rules.trust import TrustAnchors

__all__ = ["PROFILE_NAMES", "check", "evaluate"]

# Problem codes that stand for an input the person meant to compare (so: verdict "error").
_FATAL_CODES = frozenset({"key-encrypted", "hash-not-modulus"})
# "The issuer of the top of the chain was not given": for files, not for a served chain.
_FILE_CHAIN_CODES = frozenset({"chain-incomplete", "uc-chain-incomplete"})


def check(
    inputs: Sequence[Input],
    *,
    profile: str = "generic",
    purpose: str | None = None,
    product: str | None = None,
    now: datetime | None = None,
    limits: Limits = DEFAULT_LIMITS,
    problems: Sequence[InputProblem] = (),
    served: Sequence[Input] = (),
    endpoint: Endpoint | None = None,
    trust: TrustAnchors | None = None,
    hosts: Sequence[str] = (),
) -> Report:
    """Load every input and evaluate them together.

    `problems` are inputs that failed before they could be handed over (a file the CLI could
    not open); they count like inputs that could not be loaded. ValueError only for an
    unknown profile name (a caller's mistake, not bad input).

    `connect` hands over the `served` certificates (DER, in the order the server sent them)
    and the `endpoint` they came from; `trust` (anchors) and `hosts` (names to check against
    the server certificate) are the optional checks (see `evaluate`).
    """
    from certmatch.load import load

    get_profile(profile)  # fail on a bad profile name before doing any work
    artefacts: list[Artefact] = []
    found: list[InputProblem] = list(problems)
    fatal: list[InputProblem] = list(problems)
    bundles: list[tuple[int, ...]] = []
    served_at: list[int] = []
    for number, inp in enumerate([*served, *inputs]):
        try:
            result = load(inp, limits)
        except EncryptedKeyError as exc:
            fatal.append(_problem(inp.name, exc, "key-encrypted"))
            found.append(fatal[-1])
            continue
        except NotAModulusError as exc:
            fatal.append(_problem(inp.name, exc, "hash-not-modulus"))
            found.append(fatal[-1])
            continue
        except UnusableInputError as exc:
            fatal.append(_problem(inp.name, exc, "unreadable-input"))
            found.append(fatal[-1])
            continue
        except Exception as exc:  # a loader bug must not cost the person the whole answer
            fatal.append(
                InputProblem(
                    inp.name,
                    f"certmatch could not read this input ({type(exc).__name__}); "
                    "please report it with the file if you can share it",
                )
            )
            found.append(fatal[-1])
            continue
        start = len(artefacts)
        artefacts.extend(result.artefacts)
        found.extend(result.problems)
        fatal.extend(p for p in result.problems if p.code in _FATAL_CODES)
        if number < len(served):
            served_at.extend(range(start, len(artefacts)))
            continue  # one certificate each, and never a "bundle": the order is the server's
        certs = tuple(
            i for i in range(start, len(artefacts)) if artefacts[i].kind is ArtefactKind.CERTIFICATE
        )
        if len(certs) > 1:
            bundles.append(certs)
    return evaluate(
        artefacts,
        problems=found,
        fatal=fatal,
        bundles=bundles,
        profile=profile,
        purpose=purpose,
        product=product,
        now=now,
        served=tuple(served_at),
        endpoint=endpoint,
        trust=trust,
        hosts=hosts,
    )


def _problem(name: str, exc: Exception, code: str) -> InputProblem:
    message = str(exc) or type(exc).__name__
    # Loader messages usually start with the input's name already.
    if message.startswith(f"{name}: "):
        message = message[len(name) + 2 :]
    return InputProblem(name, message, code)


def evaluate(
    artefacts: Sequence[Artefact],
    *,
    problems: Sequence[InputProblem] = (),
    fatal: Sequence[InputProblem] | None = None,
    bundles: Sequence[tuple[int, ...]] = (),
    profile: str = "generic",
    purpose: str | None = None,
    product: str | None = None,
    now: datetime | None = None,
    served: Sequence[int] = (),
    endpoint: Endpoint | None = None,
    trust: TrustAnchors | None = None,
    hosts: Sequence[str] = (),
) -> Report:
    """The Report for artefacts already loaded. `fatal` defaults to every problem.

    With an `endpoint`, `served` are the indexes of the certificates the server sent, in its
    order: the served-chain findings are added, and the host, trust and served checks look at
    the served server certificate. `hosts` adds `host-not-covered` for each name the server
    certificate's SANs do not cover; `trust` adds `chain-ok` or `chain-untrusted`.

    ValueError for an unknown profile, or a purpose or product the profile does not know.
    """
    chosen = get_profile(profile)
    if purpose is not None and chosen.parse_purpose is not None:
        purpose = chosen.parse_purpose(purpose)
    if product is not None:
        if chosen.parse_product is None:
            raise ValueError(f"the {chosen.name} profile takes no product (it is for cisco-uc)")
        product = chosen.parse_product(product)
    arts = tuple(artefacts)
    fatal = list(problems) if fatal is None else list(fatal)
    moment = _utc(now)
    m = match(arts)
    diff_entries = (
        _diff(arts, m.requested, m.leaf)
        if m.requested is not None
        and m.leaf is not None
        and arts[m.requested].kind is ArtefactKind.CSR
        else ()
    )
    ctx = CheckContext(
        artifacts=arts,
        match=m,
        diff=diff_entries,
        bundles=tuple(bundles),
        now=moment,
        purpose=purpose,
        product=product,
    )
    findings: list[Finding] = [problem_finding(p) for p in problems]
    findings.extend(with_profile(chosen, ctx, generic_findings(ctx)))
    purpose_out, assumed = purpose, False
    if purpose is None and chosen.infer_purpose is not None:
        purpose_out = chosen.infer_purpose(ctx)
        assumed = purpose_out is not None
    if endpoint is not None:
        # A server rightly leaves its root out: what it sends is judged by
        # served-chain-incomplete, not by the upload rules for files (generic and cisco-uc).
        findings = [f for f in findings if f.code not in _FILE_CHAIN_CODES]
    if endpoint is not None or trust is not None or hosts:
        findings.extend(_asked_for(ctx, m, tuple(served), endpoint, trust, hosts))
    ordered = sort_findings(findings)
    writer = chosen.ca_note if chosen.ca_note is not None else ca_note_for
    note = writer(ctx, ordered)
    verdict = _verdict(arts, m, fatal)
    return Report(
        verdict=verdict,
        artifacts=arts,
        pairs=m.pairs,
        diff=diff_entries + _other_diffs(arts, m),
        findings=ordered,
        leaf=m.leaf,
        chain=m.chain,
        problems=tuple(problems),
        commands=_commands(arts, m, served, endpoint),
        profile=chosen.name,
        purpose=purpose_out,
        purpose_assumed=assumed,
        ca_note=note,
        summary=_summary(verdict, arts, m, ordered, fatal),
        endpoint=None if endpoint is None else replace(endpoint, served_order=tuple(served)),
    )


def _diff(arts: Sequence[Artefact], csr: int, cert: int) -> tuple[DiffEntry, ...]:
    return tuple(replace(d, csr=csr, certificate=cert) for d in diff(arts[csr], arts[cert]))


def _other_diffs(arts: Sequence[Artefact], m: MatchResult) -> tuple[DiffEntry, ...]:
    """Every other CSR against the certificate it pairs with: its own, else the candidate.

    The rules read only the first diff (the CSR the server certificate was matched with);
    the others are for the person comparing, for example, an old and a regenerated CSR.
    """
    partner: dict[int, int] = {}
    for p in sorted(m.pairs, key=lambda p: not p.match):  # a matching certificate first
        if arts[p.left].kind is ArtefactKind.CSR and not arts[p.right].is_ca:
            partner.setdefault(p.left, p.right)
    out: list[DiffEntry] = []
    for csr, cert in partner.items():
        if (csr, cert) != (m.requested, m.leaf):
            out.extend(_diff(arts, csr, cert))
    return tuple(out)


def _commands(
    arts: Sequence[Artefact], m: MatchResult, served: Sequence[int], endpoint: Endpoint | None
) -> tuple[str, ...]:
    if endpoint is None or not served:
        return commands_for(arts, m.issuers)
    # A served certificate is no file: openssl fetches it again from the server.
    from certmatch.report.endpoint import served_command
    from certmatch.rules.served import served_leaf

    leaf = served_leaf(arts, served)
    first = () if leaf is None else (served_command(endpoint, arts[leaf]),)
    return first + commands_for(arts, m.issuers | set(served))


def _asked_for(
    ctx: CheckContext,
    m: MatchResult,
    served: tuple[int, ...],
    endpoint: Endpoint | None,
    trust: TrustAnchors | None,
    hosts: Sequence[str],
) -> list[Finding]:
    """The checks a caller asked for: the served chain, host names, the trust path."""
    from certmatch.rules.hostname import host_findings
    from certmatch.rules.served import served_findings, served_leaf

    arts = ctx.artifacts
    out: list[Finding] = []
    names = list(dict.fromkeys(hosts))
    if endpoint is not None:
        anchors = trust.certificates if trust is not None else ()
        out.extend(served_findings(arts, served, anchors=anchors, aborted=endpoint.handshake_error))
        subject, pool = served_leaf(arts, served), served
        connected = endpoint.servername or endpoint.host
        names = list(dict.fromkeys([connected, *names]))
    else:
        subject = m.leaf
        pool = tuple(i for i, a in enumerate(arts) if a.kind is ArtefactKind.CERTIFICATE)
    if subject is None:
        return out
    out.extend(host_findings(arts[subject], subject, names))
    if trust is not None:
        from certmatch.rules.trust import trust_findings

        out.extend(trust_findings(arts, subject, pool, trust, ctx.now))
    return out


def _utc(now: datetime | None) -> datetime:
    if now is None:
        return datetime.now(UTC)
    return now.replace(tzinfo=UTC) if now.tzinfo is None else now.astimezone(UTC)


def _usable_requesters(arts: Sequence[Artefact]) -> list[int]:
    return [i for i, a in enumerate(arts) if is_requester(a) and non_modulus_reason(a) is None]


def _verdict(arts: Sequence[Artefact], m: MatchResult, fatal: Sequence[InputProblem]) -> Verdict:
    if fatal or any(non_modulus_reason(a) is not None for a in arts):
        return Verdict.ERROR
    has_cert = any(a.kind is ArtefactKind.CERTIFICATE for a in arts)
    if not has_cert or not _usable_requesters(arts):
        return Verdict.INCOMPLETE
    if m.unmatched_requesters or m.unmatched_servers or m.ca_as_leaf:
        return Verdict.MISMATCH
    return Verdict.MATCH


def _summary(
    verdict: Verdict,
    arts: Sequence[Artefact],
    m: MatchResult,
    findings: Sequence[Finding],
    fatal: Sequence[InputProblem],
) -> str:
    errors = sum(1 for f in findings if f.severity is Severity.ERROR)
    warnings = sum(1 for f in findings if f.severity is Severity.WARNING)
    tail = "".join(
        [
            f"; {errors} error{'s' * (errors != 1)}" if errors else "",
            f"; {warnings} warning{'s' * (warnings != 1)}" if warnings else "",
        ]
    )
    if verdict is Verdict.ERROR:
        if len(fatal) == 1:
            return f"error: could not use {fatal[0].source}: {_gist(fatal[0].message)}"
        if fatal:
            names = ", ".join(f"{p.source} ({p.code})" for p in fatal[:5])
            more = f" and {len(fatal) - 5} more" if len(fatal) > 5 else ""
            return f"error: {len(fatal)} inputs could not be used: {names}{more}"
        return "error: " + _gist(_first(findings, ("hash-not-modulus",)))
    if verdict is Verdict.INCOMPLETE:
        if not arts:
            return "incomplete: nothing was given to compare"
        # A CSR handed over as the certificate is the news, not "no certificate was given".
        leading = ("ca-as-leaf", "uc-ca-as-leaf", "nothing-to-compare")
        return "incomplete: " + _first(findings, leading) + tail
    if verdict is Verdict.MISMATCH:
        return "mismatch: " + _first(findings, ("key-mismatch", "ca-as-leaf")) + tail
    # Name only what shares the leaf's key; other certificates given (several servers at once)
    # matched too, or the verdict would not be "match", and are counted.
    matched = [p.right for p in m.pairs if p.match]  # never empty when the verdict is match
    shown = m.leaf if m.leaf in matched else matched[0]
    paired = sorted({p.left for p in m.pairs if p.match and p.right == shown})
    # The same certificate given twice (a .pem and its .der) is not "another" certificate.
    others = len({arts[r].key.spki_sha256 for r in matched} - {arts[shown].key.spki_sha256})
    key = arts[shown].key
    detail = f"{key.algorithm}" + (f" {key.size}" if key.size else "")
    ident = (
        f"modulus md5 {key.modulus_md5}" if key.modulus_md5 else f"SPKI SHA-256 {key.spki_sha256}"
    )
    names = ", ".join(arts[i].source for i in paired)
    more = {0: "", 1: "; 1 more certificate matches its CSR/key"}.get(
        others, f"; {others} more certificates match their CSRs/keys"
    )
    return f"match: {arts[shown].source} carries the key of {names} ({detail}, {ident}){more}{tail}"


def _gist(message: str, limit: int = 160) -> str:
    """The first clause of a (loader) message, short enough for a one-line summary."""
    for stop in ("; ", ". "):
        if stop in message:
            message = message.split(stop, 1)[0]
    return message if len(message) <= limit else message[: limit - 3].rstrip() + "..."


def _first(findings: Sequence[Finding], codes: tuple[str, ...]) -> str:
    """The message of the first finding with one of `codes` (else the first error), no full stop."""
    chosen = next((f for f in findings if f.code in codes), None) or next(
        (f for f in findings if f.severity is Severity.ERROR), None
    )
    return "see the findings" if chosen is None else chosen.message.rstrip(".")
