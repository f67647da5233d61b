"""`pepy` commands: serve, db, import, demo. Every operator error is a clear message and a non-zero exit."""

from __future__ import annotations

import contextlib
import dataclasses
import functools
import logging
import os
import signal
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import click

from pepy.application.access import CreateApiKey, ListApiKeys, RevokeApiKey
from pepy.application.commands import (
    ImportAlreadyRunning,
    ImportDaily,
    ImportDay,
    ImportRange,
    LoadBaseTotals,
    RankingsRefreshed,
    RefreshRankings,
    maintained_after,
)
from pepy.application.queries.operations import GetImportLedger
from pepy.domain.access import ADMIN, SCOPES
from pepy.domain.downloads import FIRST_DAY, days_between
from pepy.domain.errors import DatabaseUnavailable, DomainError, SourceUnavailable
from pepy.infrastructure.container import Container, build_container, close_pools, utc_today
from pepy.infrastructure.files.demo import write_demo_rows
from pepy.infrastructure.files.totals import read_base_totals
from pepy.infrastructure.logging import configure_logging
from pepy.infrastructure.postgres import migrate
from pepy.infrastructure.postgres.embedded import EmbeddedPostgresError, local_database, server_folder
from pepy.infrastructure.postgres.wait import wait_for_database
from pepy.infrastructure.settings import ConfigurationError, Settings

# sysexits' EX_TEMPFAIL: the run did nothing because another holds the lock; cron may retry later.
EXIT_ALREADY_RUNNING = 75
DATE = click.DateTime(formats=["%Y-%m-%d"])
log = logging.getLogger(__name__)
# `serve --demo`'s first start: enough days for a month of trending against the month before.
DEMO_DAYS = 60


class Runtime:
    """What every command needs: validated settings, and a container over a reachable database."""

    def __init__(self, settings: Settings):
        self.settings = settings

    @contextlib.contextmanager
    def database_url(self) -> Iterator[str]:
        """PEPY_DATABASE_URL once it accepts connections (waiting up to PEPY_DATABASE_WAIT_SECONDS), or in
        development the private server under PEPY_DATA_DIR (or, when root's postgres user cannot reach that, under
        /var/tmp, which a line on stderr says)."""
        if self.settings.database_url:
            # In the parent of `serve`'s server too, so the wait happens once, before any worker starts.
            wait_for_database(self.settings.database_url, self.settings.database_wait_seconds, log)
            yield self.settings.database_url
            return
        with local_database(self._server_folder, self.settings.embedded_port) as url:
            migrate.upgrade(url)
            yield url

    @functools.cached_property
    def _server_folder(self) -> Path:
        # Once per process: `serve --demo` asks for the database twice, and the line is said once.
        wanted = Path(self.settings.data_dir).resolve() / "postgres"
        folder = server_folder(wanted)
        if folder != wanted:
            click.echo(
                f"The embedded PostgreSQL runs as the postgres user, which cannot reach {wanted.parent}: "
                f"its data lives in {folder}",
                err=True,
            )
        return folder

    @contextlib.contextmanager
    def container(self) -> Iterator[Container]:
        """A container wired to the database; pools are closed when the block ends."""
        with self.database_url() as url:
            container = build_container(dataclasses.replace(self.settings, database_url=url))
            try:
                yield container
            finally:
                close_pools(container)


@contextlib.contextmanager
def operator_errors() -> Iterator[None]:
    """Turn the errors an operator can cause into a message and exit status 1."""
    try:
        yield
    except (DomainError, ConfigurationError, EmbeddedPostgresError) as error:
        raise click.ClickException(str(error)) from None
    except DatabaseUnavailable as error:
        raise click.ClickException(f"The database is unavailable: {error}") from None
    except SourceUnavailable as error:
        raise click.ClickException(f"{error}; nothing was stored, and the ledger records the failure") from None


