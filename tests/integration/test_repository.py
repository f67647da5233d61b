"""The write side on real PostgreSQL: idempotent day replacement, exact totals, crash safety, the ledger."""

import json
import random
from datetime import date, timedelta

import psycopg2
import pytest
from dependency_injector import providers

from pepy.application.commands import ImportDay, LoadBaseTotals
from pepy.application.queries.v3 import bucket_start
from pepy.domain.downloads import Breakdown, DayRow
from pepy.domain.errors import InvalidImport
from pepy.domain.model import Downloads, ProjectName
from pepy.domain.read_models import Granularity, SeriesRequest
from tests.fakes import RowsSource, SourceFailed, day_rows

DAY = date(2026, 11, 19)
NEXT = date(2026, 11, 20)


def snapshot(url: str) -> dict:
    """Every stored fact, in a comparable form (ledger timestamps left out)."""
    conn = psycopg2.connect(url)
    with conn, conn.cursor() as cur:
        out = {}
        for name, query in {
            "projects": "SELECT name, base_downloads, total_downloads FROM projects ORDER BY name",
            "days": "SELECT p.name, d.day, d.downloads, d.non_mirror_downloads, d.pip_downloads "
            "FROM project_days d JOIN projects p ON p.id = d.project_id ORDER BY 1, 2",
            "documents": "SELECT p.name, d.day, d.versions_json::jsonb "
            "FROM project_days d JOIN projects p ON p.id = d.project_id ORDER BY 1, 2",
            "category documents": "SELECT p.name, d.day, d.categories_json::jsonb "
            "FROM project_days d JOIN projects p ON p.id = d.project_id ORDER BY 1, 2",
            "versions": "SELECT p.name, v.day, v.version, v.downloads, v.non_mirror_downloads, v.pip_downloads "
            "FROM version_downloads v JOIN projects p ON p.id = v.project_id ORDER BY 1, 2, 3",
            "categories": "SELECT p.name, c.day, c.breakdown::text, c.category, c.downloads, c.non_mirror_downloads "
            "FROM category_downloads c JOIN projects p ON p.id = c.project_id ORDER BY 1, 2, 3, 4 NULLS FIRST",
            "ledger": "SELECT day, source, status, rows_written, bytes_billed FROM imports ORDER BY day",
        }.items():
            cur.execute(query)
            out[name] = cur.fetchall()
    conn.close()
    return out


def use_source(container, source):
    container.sources.override(providers.Object(lambda name, path: source))


def run_import(container, rows_by_day, day=DAY, **source_options):
    use_source(container, RowsSource(rows_by_day, **source_options))
    return container.import_day()(ImportDay(day))


FIRST = {
    DAY: day_rows("requests", {"2.31.0": (10, 8, 6), "2.30.0": (5, 5, 1)})
    + day_rows(
        "flask",
        {"3.0.0": (7, 7, 7)},
        system={"Linux": (4, 4), None: (3, 3)},
        python_minor={"3.12": (7, 7)},
    )
}


def test_an_import_stores_every_table_and_the_totals(container, db):
    result = run_import(container, FIRST, bytes_billed=1234)
    state = snapshot(db)
    assert state["projects"] == [("flask", 0, 7), ("requests", 0, 15)]
    assert state["days"] == [("flask", DAY, 7, 7, 7), ("requests", DAY, 15, 13, 7)]
    assert ("requests", DAY, "2.30.0", 5, 5, 1) in state["versions"]
    assert state["documents"] == [("flask", DAY, {"3.0.0": 7}), ("requests", DAY, {"2.30.0": 5, "2.31.0": 10})]
    assert ("flask", DAY, "system", None, 3, 3) in state["categories"]
    # pypistats' breakdowns, non-mirror, nulls last, as its answers give them.
    assert state["category documents"] == [
        ("flask", DAY, {"python_minor": [["3.12", 7]], "system": [["Linux", 4], [None, 3]]}),
        ("requests", DAY, {"system": [["Linux", 13]]}),
    ]
    assert state["ledger"] == [(DAY, "files", "succeeded", result.rows_written, 1234)]
    assert result.rows_written == len(state["versions"]) + len(state["categories"]) + len(state["days"])


