"""The dependency-injector container: the one place where adapters are built and wired."""

from __future__ import annotations

from datetime import UTC, date, datetime

from dependency_injector import containers, providers

from pepy.application import access, commands
from pepy.application.queries import (
    charts,
    common,
    operations,
    pages,
    pepy_tech,
    pepy_tech_pro,
    pypistats,
    rankings,
    v3,
)
from pepy.infrastructure.bigquery.source import BigQuerySource, make_client
from pepy.infrastructure.files.source import FilesSource
from pepy.infrastructure.postgres.access import PostgresApiKeyRepository, PostgresSharedRateLimits
from pepy.infrastructure.postgres.ledger import PostgresImportLedger
from pepy.infrastructure.postgres.pool import ConnectionPool
from pepy.infrastructure.postgres.read_store import PostgresProjectReadStore
from pepy.infrastructure.postgres.replication import PostgresReplication
from pepy.infrastructure.postgres.repository import PostgresDownloadsRepository
from pepy.infrastructure.rate_limits import SettledRateLimiter
from pepy.infrastructure.settings import parse_networks, parse_origins, parse_tiers
from pepy.infrastructure.sources import SourceChooser


def utc_today() -> date:
    """Today's date in UTC: pepy's days are UTC days."""
    return datetime.now(UTC).date()


def utc_now() -> datetime:
    """The current time, timezone-aware in UTC, to compare with the ledger's timestamps."""
    return datetime.now(UTC)


