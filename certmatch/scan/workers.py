"""The scan's worker processes: each reads its share of the files and streams the records back.

Two ways to start them, same records in the same order. On a host with no other thread (the
command line), `forked` forks one process per share, which inherits the imported engine and
its share of the path list; a threaded host (a test run, an embedding app) gets `served`:
one process per share started by multiprocessing's forkserver, since forking a process that
runs other threads can deadlock the child (and warns from Python 3.12). Either way the worker
runs `_serve`, sending pickled chunks of records down a pipe; the parent drains every pipe as
data arrives (a worker never waits for the parent to want its records) and hands each
worker's records out in order. Why not multiprocessing's pool: importing it, starting a pool
per worker, pickling every chunk of paths and its three threads per pool cost about 30 ms of
the parent's CPU on the 2,200-file corpus (issue 18), and a pool waits forever for the chunk
of a worker that was killed.

A worker that fails says so in its last frame (`WorkerError`, naming the file); one that dies
without a word (killed, out of memory) ends its pipe early, and the parent raises
`WorkerError` with how it ended. Whatever way the caller stops, the workers still running are
killed and reaped, every wait bounded.
"""

from __future__ import annotations

import contextlib
import os
import pickle
import select
import signal
import struct
import sys
import time
from collections import deque
from collections.abc import Callable, Generator, Iterator, Sequence
from typing import Any, Protocol

Read = Callable[[str], Any]
_FRAME = struct.Struct("<Q")  # the byte length of the pickled chunk that follows
_REAP_SECONDS = 5.0  # how long a killed (or just finished) worker is waited for
_POLL_SECONDS = 1.0  # how often a parent waiting on the pipes checks the workers are alive


class WorkerError(Exception):
    """A scan worker failed or stopped before sending all its records; the message says how."""


class _Worker(Protocol):
    """What the parent needs of a worker: multiprocessing.Process has it, `_Child` too."""

    @property
    def pid(self) -> int | None: ...
    @property
    def exitcode(self) -> int | None: ...
    def join(self, timeout: float | None = None) -> None: ...
    def kill(self) -> None: ...


def can_fork() -> bool:
    """True when this process may fork: it has os.fork and runs no other thread."""
    if not hasattr(os, "fork"):
        return False
    if "threading" not in sys.modules:  # no thread was ever started through threading
        return True
    import threading

    return threading.active_count() == 1


def forked(
    shares: Sequence[Sequence[str]], make_reader: Callable[[], Read], chunk: int
) -> Generator[list[Iterator[Any]], None, None]:
    """One record stream per share, each read by a forked process (see the module's note).

    A generator of one item (the streams), so its `finally` ends and reaps the workers when
    the caller is done, whether it read every record or stopped on an error.
    """
    workers: list[_Worker] = []
    fds: list[int] = []
    try:
        for share in shares:
            read_end, write_end = os.pipe()
            fds.append(read_end)
            try:
                pid = os.fork()
            except OSError:
                os.close(write_end)
                raise
            if pid == 0:  # the worker: never returns into the caller's code
                for fd in fds:
                    os.close(fd)
                _serve(write_end, share, make_reader, chunk)
            os.close(write_end)
            workers.append(_Child(pid))
        yield _Pipes(fds, workers).streams()
    finally:
        _end(fds, workers)


def served(
    shares: Sequence[Sequence[str]], make_reader: Callable[[], Read], chunk: int
) -> Generator[list[Iterator[Any]], None, None]:
    """Like `forked`, each worker started by the forkserver (a threaded host).

    `make_reader` is pickled to the worker, so it must be a module-level function (or a
    functools.partial of one).
    """
    import multiprocessing

    context = multiprocessing.get_context("forkserver")
    workers: list[_Worker] = []
    fds: list[int] = []
    try:
        for share in shares:
            reader, writer = context.Pipe(duplex=False)
            fds.append(os.dup(reader.fileno()))
            reader.close()
            process = context.Process(
                target=_serve_connection, args=(writer, share, make_reader, chunk), daemon=True
            )
            try:
                process.start()
            finally:
                writer.close()  # the worker's copy is its own: EOF when it ends
            workers.append(process)
        yield _Pipes(fds, workers).streams()
    finally:
        _end(fds, workers)


def _end(fds: list[int], workers: Sequence[_Worker]) -> None:
    """Close the pipes and stop the workers: a finished one is reaped, a running one killed."""
    for fd in fds:
        os.close(fd)
    for worker in workers:
        worker.join(0)
        if worker.exitcode is None:
            worker.kill()  # it has nothing to clean up; SIGKILL cannot be ignored
    for worker in workers:
        worker.join(_REAP_SECONDS)


