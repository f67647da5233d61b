"""Migrations, applied by yoyo from an empty schema."""

import json
from datetime import date, timedelta

import psycopg2
from yoyo import get_backend, read_migrations

from pepy.domain.read_models import DayTotal
from pepy.infrastructure.postgres import migrate
from pepy.infrastructure.postgres.recent_days import RecentDays
from tests.conftest import reset_schema, with_search_path

ALL = [
    "0001.initial-schema",
    "0002.api-keys-and-rate-limits",
    "0003.day-version-documents",
    "0004.day-version-documents-backfill",
    "0005.ci-per-version",
    "0006.compact-version-documents",
    "0007.rankings",
    "0008.non-mirror-totals",
    "0009.month-compactions",
    "0010.project-recent-days",
    "0011.day-category-documents",
    "0012.month-version-documents",
    "0013.interleaved-recent-days",
    "0014.project-days-covering-key",
]
EXPECTED = {
    "projects",
    "project_days",
    "version_downloads",
    "category_downloads",
    "imports",
    "api_keys",
    "rate_limits",
    "rankings",
    "ranked_projects",
    "month_compactions",
    "project_recent_days",
    "project_month_documents",
    "documented_months",
}


def tables(url: str, schema: str) -> set[str]:
    conn = psycopg2.connect(url)
    with conn, conn.cursor() as cur:
        cur.execute(
            "SELECT table_name FROM information_schema.tables "
            "WHERE table_schema = %s AND table_name NOT LIKE '%%yoyo%%'",
            (schema,),
        )
        found = {name for (name,) in cur.fetchall()}
    conn.close()
    return found


def test_migrations_apply_to_an_empty_database_roll_back_and_reapply(server_url):
    schema = "pepy_migration_test"
    reset_schema(server_url, schema)
    url = with_search_path(server_url, schema)
    assert migrate.pending(url) == ALL
    assert migrate.upgrade(url) == ALL
    assert tables(server_url, schema) == EXPECTED
    assert migrate.pending(url) == [] and migrate.upgrade(url) == []
    migrate.downgrade_all(url)
    assert tables(server_url, schema) == set()
    assert migrate.upgrade(url) == ALL
    reset_schema(server_url, schema)


