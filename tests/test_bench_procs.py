"""bench/procs.py reads /proc/stat's fields by position: busy excludes idle and iowait, steal is the eighth.

A steal read from the wrong column would blame (or clear) the host in every benchmark row.
"""

from __future__ import annotations

import pytest

from bench import procs


def test_busy_and_steal_come_from_their_columns() -> None:
    # The "cpu" line read off this machine: user nice system idle iowait irq softirq steal ...
    line = "cpu  45745 0 11789 1420365 1084 0 1598 6828 0 0"
    busy, stolen = procs.cpu_line_seconds(line)
    assert busy == pytest.approx((45745 + 11789 + 1598 + 6828) / procs._TICKS)
    assert stolen == pytest.approx(6828 / procs._TICKS)


def test_a_kernel_without_a_steal_field_steals_nothing() -> None:
    busy, stolen = procs.cpu_line_seconds("cpu  100 0 50 1000 10 0 5")
    assert busy == pytest.approx(155 / procs._TICKS)
    assert stolen == 0.0


def test_this_machine_steals_no_more_than_it_is_busy() -> None:
    busy, stolen = procs.machine_cpu_seconds()
    assert 0 <= stolen <= busy
