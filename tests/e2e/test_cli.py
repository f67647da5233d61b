"""The `pepy` command line through click's runner, against real PostgreSQL and the files source."""

from __future__ import annotations

import re
from datetime import date, timedelta

import psycopg2
import pytest
from click.testing import CliRunner

from pepy.infrastructure.cli import main
from pepy.infrastructure.container import utc_today
from tests.raw_rows import raw, write_ndjson

YESTERDAY = utc_today() - timedelta(days=1)


@pytest.fixture
def pepy(db, monkeypatch):
    """Runs `pepy ARGS` with the test database configured, returning click's Result."""
    monkeypatch.setenv("PEPY_DATABASE_URL", db)
    monkeypatch.setenv("PEPY_ENV", "test")
    monkeypatch.setenv("PEPY_RETENTION_DAYS", "0")
    for name in ("PEPY_READ_DATABASE_URL", "PEPY_SOURCE", "PEPY_FILES_PATH"):
        monkeypatch.delenv(name, raising=False)

    def run(*args: str):
        return CliRunner().invoke(main, list(args), catch_exceptions=False)

    return run


def raw_day(folder, day: date, downloads: int, project: str = "demo"):
    """A file of `downloads` raw pip downloads of one project on one day."""
    at = f"{day} 12:00:00 UTC"
    return write_ndjson(folder / f"{day}.ndjson", [raw(at=at, project=project) for _ in range(downloads)])


def total(url: str, project: str) -> int | None:
    conn = psycopg2.connect(url)
    with conn, conn.cursor() as cur:
        cur.execute("SELECT total_downloads FROM projects WHERE name = %s", (project,))
        row = cur.fetchone()
    conn.close()
    return row[0] if row else None


def rankings(url: str) -> list[str]:
    conn = psycopg2.connect(url)
    with conn, conn.cursor() as cur:
        cur.execute("SELECT ranking FROM rankings ORDER BY ranking")
        found = [name for (name,) in cur.fetchall()]
    conn.close()
    return found


RANKINGS = ["top-30-days", "top-365-days", "trending-month", "trending-week"]


def test_import_day_defaults_to_yesterday_and_reimports_idempotently(pepy, db, tmp_path):
    path = raw_day(tmp_path, YESTERDAY, 3)
    first = pepy("import", "day", "--source", "files", "--path", str(path))
    assert first.exit_code == 0, first.output
    assert f"{YESTERDAY}:" in first.output
    assert f"Rebuilt the rankings up to {YESTERDAY} in " in first.output and rankings(db) == RANKINGS
    assert pepy("import", "day", "--path", str(path)).exit_code == 0
    assert total(db, "demo") == 3


def test_import_range_backfills_with_progress_and_resumes(pepy, db, tmp_path):
    days = [YESTERDAY - timedelta(days=n) for n in range(3)]
    for n, day in enumerate(days):
        raw_day(tmp_path, day, n + 1)
    glob = str(tmp_path / "*.ndjson")
    result = pepy("import", "range", "--start", str(days[-1]), "--end", str(days[0]), "--path", glob)
    assert result.exit_code == 0, result.output
    assert "Imported 3 day(s)" in result.output
    assert total(db, "demo") == 6
    resumed = pepy(
        "import", "range", "--start", str(days[-1]), "--end", str(days[0]), "--path", glob, "--skip-existing"
    )
    assert "Imported 0 day(s)" in resumed.output
    assert total(db, "demo") == 6


def test_import_status_lists_gaps_and_exits_non_zero(pepy, tmp_path):
    raw_day(tmp_path, YESTERDAY, 1)
    pepy("import", "day", "--path", str(tmp_path / "*.ndjson"))
    two_days = ("import", "status", "--start", str(YESTERDAY - timedelta(days=1)), "--end", str(YESTERDAY))
    gap = pepy(*two_days)
    assert gap.exit_code == 1
    assert "1 gap(s)" in gap.output and "missing" in gap.output and "succeeded" in gap.output
    whole = pepy("import", "status", "--start", str(YESTERDAY), "--end", str(YESTERDAY))
    assert whole.exit_code == 0 and "No gaps" in whole.output


def test_import_daily_imports_yesterday_refresh_days_and_gaps(pepy, db, tmp_path):
    for n in range(5):
        raw_day(tmp_path, YESTERDAY - timedelta(days=n), 1)
    result = pepy("import", "daily", "--refresh-days", "1", "--gap-days", "4", "--path", str(tmp_path / "*.ndjson"))
    assert result.exit_code == 0, result.output
    imported = [line.split(":")[0] for line in result.output.splitlines() if re.match(r"\d{4}-\d\d-\d\d: ", line)]
    assert imported == [str(YESTERDAY - timedelta(days=n)) for n in (0, 1, 2, 3)]
    assert total(db, "demo") == 4


