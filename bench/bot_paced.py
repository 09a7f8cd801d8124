"""The paced load generator: signed Events API messages at R/s from C keep-alive connections, in P processes.

One Python process with 32 threads and http.client could not offer 2,000 chatter messages per
second (it reached 1,595/s, issue 17), and its own GIL waits were counted in the measured
acknowledgement times. Here each process runs asyncio over raw keep-alive HTTP/1.1
connections (a request is one write, the response is read by its Content-Length) and
offers rate/P per second from C/P connections; a connection takes the next slot of a fixed
schedule, waits for its time, signs and sends, and times the answer from the write to the
last byte. `late` is how far behind the schedule a send went out: when its p99 grows, the
generator (or the machine) fell behind and the offered rate was not offered.

`python -m bench.bot_paced` reads one JSON job on stdin and writes its result on stdout;
`paced()` runs the processes and merges their results.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import itertools
import json
import math
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import bench.bot_client as client

ROOT = Path(__file__).resolve().parent.parent
# Messages per second one generator process is asked to offer at most.
PER_PROCESS = 1000.0


def paced(
    port: int,
    rate: float,
    seconds: float,
    concurrency: int,
    spec: dict[str, Any],
    processes: int | None = None,
) -> dict[str, Any]:
    """Offer `rate`/s for `seconds`; spec: channel prefix and count, a text or a file of texts."""
    count = processes or max(1, math.ceil(rate / PER_PROCESS))
    count = min(count, concurrency)
    start_at = time.time() + 1.0 + 0.2 * count  # every process starts on the same schedule
    procs = []
    for index in range(count):
        job = {
            "port": port,
            "rate": rate / count,
            "seconds": seconds,
            "connections": concurrency // count + (1 if index < concurrency % count else 0),
            "start_at": start_at,
            "index": index,
            "spec": spec,
        }
        proc = subprocess.Popen(
            [sys.executable, "-m", "bench.bot_paced"],
            cwd=ROOT,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
        )
        assert proc.stdin is not None
        proc.stdin.write(json.dumps(job).encode())
        proc.stdin.close()
        procs.append(proc)
    results = []
    for proc in procs:
        assert proc.stdout is not None
        results.append(json.loads(proc.stdout.read()))
        proc.wait()
    sent: dict[str, float] = {}
    for r in results:
        sent.update({ts: at for ts, at in r["sent"]})
    return {
        "sent": sent,
        "acks": [a for r in results for a in r["acks"]],
        "late": [x for r in results for x in r["late"]],
        "failed": sum(r["failed"] for r in results),
        "took": max(r["took"] for r in results),
        "began": start_at,
        "processes": count,
    }


def _bodies(spec: dict[str, Any], index: int) -> Any:
    # Message ids (and so ts) distinct across the processes of one run.
    client._ids = itertools.count(1 + index * 10_000_000)
    texts = [spec.get("text", "")]
    if spec.get("texts_file"):
        texts = json.loads(Path(spec["texts_file"]).read_text())
    prefix, channels = spec["channel_prefix"], int(spec["channels"])
    for n in itertools.count():
        yield client.event(f"{prefix}{n % channels:02d}", text=texts[n % len(texts)])


class _Connection:
    def __init__(self, port: int) -> None:
        self.port = port
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def post(self, body: bytes) -> int:
        """POST one event; the status, 0 when the connection failed."""
        try:
            if self.writer is None:
                self.reader, self.writer = await asyncio.open_connection("127.0.0.1", self.port)
            assert self.reader is not None
            stamp = str(int(time.time()))
            base = b"v0:" + stamp.encode() + b":" + body
            signature = hmac.new(client.SECRET.encode(), base, hashlib.sha256).hexdigest()
            head = (
                f"POST /slack/events HTTP/1.1\r\nHost: 127.0.0.1:{self.port}\r\n"
                f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n"
                f"X-Slack-Request-Timestamp: {stamp}\r\nX-Slack-Signature: v0={signature}\r\n\r\n"
            )
            self.writer.write(head.encode() + body)
            header = await self.reader.readuntil(b"\r\n\r\n")
            lines = header.decode("latin-1").split("\r\n")
            status = int(lines[0].split()[1])
            fields = {
                k.strip().lower(): v.strip() for k, _, v in (x.partition(":") for x in lines[1:])
            }
            await self.reader.readexactly(int(fields.get("content-length") or 0))
            if fields.get("connection", "").lower() == "close":
                self.close()
            return status
        except (OSError, asyncio.IncompleteReadError, ValueError, IndexError):
            self.close()
            return 0

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
        self.reader = self.writer = None


async def _run(job: dict[str, Any]) -> dict[str, Any]:
    rate, seconds, begin = float(job["rate"]), float(job["seconds"]), float(job["start_at"])
    bodies = _bodies(job["spec"], int(job["index"]))
    slots = itertools.count()
    sent: list[tuple[str, float]] = []
    acks: list[float] = []
    late: list[float] = []
    failed = 0
    stop_at = begin + seconds

    async def connection() -> None:
        nonlocal failed
        conn = _Connection(int(job["port"]))
        while True:
            due = begin + next(slots) / rate
            if due >= stop_at:
                break
            delay = due - time.time()
            if delay > 0:
                await asyncio.sleep(delay)
            body, ts = next(bodies)
            started = time.time()
            status = await conn.post(body)
            elapsed = time.time() - started
            late.append(started - due)
            if status == 200:
                sent.append((ts, started))
                acks.append(elapsed)
            else:
                failed += 1
        conn.close()

    await asyncio.sleep(max(0.0, begin - time.time()))
    await asyncio.gather(*(connection() for _ in range(int(job["connections"]))))
    return {
        "sent": sent,
        "acks": acks,
        "late": late,
        "failed": failed,
        "took": time.time() - begin,
    }


def main() -> int:
    job = json.loads(sys.stdin.read())
    result = asyncio.run(_run(job))
    sys.stdout.write(json.dumps(result))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
