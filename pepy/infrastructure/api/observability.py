"""Readiness and Prometheus metrics: GET /ready and GET /metrics, and the request instrumentation behind them.

Under the server, PROMETHEUS_MULTIPROC_DIR is set (see server.py) and every worker writes its request metrics to
files there, so a scrape answered by any one worker sums all of them. The import metrics are read
from the ledger at scrape time, since imports run in another process (cron) that serves no metrics, and the
replica's lag from the read database.
"""

from __future__ import annotations

import calendar
import glob
import logging
import os
import time
from collections.abc import Callable, Iterator

from dependency_injector.wiring import Provide, inject
from flask import Blueprint, Response, current_app, g, jsonify, request
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
    multiprocess,
)
from prometheus_client.core import GaugeMetricFamily

from pepy.application.queries.operations import (
    CheckReadiness,
    CheckReadinessHandler,
    GetLedgerSummary,
    GetLedgerSummaryHandler,
    GetReplicaLag,
    GetReplicaLagHandler,
)
from pepy.domain.errors import DatabaseTimeout, DatabaseUnavailable
from pepy.domain.ports import Now
from pepy.domain.read_models import LedgerSummary, ReplicaLag
from pepy.infrastructure.api.errors import json_error
from pepy.infrastructure.container import Container
from pepy.infrastructure.rate_limits import RateLimitEvents, SettledRateLimiter

log = logging.getLogger(__name__)

blueprint = Blueprint("observability", __name__)

# Requests no route matched share one label, so scanners probing random paths cannot grow the series.
UNMATCHED_ROUTE = "<unmatched>"
# Clients may send any method name; the others share one label for the same reason.
METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
OTHER_METHOD = "OTHER"
# Badges and JSON answers take milliseconds; the top buckets catch long ranges and a slow database.
LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)
_TABLES = ("version_downloads", "category_downloads", "project_days")


@blueprint.get("/ready")
@inject
def ready(check_readiness: CheckReadinessHandler = Provide[Container.check_readiness]):
    """200 when the database answers, the replica is not too far behind and the last successful import is recent
    enough; 503 with the reason."""
    readiness = check_readiness(CheckReadiness())
    if not readiness.ready:
        return json_error(503, readiness.reason)
    return jsonify(status="ready", message=readiness.reason)


@blueprint.get("/metrics")
def prometheus_metrics():
    """Every metric in Prometheus' text format: requests of all workers, and the import ledger's gauges."""
    if folder := os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        forget_dead_workers(folder)
    return Response(generate_latest(current_app.extensions["pepy_metrics"]), content_type=CONTENT_TYPE_LATEST)


def forget_dead_workers(folder: str) -> None:
    """Drop the live gauges of workers that are gone (recycled, reloaded or crashed); their counters stay, so totals
    survive worker restarts."""
    # granian tells the app nothing when a worker ends, so the scrape, which reads the files, checks their owners.
    for path in glob.glob(os.path.join(folder, "gauge_live*_*.db")):
        pid = int(path.rpartition("_")[2].removesuffix(".db"))
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            multiprocess.mark_process_dead(pid, folder)
        except PermissionError:
            pass  # alive, another user's


class LedgerCollector:
    """Gauges of the import ledger, read when Prometheus scrapes.

    A ledger that cannot be read gives `pepy_ledger_up 0` and no other import gauge, rather than a failed
    scrape, so the request metrics still arrive while the database is down. Registered without a describe
    method, so registering it queries nothing.
    """

    def __init__(self, summary: Callable[[], LedgerSummary], now: Now):
        self._summary = summary
        self._now = now

    def collect(self) -> Iterator[GaugeMetricFamily]:
        up = GaugeMetricFamily("pepy_ledger_up", "1 if the import ledger could be read at this scrape, else 0")
        try:
            summary = self._summary()
        except Exception as error:
            log.warning("metrics could not read the import ledger", extra={"reason": str(error).strip()})
            up.add_metric([], 0)
            yield up
            return
        up.add_metric([], 1)
        yield up
        yield from self._ledger_gauges(summary)
        last = summary.last_import
        if last is None:
            return
        rows = GaugeMetricFamily(
            "pepy_last_import_rows", "Rows written per table by the last successful import", labels=["table"]
        )
        for table, count in zip(_TABLES, (last.version_rows, last.category_rows, last.project_rows), strict=True):
            rows.add_metric([table], count)
        yield rows
        yield _gauge("pepy_last_import_duration_seconds", "Duration of the last successful import", last.seconds)
        yield _gauge(
            "pepy_last_import_bytes_billed", "Bytes BigQuery billed for the last successful import", last.bytes_billed
        )

    def _ledger_gauges(self, summary: LedgerSummary) -> Iterator[GaugeMetricFamily]:
        days = GaugeMetricFamily(
            "pepy_import_days", "Days in the import ledger, by the status of their last attempt", labels=["status"]
        )
        for status, count in sorted(summary.days_by_status.items()):
            days.add_metric([status], count)
        yield days
        if summary.last_imported_day is not None:
            yield _gauge(
                "pepy_last_imported_day_timestamp_seconds",
                "The newest day with a successful import, as the Unix time of its midnight UTC",
                calendar.timegm(summary.last_imported_day.timetuple()),
            )
        if summary.last_success_at is not None:
            yield _gauge(
                "pepy_last_import_success_timestamp_seconds",
                "Unix time when the newest successful import finished",
                summary.last_success_at.timestamp(),
            )
            yield _gauge(
                "pepy_last_import_success_age_seconds",
                "Seconds since the newest successful import finished",
                (self._now() - summary.last_success_at).total_seconds(),
            )


