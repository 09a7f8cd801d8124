"""Reading a tree for `certmatch scan`: walk the folders, load each file into a slim record, pair.

Files are read by `certmatch.load.load` in worker processes when there are many (a chunk of
paths in, slim records out: no parsed objects, no PEM, never a private key crosses a process
boundary), and come back in path order, so each file's artefacts are final (and can be
written out, scan/jsonout.py) as soon as its record arrives. Identical files (the same CA
certificate in 500 folders, a tree of backups) are loaded once per worker: a repeat costs a
read and a SHA-256, and its record is the first one's under the new name (scan/records.py,
`renamed`). Pairing is one dict pass in this process (scan/index.py); the command line is
scan/cli.py. Memory holds fingerprints and metadata per artefact, never file contents beyond
the file being read.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import json
import os
import stat
import zlib
from collections.abc import Callable, Generator, Sequence
from datetime import UTC, datetime

from cryptography import x509

from certmatch.errors import EncryptedKeyError, UnusableInputError
from certmatch.load import Input, load
from certmatch.model import Artefact, InputProblem
from certmatch.scan.index import Index
from certmatch.scan.inventory import Inventory, build_inventory
from certmatch.scan.progress import Progress
from certmatch.scan.records import Links, Repeat, ScannedFile, renamable, renamed, slim
from certmatch.scan.workers import Read, can_fork, forked, served

PARALLEL_MIN_FILES = 200  # below this, starting workers costs more than it saves
CHUNK_FILES = 64  # small enough for a smooth progress bar and balanced cores
_SKIPPED_FOLDERS = frozenset({".git", ".hg", ".svn"})
# Digests of the files this process loaded, with whether the record can be renamed; bounded so
# a worker's memory stays flat on a tree of distinct files (about 0.2 KiB a digest: 4 MiB a
# worker at this bound; a cleared cache only costs a repeat being loaded again).
_SEEN_MAX = 20_000
# First records of distinct contents the parent keeps with their JSON, for their copies. A
# tree of backups repeats a few thousand contents (the bench's 2,200), far below the bound; at
# 100,000 distinct files, 20,000 kept 16 MiB of JSON the parent rarely needed (issue 18).
_FIRSTS_WITH_JSON = 4_000


def walk(paths: Sequence[str]) -> tuple[list[str], list[InputProblem]]:
    """Every file under `paths` (sorted by path; symlinked folders and .git/.hg/.svn not
    followed), and the paths that could not be walked."""
    files: list[str] = []
    problems: list[InputProblem] = []
    for path in paths:
        if os.path.isdir(path):
            for folder, dirs, names in os.walk(path, onerror=lambda e: problems.append(_os(e))):
                # version-control metadata holds compressed copies, not certificates
                dirs[:] = [d for d in dirs if d not in _SKIPPED_FOLDERS]
                files.extend(os.path.join(folder, n) for n in names)
        elif os.path.exists(path):
            files.append(path)
        else:
            problems.append(InputProblem(path, "no such file or folder"))
    # One sort of the whole list: the order the artefacts are numbered (and streamed) in.
    files.sort()
    return files, problems


def _os(error: OSError) -> InputProblem:
    return InputProblem(str(error.filename or "?"), error.strerror or str(error))


def _read_bytes(path: str, max_bytes: int) -> bytes | ScannedFile:
    """The file's bytes, or the record saying why it cannot be read (never a raise).

    One open and fstat per file (a stat of the path first cost a second lookup, 5 us of the
    25 us a file costs here); O_NONBLOCK so a named pipe is opened, seen and closed instead
    of waited on.
    """
    try:
        fd = os.open(path, _OPEN_FLAGS)
    except OSError as exc:
        return _problem(path, _unopenable(path, exc))
    try:
        info = os.fstat(fd)
        if info.st_size > max_bytes:
            return _problem(
                path, f"{info.st_size:,} bytes, over the {max_bytes:,}-byte limit for one input"
            )
        if not stat.S_ISREG(info.st_mode):
            return _problem(path, "not a regular file")
        chunks = []
        left = max_bytes + 1
        while left > 0:
            chunk = os.read(fd, left)
            if not chunk:
                break
            chunks.append(chunk)
            left -= len(chunk)
        return b"".join(chunks)
    except OSError as exc:
        return _problem(path, exc.strerror or str(exc))
    finally:
        os.close(fd)


_OPEN_FLAGS = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0)


def _unopenable(path: str, exc: OSError) -> str:
    """Why `path` could not be opened: a socket or device says "not a regular file" (as a
    stat would have), anything else the system's reason."""
    try:
        info = os.stat(path)
    except OSError:
        return exc.strerror or str(exc)
    return "not a regular file" if not stat.S_ISREG(info.st_mode) else exc.strerror or str(exc)