def test_importing_the_same_day_twice_gives_an_identical_database(container, db):
    run_import(container, FIRST)
    once = snapshot(db)
    run_import(container, FIRST)
    assert snapshot(db) == once


def test_a_days_detail_rows_are_written_frozen_and_every_character_survives_the_copy(container, db):
    odd = "tab\there, back\\slash, line\nbreak, \\N"
    run_import(container, {DAY: day_rows("requests", {"2.31.0": (10, 8, 6)}, installer={odd: (2, 2), None: (1, 1)})})
    conn = psycopg2.connect(db)
    with conn, conn.cursor() as cur:
        cur.execute(
            "SELECT relname, relpages, relallvisible FROM pg_class WHERE relname IN (%s, %s) ORDER BY 1",
            (f"category_downloads_{DAY:%Y%m%d}", f"version_downloads_{DAY:%Y%m%d}"),
        )
        pages = cur.fetchall()
    conn.close()
    # All-visible at once (COPY ... FREEZE), where rows an INSERT wrote wait for a vacuum.
    assert [(name[:8], relpages, relallvisible) for name, relpages, relallvisible in pages] == [
        ("category", 1, 1),
        ("version_", 1, 1),
    ]
    assert ("requests", DAY, "installer", odd, 2, 2) in snapshot(db)["categories"]
    assert ("requests", DAY, "installer", None, 1, 1) in snapshot(db)["categories"]


def test_a_changed_reimport_replaces_the_day_and_moves_totals_by_the_difference(container, db):
    run_import(container, FIRST)
    run_import(container, {NEXT: day_rows("requests", {"2.31.0": (100, 100, 0)})}, day=NEXT)
    # The re-run of DAY lost version 2.30.0 and the whole of flask, and requests grew.
    run_import(container, {DAY: day_rows("requests", {"2.31.0": (12, 12, 12)})})
    state = snapshot(db)
    assert state["projects"] == [("flask", 0, 0), ("requests", 0, 112)]
    assert [v for v in state["versions"] if v[1] == DAY] == [("requests", DAY, "2.31.0", 12, 12, 12)]
    assert [c for c in state["categories"] if c[0] == "flask"] == []
    assert state["days"] == [("requests", DAY, 12, 12, 12), ("requests", NEXT, 100, 100, 0)]
    assert state["documents"] == [("requests", DAY, {"2.31.0": 12}), ("requests", NEXT, {"2.31.0": 100})]


def test_totals_equal_base_plus_days_after_any_sequence(container, db):
    loader = container.load_base_totals()
    loader(LoadBaseTotals([(ProjectName("requests"), Downloads(1_000))]))
    for n in range(6):
        rows = day_rows("requests", {"2.31.0": (n * 3 + 1, n, 0)})
        run_import(container, {DAY: rows} if n % 2 else {NEXT: rows}, day=DAY if n % 2 else NEXT)
    run_import(container, {NEXT: day_rows("flask", {"3.0": (4, 2, 0)})}, day=NEXT)
    loader(LoadBaseTotals([(ProjectName("Requests"), Downloads(500))]))
    conn = psycopg2.connect(db)
    with conn, conn.cursor() as cur:
        cur.execute(
            """SELECT p.name, p.total_downloads, p.base_downloads + coalesce(sum(d.downloads), 0),
                      p.total_non_mirror_downloads, p.base_downloads + coalesce(sum(d.non_mirror_downloads), 0)
               FROM projects p LEFT JOIN project_days d ON d.project_id = p.id GROUP BY p.id ORDER BY 1"""
        )
        found = cur.fetchall()
    conn.close()
    # The last run of NEXT replaced requests' day by flask's: requests keeps DAY's n=5 and the base.
    assert found == [("flask", 4, 4, 2, 2), ("requests", 516, 516, 505, 505)]


def new_versions(url: str) -> dict:
    conn = psycopg2.connect(url)
    with conn, conn.cursor() as cur:
        cur.execute(
            "SELECT p.name, d.day, d.new_versions FROM project_days d JOIN projects p ON p.id = d.project_id "
            "WHERE d.versions_json IS NOT NULL"
        )
        found = {(name, day): versions and sorted(versions) for name, day, versions in cur.fetchall()}
    conn.close()
    return found


