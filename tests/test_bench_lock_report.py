"""bench/lock_report.py: the write lock a reply cost, from the cumulative lines two bot processes log."""

from __future__ import annotations

from pathlib import Path

from bench.lock_report import lock_per_reply

_LOG = """\
2026-12-03 10:00:30,001 WARNING certmatch.bot write lock: pid=11 Service.store_checks holds=10 mean=10.00ms total=0.10s
2026-12-03 10:00:30,002 WARNING certmatch.bot write lock: pid=12 Service.store_checks holds=10 mean=20.00ms total=0.20s
2026-12-03 10:00:31,000 INFO certmatch.bot event id=Ev1 verdict=match
2026-12-03 10:01:00,001 WARNING certmatch.bot write lock: pid=11 Service.store_checks holds=30 mean=10.00ms total=0.30s
2026-12-03 10:01:00,002 WARNING certmatch.bot write lock: pid=11 JobQueue.take_many holds=30 mean=2.00ms total=0.06s
2026-12-03 10:01:00,003 WARNING certmatch.bot write lock: pid=12 Service.store_checks holds=20 mean=20.00ms total=0.40s
"""


def test_each_process_counts_once_by_its_last_line(tmp_path: Path) -> None:
    log = tmp_path / "bot.log"
    log.write_text(_LOG)
    found = lock_per_reply(log, replies=100)
    # 0.30 + 0.40 s of the job's hold and 0.06 s of takes over 100 replies, not the 30 s lines too.
    assert round(found["lock_ms_per_reply"], 2) == 7.6
    assert found["lock_holders"] == {"Service.store_checks": 7.0, "JobQueue.take_many": 0.6}


def test_a_log_without_the_stats_adds_nothing(tmp_path: Path) -> None:
    log = tmp_path / "bot.log"
    log.write_text("2026-12-03 10:00:31,000 INFO certmatch.bot event id=Ev1 verdict=match\n")
    assert lock_per_reply(log, replies=100) == {}
    assert lock_per_reply(tmp_path / "missing.log", replies=100) == {}


def test_the_holders_cpu_is_summed_from_each_processs_mean_when_logged(tmp_path: Path) -> None:
    log = tmp_path / "bot.log"
    log.write_text(
        "write lock: pid=11 Service.store_checks holds=30 mean=10.00ms cpu=4.00ms total=0.30s\n"
        "write lock: pid=12 JobQueue.take_many holds=20 mean=3.00ms cpu=1.00ms total=0.06s\n"
    )
    found = lock_per_reply(log, replies=100)
    # 30 x 4 ms + 20 x 1 ms = 0.14 s of CPU over 100 replies.
    assert round(found["lock_cpu_ms_per_reply"], 2) == 1.4
    assert round(found["lock_ms_per_reply"], 2) == 3.6
    # A log of the older form (no cpu=) gives no CPU figure rather than a wrong one.
    assert "lock_cpu_ms_per_reply" not in lock_per_reply(tmp_path / "x.log", 100)
    old = tmp_path / "old.log"
    old.write_text(_LOG)
    assert "lock_cpu_ms_per_reply" not in lock_per_reply(old, replies=100)
