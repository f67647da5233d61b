"""Where a benchmark's CPU goes: the app server's processes, PostgreSQL's, and the whole machine, read from /proc.

On a 2-core host the load generator, the app and PostgreSQL share the cores, so a request's cost is the CPU all of
them spend on it; split by process, it tells which side a change has to cut.
"""

from __future__ import annotations

import os
from pathlib import Path

_TICKS = os.sysconf("SC_CLK_TCK")


def _processes() -> list[tuple[str, int, float]]:
    """(command, process group, CPU seconds) of every process still running."""
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            text = stat.read_text()
        except OSError:
            continue
        command = text[text.index("(") + 1 : text.rindex(")")]
        fields = text[text.rindex(")") + 2 :].split()
        # After the command: state, ppid, pgrp, ..., utime and stime are the 12th and 13th.
        found.append((command, int(fields[2]), (int(fields[11]) + int(fields[12])) / _TICKS))
    return found


def _machine_busy_seconds() -> float:
    # Steal is left out: it is the time the hypervisor gave this machine's cores to other machines.
    user, nice, system, _idle, _iowait, irq, softirq = map(int, Path("/proc/stat").read_text().split()[1:8])
    return (user + nice + system + irq + softirq) / _TICKS


class CpuSplit:
    """CPU seconds spent between `start` and `stop`: by the app server's process group, by PostgreSQL's processes,
    and by the machine as a whole. A process that ends in between loses what it spent."""

    def __init__(self, app_group: int):
        self._app_group = app_group

    def _sample(self) -> dict[str, float]:
        processes = _processes()
        return {
            "app": sum(cpu for _, group, cpu in processes if group == self._app_group),
            "postgres": sum(cpu for command, _, cpu in processes if command == "postgres"),
            "machine": _machine_busy_seconds(),
        }

    def start(self) -> None:
        """Take the first sample."""
        self._started = self._sample()

    def per_request_us(self, requests: int) -> dict[str, float]:
        """Microseconds of CPU per request since `start`, by app, postgres and machine."""
        now = self._sample()
        return {f"{k}_us": (now[k] - self._started[k]) * 1e6 / max(requests, 1) for k in now}