def test_import_totals_loads_a_csv(pepy, db, tmp_path):
    csv = tmp_path / "totals.csv"
    csv.write_text("project,total_downloads\nRequests,1000\nflask,5\n")
    result = pepy("import", "totals", "--file", str(csv))
    assert result.exit_code == 0, result.output
    assert (total(db, "requests"), total(db, "flask")) == (1000, 5)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("import", "day", "--date", "2026-13-01"), "'2026-13-01' does not match the format"),
        (("import", "day", "--date", "yesterday"), "does not match the format"),
        (("import", "day", "--date", "2999-01-01"), "is not over yet"),
        (("import", "day", "--date", "2015-01-01"), "before 2016-01-22"),
        (("import", "range", "--start", "2026-01-10", "--end", "2026-01-01"), "before the start"),
        (("import", "day", "--path", "/no/such/file.ndjson"), "No"),
        (("import", "day", "--source", "s3"), "Invalid value for '--source'"),
        (("import", "daily", "--refresh-days", "-1"), "Invalid value for '--refresh-days'"),
        (("import", "totals", "--file", "/no/such.csv"), "No such file"),
    ],
)
def test_bad_input_is_a_clear_error_and_changes_nothing(pepy, db, args, message):
    result = pepy(*args)
    assert result.exit_code != 0
    assert message in result.output
    assert "Traceback" not in result.output
    assert total(db, "demo") is None


def test_a_file_with_the_wrong_schema_is_refused(pepy, db, tmp_path):
    bad = tmp_path / "bad.ndjson"
    bad.write_text('{"timestamp": "2026-11-20 12:00:00 UTC", "project": "demo", "details": "not a record"}\n')
    result = pepy("import", "day", "--date", "2026-11-20", "--path", str(bad))
    assert result.exit_code == 1
    assert "Error:" in result.output and "Traceback" not in result.output
    assert total(db, "demo") is None


def test_a_csv_with_a_bad_row_names_its_line_and_changes_nothing(pepy, db, tmp_path):
    csv = tmp_path / "totals.csv"
    csv.write_text("project,total_downloads\nrequests,10\nflask,-3\n")
    result = pepy("import", "totals", "--file", str(csv))
    assert result.exit_code == 1
    assert "line 3" in result.output and "negative" in result.output
    assert total(db, "requests") is None


def test_db_upgrade_reports_nothing_pending_on_a_migrated_database(pepy):
    result = pepy("db", "upgrade")
    assert result.exit_code == 0
    assert "Applied 0 migration(s)" in result.output
    assert "Nothing to rebuild in the rankings" in result.output


def test_db_upgrade_builds_the_rankings_when_they_are_missing(pepy, db, tmp_path):
    pepy("import", "day", "--path", str(raw_day(tmp_path, YESTERDAY, 2)))
    conn = psycopg2.connect(db)
    with conn, conn.cursor() as cur:
        cur.execute("DELETE FROM rankings")
    conn.close()

    built = pepy("db", "upgrade")
    assert built.exit_code == 0 and f"Rebuilt the rankings up to {YESTERDAY}" in built.output
    assert rankings(db) == RANKINGS
    assert "Nothing to rebuild in the rankings" in pepy("db", "upgrade").output


def test_demo_writes_raw_rows_and_imports_them(pepy, db, tmp_path):
    result = pepy("demo", "--days", "2", "--out", str(tmp_path))
    assert result.exit_code == 0, result.output
    assert "Imported 2 demo day(s)" in result.output
    assert len(list(tmp_path.iterdir())) == 2
    assert total(db, "requests") > 0
    assert rankings(db) == RANKINGS


def stored_keys(url: str) -> list[tuple]:
    conn = psycopg2.connect(url)
    with conn, conn.cursor() as cur:
        cur.execute("SELECT name, tier, scopes FROM api_keys ORDER BY id")
        rows = cur.fetchall()
    conn.close()
    return rows


@pytest.mark.parametrize(
    ("options", "scopes"),
    [
        ((), ["read"]),
        (("--scope", "pro"), ["read", "pro"]),
        (("--scope", "admin"), ["read", "admin"]),
        (("--admin",), ["read", "admin"]),
        (("--scope", "admin", "--scope", "pro"), ["read", "pro", "admin"]),
        (("--admin", "--scope", "admin"), ["read", "admin"]),
    ],
)
def test_keys_create_stores_the_scopes_asked_for_and_list_shows_them(pepy, db, options, scopes):
    created = pepy("keys", "create", "--name", "partner", "--tier", "free", *options)
    assert created.exit_code == 0, created.output
    assert f"Created key 'partner' (tier free, scopes {', '.join(scopes)})." in created.output
    assert stored_keys(db) == [("partner", "free", scopes)]
    listed = pepy("keys", "list").output.splitlines()
    assert listed[0].split() == ["name", "tier", "scopes", "created", "revoked"]
    assert listed[1].split()[:3] == ["partner", "free", ",".join(scopes)]


def test_keys_create_refuses_an_unknown_scope_and_stores_nothing(pepy, db):
    result = pepy("keys", "create", "--name", "partner", "--tier", "free", "--scope", "pro", "--scope", "gold")
    assert result.exit_code == 2
    assert "Invalid value for '--scope': 'gold' is not one of 'read', 'pro', 'admin'" in result.output
    assert stored_keys(db) == []


def test_production_without_a_database_url_is_a_clear_start_up_error(monkeypatch):
    monkeypatch.setenv("PEPY_ENV", "production")
    monkeypatch.delenv("PEPY_DATABASE_URL", raising=False)
    result = CliRunner().invoke(main, ["db", "upgrade"])
    assert result.exit_code == 1
    assert "PEPY_DATABASE_URL is required" in result.output