def _load_record(path: str, data: bytes) -> ScannedFile:
    """Load one file's bytes into a slim record; every failure becomes a listed problem."""
    try:
        result = load(Input(name=path, data=data))
    except EncryptedKeyError as exc:
        return _problem(path, str(exc), "key-encrypted")
    except UnusableInputError as exc:
        return _problem(path, str(exc))
    except Exception as exc:  # a loader bug must not end a 10,000-file scan; name it instead
        return _problem(path, f"could not be read ({type(exc).__name__}: {exc})")
    return ScannedFile(
        path=path,
        artefacts=tuple(slim(a) for a in result.artefacts),
        links=tuple(_links(a) for a in result.artefacts),
        problems=tuple(result.problems),
    )


def read_file(path: str, max_bytes: int) -> ScannedFile:
    """Load one file into a slim record; every failure becomes a listed problem, never a raise."""
    data = _read_bytes(path, max_bytes)
    return data if isinstance(data, ScannedFile) else _load_record(path, data)


def _problem(path: str, message: str, code: str = "unreadable-input") -> ScannedFile:
    return ScannedFile(path=path, problems=(InputProblem(path, message, code),))


def _links(artefact: Artefact) -> Links:
    cert = artefact.native
    if not isinstance(cert, x509.Certificate):
        return Links()
    ski = aki = None
    for ext in cert.extensions:
        if isinstance(ext.value, x509.SubjectKeyIdentifier):
            ski = ext.value.digest.hex()
        elif isinstance(ext.value, x509.AuthorityKeyIdentifier) and ext.value.key_identifier:
            aki = ext.value.key_identifier.hex()
    return Links(ski, aki)


class _Reader:
    """Reads files in one process, loading each distinct content once.

    A file whose bytes this process already loaded (and whose record names nothing but its
    own path, so renaming it is exact) comes back as a `Repeat`: the receiving side has the
    first record, in path order before it, and renames it. With `encode`, each artefact's
    JSON is written here too (in the workers, in parallel), for the streamed document.
    """

    def __init__(self, max_bytes: int, encode: bool) -> None:
        self.max_bytes = max_bytes
        self.encode = encode
        self.seen: dict[bytes, bool] = {}

    def read(self, path: str) -> ScannedFile | Repeat:
        data = _read_bytes(path, self.max_bytes)
        if isinstance(data, ScannedFile):
            return data
        digest = hashlib.sha256(data).digest()
        if self.seen.get(digest):
            return Repeat(path, digest)
        record = _load_record(path, data)
        if len(self.seen) >= _SEEN_MAX:
            self.seen.clear()
        exact = self.seen[digest] = renamable(record)
        if not (exact or self.encode):
            return record
        encoded = tuple(json.dumps(a.to_dict()) for a in record.artefacts) if self.encode else ()
        return ScannedFile(
            path,
            record.artefacts,
            record.links,
            record.problems,
            digest if exact else None,
            encoded,
        )


def _new_reader(max_bytes: int, encode: bool) -> Read:
    """A worker's reader (scan/workers.py; module-level, so the forkserver can pickle it)."""
    return _Reader(max_bytes, encode).read


def _without_json(record: ScannedFile) -> ScannedFile:
    return ScannedFile(record.path, record.artefacts, record.links, record.problems, record.digest)


def _worker_of(path: str, workers: int) -> int:
    """Which worker reads `path`: by its last two names, so the copies of one file in many
    backup folders meet the same worker's cache (and load once, not once per worker)."""
    tail = "/".join(path.rsplit(os.sep, 2)[-2:])
    return zlib.crc32(tail.encode("utf-8", "surrogateescape")) % workers


