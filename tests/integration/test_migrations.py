"""Migrations, applied by yoyo from an empty schema."""

import psycopg2

from pepy.infrastructure.postgres import migrate
from tests.conftest import reset_schema, with_search_path

EXPECTED = {"projects", "project_days", "version_downloads", "category_downloads", "imports", "api_keys", "rate_limits"}


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
    assert migrate.pending(url) == ["0001.initial-schema", "0002.api-keys-and-rate-limits"]
    assert migrate.upgrade(url) == ["0001.initial-schema", "0002.api-keys-and-rate-limits"]
    assert tables(server_url, schema) == EXPECTED
    assert migrate.pending(url) == [] and migrate.upgrade(url) == []
    migrate.downgrade_all(url)
    assert tables(server_url, schema) == set()
    assert migrate.upgrade(url) == ["0001.initial-schema", "0002.api-keys-and-rate-limits"]
    reset_schema(server_url, schema)