class ReplicaCollector:
    """Gauges of the read database's replication, read when Prometheus scrapes: whether it is a replica, and how
    far its replay is behind (0 on a primary). Nothing when it cannot be read: `pepy_ledger_up` says so."""

    def __init__(self, lag: Callable[[], ReplicaLag]):
        self._lag = lag

    def collect(self) -> Iterator[GaugeMetricFamily]:
        try:
            lag = self._lag()
        except (DatabaseUnavailable, DatabaseTimeout):
            return
        yield _gauge("pepy_read_database_is_replica", "1 if reads go to a replica, 0 if to the primary", lag.is_replica)
        yield _gauge(
            "pepy_replica_lag_seconds",
            "Seconds since the last transaction the replica replayed, while it has WAL to replay; else 0",
            lag.seconds,
        )
        yield _gauge("pepy_replica_lag_bytes", "Bytes of WAL the replica received and has not replayed", lag.bytes)


def _gauge(name: str, documentation: str, value: float) -> GaugeMetricFamily:
    return GaugeMetricFamily(name, documentation, value=value)


class RequestMetrics:
    """Counts and times every request by method, route (the URL rule, never the raw path) and status."""

    def __init__(self, registry: CollectorRegistry | None):
        labels = ["method", "route", "status"]
        self.requests = Counter(
            "pepy_http_requests", "HTTP requests answered, by method, route and status", labels, registry=registry
        )
        self.latency = Histogram(
            "pepy_http_request_duration_seconds",
            "Time to answer an HTTP request, by method, route and status",
            labels,
            buckets=LATENCY_BUCKETS,
            registry=registry,
        )

    def finish(self, response: Response) -> Response:
        """Count the request and record its latency."""
        route = request.url_rule.rule if request.url_rule is not None else UNMATCHED_ROUTE
        method = request.method if request.method in METHODS else OTHER_METHOD
        labels = (method, route, str(response.status_code))
        self.requests.labels(*labels).inc()
        started = g.pop("pepy_request_started", None)
        if started is not None:
            self.latency.labels(*labels).observe(time.perf_counter() - started)
        return response


class RateLimitMetrics(RateLimitEvents):
    """The limiter's settlements by outcome, and whether its limits are shared (1) or per process (0)."""

    def __init__(self, registry: CollectorRegistry | None):
        self.settlements = Counter(
            "pepy_rate_limit_settlements",
            "Settlements of admitted requests with the shared rate-limit store, by outcome",
            ["outcome"],
            registry=registry,
        )
        # The lowest over live processes: 0 as long as any process limits on its own, and not a worker's that was
        # replaced while it did.
        self.shared_limits = Gauge(
            "pepy_rate_limit_shared",
            "1 while rate limits are shared through the primary, 0 while a process limits on its own",
            registry=registry,
            multiprocess_mode="livemin",
        )
        self.shared_limits.set(1)

    def settled(self, outcome: str) -> None:
        self.settlements.labels(outcome).inc()

    def shared(self, shared: bool) -> None:
        self.shared_limits.set(1 if shared else 0)


@blueprint.record_once
@inject
def install_metrics(
    state,
    get_summary: Callable[[], GetLedgerSummaryHandler] = Provide[Container.get_ledger_summary.provider],
    get_replica_lag: Callable[[], GetReplicaLagHandler] = Provide[Container.get_replica_lag.provider],
    now: Now = Provide[Container.now],
    limiter: SettledRateLimiter = Provide[Container.rate_limiter],
) -> None:
    """Give the app the registry /metrics exposes, and the request metrics its hooks record.

    In multiprocess mode the values live in files, and the exposed registry reads them all; otherwise the
    request metrics live in this app's own registry, so two apps in one process never share counts.
    """
    exposed = CollectorRegistry()
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        multiprocess.MultiProcessCollector(exposed)
        own = None
    else:
        own = exposed
    exposed.register(LedgerCollector(lambda: get_summary()(GetLedgerSummary()), now))
    exposed.register(ReplicaCollector(lambda: get_replica_lag()(GetReplicaLag())))
    state.app.extensions["pepy_metrics"] = exposed
    state.app.extensions["pepy_request_metrics"] = RequestMetrics(own)
    limiter.report_to(RateLimitMetrics(own))


@blueprint.before_app_request
def start_request() -> None:
    """Note the time a request started."""
    g.pepy_request_started = time.perf_counter()


@blueprint.after_app_request
def finish_request(response: Response) -> Response:
    """Count the request and record its latency."""
    return current_app.extensions["pepy_request_metrics"].finish(response)