@click.group()
@click.pass_context
def main(ctx: click.Context) -> None:
    """pepy: daily PyPI download statistics in PostgreSQL, served as JSON and badges."""
    with operator_errors():
        settings = Settings.from_env()
    configure_logging(settings.env, settings.log_level)
    ctx.obj = Runtime(settings)


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8080, show_default=True, type=click.IntRange(1, 65535))
@click.option("--workers", type=click.IntRange(1, 64), help="server workers [default: 1 per core, at least 2]")
@click.option("--demo/--no-demo", default=False, help="Load demo data first if the database has none.")
@click.pass_obj
def serve(runtime: Runtime, host: str, port: int, workers: int | None, demo: bool) -> None:
    """Serve the API under granian, configured as in production (pepy/infrastructure/api/server.py)."""
    with operator_errors(), runtime.database_url() as url:
        if demo:
            with runtime.container() as container:
                _load_demo_if_empty(container)
        env = {**os.environ, "PEPY_DATABASE_URL": url, "PEPY_BIND": f"{host}:{port}"}
        if workers:
            env["PEPY_WORKERS"] = str(workers)
        click.echo(f"Serving on http://{host}:{port}", err=True)
        # Imported here: granian's import would slow every other command, cron's import included.
        from pepy.infrastructure.api.server import COMMAND

        server = subprocess.Popen(COMMAND, env=env)
        # Ctrl-C reaches the server through the process group; SIGTERM is forwarded, then the database stops.
        signal.signal(signal.SIGTERM, lambda *_: server.terminate())
        try:
            code = server.wait()
        except KeyboardInterrupt:
            server.send_signal(signal.SIGINT)
            code = server.wait()
    if code not in (0, -signal.SIGTERM, -signal.SIGINT):
        raise SystemExit(code)


@main.group()
def db() -> None:
    """Database schema."""


@db.command()
@click.pass_obj
def upgrade(runtime: Runtime) -> None:
    """Apply pending schema migrations, then build the rankings if they are missing or older than the last import."""
    with operator_errors(), runtime.database_url() as url:
        applied = migrate.upgrade(url)
        click.echo(f"Applied {len(applied)} migration(s)" + (f": {', '.join(applied)}" if applied else ""))
        with runtime.container() as container:
            refreshed = container.refresh_rankings()(RefreshRankings(only_if_stale=True))
    click.echo(_rankings_line(refreshed) if refreshed else "Nothing to rebuild in the rankings")


@main.group(name="import")
def import_() -> None:
    """Import daily downloads from BigQuery or raw files."""


_source_option = click.option("--source", type=click.Choice(["bigquery", "files"]), help="[default: PEPY_SOURCE]")
_path_option = click.option(
    "--path", help="Files source: a glob, file or folder of raw rows [default: PEPY_FILES_PATH]"
)


@import_.command()
@click.option("--date", "day", type=DATE, help="The UTC day [default: yesterday]")
@_source_option
@_path_option
@click.pass_obj
def day(runtime: Runtime, day, source, path) -> None:
    """Import one UTC day, replacing whatever was stored for it."""
    the_day = day.date() if day else utc_today() - timedelta(days=1)
    with operator_errors(), runtime.container() as container:
        result = container.import_day()(ImportDay(the_day, source, path))
        click.echo(f"{result.day}: {result.rows_written} rows from {result.source} in {result.seconds:.1f}s")
        refreshed = container.refresh_rankings()(RefreshRankings())
    click.echo(_rankings_line(refreshed))


def _rankings_line(refreshed: RankingsRefreshed) -> str:
    return f"Rebuilt the rankings up to {refreshed.last_day} in {refreshed.seconds:.1f}s"