def test_new_versions_follow_the_day_before_through_reruns_and_filled_gaps(container, db):
    run_import(container, {DAY: day_rows("requests", {"1.0": (1, 1, 1), "2.0": (1, 1, 1)})})
    run_import(container, {NEXT: day_rows("requests", {"2.0": (1, 1, 1), "3.0": (1, 1, 1)})}, day=NEXT)
    assert new_versions(db) == {("requests", DAY): ["1.0", "2.0"], ("requests", NEXT): ["3.0"]}
    # A re-run of DAY changes what NEXT brought that was new.
    run_import(container, {DAY: day_rows("requests", {"3.0": (1, 1, 1)})})
    assert new_versions(db) == {("requests", DAY): ["3.0"], ("requests", NEXT): ["2.0"]}
    # A gap filled in before DAY: DAY's new versions are now relative to it.
    before = DAY - timedelta(days=1)
    run_import(container, {before: day_rows("requests", {"3.0": (1, 1, 1)})}, day=before)
    assert new_versions(db)[("requests", DAY)] is None


def test_v2_and_v3_versions_are_the_distinct_stored_versions_after_any_sequence_of_imports(container, db):
    rng = random.Random(4440)
    days = [DAY - timedelta(days=n) for n in range(8)]
    read_store = container.read_store()
    for _ in range(40):
        day = rng.choice(days)
        rows = []
        for project in ("requests", "flask"):
            chosen = rng.sample(["1.0", "1.1", "2.0", "2.1", "3.0rc1", "3.0"], rng.randint(0, 4))
            rows += day_rows(project, {v: (1, 1, 0) for v in chosen}) if chosen else []
        run_import(container, {day: rows}, day=day)
        start, end = sorted(rng.sample(days, 2))
        conn = psycopg2.connect(db)
        with conn, conn.cursor() as cur:
            for project in ("requests", "flask"):
                cur.execute(
                    "SELECT DISTINCT v.version FROM version_downloads v JOIN projects p ON p.id = v.project_id "
                    "WHERE p.name = %s AND v.day BETWEEN %s AND %s",
                    (project, start, end),
                )
                expected = {version for (version,) in cur.fetchall()}
                found = read_store.version_downloads(project, start, end)
                assert set(found.versions if found else []) == expected, (project, start, end)
                # v3's specifiers filter the same list, read on its own for any range.
                listed = read_store.versions(project, start, end)
                assert sorted(listed or []) == sorted(expected), (project, start, end)
        conn.close()


def test_a_version_series_and_top_versions_read_from_the_day_documents_equal_the_version_rows(container, db):
    rng = random.Random(503)
    days = [DAY - timedelta(days=n) for n in range(10)]
    for day in days:
        chosen = rng.sample(["1.0", "1.1", "2.0", "2.1", "3.0rc1", 'odd"name'], rng.randint(1, 5))
        rows = day_rows("requests", {v: (rng.randint(1, 50), 1, 0) for v in chosen})
        run_import(container, {day: rows}, day=day)
    read_store = container.read_store()
    conn = psycopg2.connect(db)
    with conn, conn.cursor() as cur:
        cur.execute(
            "SELECT day, version, downloads FROM version_downloads ORDER BY 1, 2",
        )
        rows = cur.fetchall()
    conn.close()
    for granularity in Granularity:
        for versions in (None, ("1.0", 'odd"name')):
            request = SeriesRequest("requests", days[-1], DAY, granularity, Breakdown.VERSION, versions, True, 10_000)
            expected: dict[tuple, int] = {}
            for day, version, downloads in rows:
                if versions is None or version in versions:
                    key = (bucket_start(day, granularity), version)
                    expected[key] = expected.get(key, 0) + downloads
            assert read_store.series(request) == sorted((b, v, n) for (b, v), n in expected.items())
    for start, end in ((days[-1], DAY), (days[5], days[2]), (DAY, DAY)):
        totals: dict[str, int] = {}
        for day, version, downloads in rows:
            if start <= day <= end:
                totals[version] = totals.get(version, 0) + downloads
        ranked = sorted(totals.items(), key=lambda item: (-item[1], item[0]))
        for limit in (2, 100):
            listed = read_store.top_versions("requests", start, end, limit)
            assert [(v.version, v.downloads) for v in listed] == ranked[:limit], (start, end, limit)