def test_the_day_documents_migration_fills_every_stored_day_from_its_versions(server_url):
    schema = "pepy_migration_backfill_test"
    reset_schema(server_url, schema)
    url = with_search_path(server_url, schema)
    backend = get_backend(url)
    with backend.lock():
        backend.apply_migrations(backend.to_apply(read_migrations(str(migrate.MIGRATIONS)))[:2])
    conn = psycopg2.connect(url)
    with conn, conn.cursor() as cur:
        # A database as the previous schema left it: rows written before the documents existed.
        cur.execute(
            """INSERT INTO projects (name) VALUES ('requests'), ('flask');
               CREATE TABLE project_days_202611 PARTITION OF project_days
                   FOR VALUES FROM ('2026-11-01') TO ('2026-12-01');
               CREATE TABLE version_downloads_20261119 PARTITION OF version_downloads
                   FOR VALUES FROM ('2026-11-19') TO ('2026-11-20');
               INSERT INTO version_downloads VALUES
                   (1, '2026-11-19', '2.31.0', 10, 8, 6), (1, '2026-11-19', '2.30.0', 5, 5, 1),
                   (2, '2026-11-19', '3.0.0', 7, 7, 7);
               CREATE TABLE version_downloads_20261120 PARTITION OF version_downloads
                   FOR VALUES FROM ('2026-11-20') TO ('2026-11-21');
               INSERT INTO version_downloads VALUES
                   (1, '2026-11-20', '2.31.0', 4, 4, 4), (1, '2026-11-20', '2.32.0', 2, 2, 2);
               CREATE TABLE category_downloads_20261119 PARTITION OF category_downloads
                   FOR VALUES FROM ('2026-11-19') TO ('2026-11-20');
               INSERT INTO category_downloads VALUES
                   (1, '2026-11-19', 'system', 'Linux', 9, 8), (1, '2026-11-19', 'system', NULL, 6, 5),
                   (1, '2026-11-19', 'python_minor', '3.12', 15, 13), (1, '2026-11-19', 'country', 'DE', 15, 13),
                   (2, '2026-11-19', 'system', 'Darwin', 7, 0);
               INSERT INTO project_days VALUES (1, '2026-11-19', 15, 13, 7), (2, '2026-11-19', 7, 7, 7),
                                               (1, '2026-11-18', 3, 3, 3), (1, '2026-11-20', 6, 6, 6)"""
        )
    assert migrate.upgrade(url) == ALL[2:]
    with conn, conn.cursor() as cur:
        cur.execute("SELECT project_id, day::text, versions_json, new_versions FROM project_days ORDER BY 1, 2")
        found = [(project, day, doc and json.loads(doc), new) for project, day, doc, new in cur.fetchall()]
    conn.close()
    # The 18th's detail had expired: its total stays, with no document; on the 19th every version was new, on the
    # 20th only 2.32.0.
    assert found == [
        (1, "2026-11-18", None, None),
        (1, "2026-11-19", {"2.30.0": 5, "2.31.0": 10}, ["2.30.0", "2.31.0"]),
        (1, "2026-11-20", {"2.31.0": 4, "2.32.0": 2}, ["2.32.0"]),
        (2, "2026-11-19", {"3.0.0": 7}, ["3.0.0"]),
    ]
    # Compact text, as the import writes it; and no CI split for days imported before it existed.
    conn = psycopg2.connect(url)
    with conn, conn.cursor() as cur:
        cur.execute(
            "SELECT versions_json, versions_without_ci_json FROM project_days "
            "WHERE project_id = 1 AND day = '2026-11-19'"
        )
        assert cur.fetchone() == ('{"2.30.0":5,"2.31.0":10}', None)
        cur.execute("SELECT count(*) FILTER (WHERE ci_downloads IS NULL), count(*) FROM version_downloads")
        assert cur.fetchone() == (5, 5)
        # The all-time totals without mirrors: the base (none here) plus every stored day's.
        cur.execute("SELECT name, total_non_mirror_downloads FROM projects ORDER BY name")
        assert cur.fetchall() == [("flask", 7), ("requests", 22)]
        # pypistats' breakdowns per day, from the category rows: non-mirror, nulls last, none without downloads.
        cur.execute("SELECT project_id, day::text, categories_json FROM project_days WHERE categories_json IS NOT NULL")
        assert [(p, d, json.loads(doc)) for p, d, doc in cur.fetchall()] == [
            (1, "2026-11-19", {"python_minor": [["3.12", 13]], "system": [["Linux", 8], [None, 5]]})
        ]
        # Each project's ring of the 30 days ending on the last stored day; older days are not in it.
        cur.execute(
            """SELECT p.name, p.total_downloads, p.total_non_mirror_downloads, r.slots
               FROM projects p JOIN project_recent_days r ON r.project_id = p.id ORDER BY p.name"""
        )
        rings = {name: RecentDays(*ring) for name, *ring in cur.fetchall()}
    conn.close()
    last = date(2026, 11, 20)
    assert rings["requests"].day_totals(last - timedelta(days=29), last) == [
        DayTotal(date(2026, 11, 18), 3, 3),
        DayTotal(date(2026, 11, 19), 15, 13),
        DayTotal(last, 6, 6),
    ]
    assert rings["flask"].day_totals(last - timedelta(days=29), last) == [DayTotal(date(2026, 11, 19), 7, 7)]
    assert rings["flask"].day_totals(last - timedelta(days=30), last) is None
    reset_schema(server_url, schema, create=False)


def test_the_ring_migration_rolls_back_to_three_arrays_holding_the_same_days(server_url):
    schema = "pepy_migration_ring_test"
    reset_schema(server_url, schema)
    url = with_search_path(server_url, schema)
    migrate.upgrade(url)
    # The 19th and the 20th in their slots (16 and 17 of 0..29), every other slot empty.
    ring = [0] * 90
    ring[48:54] = [
        (date(2026, 11, 19) - date(1970, 1, 1)).days,
        15,
        13,
        (date(2026, 11, 20) - date(1970, 1, 1)).days,
        6,
        5,
    ]
    conn = psycopg2.connect(url)
    with conn, conn.cursor() as cur:
        cur.execute("INSERT INTO projects (name) VALUES ('requests')")
        cur.execute("INSERT INTO project_recent_days VALUES (1, %s)", (ring,))
    conn.close()
    # Rolled back through the ring's migration (0013), and those after it.
    since_ring = ALL[ALL.index("0013.interleaved-recent-days") :]
    backend = get_backend(url)
    migrations = read_migrations(str(migrate.MIGRATIONS))
    with backend.lock():
        backend.rollback_migrations(backend.to_rollback(migrations)[: len(since_ring)])
    conn = psycopg2.connect(url)
    with conn, conn.cursor() as cur:
        cur.execute(
            "SELECT days[17:18], downloads[17:18], non_mirror_downloads[17:18], days[1] FROM project_recent_days"
        )
        assert cur.fetchone() == ([date(2026, 11, 19), date(2026, 11, 20)], [15, 6], [13, 5], date(1970, 1, 1))
    conn.close()
    # And forward again: the same slots.
    assert migrate.upgrade(url) == since_ring
    conn = psycopg2.connect(url)
    with conn, conn.cursor() as cur:
        cur.execute("SELECT slots FROM project_recent_days")
        assert cur.fetchone() == (ring,)
    conn.close()
    reset_schema(server_url, schema)
