"""Each project's version documents of a finished month in one row (migration 0012): written after an import run
for the months v2's window reaches, dropped with any write of a day of the month, and whatever the order of
imports, re-runs and documentation, v2's answer and v3's versions are what the version rows say."""

import json
import random
import threading
import time
from datetime import date, timedelta

import psycopg2

from pepy.application.commands import CompactMonths, CompactMonthsHandler, ImportRange
from pepy.domain.downloads import v2_window_start
from pepy.infrastructure.postgres.repository import lock_day_for_writing
from tests.conftest import TODAY, fetch_all
from tests.fakes import RowsSource, day_rows
from tests.integration.test_repository import use_source

AUGUST, SEPTEMBER, OCTOBER, NOVEMBER = (date(2026, m, 1) for m in (8, 9, 10, 11))
PROJECTS = ("alpha", "beta", "gamma")
VERSIONS = ("1.0", "1.1", "2.0", "2.1rc1", 'odd"name', "3.0")


def random_day(rng: random.Random) -> list:
    rows = []
    for name in PROJECTS:
        if rng.random() < 0.8:
            chosen = rng.sample(VERSIONS, rng.randint(1, 4))
            rows += day_rows(name, {v: (rng.randint(1, 99), 1, 0) for v in chosen})
    return rows


def version_rows(url: str) -> dict[str, dict[str, dict[str, int]]]:
    """Each project's {day: {version: downloads}} as the version rows have it."""
    found: dict[str, dict[str, dict[str, int]]] = {name: {} for name in PROJECTS}
    for name, day, version, downloads in fetch_all(
        url,
        "SELECT p.name, v.day::text, v.version, v.downloads FROM version_downloads v "
        "JOIN projects p ON p.id = v.project_id",
    ):
        found[name].setdefault(day, {})[version] = downloads
    return found


def documented(url: str) -> list[date]:
    return [month for (month,) in fetch_all(url, "SELECT month FROM documented_months ORDER BY month")]


def assert_answers_agree_with_the_version_rows(container, url: str, ends: list[date]) -> None:
    store, expected = container.read_store(), version_rows(url)
    for name in PROJECTS:
        for end in ends:
            for start in (AUGUST, SEPTEMBER, OCTOBER, end.replace(day=1), end - timedelta(days=40)):
                days = {
                    day: versions
                    for day, versions in expected[name].items()
                    if start.isoformat() <= day <= end.isoformat()
                }
                found = store.version_downloads(name, start, end)
                if found is None:
                    assert not days, "only a project not imported yet is unknown"
                    continue
                assert json.loads(found.downloads_json) == days, (name, start, end)
                assert list(json.loads(found.downloads_json)) == sorted(days), "days in order"
                seen = {version for versions in days.values() for version in versions}
                assert sorted(found.versions) == sorted(seen), (name, start, end)
                assert sorted(store.versions(name, start, end) or []) == sorted(seen), (name, start, end)


def test_answers_agree_with_the_version_rows_whatever_the_order_of_imports_and_documentation(container, db):
    rng = random.Random(12)
    repository = container.repository()
    days = [AUGUST + timedelta(days=n) for n in range(100)]
    # Forward with the documentation an import run's end does, then backfills and re-runs in a random order.
    order = days + rng.sample(days, 25)
    for step, day in enumerate(order):
        repository.replace_day(day, "files", random_day(rng), 0)
        repository.document_months(max(order[: step + 1]) - timedelta(days=2), AUGUST)
        if step % 9 == 0 or step == len(order) - 1:
            last = max(order[: step + 1])
            ends = [last, last - timedelta(days=17), (last.replace(day=1) - timedelta(days=1))]
            assert_answers_agree_with_the_version_rows(container, db, [e for e in ends if e >= AUGUST])
    assert documented(db) == [AUGUST, SEPTEMBER, OCTOBER]


def test_a_write_of_a_day_drops_its_months_documents_and_the_next_run_writes_them_again(container, db):
    repository = container.repository()
    for n in range(62):
        day = SEPTEMBER + timedelta(days=n)
        repository.replace_day(day, "files", day_rows("alpha", {"1.0": (n + 1, 1, 0)}), 0)
    done = repository.document_months(NOVEMBER, AUGUST)
    assert [(m.month, m.projects) for m in done] == [(OCTOBER, 1), (SEPTEMBER, 1)]
    assert repository.document_months(NOVEMBER, AUGUST) == [], "documented once"
    # A re-run of a September day: September is read from its days until documented again, October stays.
    repository.replace_day(SEPTEMBER + timedelta(days=3), "files", day_rows("alpha", {"9.9": (500, 1, 0)}), 0)
    assert documented(db) == [OCTOBER]
    assert fetch_all(db, "SELECT DISTINCT month FROM project_month_documents") == [(OCTOBER,)]
    found = container.read_store().version_downloads("alpha", SEPTEMBER, date(2026, 11, 2))
    assert json.loads(found.downloads_json)["2026-09-04"] == {"9.9": 500}
    assert [m.month for m in repository.document_months(NOVEMBER, AUGUST)] == [SEPTEMBER]
    assert json.loads(container.read_store().version_downloads("alpha", SEPTEMBER, date(2026, 11, 2)).downloads_json)[
        "2026-09-04"
    ] == {"9.9": 500}
    # Months before the oldest v2 reaches are dropped; retention clearing a day's documents drops its month's.
    repository.document_months(NOVEMBER, OCTOBER)
    assert documented(db) == [OCTOBER]
    repository.purge_before(OCTOBER + timedelta(days=2))
    assert documented(db) == []
    assert fetch_all(db, "SELECT count(*) FROM project_month_documents") == [(0,)]
    assert "2026-10-01" not in json.loads(
        container.read_store().version_downloads("alpha", OCTOBER, date(2026, 11, 2)).downloads_json
    )


def test_a_month_is_documented_once_past_the_daily_reimports_and_only_while_v2_reaches_it(container, db):
    days = {AUGUST - timedelta(days=1): day_rows("alpha", {"0.9": (1, 1, 0)})}
    days |= {d: day_rows("alpha", {"1.0": (2, 1, 0)}) for d in (date(2026, 10, 31), date(2026, 11, 1))}
    use_source(container, RowsSource(days))
    list(container.import_range()(ImportRange(min(days), max(days))))
    # Today (2026-11-21): v2's window starts in August, so July is not documented; November runs on.
    assert v2_window_start(TODAY) == AUGUST
    assert TODAY - timedelta(days=CompactMonthsHandler.DOCUMENT_AFTER_DAYS) < date(2026, 12, 1)
    assert documented(db) == [OCTOBER]
    assert container.compact_months()(CompactMonths()).documented == []
    assert documented(db) == [OCTOBER]


def test_documenting_a_month_waits_for_an_import_of_it(container, db):
    repository = container.repository()
    for n in range(3):
        repository.replace_day(OCTOBER + timedelta(days=n), "files", day_rows("alpha", {"1.0": (1, 1, 0)}), 0)
    conn = psycopg2.connect(db)
    with conn.cursor() as cur:
        lock_day_for_writing(cur, OCTOBER + timedelta(days=1))
        outcome = {}
        writer = threading.Thread(target=lambda: outcome.update(done=repository.document_months(NOVEMBER, AUGUST)))
        writer.start()
        time.sleep(0.5)
        assert writer.is_alive() and documented(db) == []
    conn.rollback()
    writer.join(10)
    conn.close()
    assert [m.month for m in outcome["done"]] == [OCTOBER] and documented(db) == [OCTOBER]