def test_version_days_with_and_without_mirrors_equal_the_version_rows(container, db):
    rng = random.Random(9090)
    days = [DAY - timedelta(days=n) for n in range(6)]
    for day in days[1:]:
        chosen = rng.sample(["1.0", "1.1", "2.0", 'odd"name'], rng.randint(1, 4))
        counts = {}
        for version in chosen:
            downloads = rng.randint(1, 50)
            counts[version] = (downloads, rng.randint(0, downloads), 0)
        run_import(container, {day: day_rows("requests", counts)}, day=day)
    run_import(container, {DAY: day_rows("flask", {"1.0": (3, 3, 0)})}, day=DAY)
    conn = psycopg2.connect(db)
    with conn, conn.cursor() as cur:
        cur.execute(
            "SELECT v.day, v.version, v.downloads, v.non_mirror_downloads FROM version_downloads v "
            "JOIN projects p ON p.id = v.project_id WHERE p.name = 'requests' ORDER BY 1, 2"
        )
        rows = cur.fetchall()
    conn.close()
    read_store = container.read_store()
    for start, end in ((days[-1], DAY), (days[4], days[2]), (DAY, DAY)):
        for mirrors, column in ((True, 2), (False, 3)):
            expected: dict[date, dict[str, int]] = {}
            for row in rows:
                if start <= row[0] <= end and row[column] > 0:
                    expected.setdefault(row[0], {})[row[1]] = row[column]
            found = read_store.version_days("requests", start, end, mirrors)
            assert [(d.day, d.downloads, d.versions) for d in found] == [
                (day, sum(versions.values()), versions) for day, versions in sorted(expected.items())
            ], (start, end, mirrors)
    assert read_store.version_days("flask", days[-1], days[1], True) == []
    assert read_store.version_days("flask", days[-1], days[1], False) == []
    assert read_store.version_days("nothing-here", days[-1], DAY, True) is None
    assert read_store.version_days("nothing-here", days[-1], DAY, False) is None


def test_totals_are_64_bit(container, db):
    huge = 3_000_000_000
    run_import(container, {DAY: day_rows("numpy", {"2.0": (huge, huge, huge)})})
    run_import(container, {NEXT: day_rows("numpy", {"2.0": (huge, huge, huge)})}, day=NEXT)
    assert snapshot(db)["projects"] == [("numpy", 0, 2 * huge)]


@pytest.mark.parametrize("fail_after", [0, 1, 3, 5])
def test_a_source_failing_part_way_leaves_the_previous_state(container, db, fail_after):
    run_import(container, FIRST)
    before = snapshot(db)
    changed = {DAY: day_rows("requests", {"9.0": (1, 1, 1)}) + day_rows("django", {"5.0": (2, 2, 2)})}
    with pytest.raises(SourceFailed):
        run_import(container, changed, fail_after=fail_after)
    after = snapshot(db)
    assert {k: v for k, v in after.items() if k != "ledger"} == {k: v for k, v in before.items() if k != "ledger"}
    assert [(day, status) for day, _, status, *_ in after["ledger"]] == [(DAY, "failed")]
    assert container.ledger().entries(DAY, DAY)[DAY].error.startswith("SourceFailed: failed")


@pytest.mark.parametrize(
    ("row", "message"),
    [
        (DayRow("requests", "version", "1.0", -1, 0, 0, 0), "breaks a rule"),
        (DayRow("requests", "version", "1.0", 5, 6, 0, 0), "breaks a rule"),
        (DayRow("requests", "version", "1.0", 5, 5, 6, 0), "breaks a rule"),
        (DayRow("requests", "colour", "red", 5, 5, 0, 0), "breaks a rule"),
        (DayRow("Not.Normalised", "version", "1.0", 5, 5, 0, 0), "unnormalised project name"),
        (DayRow("a" * 513, "version", "1.0", 5, 5, 0, 0), "breaks a rule"),
        (DayRow("requests", "system", "x" * 2000, 5, 5, 0, 0), "breaks a rule"),
        (DayRow("requests", "version", "1.0", "five", 5, 0, 0), "breaks a rule"),
        (DayRow("requests", "version", "1.0", 5, 5, 0, 6), "breaks a rule"),
    ],
)
def test_rows_breaking_a_rule_are_refused_and_change_nothing(container, db, row, message):
    run_import(container, FIRST)
    before = snapshot(db)
    with pytest.raises(InvalidImport, match=message):
        run_import(container, {DAY: [*FIRST[DAY], row]})
    after = snapshot(db)
    assert {k: v for k, v in after.items() if k != "ledger"} == {k: v for k, v in before.items() if k != "ledger"}