@import_.command(name="range")
@click.option("--start", required=True, type=DATE)
@click.option("--end", required=True, type=DATE)
@click.option("--skip-existing", is_flag=True, help="Leave days already imported successfully as they are.")
@_source_option
@_path_option
@click.pass_obj
def range_(runtime: Runtime, start, end, skip_existing, source, path) -> None:
    """Backfill days from START to END (both included), oldest first; rerun with --skip-existing to resume."""
    command = ImportRange(start.date(), end.date(), skip_existing, source, path)
    with operator_errors(), runtime.container() as container:
        handler = container.import_range()
        days = handler.days_to_import(command)
        rows = 0
        with click.progressbar(
            length=len(days),
            label=f"Importing {len(days)} day(s)",
            show_eta=True,
            show_pos=True,
            item_show_func=lambda r: f"{r.day} {rows:,} rows" if r else None,
            file=sys.stderr,
        ) as bar:
            for result in handler(command, days):
                rows += result.rows_written
                bar.update(1, result)
    click.echo(f"Imported {len(days)} day(s), {rows} rows")


@import_.command()
@click.option("--start", type=DATE, help="[default: 30 days before --end]")
@click.option("--end", type=DATE, help="[default: yesterday]")
@click.pass_obj
def status(runtime: Runtime, start, end) -> None:
    """Show the ledger per day and list the gaps; exit status 1 if the range has a gap."""
    last = end.date() if end else utc_today() - timedelta(days=1)
    first = start.date() if start else last - timedelta(days=29)
    with operator_errors(), runtime.container() as container:
        ledger = container.get_import_ledger()(GetImportLedger(first, last))
    click.echo(f"{'day':<10}  {'status':<9}  {'source':<8}  {'rows':>12}  {'bytes billed':>14}  finished / error")
    for one, entry in ledger.days:
        if entry is None:
            click.echo(f"{one}  {'missing':<9}")
            continue
        detail = entry.error or (entry.finished_at.isoformat(timespec="seconds") if entry.finished_at else "")
        counts = f"{entry.rows_written:>12,}  {entry.bytes_billed:>14,}"
        click.echo(f"{one}  {entry.status:<9}  {entry.source:<8}  {counts}  {detail}")
    if ledger.gaps:
        click.echo(f"{len(ledger.gaps)} gap(s): {', '.join(str(g) for g in ledger.gaps)}")
        raise SystemExit(1)
    click.echo(f"No gaps from {first} to {last}")


@import_.command()
@click.option("--refresh-days", default=2, show_default=True, type=click.IntRange(0, 30))
@click.option("--gap-days", default=30, show_default=True, type=click.IntRange(1, 3650))
@click.option("--wait/--no-wait", default=False, help="Wait for a running daily import instead of exiting.")
@_source_option
@_path_option
@click.pass_obj
def daily(runtime: Runtime, refresh_days, gap_days, wait, source, path) -> None:
    """The scheduled run: yesterday, the days before it that get late rows, and any gap in the last days."""
    with operator_errors(), runtime.container() as container:
        try:
            results = container.import_daily()(ImportDaily(refresh_days, gap_days, wait, source, path))
        except ImportAlreadyRunning as error:
            click.echo(str(error), err=True)
            raise SystemExit(EXIT_ALREADY_RUNNING) from None
    for result in results:
        click.echo(f"{result.day}: {result.rows_written} rows from {result.source} in {result.seconds:.1f}s")


@import_.command()
@click.option("--file", "file_", required=True, help="CSV with a header project,total_downloads")
@click.pass_obj
def totals(runtime: Runtime, file_) -> None:
    """Load all-time base totals (downloads before the first imported day)."""
    with operator_errors(), runtime.container() as container:
        count = container.load_base_totals()(LoadBaseTotals(read_base_totals(file_)))
    click.echo(f"Set the base total of {count} project(s)")


@main.group()
def keys() -> None:
    """API keys: shown once on creation, stored only as a hash."""


