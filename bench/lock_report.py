"""The SQLite write lock's holds over a bench run, read from the bot's log (CERTMATCH_WRITE_LOCK_STATS=on).

Each bot process logs its cumulative holds per holder every 30 s and at its stop
(bot.store.lockstats); the last line of each process and holder is its total. Divided by
the replies Slack got, it is the lock a job costs: the steadier figure on a shared machine,
where the rates of two runs of the same code differ by a fifth (docs/performance.md).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

_LINE = re.compile(
    r"write lock: pid=(\d+) (\S+) holds=(\d+) mean=[\d.]+ms (?:cpu=([\d.]+)ms )?total=([\d.]+)s"
)


def lock_per_reply(log: Path, replies: int) -> dict[str, Any]:
    """{"lock_ms_per_reply": ..., "lock_holders": {holder: ms a reply}}, and
    "lock_cpu_ms_per_reply" (the holders' own CPU in their holds) where the log has it;
    empty when not logged."""
    last: dict[tuple[str, str], tuple[float, float | None]] = {}
    try:
        text = log.read_text(errors="replace")
    except OSError:
        return {}
    for match in _LINE.finditer(text):
        pid, holder, holds, cpu_mean, total = match.groups()
        # Cumulative: the last line is the total. The CPU is logged as a mean a hold.
        cpu = None if cpu_mean is None else int(holds) * float(cpu_mean) / 1000
        last[(pid, holder)] = (float(total), cpu)
    if not last or replies <= 0:
        return {}
    holders: dict[str, float] = {}
    for (_, holder), (total, _) in last.items():
        holders[holder] = holders.get(holder, 0.0) + total
    per = 1000 / replies
    found: dict[str, Any] = {
        "lock_ms_per_reply": sum(holders.values()) * per,
        "lock_holders": {
            h: round(t * per, 2) for h, t in sorted(holders.items(), key=lambda kv: -kv[1])
        },
    }
    cpus = [cpu for _, cpu in last.values()]
    if all(cpu is not None for cpu in cpus):
        found["lock_cpu_ms_per_reply"] = sum(c for c in cpus if c is not None) * per
    return found