def test_duplicate_rows_are_refused(container, db):
    rows = day_rows("requests", {"1.0": (1, 1, 1)})
    with pytest.raises(InvalidImport, match="duplicate"):
        run_import(container, {DAY: rows + rows[:1]})
    assert snapshot(db)["versions"] == []


def test_an_interrupted_import_shows_as_failed(container):
    repository, ledger = container.repository(), container.ledger()
    ledger.record_start(DAY, "bigquery")  # as if the importer was killed right after
    entry = ledger.entries(DAY, DAY)[DAY]
    assert (entry.status, entry.error) == ("failed", "interrupted: the import stopped before it finished")
    with repository.day_lock(DAY):
        assert ledger.entries(DAY, DAY)[DAY].status == "running"


def test_an_exclusive_lock_is_held_once_across_connections(container):
    repository = container.repository()
    with repository.exclusive_lock("job", wait=False) as first, repository.exclusive_lock("job", wait=False) as second:
        assert (first, second) == (True, False)
    with repository.exclusive_lock("job", wait=False) as again:
        assert again


def test_retention_drops_old_detail_and_keeps_day_totals(container, db):
    run_import(container, FIRST)
    run_import(container, {NEXT: day_rows("requests", {"2.31.0": (1, 1, 1)})}, day=NEXT)
    container.repository().purge_before(NEXT)
    state = snapshot(db)
    assert {v[1] for v in state["versions"]} == {NEXT}
    assert {c[1] for c in state["categories"]} == {NEXT}
    assert {d[1] for d in state["days"]} == {DAY, NEXT}
    assert [d for d in state["documents"] if d[2] is not None] == [("requests", NEXT, {"2.31.0": 1})]
    assert [d for d in state["category documents"] if d[2] is not None] == [
        ("requests", NEXT, {"system": [["Linux", 1]]})
    ]
    assert state["projects"] == [("flask", 0, 7), ("requests", 0, 16)]


def test_base_totals_refuse_a_project_listed_twice(container, db):
    with pytest.raises(InvalidImport, match="twice"):
        container.load_base_totals()(
            LoadBaseTotals([(ProjectName("Foo.Bar"), Downloads(1)), (ProjectName("foo_bar"), Downloads(2))])
        )
    assert snapshot(db)["projects"] == []


def test_each_version_keeps_its_ci_downloads_and_the_day_its_documents_with_and_without_ci(container, db):
    # (downloads, non_mirror, pip, ci): 2.31.0 half from CI, 2.30.0 only from CI, 2.29.0 never.
    rows = day_rows("requests", {"2.31.0": (10, 8, 6, 5), "2.30.0": (3, 3, 1, 3), "2.29.0": (2, 2, 2, 0)})
    run_import(container, {DAY: rows})
    conn = psycopg2.connect(db)
    with conn, conn.cursor() as cur:
        cur.execute("SELECT version, downloads, ci_downloads FROM version_downloads ORDER BY version")
        assert cur.fetchall() == [("2.29.0", 2, 0), ("2.30.0", 3, 3), ("2.31.0", 10, 5)]
        cur.execute("SELECT versions_json, versions_without_ci_json FROM project_days")
        ((with_ci, without_ci),) = cur.fetchall()
    # Compact; a version downloaded only by CI has no downloads without it.
    assert " " not in with_ci + without_ci
    assert json.loads(with_ci) == {"2.29.0": 2, "2.30.0": 3, "2.31.0": 10}
    assert json.loads(without_ci) == {"2.29.0": 2, "2.31.0": 5}
    # A changed re-run replaces the split with the day.
    run_import(container, {DAY: day_rows("requests", {"2.31.0": (10, 8, 6, 10)})})
    with conn, conn.cursor() as cur:
        cur.execute("SELECT versions_json, versions_without_ci_json FROM project_days")
        assert cur.fetchall() == [('{"2.31.0":10}', "{}")]
    conn.close()