def read_all(
    files: Sequence[str], max_bytes: int, workers: int, encode: bool = False
) -> Generator[list[ScannedFile | Repeat], None, None]:
    """Chunks of records in path order; in this process when few files or one core."""
    if workers < 2 or len(files) < PARALLEL_MIN_FILES:
        reader = _Reader(max_bytes, encode)
        for start in range(0, len(files), CHUNK_FILES):
            yield [reader.read(p) for p in files[start : start + CHUNK_FILES]]
        return
    owner = [_worker_of(p, workers) for p in files]
    shares: list[list[str]] = [[] for _ in range(workers)]
    for path, w in zip(files, owner, strict=True):
        shares[w].append(path)
    # One worker per share, each reading its share in path order, merged here back into the
    # global path order: every file's artefacts are numbered and final on arrival, and the
    # output does not depend on which worker was faster (scan/workers.py).
    # A worker that fails or dies raises WorkerError here, on the first record it owes.
    if can_fork():
        _import_for_workers()
    start_workers = forked if can_fork() else served
    started = start_workers(shares, functools.partial(_new_reader, max_bytes, encode), CHUNK_FILES)
    try:
        streams = next(started)
        for start in range(0, len(files), CHUNK_FILES):
            yield [next(streams[w]) for w in owner[start : start + CHUNK_FILES]]
    finally:
        started.close()


def _import_for_workers() -> None:
    """Import here, once, what every worker would import on its first key or bundle.

    Why: the loader imports these on first use (a one-pair check needs none of them), so each
    forked worker imported them again, cryptography's `serialization` with the dataclasses
    and inspect modules it brings (about 25 ms of CPU a worker); forked after this, the
    workers inherit them.
    """
    import cryptography.hazmat.primitives.serialization  # noqa: F401

    import certmatch.load.bundles
    import certmatch.load.privatekeys  # noqa: F401


def scan(
    paths: Sequence[str],
    *,
    expiring_days: int = 30,
    profile: str = "generic",
    now: datetime | None = None,
    workers: int | None = None,
    progress: Progress | None = None,
    on_file: Callable[[Index, ScannedFile], None] | None = None,
) -> Inventory:
    """The inventory of `paths`. `on_file(index, record)` runs as each file's record is added
    (in path order), while the rest are still being read: the streamed JSON writes its
    artefacts there."""
    from certmatch.load.limits import DEFAULT_LIMITS

    files, walk_problems = walk(paths)
    index = Index()
    index.problems.extend(walk_problems)
    if progress is not None:
        progress.total = max(len(files), 1)
    firsts: dict[bytes, ScannedFile] = {}  # digest -> the first record of that content
    workers = workers or os.cpu_count() or 1
    max_bytes = DEFAULT_LIMITS.max_input_bytes
    encode = on_file is not None
    # closing(): an error here (a closed stdout in on_file) stops the workers at once, not
    # when the traceback that holds this frame is freed.
    with contextlib.closing(read_all(files, max_bytes, workers, encode)) as chunks:
        for chunk in chunks:
            for item in chunk:
                if isinstance(item, Repeat):
                    # None only when another worker's first copy had a name that made renaming
                    # inexact; then this process loads the file itself.
                    copy = renamed(firsts[item.digest], item.path)
                    record = copy if copy is not None else read_file(item.path, max_bytes)
                else:
                    record = item
                    if record.digest is not None and record.digest not in firsts:
                        # Past the bound, a first record is kept without its JSON (about 0.8 KiB
                        # an artefact, 80 MiB at 100,000 distinct files); a later copy of it is
                        # then encoded here, the same text (about 50 us a copy).
                        firsts[record.digest] = (
                            record if len(firsts) < _FIRSTS_WITH_JSON else _without_json(record)
                        )
                index.add(record)
                if on_file is not None:
                    on_file(index, record)
            if progress is not None:
                progress.advance(len(chunk))
    return build_inventory(
        index, now=now or datetime.now(UTC), expiring_days=expiring_days, profile=profile
    )
