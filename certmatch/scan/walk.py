"""Reading a tree for `certmatch scan`: walk the folders, load each file into a slim record, pair.

Files are read by `certmatch.load.load` in worker processes when there are many (a chunk of
paths in, slim records out: no parsed objects, no PEM, never a private key crosses a process
boundary), then paired in this process with one dict pass (scan/index.py). The command line is scan/cli.py. Memory holds
fingerprints and metadata per artefact, never file contents beyond the file being read.
"""

from __future__ import annotations

import multiprocessing
import os
import threading
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime

from cryptography import x509

from certmatch.errors import EncryptedKeyError, UnusableInputError
from certmatch.load import Input, load
from certmatch.model import Artefact, InputProblem
from certmatch.scan.index import Index, Links, ScannedFile, slim
from certmatch.scan.inventory import Inventory, build_inventory
from certmatch.scan.progress import Progress

PARALLEL_MIN_FILES = 200  # below this, starting workers costs more than it saves
CHUNK_FILES = 64  # small enough for a smooth progress bar and balanced cores
_SKIPPED_FOLDERS = frozenset({".git", ".hg", ".svn"})


def walk(paths: Sequence[str]) -> tuple[list[str], list[InputProblem]]:
    """Every file under `paths` (sorted; symlinked folders and .git/.hg/.svn not followed), and
    the paths that could not be walked."""
    files: list[str] = []
    problems: list[InputProblem] = []
    for path in paths:
        if os.path.isdir(path):
            for folder, dirs, names in os.walk(path, onerror=lambda e: problems.append(_os(e))):
                # version-control metadata holds compressed copies, not certificates
                dirs[:] = sorted(d for d in dirs if d not in _SKIPPED_FOLDERS)
                files.extend(os.path.join(folder, n) for n in sorted(names))
        elif os.path.exists(path):
            files.append(path)
        else:
            problems.append(InputProblem(path, "no such file or folder"))
    return files, problems


def _os(error: OSError) -> InputProblem:
    return InputProblem(str(error.filename or "?"), error.strerror or str(error))


def read_file(path: str, max_bytes: int) -> ScannedFile:
    """Load one file into a slim record; every failure becomes a listed problem, never a raise."""
    try:
        size = os.stat(path).st_size
        if size > max_bytes:
            return _problem(
                path, f"{size:,} bytes, over the {max_bytes:,}-byte limit for one input"
            )
        if not os.path.isfile(path):
            return _problem(path, "not a regular file")
        with open(path, "rb") as handle:
            data = handle.read(max_bytes + 1)
        result = load(Input(name=path, data=data))
    except EncryptedKeyError as exc:
        return _problem(path, str(exc), "key-encrypted")
    except UnusableInputError as exc:
        return _problem(path, str(exc))
    except OSError as exc:
        return _problem(path, exc.strerror or str(exc))
    except Exception as exc:  # a loader bug must not end a 10,000-file scan; name it instead
        return _problem(path, f"could not be read ({type(exc).__name__}: {exc})")
    return ScannedFile(
        path=path,
        artefacts=tuple(slim(a) for a in result.artefacts),
        links=tuple(_links(a) for a in result.artefacts),
        problems=tuple(result.problems),
    )


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


def _read_chunk(job: tuple[list[str], int]) -> list[ScannedFile]:
    paths, max_bytes = job
    return [read_file(p, max_bytes) for p in paths]


def read_all(files: Sequence[str], max_bytes: int, workers: int) -> Iterator[list[ScannedFile]]:
    """Chunks of records as they complete; in this process when few files or one core."""
    chunks = [list(files[i : i + CHUNK_FILES]) for i in range(0, len(files), CHUNK_FILES)]
    if workers < 2 or len(files) < PARALLEL_MIN_FILES:
        for chunk in chunks:
            yield _read_chunk((chunk, max_bytes))
        return
    # fork: workers inherit the imported engine instead of importing it again. Forking a
    # process that runs other threads can deadlock a child (and warns from Python 3.12), so
    # a host with threads (a test run, an embedding app) gets forkserver instead.
    method = "fork" if threading.active_count() == 1 else "forkserver"
    context = multiprocessing.get_context(method)
    with context.Pool(workers) as pool:
        yield from pool.imap_unordered(_read_chunk, [(c, max_bytes) for c in chunks])


def scan(
    paths: Sequence[str],
    *,
    expiring_days: int = 30,
    profile: str = "generic",
    now: datetime | None = None,
    workers: int | None = None,
    progress: Progress | None = None,
) -> Inventory:
    from certmatch.load.limits import DEFAULT_LIMITS

    files, walk_problems = walk(paths)
    index = Index()
    index.problems.extend(walk_problems)
    records: list[ScannedFile] = []
    if progress is not None:
        progress.total = max(len(files), 1)
    for chunk in read_all(files, DEFAULT_LIMITS.max_input_bytes, workers or os.cpu_count() or 1):
        records.extend(chunk)
        if progress is not None:
            progress.advance(len(chunk))
    records.sort(key=lambda r: r.path)  # workers finish out of order; output must not
    for record in records:
        index.add(record)
    return build_inventory(
        index, now=now or datetime.now(UTC), expiring_days=expiring_days, profile=profile
    )