class _Child:
    """A forked worker, with the parts of multiprocessing.Process the parent uses."""

    def __init__(self, pid: int) -> None:
        self.pid = pid
        self.exitcode: int | None = None

    def join(self, timeout: float | None = None) -> None:
        deadline = None if timeout is None else time.monotonic() + timeout
        pause = 0.001
        while self.exitcode is None:
            try:
                pid, status = os.waitpid(self.pid, os.WNOHANG)
            except ChildProcessError:  # reaped by someone else (a host's SIGCHLD handler)
                self.exitcode = 0
                return
            if pid:
                self.exitcode = os.waitstatus_to_exitcode(status)
                return
            if deadline is not None and time.monotonic() >= deadline:
                return
            time.sleep(pause)
            pause = min(pause * 2, 0.05)

    def kill(self) -> None:
        if self.exitcode is None:
            with contextlib.suppress(ProcessLookupError):
                os.kill(self.pid, signal.SIGKILL)


def _serve_connection(
    connection: Any, share: Sequence[str], make_reader: Callable[[], Read], chunk: int
) -> None:
    _serve(connection.fileno(), share, make_reader, chunk)


def _serve(fd: int, share: Sequence[str], make_reader: Callable[[], Read], chunk: int) -> None:
    """A worker's whole life: read its share in chunks, write each as one frame, exit.

    A failure is sent as its message (a string always pickles; the exception may not),
    naming the file being read.
    """
    code = 0
    path: str | None = None
    try:
        read = make_reader()
        for start in range(0, len(share), chunk):
            records: list[Any] = []
            for path in share[start : start + chunk]:
                records.append(read(path))
            path = None
            _send(fd, (True, records))
    except BaseException as exc:  # handed to the parent, which raises WorkerError
        code = 1
        doing = f"reading {path}" if path is not None else "sending its records"
        reason = " ".join(f"{type(exc).__name__}: {exc}".split())
        with contextlib.suppress(BaseException):  # else the parent has gone; nothing to tell
            _send(fd, (False, f"a scan worker failed {doing} ({reason})"))
    finally:
        os._exit(code)  # no atexit, no flush of the parent's buffered output


def _send(fd: int, message: object) -> None:
    data = pickle.dumps(message, pickle.HIGHEST_PROTOCOL)
    view = memoryview(_FRAME.pack(len(data)) + data)
    while view:
        view = view[os.write(fd, view) :]


class _Pipes:
    """The parent's side: every pipe drained as it fills, records handed out per worker."""

    def __init__(self, fds: list[int], workers: Sequence[_Worker]) -> None:
        self.fds = fds
        self.workers = dict(zip(fds, workers, strict=True))
        self.open = set(fds)
        self.buffers = {fd: bytearray() for fd in fds}
        self.ready: dict[int, deque[tuple[bool, Any]]] = {fd: deque() for fd in fds}

    def streams(self) -> list[Iterator[Any]]:
        return [self.records(fd) for fd in self.fds]

    def records(self, fd: int) -> Iterator[Any]:
        """The worker's records; asked for past the end, it failed or stopped: WorkerError."""
        while True:
            while not self.ready[fd]:
                if fd not in self.open:
                    raise WorkerError(self._ended(fd))
                self._pump()
            ok, payload = self.ready[fd].popleft()
            if not ok:
                raise WorkerError(payload)
            yield from payload

    def _ended(self, fd: int) -> str:
        """How a worker whose pipe ended early went (its exit status, waited for a moment)."""
        worker = self.workers[fd]
        worker.join(_REAP_SECONDS)
        code = worker.exitcode
        if code is None:
            how = "closed its pipe but did not exit"
        elif code < 0:
            try:
                how = f"was killed by {signal.Signals(-code).name}"
            except ValueError:
                how = f"was killed by signal {-code}"
        else:
            how = f"exited with status {code}"
        return f"a scan worker (pid {worker.pid}) {how} before sending all its records"

    def _pump(self) -> None:
        """Read whatever the workers have written (waiting until one has), split into frames.

        The wait is in slices: a worker that exited while something else holds its pipe
        open (a child of its own) counts as ended rather than leaving the parent waiting.
        """
        readable, _, _ = select.select(list(self.open), [], [], _POLL_SECONDS)
        if not readable:
            exited = [fd for fd in self.open if _exited(self.workers[fd])]
            readable, _, _ = select.select(exited, [], [], 0)  # what it wrote before it exited
            self.open.difference_update(set(exited) - set(readable))
        for fd in readable:
            data = os.read(fd, 1 << 20)
            if not data:
                self.open.discard(fd)  # a partial frame left in the buffer is never read
                continue
            buffer = self.buffers[fd]
            buffer += data
            while len(buffer) >= _FRAME.size:
                (size,) = _FRAME.unpack_from(buffer)
                end = _FRAME.size + size
                if len(buffer) < end:
                    break
                self.ready[fd].append(pickle.loads(buffer[_FRAME.size : end]))
                del buffer[:end]


def _exited(worker: _Worker) -> bool:
    worker.join(0)
    return worker.exitcode is not None
