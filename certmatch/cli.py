"""`python -m certmatch`: argument parsing, reading files/stdin, printing text or JSON, exit codes.

Exit codes (DESIGN.md, `Report.exit_code`): 0 match and usable, 1 mismatch, 2 unusable input or
nothing to compare, 3 the keys match but an error finding blocks use (expired, ...). With
`--json` stdout carries exactly one JSON document whatever happens, including usage errors and
internal errors. Heavy modules (cryptography via the engine) are imported only once the
arguments are known, so `--help` and usage errors answer at once.
"""

from __future__ import annotations

import argparse
import io
import os
import sys
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import TYPE_CHECKING, NoReturn

# The registry imports no rules, so argument errors still answer before the rules load.
from certmatch.rules.registry import DEFAULT_PRODUCTS, PROFILE_NAMES, PROFILE_PRODUCTS

if TYPE_CHECKING:
    from certmatch.load import Input
    from certmatch.model import Endpoint, InputProblem, Report
    from certmatch.rules.trust import TrustAnchors

DEFAULT_PASSWORD_ENV = "CERTMATCH_PFX_PASSWORD"
_STDIN_NAME = "stdin"


class UsageError(Exception):
    """A command-line mistake; the message says what to change."""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        raise UsageError(message)


class _FixedWidthFormatter(argparse.HelpFormatter):
    """The formatter argparse builds on every add_argument only to check the metavar.

    Why: argparse's own looks up the terminal width with shutil, whose import (with bz2, lzma
    and fnmatch) costs about 2 ms of every run (issue 18); the width matters only for help and
    usage text, which the parser formats with argparse's default once the arguments are added.
    """

    def __init__(self, prog: str) -> None:
        super().__init__(prog, width=80)


def _parser(connect: bool = False) -> _Parser:
    parser = _Parser(
        formatter_class=_FixedWidthFormatter,
        prog="certmatch connect" if connect else "certmatch",
        # No abbreviations: `--js` would be taken for --json by argparse but not by main(), so
        # a failure after it would print text where the script expects one JSON document.
        allow_abbrev=False,
        description="Does this CA-signed certificate belong to that CSR or private key, and if "
        "not, why not? Give the CSR (or key, or the `MD5(stdin)= ...` line) and the "
        "certificate(s) in any order and form (PEM, DER, PKCS#7, PKCS#12, pasted text).",
        epilog="Exit status: 0 match and usable; 1 mismatch (also when the only certificate "
        "is a CA certificate); 2 unusable input or nothing to compare; 3 the keys match but an "
        "error finding blocks use (expired, refused by the profile's server rules, ...). "
        "`certmatch scan PATH...` pairs whole folders.",
    )
    parser.epilog = (parser.epilog or "") + (
        " `certmatch connect HOST[:PORT] [FILE...]` checks what a TLS server serves."
    )
    if connect:
        _connect_arguments(parser)
    else:
        parser.add_argument("files", nargs="+", metavar="FILE", help="files to compare; - is stdin")
    parser.add_argument("--json", action="store_true", help="print one JSON document on stdout")
    parser.add_argument("--profile", choices=PROFILE_NAMES, default="generic", help="rule set")
    parser.add_argument(
        "--purpose", metavar="NAME", help="service the certificate is for (cisco-uc: tomcat, ...)"
    )
    parser.add_argument(
        "--product",
        type=str.lower,
        choices=PROFILE_PRODUCTS["cisco-uc"],
        help="cisco-uc: the product the certificate is for (default "
        f"{DEFAULT_PRODUCTS['cisco-uc']})",
    )
    parser.add_argument("--ca-note", action="store_true", help="print the re-issue note to the CA")
    parser.add_argument(
        "--verbose",
        action="store_true",
        help="text: every artefact's fields, every finding, the chain and the openssl commands",
    )
    parser.add_argument(
        "--password-file", metavar="PATH", help="file holding the PKCS#12/private key password"
    )
    parser.add_argument(
        "--password-env",
        metavar="VAR",
        default=DEFAULT_PASSWORD_ENV,
        help=f"environment variable holding the password (default {DEFAULT_PASSWORD_ENV})",
    )
    parser.add_argument(
        "--now", metavar="ISO8601", type=_moment, help="check validity at this time (UTC)"
    )
    parser.add_argument(
        "--ca-file",
        metavar="FILE",
        action="append",
        default=[],
        help="trust anchors (PEM or PKCS#7) to validate the chain against; repeatable",
    )
    parser.add_argument(
        "--system-trust", action="store_true", help="validate the chain against the system store"
    )
    parser.add_argument(
        "--host",
        metavar="NAME",
        action="append",
        default=[],
        help="check that the server certificate covers this host name or IP; repeatable",
    )
    parser.formatter_class = argparse.HelpFormatter  # --help and usage at the terminal's width
    return parser


