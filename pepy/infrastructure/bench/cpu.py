"""Where a benchmark's CPU goes: the app server's processes, PostgreSQL's, and the whole machine, read from /proc.

On a 2-core host the load generator, the app and PostgreSQL share the cores, so a request's cost is the CPU all of
them spend on it; split by process, it tells which side a change has to cut.
"""

from __future__ import annotations

import contextlib
import os
import re
from pathlib import Path

_TICKS = os.sysconf("SC_CLK_TCK")


def process_stats() -> dict[int, tuple[str, list[str]]]:
    """Every running process's command and its /proc/<pid>/stat fields after the command: [0] its state, [1] its
    parent, [2] its process group, [11] and [12] its user and system CPU in clock ticks."""
    found = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            text = stat.read_text()
        except OSError:
            continue
        found[int(stat.parent.name)] = (
            text[text.index("(") + 1 : text.rindex(")")],
            text[text.rindex(")") + 2 :].split(),
        )
    return found


def _cpu_seconds(fields: list[str]) -> float:
    return (int(fields[11]) + int(fields[12])) / _TICKS


def _processes() -> list[tuple[str, int, float]]:
    """(command, process group, CPU seconds) of every process still running."""
    return [(command, int(fields[2]), _cpu_seconds(fields)) for command, fields in process_stats().values()]


def children_cpu_seconds(parent: int, command_line: bytes) -> float:
    """The CPU seconds taken so far by the running children of `parent` whose command line matches the regular
    expression `command_line` (a server's titles, such as PostgreSQL's "postgres: startup recovering ...")."""
    total = 0.0
    for pid, (_, fields) in process_stats().items():
        if int(fields[1]) == parent:
            with contextlib.suppress(OSError):
                if re.search(command_line, Path(f"/proc/{pid}/cmdline").read_bytes()):
                    total += _cpu_seconds(fields)
    return total


def pin_tree(pid: int, cores: set[int]) -> None:
    """Keep a process and its descendants on `cores` (the processes it starts later inherit them)."""
    children: dict[int, list[int]] = {}
    for child, (_, fields) in process_stats().items():
        children.setdefault(int(fields[1]), []).append(child)
    pending = [pid]
    while pending:
        current = pending.pop()
        with contextlib.suppress(ProcessLookupError):
            os.sched_setaffinity(current, cores)
        pending += children.get(current, [])


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
