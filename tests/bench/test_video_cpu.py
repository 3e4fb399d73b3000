"""bench.video reads a process's CPU time from /proc/PID/stat: checked against the kernel's own per-process
CPU clock (time.process_time, CLOCK_PROCESS_CPUTIME_ID), an independent reading of the same quantity."""

from __future__ import annotations

import os
import time

from bench.video import cpu_seconds


def test_cpu_seconds_of_this_process_follow_its_cpu_clock() -> None:
    before, clock_before = cpu_seconds(os.getpid()), time.process_time()
    while time.process_time() - clock_before < 0.3:  # burn 0.3 s of CPU
        pass
    spent, clock_spent = cpu_seconds(os.getpid()) - before, time.process_time() - clock_before
    # /proc counts in clock ticks (1/100 s here): two readings may each be one tick short.
    assert abs(spent - clock_spent) <= 0.03, (spent, clock_spent)
