"""The bot rows of bench.run's table, from bench.bot_load's results."""

from __future__ import annotations

from typing import Any


def bot_table(bot: dict[str, Any]) -> list[str]:
    """The bot rows of bench.run's table."""
    lines = []
    for r in bot["rows"]:
        where = f"bot {r['scenario']} ({bot['server']}, {r['database']})"
        met = "yes" if r["met"] else "no"
        if r["scenario"] == "burst":
            lines.append(
                f"| {where}: {r['events']} uploads, {r['concurrency']} clients | "
                f"{r['refused']} refused, {r['answered_once']} answered once, "
                f"{r['duplicated']} twice, {r['missing']} missing; last reply "
                f"{r['last_reply_s']:.1f} s | | | 0 refused, all once, last <= 60 s | {met} |"
            )
        elif r["scenario"] == "chatter":
            lines.append(
                f"| {where}: {r['offered_per_s']:.0f}/s offered, {r['seconds']:.0f} s | "
                f"{r['acked_per_s']:.0f}/s acknowledged ({r['failed']} failed); ack p50 "
                f"{r['ack_p50_ms']:.1f} / p99 {r['ack_p99_ms']:.1f} ms; {r['rows_written']} rows "
                f"written, {r['replies']} replies; sends late p99 {r['late_p99_ms']:.1f} ms "
                f"({r['generators']} generator processes) | | | 2,000/s offered and acknowledged, "
                f"p99 <= 20 ms, 0 writes | {met} |"
            )
        elif r["scenario"] == "sustained":
            lines.append(
                f"| {where}: {r['offered_per_s']:.0f}/s offered, {r['seconds']:.0f} s | "
                f"{r['answered_per_s']:.0f} answered/s ({r['failed']} refused); ack p99 "
                f"{r['ack_p99_ms']:.1f} ms (sends late p99 {r['late_p99_ms']:.0f} ms); reply "
                f"p50 {r['reply_p50_ms']:.0f} / p95 {r['reply_p95_ms']:.0f} ms; "
                f"{r['missing']} not answered 60 s after the end (left queued), {r['duplicated']} "
                f"twice; CPU per answered event: bot {r['bot_cpu_ms_per_event']:.1f} ms, "
                f"database server {r['db_cpu_ms_per_event']:.1f} ms, machine "
                f"{r['machine_cores_busy']:.2f} cores busy{_stolen(r)}; RSS {r['rss_start_mib']:.0f} "
                f"-> {r['rss_end_mib']:.0f} MiB over {r['seconds']:.0f} s{_lock(r)} | | | >= 200/s, ack p99 "
                f"<= 50 ms, reply p95 <= 1 s; memory flat over 600 s | {met}; memory "
                f"{r['memory']} |"
            )
        else:
            lines.append(
                f"| {where}: 2 instances, {r['events']} events, one SIGKILLed at "
                f"{r['killed_at_s']:.1f} s | {r['answered_once']} answered once, "
                f"{r['duplicated']} twice, {r['missing']} missing ({r['retried_on_the_other']} "
                f"deliveries retried on the other); last reply {r['last_reply_s']:.1f} s "
                f"| | | every event once | {met} |"
            )
    return lines


def _stolen(r: dict[str, Any]) -> str:
    """The host's steal inside "cores busy" (absent from results before it was measured)."""
    stolen = r.get("machine_cores_stolen")
    return "" if stolen is None else f" ({stolen:.2f} of them stolen by the host)"


def _lock(r: dict[str, Any]) -> str:
    """The write lock a reply cost, and its largest holders (CERTMATCH_WRITE_LOCK_STATS=on)."""
    if "lock_ms_per_reply" not in r:
        return ""
    top = ", ".join(f"{h} {ms:.2f}" for h, ms in list(r["lock_holders"].items())[:3])
    cpu = r.get("lock_cpu_ms_per_reply")
    of_it = "" if cpu is None else f", {cpu:.2f} of it the holders' CPU"
    return f"; SQLite write lock {r['lock_ms_per_reply']:.2f} ms a reply{of_it} ({top})"
