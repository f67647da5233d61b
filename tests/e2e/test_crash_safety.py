"""Imports killed with SIGKILL at different points leave a complete day; two daily runs never overlap."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from datetime import date

import pytest
from click.testing import CliRunner

from pepy.infrastructure.cli import main
from pepy.infrastructure.files.demo import write_demo_rows
from pepy.infrastructure.postgres.pool import ConnectionPool
from pepy.infrastructure.postgres.repository import PostgresDownloadsRepository
from tests.e2e.test_cli import YESTERDAY
from tests.integration.test_repository import snapshot
from tests.raw_rows import raw, write_ndjson

DAY = date(2026, 11, 20)
# From before the first query (the process takes about a second to start) to after the commit.
KILL_AFTER_SECONDS = [0.5, 1.0, 1.2, 1.4, 1.6, 1.8, 2.0, 2.5, 3.0]


def pepy_process(db: str, *args: str) -> subprocess.Popen:
    env = {**os.environ, "PEPY_DATABASE_URL": db, "PEPY_ENV": "test", "PEPY_RETENTION_DAYS": "0"}
    return subprocess.Popen(
        [sys.executable, "-m", "pepy", *args], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )


def ledger_status(db: str, timeout: float = 30) -> str:
    """The day's status in the ledger once the killed import's server session has let go of its lock."""
    pool = ConnectionPool(db)
    deadline = time.monotonic() + timeout
    try:
        while True:
            status = PostgresDownloadsRepository(pool).ledger(DAY, DAY)[DAY].status
            if status != "running" or time.monotonic() > deadline:
                return status
            time.sleep(0.2)
    finally:
        pool.close()


def facts(state: dict) -> dict:
    return {k: v for k, v in state.items() if k != "ledger"}


@pytest.mark.slow
def test_an_import_killed_at_any_point_leaves_the_old_or_the_new_complete_day(db, tmp_path):
    old = write_ndjson(tmp_path / "old.ndjson", [raw(at=f"{DAY} 12:00:00 UTC") for _ in range(5)])
    (new,) = write_demo_rows(tmp_path / "new", [DAY], seed=3)
    assert pepy_process(db, "import", "day", "--date", str(DAY), "--path", str(old)).wait() == 0
    old_state = facts(snapshot(db))

    seen, committed = [], None
    for delay in KILL_AFTER_SECONDS:
        process = pepy_process(db, "import", "day", "--date", str(DAY), "--path", str(new))
        time.sleep(delay)
        process.kill()
        process.wait()
        seen.append(ledger_status(db))
        if facts(snapshot(db)) != old_state:
            committed = facts(snapshot(db))
            break  # the import committed before the kill: compared with the complete new day below

    assert pepy_process(db, "import", "day", "--date", str(DAY), "--path", str(new)).wait() == 0
    new_state = facts(snapshot(db))
    assert new_state != old_state
    assert committed in (None, new_state)
    for status in seen:
        assert status in ("failed", "succeeded")
    # Every state seen after a kill was one of the two complete days, and totals equal the days' sums.
    assert sum(d[2] for d in new_state["days"]) == sum(p[2] for p in new_state["projects"])
    assert "failed" in seen, "no kill landed inside an import; lengthen the day or shorten the delays"


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