def _connect_arguments(parser: argparse.ArgumentParser) -> None:
    parser.description = (
        "Fetch the chain a TLS server serves (handshake only, not verified) and check it like "
        "files: the served server certificate against the CSRs, keys, md5 lines and "
        "certificates given, plus the served chain and the host name."
    )
    parser.add_argument(
        "target", metavar="HOST[:PORT]", help="host name or IP (port 443), or https://HOST/..."
    )
    parser.add_argument("files", nargs="*", metavar="FILE", help="files to compare; - is stdin")
    parser.add_argument("--servername", metavar="NAME", help="SNI to send (default: HOST)")
    parser.add_argument(
        "--timeout",
        metavar="SECONDS",
        type=_seconds,
        default=5.0,
        help="for connecting and the handshake together (default 5)",
    )
    parser.add_argument(
        "--starttls",
        choices=("xmpp", "xmpp-server", "smtp"),
        help="speak this protocol's plain-text start first, as openssl s_client -starttls",
    )


def _seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = -1.0
    if not 0 < value <= 300:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of seconds from 0 to 300")
    return value


def _moment(text: str) -> datetime:
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"{text!r} is not an ISO 8601 time (example: 2026-06-01T12:00:00Z)"
        ) from None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    want_json = "--json" in args
    try:
        if args[:1] == ["scan"]:
            from certmatch.scan.cli import main as scan_main

            return scan_main(args[1:])
        if args[:1] == ["connect"]:
            return _run(args[1:], connect=True)
        return _run(args)
    except UsageError as exc:
        return _fail(f"usage: {exc} (see certmatch --help)", want_json, "usage")
    except KeyboardInterrupt:
        return _fail("interrupted", want_json, "interrupted")
    except Exception as exc:  # the promise: never a traceback, always an answer
        return _fail(
            f"internal error ({type(exc).__name__}: {exc}); please report it",
            want_json,
            "internal-error",
        )


def _run(argv: list[str], connect: bool = False) -> int:
    parser = _parser(connect)
    # Intermixed: `connect HOST --servername NAME FILE` must still take FILE as a file.
    args = parser.parse_intermixed_args(argv) if connect else parser.parse_args(argv)
    password = _password(args.password_file, args.password_env)
    trust = _trust(args.ca_file, args.system_trust)

    from certmatch.check import check
    from certmatch.load import Input
    from certmatch.load.limits import DEFAULT_LIMITS

    inputs: list[Input] = []
    unread: list[InputProblem] = []
    for path in args.files:
        name = _STDIN_NAME if path == "-" else path
        data = _read(path, DEFAULT_LIMITS.max_input_bytes, unread)
        if data is not None:
            inputs.append(Input(name, data, password))
    served, endpoint = _served(args, unread) if connect else ([], None)
    try:
        report = check(
            inputs,
            profile=args.profile,
            purpose=args.purpose,
            product=args.product,
            now=args.now,
            limits=DEFAULT_LIMITS,
            problems=unread,
            served=served,
            endpoint=endpoint,
            trust=trust,
            hosts=args.host,
        )
    except ValueError as exc:  # a purpose or product the profile does not know
        raise UsageError(str(exc)) from exc
    _emit(report, as_json=args.json, ca_note=args.ca_note, verbose=args.verbose)
    return report.exit_code


