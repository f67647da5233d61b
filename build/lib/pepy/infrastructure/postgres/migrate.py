"""Schema migrations, applied by yoyo-migrations from the SQL files beside this module."""

from __future__ import annotations

from pathlib import Path

from yoyo import get_backend, read_migrations

MIGRATIONS = Path(__file__).parent / "migrations"


def _backend(database_url: str):
    # yoyo's "postgresql://" backend drives psycopg2, the driver pepy ships.
    return get_backend(database_url)


def upgrade(database_url: str) -> list[str]:
    """Apply every pending migration; returns the ids applied."""
    backend = _backend(database_url)
    migrations = read_migrations(str(MIGRATIONS))
    with backend.lock():
        pending = backend.to_apply(migrations)
        backend.apply_migrations(pending)
    return [m.id for m in pending]


def pending(database_url: str) -> list[str]:
    """The ids of migrations not yet applied."""
    backend = _backend(database_url)
    return [m.id for m in backend.to_apply(read_migrations(str(MIGRATIONS)))]


def downgrade_all(database_url: str) -> None:
    """Roll back every applied migration (for tests of the migrations themselves)."""
    backend = _backend(database_url)
    migrations = read_migrations(str(MIGRATIONS))
    with backend.lock():
        backend.rollback_migrations(backend.to_rollback(migrations))