class Container(containers.DeclarativeContainer):
    """Configuration, pools, repositories, sources, and the command and query handlers."""

    config = providers.Configuration()
    clock = providers.Object(utc_today)

    # Commands write to the primary; queries read from the replica when one is configured, and run again a read
    # the replica cancelled for a conflict with its replay.
    write_pool = providers.Singleton(ConnectionPool, dsn=config.database_url, max_connections=config.pool_size)
    read_pool = providers.Singleton(
        ConnectionPool,
        dsn=config.effective_read_database_url,
        max_connections=config.pool_size,
        statement_timeout_ms=config.read_statement_timeout_ms,
        read_only=True,
        autocommit=True,
        recovery_conflict_retries=config.read_conflict_retries,
    )
    # Keys and rate limits: one statement at a time on the primary, where every API process sees the same counts.
    access_pool = providers.Singleton(
        ConnectionPool, dsn=config.database_url, max_connections=config.pool_size, autocommit=True
    )

    repository = providers.Singleton(PostgresDownloadsRepository, pool=write_pool)
    # The primary's ledger tells an interrupted import from a running one; the read ledger serves requests.
    ledger = providers.Singleton(PostgresImportLedger, pool=write_pool)
    read_ledger = providers.Singleton(PostgresImportLedger, pool=read_pool)
    replication = providers.Singleton(PostgresReplication, pool=read_pool)
    read_store = providers.Singleton(PostgresProjectReadStore, pool=read_pool, ledger=read_ledger)

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
        ledger=ledger,
        sources=sources,
        clock=clock,
        retention_days=config.retention_days,
    )
    refresh_rankings = providers.Factory(commands.RefreshRankingsHandler, repository=repository)
    compact_months = providers.Factory(commands.CompactMonthsHandler, repository=repository, clock=clock)
    import_range = providers.Factory(
        commands.ImportRangeHandler,
        ledger=ledger,
        import_day=import_day,
        refresh_rankings=refresh_rankings,
        compact_months=compact_months,
        clock=clock,
    )
    import_daily = providers.Factory(
        commands.ImportDailyHandler,
        repository=repository,
        ledger=ledger,
        import_day=import_day,
        refresh_rankings=refresh_rankings,
        compact_months=compact_months,
        clock=clock,
    )
    load_base_totals = providers.Factory(commands.LoadBaseTotalsHandler, repository=repository)

    now = providers.Object(utc_now)
    check_health = providers.Factory(common.CheckHealthHandler, store=read_store)
    get_cache_validity = providers.Factory(common.GetCacheValidityHandler, ledger=read_ledger, clock=clock, now=now)
    get_project = providers.Factory(pepy_tech.GetProjectHandler, store=read_store, ledger=read_ledger, clock=clock)
    get_daily_downloads = providers.Factory(
        pepy_tech.GetDailyDownloadsHandler, store=read_store, ledger=read_ledger, clock=clock
    )
    get_badge_count = providers.Factory(
        pepy_tech.GetBadgeCountHandler, store=read_store, ledger=read_ledger, clock=clock
    )
    get_pro_downloads = providers.Factory(
        pepy_tech_pro.GetProDownloadsHandler, store=read_store, ledger=read_ledger, clock=clock
    )
    get_country_downloads = providers.Factory(
        pepy_tech_pro.GetCountryDownloadsHandler, store=read_store, ledger=read_ledger, clock=clock
    )
    get_recent_downloads = providers.Factory(
        pypistats.GetRecentDownloadsHandler, store=read_store, ledger=read_ledger, clock=clock
    )
    get_overall_downloads = providers.Factory(
        pypistats.GetOverallDownloadsHandler, store=read_store, ledger=read_ledger, clock=clock
    )
    get_category_downloads = providers.Factory(
        pypistats.GetCategoryDownloadsHandler, store=read_store, ledger=read_ledger, clock=clock
    )
    get_download_series = providers.Factory(
        v3.GetDownloadSeriesHandler, store=read_store, ledger=read_ledger, clock=clock
    )
    get_project_summary = providers.Factory(
        v3.GetProjectSummaryHandler, store=read_store, ledger=read_ledger, clock=clock
    )
    get_top_projects = providers.Factory(v3.GetTopProjectsHandler, store=read_store, ledger=read_ledger, clock=clock)
    search_projects = providers.Factory(v3.SearchProjectsHandler, store=read_store)
    get_comparison = providers.Factory(charts.GetComparisonHandler, store=read_store, ledger=read_ledger, clock=clock)
    get_project_chart = providers.Factory(
        charts.GetProjectChartHandler, store=read_store, ledger=read_ledger, clock=clock
    )
    get_comparison_chart = providers.Factory(
        charts.GetComparisonChartHandler, store=read_store, ledger=read_ledger, clock=clock
    )
    get_top_packages = providers.Factory(
        rankings.GetTopPackagesHandler, store=read_store, ledger=read_ledger, clock=clock
    )
    get_trending_projects = providers.Factory(
        rankings.GetTrendingProjectsHandler, store=read_store, ledger=read_ledger, clock=clock
    )
    get_project_page = providers.Factory(pages.GetProjectPageHandler, store=read_store, ledger=read_ledger, clock=clock)

    get_ledger_summary = providers.Factory(operations.GetLedgerSummaryHandler, ledger=read_ledger)
    get_replica_lag = providers.Factory(operations.GetReplicaLagHandler, replication=replication)
    # `pepy import status` asks the primary, which alone knows whether a running import is still alive.
    get_import_ledger = providers.Factory(operations.GetImportLedgerHandler, ledger=ledger)
    check_readiness = providers.Factory(
        operations.CheckReadinessHandler,
        ledger=read_ledger,
        replication=replication,
        max_import_age_hours=config.ready_max_import_age_hours,
        max_replica_lag_seconds=config.ready_max_replica_lag_seconds,
        now=now,
    )

    cors_origins = providers.Singleton(parse_origins, config.cors_origins)
    tiers = providers.Singleton(parse_tiers, config.rate_limit_tiers)
    trusted_proxies = providers.Singleton(parse_networks, config.trusted_proxies)
    api_keys = providers.Singleton(PostgresApiKeyRepository, pool=access_pool)
    # Requests read keys where they read downloads (a replica, if one is configured), and settle limits with the
    # primary in the background: no request waits for the primary.
    read_api_keys = providers.Singleton(PostgresApiKeyRepository, pool=read_pool)
    shared_rate_limits = providers.Singleton(PostgresSharedRateLimits, pool=access_pool)
    rate_limiter = providers.Singleton(SettledRateLimiter, shared=shared_rate_limits)
    create_api_key = providers.Factory(access.CreateApiKeyHandler, keys=api_keys, tiers=tiers)
    revoke_api_key = providers.Factory(access.RevokeApiKeyHandler, keys=api_keys)
    list_api_keys = providers.Factory(access.ListApiKeysHandler, keys=api_keys)
    # A Singleton: its key cache must outlive a request.
    admit_request = providers.Singleton(
        access.AdmitRequestHandler,
        keys=read_api_keys,
        limiter=rate_limiter,
        tiers=tiers,
        key_cache_seconds=config.key_cache_seconds,
    )


def close_pools(container: Container) -> None:
    """Stop the limiter's settlements, then close every connection the container's pools opened."""
    container.rate_limiter().stop()
    for pool in (container.write_pool, container.read_pool, container.access_pool):
        pool().close()


def build_container(settings) -> Container:
    """A container configured from validated Settings."""
    container = Container()
    container.config.from_dict(settings.as_dict())
    return container
