"""`certmatch scan` when a worker process fails, dies or loses its reader: one line, exit 2.

The forked path (a host with no other thread, the command line) runs in a subprocess, with
a harness that swaps in faults before the workers fork (they inherit them); the forkserver
path (a threaded host) runs here, its workers given a reader from this module by name. Each
run is bounded (a subprocess timeout, or SIGALRM here), so a hang fails the test, and every
run ends with no worker process left.
"""

from __future__ import annotations

import contextlib
import functools
import json
import multiprocessing
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from types import FrameType
from typing import Any

import pytest
from cryptography.hazmat.primitives import serialization

from certmatch.load import Input, LoadResult, load
from certmatch.scan import cli as scan_cli
from certmatch.scan import walk, workers
from certmatch.scan.workers import Read
from tests.factory import Pki, issue, make_csr, make_pki, name, new_key

PEM = serialization.Encoding.PEM
ROOT = Path(__file__).resolve().parent.parent
TAG_VARIABLE = "CERTMATCH_TEST_SCAN_TAG"  # marks a test run's processes, to find leftovers
TIMEOUT = 60.0  # seconds; a scan of this tree takes about one
FOLDERS = 90  # x 3 files: past walk.PARALLEL_MIN_FILES, so the files are read by workers
_REAL_NEW_READER = walk._new_reader
_REAL_LOAD = load
_NEVER_KILL: set[int] = set()  # the test's own process: a fault there must not kill it


# --- faults, swapped in by the harness (forked) or by name (forkserver) --------------------


class Unpicklable(Exception):
    """An exception that cannot cross a pipe (its handle does not pickle)."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.handle = lambda: None


def faulty_reader(max_bytes: int, encode: bool) -> Read:
    """walk._new_reader, failing on `raise.pem`, dying (SIGKILL) on `kill.pem` and stuck on
    `stall.pem` (after writing `stall.pem.reached`)."""
    read = _REAL_NEW_READER(max_bytes, encode)

    def read_one(path: str) -> Any:
        base = os.path.basename(path)
        if base == "raise.pem":
            raise Unpicklable("injected failure")
        if base == "kill.pem" and os.getpid() not in _NEVER_KILL:
            os.kill(os.getpid(), signal.SIGKILL)
        if base == "stall.pem":
            Path(path + ".reached").touch()
            time.sleep(TIMEOUT)
        return read(path)

    return read_one


def failing_load(source: Input) -> LoadResult:
    """certmatch.load.load, raising on `loadfail.pem` (a loader bug)."""
    if os.path.basename(source.name) == "loadfail.pem":
        raise RuntimeError("loader broke")
    return _REAL_LOAD(source)


HARNESS = """
import functools, sys
from certmatch.__main__ import run
from certmatch.scan import cli, walk
from tests import test_scan_workers as faults
walk._new_reader = faults.faulty_reader
walk.load = faults.failing_load
cli.scan = functools.partial(walk.scan, workers=2)
sys.argv[0] = "certmatch"
run()
"""


# --- trees, runs, leftovers ----------------------------------------------------------------


@pytest.fixture(scope="module")
def pki() -> Pki:
    return make_pki("ec256")


def build_tree(root: Path, pki: Pki, fault: str | None = None, at: int = FOLDERS // 2) -> Path:
    """FOLDERS copies of one server (key, CSR, certificate), and `fault` (a CA certificate,
    read by nothing else) in folder `at`."""
    key = new_key("ec256")
    csr = make_csr(key, name(CN="w.example.com"), sans=["DNS:w.example.com"])
    files = {
        "host.key": key.private_bytes(
            PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        ),
        "host.csr": csr.public_bytes(PEM),
        "host.pem": issue(csr, pki).public_bytes(PEM),
    }
    for n in range(FOLDERS):
        folder = root / f"h{n:03d}"
        folder.mkdir(parents=True)
        for file_name, data in files.items():
            (folder / file_name).write_bytes(data)
    if fault is not None:
        (root / f"h{at:03d}" / fault).write_bytes(pki.root.public_bytes(PEM))
    return root


@dataclass
class Ran:
    code: int
    out: str
    err: str
    leftovers: list[int]


def tagged(tag: str) -> list[int]:
    """The processes whose environment carries `tag` (a run's workers inherit it)."""
    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                environ = Path("/proc", entry, "environ").read_bytes()
            except OSError:  # gone, or not ours
                continue
            if f"{TAG_VARIABLE}={tag}".encode() in environ.split(b"\0"):
                found.append(int(entry))
    return found


def run_scan(
    *argv: str,
    stdout: int | None = None,
    while_running: Callable[[subprocess.Popen[bytes]], None] | None = None,
) -> Ran:
    """`certmatch scan ARGV` through the harness, in a subprocess, bounded by TIMEOUT.

    Its output goes to files, not pipes: a worker left behind would hold a pipe open, and
    reading it to the end would wait for that worker instead of catching it.
    """
    tag = uuid.uuid4().hex
    env = os.environ | {TAG_VARIABLE: tag, "PYTHONPATH": str(ROOT)}
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        try:
            with subprocess.Popen(
                [sys.executable, "-c", HARNESS, "scan", *argv],
                stdout=out if stdout is None else stdout,
                stderr=err,
                env=env,
                cwd=ROOT,
            ) as process:
                try:
                    if while_running is not None:
                        while_running(process)
                    process.wait(timeout=TIMEOUT)
                finally:
                    process.kill()  # a no-op once it has exited
            leftovers = tagged(tag)  # at once: a worker still alive now outlived its parent
        finally:
            for pid in tagged(tag):  # a hung run's workers: ours, tagged
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGKILL)
        out.seek(0)
        err.seek(0)
        return Ran(process.returncode, out.read().decode(), err.read().decode(), leftovers)


