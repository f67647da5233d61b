"""Imports killed with SIGKILL at different points leave a complete day; two daily runs never overlap."""

from __future__ import annotations

import os
import random
import subprocess
import sys
import time
from collections.abc import Callable
from datetime import date

import pytest
from click.testing import CliRunner

from pepy.infrastructure.cli import main
from pepy.infrastructure.files.demo import write_demo_rows
from pepy.infrastructure.postgres.ledger import PostgresImportLedger
from pepy.infrastructure.postgres.pool import ConnectionPool
from tests.e2e.test_cli import YESTERDAY
from tests.integration.test_repository import snapshot
from tests.raw_rows import raw, write_ndjson

DAY = date(2026, 11, 20)
RUNS = 20


def pepy_process(db: str, *args: str) -> subprocess.Popen:
    env = {**os.environ, "PEPY_DATABASE_URL": db, "PEPY_ENV": "test", "PEPY_RETENTION_DAYS": "0"}
    return subprocess.Popen(
        [sys.executable, "-m", "pepy", *args], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )


def day_status_once(db: str, reached: Callable[[str], bool], pause: float, timeout: float = 30) -> str:
    """The day's status in the ledger, read every `pause` seconds until `reached` says so (or `timeout` passes)."""
    pool = ConnectionPool(db)
    ledger = PostgresImportLedger(pool)
    deadline = time.monotonic() + timeout
    try:
        while True:
            status = ledger.entries(DAY, DAY)[DAY].status
            if reached(status) or time.monotonic() > deadline:
                return status
            time.sleep(pause)
    finally:
        pool.close()


def ledger_status(db: str) -> str:
    """The day's status in the ledger once the killed import's server session has let go of its lock."""
    return day_status_once(db, lambda status: status != "running", pause=0.2)


def wait_until_importing(db: str, process: subprocess.Popen) -> None:
    """Return once the process's import of the day has begun (the ledger says running), or the process has ended."""
    day_status_once(db, lambda status: status == "running" or process.poll() is not None, pause=0.005)


def facts(state: dict) -> dict:
    """The stored facts without the ledger; a project name kept from another day, with nothing in it, is no fact."""
    kept = {k: v for k, v in state.items() if k != "ledger"}
    kept["projects"] = [(name, base, total) for name, base, total in state["projects"] if base or total]
    return kept


def totals_match_days(state: dict) -> bool:
    days = {}
    for name, _, downloads, *_ in state["days"]:
        days[name] = days.get(name, 0) + downloads
    return all(total == base + days.get(name, 0) for name, base, total in state["projects"])


@pytest.mark.slow
def test_imports_killed_at_random_points_leave_a_complete_day_and_the_next_run_finishes(db, tmp_path):
    days = {seed: write_demo_rows(tmp_path / str(seed), [DAY], seed=seed)[0] for seed in (3, 4)}
    complete = {}
    for seed, path in days.items():
        assert pepy_process(db, "import", "day", "--date", str(DAY), "--path", str(path)).wait() == 0
        complete[seed] = facts(snapshot(db))
    assert complete[3] != complete[4]

    # The process takes about a second to start; an import then runs for a fraction of one more. Even runs are
    # killed at a point of the process's life, which may fall before its import or after it; odd ones within half
    # a second of the import's start, however long the process took to start on this machine.
    delays = random.Random(20).sample([round(0.8 + n * 0.05, 2) for n in range(30)], RUNS)
    statuses = []
    for run, delay in enumerate(delays):
        process = pepy_process(db, "import", "day", "--date", str(DAY), "--path", str(days[3 + run % 2]))
        if run % 2:
            wait_until_importing(db, process)
            time.sleep((delay - 0.8) / 3)
        else:
            time.sleep(delay)
        process.kill()
        process.wait()
        statuses.append(ledger_status(db))
        state = facts(snapshot(db))
        assert state in (complete[3], complete[4]), f"run {run}: a partial day after a kill at {delay}s"
        assert totals_match_days(state)

    assert pepy_process(db, "import", "day", "--date", str(DAY), "--path", str(days[3])).wait() == 0
    assert facts(snapshot(db)) == complete[3]
    assert ledger_status(db) == "succeeded"
    assert statuses.count("failed") >= 3, f"too few kills landed inside an import: {statuses}"


def test_two_daily_runs_at_once_one_runs_and_the_other_exits(db, container, tmp_path, monkeypatch):
    monkeypatch.setenv("PEPY_DATABASE_URL", db)
    monkeypatch.setenv("PEPY_ENV", "test")
    write_ndjson(tmp_path / "y.ndjson", [raw(at=f"{YESTERDAY} 12:00:00 UTC")])
    args = ["import", "daily", "--refresh-days", "0", "--gap-days", "1", "--path", str(tmp_path / "*.ndjson")]
    with container.repository().exclusive_lock("pepy-import-daily", wait=False) as held:
        assert held
        second = CliRunner().invoke(main, args)
    assert second.exit_code == 75
    assert "Another daily import is running" in second.output
    assert snapshot(db)["projects"] == []
    first = CliRunner().invoke(main, args)
    assert first.exit_code == 0, first.output
    assert [p[2] for p in snapshot(db)["projects"]] == [1]
