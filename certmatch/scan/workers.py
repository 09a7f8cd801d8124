"""The scan's worker processes: each reads its share of the files and streams the records back.

Two ways, same records in the same order. On a host with no other thread (the command
line), `forked` forks one process per share, which inherits the imported engine and its
share of the path list, and sends pickled chunks of records down a pipe; the parent drains
every pipe as data arrives (a worker never waits for the parent to want its records) and
hands each worker's records out in order. Why not multiprocessing's pool there: importing
it, starting a pool per worker, pickling every chunk of paths and its three threads per pool
cost about 30 ms of the parent's CPU on the 2,200-file corpus (issue 18), and the threads
kept the interpreter's full teardown at exit. Forking a process that runs other threads can
deadlock the child (and warns from Python 3.12), so a threaded host (a test run, an
embedding app) gets `pooled`: a forkserver pool per worker.
"""

from __future__ import annotations

import contextlib
import os
import pickle
import select
import signal
import struct
import sys
from collections import deque
from collections.abc import Callable, Generator, Iterator, Sequence
from typing import Any

Read = Callable[[str], Any]
_FRAME = struct.Struct("<Q")  # the byte length of the pickled chunk that follows


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
    pids: list[int] = []
    fds: list[int] = []
    try:
        for share in shares:
            read_end, write_end = os.pipe()
            pid = os.fork()
            if pid == 0:  # the worker: never returns into the caller's code
                os.close(read_end)
                for fd in fds:
                    os.close(fd)
                _serve(write_end, share, make_reader, chunk)
            os.close(write_end)
            pids.append(pid)
            fds.append(read_end)
        pipes = _Pipes(fds)
        yield [pipes.records(i) for i in range(len(fds))]
    finally:
        for fd in fds:
            os.close(fd)
        for pid in pids:
            with contextlib.suppress(ProcessLookupError):  # it had finished
                os.kill(pid, signal.SIGTERM)
            os.waitpid(pid, 0)


def _serve(fd: int, share: Sequence[str], make_reader: Callable[[], Read], chunk: int) -> None:
    """A worker's whole life: read its share in chunks, write each as one frame, exit."""
    code = 0
    try:
        read = make_reader()
        for start in range(0, len(share), chunk):
            _send(fd, (True, [read(p) for p in share[start : start + chunk]]))
    except BaseException as exc:  # handed to the parent, which raises it
        code = 1
        with contextlib.suppress(BaseException):  # else the parent has gone; nothing to tell
            _send(fd, (False, exc))
    finally:
        os._exit(code)  # no atexit, no flush of the parent's buffered output


def _send(fd: int, message: object) -> None:
    data = pickle.dumps(message, pickle.HIGHEST_PROTOCOL)
    view = memoryview(_FRAME.pack(len(data)) + data)
    while view:
        view = view[os.write(fd, view) :]


class _Pipes:
    """The parent's side: every pipe drained as it fills, records handed out per worker."""

    def __init__(self, fds: list[int]) -> None:
        self.fds = fds
        self.open = set(fds)
        self.buffers = {fd: bytearray() for fd in fds}
        self.ready: dict[int, deque[list[Any]]] = {fd: deque() for fd in fds}

    def records(self, worker: int) -> Iterator[Any]:
        fd = self.fds[worker]
        while True:
            while not self.ready[fd]:
                if fd not in self.open:
                    return
                self._pump()
            ok, payload = self.ready[fd].popleft()
            if not ok:
                raise payload
            yield from payload

    def _pump(self) -> None:
        """Read whatever the workers have written (blocking until one has), split into frames."""
        readable, _, _ = select.select(list(self.open), [], [])
        for fd in readable:
            data = os.read(fd, 1 << 20)
            if not data:
                self.open.discard(fd)
                if self.buffers[fd]:
                    raise RuntimeError("a scan worker stopped in the middle of a chunk")
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


def pooled(
    shares: Sequence[Sequence[str]],
    job: Callable[[Any], list[Any]],
    args: tuple[Any, ...],
    chunk: int,
) -> Generator[list[Iterator[Any]], None, None]:
    """Like `forked`, through one single-process forkserver pool per share (a threaded host).

    `job((paths, *args))` reads one chunk in the worker.
    """
    import multiprocessing

    context = multiprocessing.get_context("forkserver")
    pools = [context.Pool(1) for _ in shares]
    try:
        yield [
            _flat(
                pool.imap(job, [(share[i : i + chunk], *args) for i in range(0, len(share), chunk)])
            )
            for pool, share in zip(pools, shares, strict=True)
        ]
    finally:
        for pool in pools:
            pool.terminate()


def _flat(chunks: Iterator[list[Any]]) -> Iterator[Any]:
    for chunk in chunks:
        yield from chunk