def one_line(err: str) -> str:
    """stderr must be one line, no traceback."""
    assert "Traceback" not in err
    lines = err.splitlines()
    assert len(lines) == 1, err
    return lines[0]


pytestmark = pytest.mark.skipif(not Path("/proc/self/environ").exists(), reason="needs /proc")


# --- the forked path (the command line) ----------------------------------------------------


def test_a_loader_exception_in_a_worker_is_listed_and_the_scan_goes_on(
    tmp_path: Path, pki: Pki
) -> None:
    tree = build_tree(tmp_path, pki, "loadfail.pem")
    ran = run_scan("--json", str(tree))
    doc = json.loads(ran.out)
    assert ran.err == "" and ran.leftovers == []
    assert doc["files"] == FOLDERS * 3 + 1
    (problem,) = doc["problems"]
    assert problem["source"].endswith("loadfail.pem")
    assert problem["message"] == "could not be read (RuntimeError: loader broke)"
    assert len(doc["artifacts"]) == FOLDERS * 3


def test_a_worker_that_raises_stops_the_scan_with_one_line_naming_the_file(
    tmp_path: Path, pki: Pki
) -> None:
    tree = build_tree(tmp_path, pki, "raise.pem")
    ran = run_scan("--json", str(tree))
    fault = tree / f"h{FOLDERS // 2:03d}" / "raise.pem"
    assert one_line(ran.err) == (
        "certmatch scan: error: the scan stopped (a scan worker failed reading "
        f"{fault} (Unpicklable: injected failure))"
    )
    assert ran.code == 2 and ran.leftovers == []
    doc = json.loads(ran.out)  # closed as docs/scan.md says: what was written, then the end
    assert doc["verdict"] == "error" and "raise.pem" in doc["summary"]
    assert 0 < len(doc["artifacts"]) < FOLDERS * 3
    assert doc["pairs"] == [] and doc["sets"] == []


@pytest.mark.parametrize("as_json", [True, False], ids=["json", "text"])
def test_a_worker_killed_mid_scan_stops_the_scan_with_one_line(
    tmp_path: Path, pki: Pki, as_json: bool
) -> None:
    tree = build_tree(tmp_path, pki, "kill.pem")
    ran = run_scan(*(["--json"] if as_json else []), str(tree))
    line = one_line(ran.err)
    assert line.startswith("certmatch scan: error: the scan stopped (a scan worker (pid ")
    assert line.endswith(" was killed by SIGKILL before sending all its records)")
    assert ran.code == 2 and ran.leftovers == []
    if as_json:
        doc = json.loads(ran.out)
        assert doc["verdict"] == "error" and "SIGKILL" in doc["summary"]
        assert len(doc["artifacts"]) < FOLDERS * 3
    else:
        assert ran.out == ""  # the report is written at the end, and there was no end


@pytest.mark.parametrize("as_json", [True, False], ids=["json", "text"])
def test_a_closed_stdout_stops_the_scan_with_one_line(
    tmp_path: Path, pki: Pki, as_json: bool
) -> None:
    tree = build_tree(tmp_path, pki)
    read_end, write_end = os.pipe()
    os.close(read_end)  # `scan ... | head -1` once head has gone: every write fails
    try:
        ran = run_scan(*(["--json"] if as_json else []), str(tree), stdout=write_end)
    finally:
        os.close(write_end)
    assert one_line(ran.err) == (
        "certmatch scan: stopped: the output was closed before the scan finished"
    )
    assert ran.code == 2 and ran.leftovers == []


