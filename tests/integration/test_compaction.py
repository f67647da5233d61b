"""Finished months of day totals rewritten in project order: every row kept, reads unchanged, rewritten again
after a day of the month is written, and never in the way of an import."""

import threading
import time
from datetime import date, timedelta

import psycopg2
import pytest

from pepy.application.commands import CompactMonths, CompactMonthsHandler, ImportRange
from pepy.infrastructure.postgres.prepared import in_range
from pepy.infrastructure.postgres.read_store import OVERALL_POINTS
from tests.conftest import TODAY, fetch_all
from tests.fakes import RowsSource, day_rows
from tests.integration.test_repository import run_import, snapshot, use_source

OCTOBER = [date(2026, 10, 28) + timedelta(days=n) for n in range(4)]
NOVEMBER = [date(2026, 11, 1), date(2026, 11, 2)]
PROJECTS = ("zope", "attrs", "numpy", "flask", "requests")


def rows(day: date) -> list:
    # Every project each day: a day's import writes them one after another, so a project's days lie apart.
    return [
        row
        for n, project in enumerate(PROJECTS)
        for row in day_rows(project, {"1.0": (day.day + n, day.day, 0), "2.0": (n + 1, 1, 0)})
    ]


def import_days(container, days) -> None:
    for day in days:
        run_import(container, {day: rows(day)}, day=day)


def physical_order(url: str, month: date) -> list[tuple]:
    return fetch_all(url, f"SELECT project_id, day FROM project_days_{month:%Y%m} ORDER BY ctid")


def compacted(url: str) -> dict[date, int]:
    return dict(fetch_all(url, "SELECT month, rows_written FROM month_compactions"))


def test_a_compacted_month_keeps_every_row_in_project_order(container, db):
    import_days(container, OCTOBER + NOVEMBER)
    before = snapshot(db)
    assert physical_order(db, date(2026, 10, 1)) != sorted(physical_order(db, date(2026, 10, 1)))
    read_store = container.read_store()
    days_before = read_store.version_days("numpy", OCTOBER[0], NOVEMBER[-1], True)

    done = container.repository().compact_months(date(2026, 12, 1), limit=5)

    assert [(m.month, m.rows) for m in done] == [(date(2026, 11, 1), 10), (date(2026, 10, 1), 20)]
    assert snapshot(db) == before
    for month in (date(2026, 10, 1), date(2026, 11, 1)):
        assert physical_order(db, month) == sorted(physical_order(db, month))
    assert compacted(db) == {date(2026, 10, 1): 20, date(2026, 11, 1): 10}
    assert read_store.version_days("numpy", OCTOBER[0], NOVEMBER[-1], True) == days_before
    # Current: nothing to do until a day of the month is written again.
    assert container.repository().compact_months(date(2026, 12, 1), limit=5) == []


def test_writing_a_day_takes_its_month_out_and_only_ended_months_are_compacted(container, db):
    import_days(container, OCTOBER + NOVEMBER)
    repository = container.repository()
    # November has not ended by the 30th: only October is.
    assert [m.month for m in repository.compact_months(date(2026, 11, 30), limit=5)] == [date(2026, 10, 1)]
    assert [m.month for m in repository.compact_months(date(2026, 12, 1), limit=5)] == [date(2026, 11, 1)]

    run_import(container, {OCTOBER[1]: rows(OCTOBER[1])[2:]}, day=OCTOBER[1])
    # An import of the 31st rewrites November's first day (its new versions): only October changed.
    assert compacted(db) == {date(2026, 11, 1): 10}
    before = snapshot(db)
    assert [m.month for m in repository.compact_months(date(2026, 12, 1), limit=5)] == [date(2026, 10, 1)]
    assert snapshot(db) == before


def test_a_run_compacts_a_few_months_newest_first(container, db):
    import_days(container, [date(2026, 7, 1), date(2026, 8, 1), date(2026, 9, 1), date(2026, 10, 1)])
    done = container.repository().compact_months(date(2026, 12, 1), limit=2)
    assert [m.month for m in done] == [date(2026, 10, 1), date(2026, 9, 1)]


def test_an_import_run_compacts_the_months_that_ended_a_week_before_today(container, db):
    days = {day: rows(day) for day in [date(2026, 10, 31), date(2026, 11, 1)]}
    use_source(container, RowsSource(days))
    list(container.import_range()(ImportRange(min(days), max(days))))
    # Today (2026-11-21) is three weeks past October's end; November runs on.
    assert TODAY - timedelta(days=CompactMonthsHandler.COMPACT_AFTER_DAYS) < date(2026, 12, 1)
    assert compacted(db) == {date(2026, 10, 1): len(PROJECTS)}