@keys.command(name="create")
@click.option("--name", required=True, help="Who the key is for; unique.")
@click.option("--tier", required=True, help="A tier of PEPY_RATE_LIMIT_TIERS.")
@click.option(
    "--scope",
    "scopes",
    multiple=True,
    type=click.Choice(SCOPES),
    help="A scope beyond read, which every key has: pro for pepy.tech's paid endpoints, admin for every endpoint. "
    "Repeatable.",
)
@click.option("--admin", is_flag=True, help="The same as --scope admin.")
@click.pass_obj
def keys_create(runtime: Runtime, name: str, tier: str, scopes: tuple[str, ...], admin: bool) -> None:
    """Create a key and print its secret, once."""
    if admin:
        scopes = (*scopes, ADMIN)
    with operator_errors(), runtime.container() as container:
        key, secret = container.create_api_key()(CreateApiKey(name, tier, scopes))
    click.echo(f"Created key {key.name!r} (tier {key.tier}, scopes {', '.join(key.scopes)}).")
    click.echo("Its secret, shown this once (send it in the X-API-Key header):", err=True)
    click.echo(secret)


@keys.command(name="list")
@click.pass_obj
def keys_list(runtime: Runtime) -> None:
    """List keys, without their secrets."""
    with operator_errors(), runtime.container() as container:
        found = container.list_api_keys()(ListApiKeys())
    click.echo(f"{'name':<30}  {'tier':<12}  {'scopes':<16}  {'created':<25}  revoked")
    for key in found:
        revoked = key.revoked_at.isoformat(timespec="seconds") if key.revoked_at else ""
        created = key.created_at.isoformat(timespec="seconds")
        click.echo(f"{key.name:<30}  {key.tier:<12}  {','.join(key.scopes):<16}  {created:<25}  {revoked}")


@keys.command(name="revoke")
@click.argument("name")
@click.pass_obj
def keys_revoke(runtime: Runtime, name: str) -> None:
    """Revoke the named key (API processes stop accepting it within PEPY_KEY_CACHE_SECONDS)."""
    with operator_errors(), runtime.container() as container:
        container.revoke_api_key()(RevokeApiKey(name))
    click.echo(f"Revoked key {name!r}")


@main.command()
@click.option("--days", default=30, show_default=True, type=click.IntRange(1, 400))
@click.option("--out", type=click.Path(file_okay=False), help="Where to write raw rows [default: a temporary folder]")
@click.option("--seed", default=0, show_default=True)
@click.pass_obj
def demo(runtime: Runtime, days, out, seed) -> None:
    """Write synthetic raw rows in the table's schema for the last DAYS days, and import them."""
    with operator_errors(), runtime.container() as container:
        imported = _import_demo(container, days, Path(out) if out else None, seed)
    click.echo(f"Imported {imported} demo day(s)")


def _import_demo(container: Container, days: int, out: Path | None, seed: int, scale: float = 1.0) -> int:
    yesterday = utc_today() - timedelta(days=1)
    the_days = days_between(yesterday - timedelta(days=days - 1), yesterday)
    with contextlib.ExitStack() as stack:
        folder = out or Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="pepy-demo-")))
        files = write_demo_rows(folder, the_days, seed=seed, scale=scale)
        import_day = container.import_day()
        # As an import run ends: the rankings, then the finished months' documents and rewrite.
        with maintained_after(container.refresh_rankings(), container.compact_months()) as results:
            for one, file in zip(the_days, files, strict=True):
                results.append(import_day(ImportDay(one, "files", str(file))))
    return len(the_days)


def _load_demo_if_empty(container: Container) -> None:
    yesterday = utc_today() - timedelta(days=1)
    if not container.get_import_ledger()(GetImportLedger(FIRST_DAY, yesterday)).attempted:
        click.echo(f"Loading {DEMO_DAYS} days of demo data (first start only)...", err=True)
        # A lighter day than `pepy demo`'s, so a first start takes seconds, not minutes.
        _import_demo(container, DEMO_DAYS, None, 0, scale=0.3)
    # Demo data loaded before the rankings existed has none yet.
    container.refresh_rankings()(RefreshRankings(only_if_stale=True))
