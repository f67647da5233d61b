"""The dependency-injector container: the one place where adapters are built and wired."""

from __future__ import annotations

from datetime import UTC, datetime

from dependency_injector import containers, providers

from pepy.application import commands, queries
from pepy.infrastructure.bigquery.source import BigQuerySource, make_client
from pepy.infrastructure.files.source import FilesSource
from pepy.infrastructure.postgres.pool import ConnectionPool
from pepy.infrastructure.postgres.read_store import PostgresProjectReadStore
from pepy.infrastructure.postgres.repository import PostgresDownloadsRepository
from pepy.infrastructure.sources import SourceChooser


def utc_today():
    """Today's date in UTC: pepy's days are UTC days."""
    return datetime.now(UTC).date()


class Container(containers.DeclarativeContainer):
    """Configuration, pools, repositories, sources, and the command and query handlers."""

    config = providers.Configuration()
    clock = providers.Object(utc_today)

    # Commands write to the primary; queries read from the replica when one is configured.
    write_pool = providers.Singleton(ConnectionPool, dsn=config.database_url, max_connections=config.pool_size)
    read_pool = providers.Singleton(
        ConnectionPool,
        dsn=config.effective_read_database_url,
        max_connections=config.pool_size,
        statement_timeout_ms=config.read_statement_timeout_ms,
        read_only=True,
    )

    repository = providers.Singleton(PostgresDownloadsRepository, pool=write_pool)
    read_store = providers.Singleton(PostgresProjectReadStore, pool=read_pool)

    files_source = providers.Factory(FilesSource, path=config.files_path)
    bigquery_client = providers.Singleton(
        make_client, project=config.bigquery_project, endpoint=config.bigquery_endpoint
    )
    bigquery_source = providers.Factory(
        BigQuerySource,
        client=bigquery_client,
        table=config.bigquery_table,
        max_bytes=config.bigquery_max_bytes,
        page_size=config.bigquery_page_size,
    )
    sources = providers.Factory(
        SourceChooser, default=config.source, files=files_source.provider, bigquery=bigquery_source.provider
    )

    import_day = providers.Factory(
        commands.ImportDayHandler,
        repository=repository,
        sources=sources,
        clock=clock,
        retention_days=config.retention_days,
    )
    import_range = providers.Factory(
        commands.ImportRangeHandler, repository=repository, import_day=import_day, clock=clock
    )
    import_daily = providers.Factory(
        commands.ImportDailyHandler, repository=repository, import_day=import_day, clock=clock
    )
    load_base_totals = providers.Factory(commands.LoadBaseTotalsHandler, repository=repository)

    get_project = providers.Factory(queries.GetProjectHandler, store=read_store, clock=clock)
    check_health = providers.Factory(queries.CheckHealthHandler, store=read_store)


def build_container(settings) -> Container:
    """A container configured from validated Settings."""
    container = Container()
    container.config.from_dict(settings.as_dict())
    return container