@pytest.mark.slow
def test_a_rewrite_that_cannot_swap_changes_nothing_and_the_run_goes_on(container, db, caplog):
    import_days(container, OCTOBER)
    before = snapshot(db)
    reader = psycopg2.connect(db)
    reader.autocommit = False
    with reader.cursor() as cur:
        # A read that lasts: the swap, which needs the parent to itself, gives up after its lock timeout.
        cur.execute("LOCK TABLE project_days IN ACCESS SHARE MODE")
        started = time.monotonic()
        assert container.compact_months()(CompactMonths()).compacted == []
        waited = time.monotonic() - started
    reader.rollback()
    reader.close()
    assert 4 < waited < 30 and "month compaction failed" in caplog.text
    assert snapshot(db) == before and compacted(db) == {}
    assert fetch_all(db, "SELECT count(*) FROM pg_class WHERE relname LIKE 'project_days_%_compact'") == [(0,)]


@pytest.mark.slow
def test_an_import_of_the_month_waits_for_its_rewrite_and_neither_fails(container, db):
    import_days(container, OCTOBER)
    repository = container.repository()
    conn = psycopg2.connect(db)
    conn.autocommit = False
    cur = conn.cursor()
    # Hold the month's partition as an import's write would, so that the rewrite starts and waits part way.
    cur.execute("LOCK TABLE project_days_202610 IN ROW EXCLUSIVE MODE")
    outcome = {}
    rewrite = threading.Thread(target=lambda: outcome.update(done=repository.compact_months(date(2026, 12, 1), 5)))
    rewrite.start()
    time.sleep(0.5)
    importer = threading.Thread(
        target=lambda: outcome.update(imported=run_import(container, {OCTOBER[2]: rows(OCTOBER[2])}, day=OCTOBER[2]))
    )
    importer.start()
    time.sleep(0.5)
    assert rewrite.is_alive() and importer.is_alive()
    conn.rollback()
    conn.close()
    rewrite.join(30)
    importer.join(30)
    assert [m.month for m in outcome["done"]] == [date(2026, 10, 1)]
    assert outcome["imported"].rows_written > 0
    # The import committed after the rewrite: October is out of order again, and out of the table.
    assert compacted(db) == {}


def test_indexes_built_once_fill_their_leaf_pages(container, db):
    import_days(container, OCTOBER + NOVEMBER)
    container.repository().compact_months(date(2026, 12, 1), limit=5)
    day = f"{OCTOBER[0]:%Y%m%d}"

    tables = f"'version_downloads_{day}', 'category_downloads_{day}', 'project_days_202610'"
    options = dict(
        fetch_all(
            db,
            f"""SELECT i.relname, i.reloptions FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid
                WHERE x.indrelid::regclass::text IN ({tables})""",
        )
    )

    assert len(options) == 4, options
    assert all(reloptions == ["fillfactor=100"] for reloptions in options.values()), options


def scans_of_project_days(plan: dict) -> list[dict]:
    found = [plan] if plan.get("Relation Name", "").startswith("project_days") else []
    return found + [scan for child in plan.get("Plans", []) for scan in scans_of_project_days(child)]


def test_a_projects_days_are_read_from_the_key_alone_once_imported_and_after_a_rewrite(container, db):
    import_days(container, OCTOBER + NOVEMBER)
    statement = in_range(OVERALL_POINTS[None], OCTOBER[0], NOVEMBER[-1])

    def scans() -> list[dict]:
        conn = psycopg2.connect(db)
        with conn, conn.cursor() as cur:
            # The tables are a few rows: left to itself the planner would read them whole.
            cur.execute("SET enable_seqscan = off; SET enable_bitmapscan = off")
            cur.execute(f"PREPARE overall (text) AS {statement}")
            cur.execute("EXECUTE overall ('numpy')")
            points = cur.fetchone()[0]
            cur.execute("EXPLAIN (ANALYZE, FORMAT JSON) EXECUTE overall ('numpy')")
            plan = cur.fetchone()[0][0]["Plan"]
        conn.close()
        assert points.count('"category":"with_mirrors"') == len(OCTOBER + NOVEMBER)
        return scans_of_project_days(plan)

    # Each import vacuumed its month: every block all-visible, no row fetched from the table.
    assert [(s["Node Type"], s["Heap Fetches"]) for s in scans()] == [("Index Only Scan", 0)] * 2
    # A rewritten month's key carries the totals too (its blocks become all-visible when autovacuum comes).
    container.repository().compact_months(date(2026, 12, 1), limit=5)
    assert {s["Node Type"] for s in scans()} == {"Index Only Scan"}
