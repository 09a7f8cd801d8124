"""One process's job path, run in a checkout of any revision: queued pasted pairs taken four at a time and answered.

`python bench/job_path.py DB TEXTS WARM JOBS` with PYTHONPATH at the checkout to measure: the
message intake queues each event, `take_many(4)` takes them and the runner's batch checks,
stores and posts them to a local Slack stand-in, as bot.wiring's workers do, on one thread.
WARM jobs first (statements compiled, caches filled), then JOBS more. Self-contained on
purpose: it imports only what every revision since the job queue has (bot.*, standin), so
bench/job_instructions.py can run this file against an older checkout's code.
"""

from __future__ import annotations

import inspect
import json
import sys
import tempfile
import uuid
from pathlib import Path
from typing import Any

from slack_sdk import WebClient

from bot.config import Settings
from bot.files import SlackFileFetcher
from bot.jobs.intake import message_intake
from bot.jobs.queue import JobQueue
from bot.jobs.replies import ReplyLedger
from bot.jobs.runner import JobRunner
from bot.jobs.sealing import Sealer
from bot.service import Service
from bot.store import Store
from standin import BOT_TOKEN, TEAM_ID, SlackStandIn

POSTGRES_URL = "postgresql://postgres@127.0.0.1:5432/test"


def _event(n: int, text: str) -> dict[str, Any]:
    ts = f"{1796300000 + n}.{n:06d}"
    event = {
        "type": "message",
        "text": text,
        "user": "U0ALICE",
        "ts": ts,
        "channel": f"C0PKI{n % 64}",  # as the sustained benchmark: 64 channels
        "channel_type": "channel",
        "event_ts": ts,
        "team": TEAM_ID,
    }
    return {
        "type": "event_callback",
        "team_id": TEAM_ID,
        "api_app_id": "A0CERTMATCH",
        "event": event,
        "event_id": f"Ev{n:08d}",
        "event_time": 1796300000 + n,
        "is_ext_shared_channel": False,
    }


def main(db: str, texts_file: str, warm: int, jobs: int) -> None:
    texts: list[str] = json.loads(Path(texts_file).read_text())
    standin = SlackStandIn().start()
    scratch = tempfile.TemporaryDirectory(prefix="certmatch-job-path-")
    url = f"sqlite:///{scratch.name}/bot.sqlite3" if db == "sqlite" else POSTGRES_URL
    prefix = f"jp{uuid.uuid4().hex[:10]}_"
    settings = Settings(
        bot_token=BOT_TOKEN, api_url=standin.api_url, database_url=url, table_prefix=prefix
    )
    store = Store.open(url, prefix)
    service = Service(settings, store, SlackFileFetcher(BOT_TOKEN, standin.api_url, 10**6, 3))
    service.purge_expired()
    queue, sealer = JobQueue(store), Sealer(BOT_TOKEN)
    runner = JobRunner(service, queue, ReplyLedger(store), sealer)
    intake = message_intake(queue, sealer, lambda: None)
    client = WebClient(token=BOT_TOKEN, base_url=standin.api_url)
    # Revisions before the take's profiles were read at once have batch() without the jobs.
    gives_jobs = "jobs" in inspect.signature(runner.batch).parameters
    for first in range(0, warm + jobs, 4):
        for n in range(first, min(first + 4, warm + jobs)):
            response = intake(body=_event(n, texts[n % len(texts)]), next=lambda: None)
            assert response is not None and response.status == 200
        taken = queue.take_many(4)
        with runner.batch(taken) if gives_jobs else runner.batch():
            for job in taken:
                runner.run(client, job)
    answered = len(standin.posts())
    if db != "sqlite":
        store.drop_tables()  # this run's tables only: its own prefix
    store.close()
    standin.stop()
    scratch.cleanup()
    if answered != warm + jobs:
        sys.exit(f"{answered} of {warm + jobs} jobs answered")


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4]))