def test_an_interrupted_scan_kills_a_stuck_worker_and_ends_the_document(
    tmp_path: Path, pki: Pki
) -> None:
    # In the last folder: most artefacts are written (streamed) before the scan is stuck.
    tree = build_tree(tmp_path, pki, "stall.pem", at=FOLDERS - 1)
    reached = tree / f"h{FOLDERS - 1:03d}" / "stall.pem.reached"

    def interrupt(process: subprocess.Popen[bytes]) -> None:
        give_up = time.monotonic() + TIMEOUT
        while not reached.exists() and process.poll() is None and time.monotonic() < give_up:
            time.sleep(0.05)
        assert reached.exists(), "the worker never reached stall.pem"
        time.sleep(1.0)  # for the parent to stream what came before
        process.send_signal(signal.SIGINT)  # Ctrl-C, to the scan only: its worker is stuck

    ran = run_scan("--json", str(tree), while_running=interrupt)
    assert one_line(ran.err) == "certmatch scan: error: the scan stopped (interrupted)"
    assert ran.code == 2 and ran.leftovers == []  # the stuck worker was killed
    doc = json.loads(ran.out)  # the streamed document closed, not followed by another one
    assert doc["verdict"] == "error" and doc["summary"] == "error: the scan stopped (interrupted)"
    assert len(doc["artifacts"]) > 0  # it had been streaming


def test_a_scan_with_no_fault_runs_clean_through_the_harness(tmp_path: Path, pki: Pki) -> None:
    # The harness itself changes nothing: the tests above fail because of their fault.
    tree = build_tree(tmp_path, pki)
    ran = run_scan("--json", str(tree))
    serial = walk.scan([str(tree)], workers=1)
    assert (ran.code, ran.err, ran.leftovers) == (serial.exit_code, "", [])
    doc = json.loads(ran.out)
    assert doc["artifacts"] == serial.to_dict()["artifacts"]
    assert len(doc["artifacts"]) == FOLDERS * 3


# --- the forkserver path (a threaded host), in this process --------------------------------


class Hung(BaseException):
    """Raised by SIGALRM in a run that outlived its deadline (not an Exception: the scan's
    error handling must not swallow it)."""


@contextlib.contextmanager
def deadline(seconds: float) -> Iterator[None]:
    def expire(_signum: int, _frame: FrameType | None) -> None:
        raise Hung(f"still running after {seconds} s")

    previous = signal.signal(signal.SIGALRM, expire)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


@contextlib.contextmanager
def threaded_host() -> Iterator[None]:
    """Another thread alive, so the scan starts its workers through the forkserver."""
    release = threading.Event()
    host_thread = threading.Thread(target=release.wait)
    host_thread.start()
    try:
        yield
    finally:
        release.set()
        host_thread.join()


@pytest.mark.parametrize(
    ("fault", "says"),
    [
        ("raise.pem", "a scan worker failed reading {path} (Unpicklable: injected failure)"),
        ("kill.pem", " was killed by SIGKILL before sending all its records"),
    ],
    ids=["raises", "killed"],
)
def test_a_forkserver_worker_that_fails_stops_the_scan_with_one_line(
    tmp_path: Path,
    pki: Pki,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    fault: str,
    says: str,
) -> None:
    tree = build_tree(tmp_path, pki, fault)
    started: list[str] = []
    real_served = workers.served

    def served(*args: Any) -> Any:
        started.append("forkserver")
        return real_served(*args)

    monkeypatch.setattr(walk, "served", served)
    monkeypatch.setattr(walk, "_new_reader", faulty_reader)  # pickled to the workers by name
    monkeypatch.setattr(scan_cli, "scan", functools.partial(walk.scan, workers=2))
    monkeypatch.setattr(sys.modules[__name__], "_NEVER_KILL", {os.getpid()})
    with threaded_host(), deadline(TIMEOUT):
        code = scan_cli.main(["--json", str(tree)])
    captured = capsys.readouterr()
    assert started == ["forkserver"]
    line = one_line(captured.err)
    assert line.startswith("certmatch scan: error: the scan stopped (")
    assert says.format(path=tree / f"h{FOLDERS // 2:03d}" / fault) + ")" in line
    assert code == 2
    doc = json.loads(captured.out)
    assert doc["verdict"] == "error" and len(doc["artifacts"]) < FOLDERS * 3
    assert multiprocessing.active_children() == []  # every worker reaped
