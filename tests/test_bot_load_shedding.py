"""The bot's bounded listener pool: a full pool refuses Events API deliveries with 503 before claiming them."""

from __future__ import annotations

import threading

from slack_bolt import BoltResponse

from bot.app import BoundedListenerPool, _shed_load


def test_the_pool_counts_work_until_it_finishes_and_reports_full_at_the_bound() -> None:
    release = threading.Event()
    pool = BoundedListenerPool(max_workers=1, max_pending=2)
    try:
        first = pool.submit(release.wait, 10)
        assert not pool.full()
        second = pool.submit(release.wait, 10)  # waits for the one thread
        assert pool.pending == 2 and pool.full()
        release.set()
        assert first.result(timeout=10) and second.result(timeout=10)
        assert pool.pending == 0 and not pool.full()
    finally:
        release.set()
        pool.shutdown(wait=True)


def test_a_full_pool_refuses_events_with_503_without_calling_the_next_middleware() -> None:
    release = threading.Event()
    pool = BoundedListenerPool(max_workers=1, max_pending=1)
    called: list[str] = []
    shed = _shed_load(pool)
    try:
        pool.submit(release.wait, 10)
        refused = shed(
            {"type": "event_callback", "event_id": "Ev1"}, lambda: called.append("event")
        )
        assert isinstance(refused, BoltResponse) and refused.status == 503
        assert called == []  # not claimed: Slack's retry of Ev1 is still answered
        # A slash command is never refused: Slack does not retry it.
        assert shed({"command": "/certmatch"}, lambda: called.append("command")) is None
        assert called == ["command"]
    finally:
        release.set()
        pool.shutdown(wait=True)
    assert shed({"type": "event_callback", "event_id": "Ev2"}, lambda: called.append("e2")) is None
    assert called == ["command", "e2"]