def _served(args: argparse.Namespace, unread: list[InputProblem]) -> tuple[list[Input], Endpoint]:
    """The chain the server sends, as inputs in its order; a failure becomes a problem."""
    from certmatch.connect.command import fetch_served

    try:
        return fetch_served(
            args.target,
            servername=args.servername,
            timeout=args.timeout,
            starttls=args.starttls,
            problems=unread,
        )
    except ValueError as exc:  # HOST[:PORT] not understood
        raise UsageError(str(exc)) from exc


def _trust(ca_files: Sequence[str], system: bool) -> TrustAnchors | None:
    if not ca_files and not system:
        return None
    from certmatch.anchors import load_trust

    try:
        return load_trust(ca_files, system=system)
    except ValueError as exc:  # a trust file that cannot be read: the option is wrong
        raise UsageError(str(exc)) from exc


def _password(path: str | None, env_var: str) -> bytes | None:
    if path is not None:
        try:
            with open(path, "rb") as handle:
                lines = handle.read(64 * 1024).splitlines()
            return lines[0] if lines else b""
        except OSError as exc:
            raise UsageError(f"cannot read the password file {path}: {exc.strerror}") from None
    # The one environment read the engine allows (tests/test_layers.py): the PKCS#12 password.
    value = os.environ.get(env_var)
    return value.encode("utf-8") if value else None


def _read(path: str, max_bytes: int, unread: list[InputProblem]) -> bytes | None:
    """The input's bytes, at most one byte over the limit so the loader can name the excess."""
    from certmatch.model import InputProblem

    try:
        if path == "-":
            return sys.stdin.buffer.read(max_bytes + 1)
        with open(path, "rb") as handle:
            return handle.read(max_bytes + 1)
    except IsADirectoryError:
        message = "is a folder; give files, or use `certmatch scan` for folders"
    except FileNotFoundError:
        message = "no such file"
    except OSError as exc:
        message = f"cannot be read ({exc.strerror or type(exc).__name__})"
    unread.append(InputProblem(path, message))
    return None


def _emit(report: Report, *, as_json: bool, ca_note: bool, verbose: bool) -> None:
    if as_json:
        import json

        text = json.dumps(report.to_dict(), indent=2) + "\n"
    elif verbose or report.verdict.value == "incomplete":
        # Nothing to compare (one file): the decode of what was given is the useful answer.
        from certmatch.report.text import render_text

        text = render_text(report, ca_note=ca_note)
    else:
        from certmatch.report.compact import render_compact

        text = render_compact(report)
        if ca_note:
            from certmatch.report.text import render_ca_note  # only then (issue 18)

            text += render_ca_note(report)
    if report.endpoint is not None and not as_json:
        from certmatch.report.endpoint import render_endpoint

        text += render_endpoint(report)
    if isinstance(sys.stdout, io.TextIOWrapper):
        # Subjects may hold any Unicode; a console that cannot show it (a Windows code page,
        # PYTHONIOENCODING=ascii) gets escapes instead of an "internal error".
        sys.stdout.reconfigure(errors="backslashreplace")
    try:
        sys.stdout.write(text)
        sys.stdout.flush()
    except BrokenPipeError:
        # `certmatch ... | head`: the reader left; nothing more to say.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())


def _fail(message: str, as_json: bool, code: str) -> int:
    """Report a failure that happened outside the engine: one JSON document or one stderr line."""
    if as_json:
        import json

        document = {
            "verdict": "error",
            "usable": None,
            "blocking": [],
            "summary": f"error: {message}",
            "profile": None,
            "purpose": None,
            "purpose_assumed": False,
            "ca_note": None,
            "artifacts": [],
            "pairs": [],
            "diff": [],
            "findings": [],
            "leaf": None,
            "chain": [],
            "problems": [{"source": "certmatch", "message": message, "code": code}],
            "commands": [],
        }
        sys.stdout.write(json.dumps(document, indent=2) + "\n")
    else:
        sys.stderr.write(f"certmatch: {message}\n")
    return 2
