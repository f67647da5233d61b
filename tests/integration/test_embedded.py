"""The embedded server `make run` starts, from a checkout in a private folder (root's home is 0700)."""

from __future__ import annotations

import os
import pwd
import shutil
import stat
import tempfile
from pathlib import Path

import psycopg2
import pytest

from pepy.infrastructure.cli.commands import Runtime
from pepy.infrastructure.postgres.embedded import (
    SHARED_PARENT,
    EmbeddedPostgresError,
    free_port,
    server_folder,
)
from pepy.infrastructure.settings import Settings

AS_ROOT = os.geteuid() == 0


@pytest.fixture
def private_checkout(monkeypatch):
    """PEPY_DATA_DIR inside a checkout in a 0700 folder, with no database configured; the data is removed after."""
    private = Path(tempfile.mkdtemp(prefix="pepy-private-"))
    private.chmod(0o700)
    data_dir = private / "pepy" / ".pepy"
    for name in ("PEPY_DATABASE_URL", "PEPY_READ_DATABASE_URL"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("PEPY_ENV", "development")
    monkeypatch.setenv("PEPY_DATA_DIR", str(data_dir))
    monkeypatch.setenv("PEPY_EMBEDDED_PORT", str(free_port()))
    yield data_dir
    shutil.rmtree(server_folder(data_dir / "postgres"), ignore_errors=True)
    shutil.rmtree(private, ignore_errors=True)


def serve_once(capsys) -> tuple[str, list[str]]:
    """Start the server as `pepy serve --demo` does (asking for it twice, nested), write to it and read back;
    returns stderr and the tables it saw."""
    runtime = Runtime(Settings.from_env())
    with runtime.database_url(), runtime.database_url() as url:
        conn = psycopg2.connect(url)
        with conn, conn.cursor() as cur:
            cur.execute("CREATE TABLE IF NOT EXISTS kept (n int)")
            cur.execute("SELECT tablename FROM pg_tables WHERE tablename IN ('kept', 'projects') ORDER BY 1")
            tables = [name for (name,) in cur.fetchall()]
        conn.close()
    return capsys.readouterr().err, tables


@pytest.mark.slow
def test_the_embedded_server_starts_from_a_checkout_in_a_private_folder(private_checkout, capsys):
    wanted = private_checkout / "postgres"
    err, tables = serve_once(capsys)
    assert tables == ["kept", "projects"]
    folder = server_folder(wanted)
    if AS_ROOT:
        # initdb refuses root, and the postgres user cannot enter the 0700 folder: the data lives elsewhere.
        assert folder.parent == SHARED_PARENT and folder.name.startswith("pepy-postgres-")
        assert err.strip().splitlines() == [
            "The embedded PostgreSQL runs as the postgres user, which cannot reach "
            f"{private_checkout}: its data lives in {folder}"
        ]
        info = folder.stat()
        assert stat.S_IMODE(info.st_mode) == 0o700 and info.st_uid == pwd.getpwnam("postgres").pw_uid
        assert not (wanted / "data").exists()
    else:
        # The server runs as this user, who can reach its own folder: nothing moves and nothing is said.
        assert folder == wanted and err == ""
    assert (folder / "data" / "PG_VERSION").exists()

    again, tables = serve_once(capsys)
    assert again == err and tables == ["kept", "projects"], "a second start uses the same folder and its data"


@pytest.mark.skipif(not AS_ROOT, reason="only root runs the server as another user, postgres")
def test_a_folder_planted_under_the_shared_name_is_refused(private_checkout):
    wanted = private_checkout / "postgres"
    shared = server_folder(wanted)
    shared.rmdir()
    elsewhere = Path(tempfile.mkdtemp(prefix="pepy-elsewhere-"))
    try:
        shared.symlink_to(elsewhere)
        with pytest.raises(EmbeddedPostgresError, match="exists and is not pepy's"):
            server_folder(wanted)
        shared.unlink()
        shared.mkdir()
        os.chown(shared, 65534, 65534)
        with pytest.raises(EmbeddedPostgresError, match="exists and is not pepy's"):
            server_folder(wanted)
        assert shared.stat().st_uid == 65534
    finally:
        if shared.is_symlink():
            shared.unlink()
        shutil.rmtree(shared, ignore_errors=True)
        shutil.rmtree(elsewhere, ignore_errors=True)
