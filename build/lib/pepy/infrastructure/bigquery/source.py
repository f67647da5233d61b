"""Reads one day of PyPI downloads from BigQuery: a dry run guards the bill, then the day query streams back."""

from __future__ import annotations

import concurrent.futures
import logging
from collections.abc import Iterator
from datetime import UTC, date, datetime, time, timedelta

from google.api_core import exceptions as api_exceptions
from google.api_core.retry import Retry
from google.auth.credentials import AnonymousCredentials
from google.cloud import bigquery
from google.cloud.bigquery.retry import DEFAULT_JOB_RETRY, DEFAULT_RETRY
from google.cloud.bigquery.table import RowIterator

from pepy.domain.downloads import Breakdown, DayExport, DayRow
from pepy.domain.errors import InvalidImport, SourceUnavailable
from pepy.domain.ports import DownloadsSource
from pepy.infrastructure.day_query import bigquery_day_query

logger = logging.getLogger(__name__)

# The billing project a local endpoint is addressed with; a fake or emulator accepts any name.
LOCAL_PROJECT = "pepy-local"

# Always transient, whatever reason the body gives; the client's own set alone skips e.g. a 503 without
# one of its known reasons.
_TRANSIENT_TYPES = (
    api_exceptions.ServiceUnavailable,
    api_exceptions.InternalServerError,
    api_exceptions.TooManyRequests,
)
# Never transient: the query or the project is refused, and running it again is refused again. The client turns
# a job's bytesBilledLimitExceeded into an InternalServerError, which would otherwise look transient.
_PERMANENT_REASONS = frozenset(
    {
        "accessDenied",
        "billingNotEnabled",
        "billingTierLimitExceeded",
        "bytesBilledLimitExceeded",
        "invalid",
        "invalidQuery",
        "notFound",
        "quotaExceeded",
        "resourcesExceeded",
        "responseTooLarge",
    }
)
_BYTES_LIMIT_REASON = "bytesBilledLimitExceeded"
# Private, but it is the one place the client keeps its retryable reasons (backendError, rateLimitExceeded,
# ...) and connection errors; reusing it keeps us in step with client upgrades.
_CLIENT_RETRYABLE = DEFAULT_RETRY._predicate
_CLIENT_JOB_RETRYABLE = DEFAULT_JOB_RETRY._predicate


def _reason(exc: BaseException) -> str | None:
    try:
        return exc.errors[0]["reason"]
    except (AttributeError, IndexError, KeyError, TypeError):
        return None


def _is_transient(exc: Exception) -> bool:
    """Whether a failed API call is worth repeating: a server fault or a short-term rate limit."""
    if _reason(exc) in _PERMANENT_REASONS:
        return False
    return isinstance(exc, _TRANSIENT_TYPES) or _CLIENT_RETRYABLE(exc)


def _is_transient_job(exc: Exception) -> bool:
    """Whether a failed query job is worth running again: failed for a transient reason, not a bad query."""
    cause = exc.cause if isinstance(exc, api_exceptions.RetryError) else exc
    if _reason(cause) in _PERMANENT_REASONS:
        return False
    return _is_transient(cause) or _CLIENT_JOB_RETRYABLE(exc)


def make_client(project: str | None, endpoint: str | None) -> bigquery.Client:
    """A BigQuery client: anonymous against a local endpoint, else with the environment's default credentials."""
    if endpoint:
        return bigquery.Client(
            project=project or LOCAL_PROJECT,
            credentials=AnonymousCredentials(),
            client_options={"api_endpoint": endpoint},
        )
    return bigquery.Client(project=project)


class BigQuerySource(DownloadsSource):
    """The day query run on BigQuery over `table`, refused when its dry run estimates more than `max_bytes`."""

    name = "bigquery"

    def __init__(
        self,
        client: bigquery.Client,
        table: str,
        max_bytes: int,
        page_size: int = 50_000,
        retry_deadline_s: float = 600,
        timeout_s: float = 300,
    ):
        self._client = client
        self._table = table
        self._sql = bigquery_day_query(table)
        self._max_bytes = max_bytes
        self._page_size = page_size
        self._timeout_s = timeout_s
        # Backoff scaled to the deadline, so a short deadline still gets several attempts.
        initial = min(1.0, retry_deadline_s / 20)
        maximum = min(60.0, retry_deadline_s / 4)
        self._retry = Retry(
            predicate=_is_transient, initial=initial, maximum=maximum, multiplier=2.0, timeout=retry_deadline_s
        )
        # Longer than the call retry: the client first re-polls a job that looked failed before restarting it.
        self._job_retry = Retry(
            predicate=_is_transient_job, initial=initial, maximum=maximum, multiplier=2.0, timeout=2 * retry_deadline_s
        )

    def read_day(self, day: date) -> DayExport:
        """Aggregate [day 00:00 UTC, day+1 00:00 UTC); the query has finished when this returns."""
        try:
            return self._read_day(day)
        except (api_exceptions.GoogleAPIError, concurrent.futures.TimeoutError) as error:
            raise SourceUnavailable(f"BigQuery did not answer for {day}: {type(error).__name__}: {error}") from error

    def _read_day(self, day: date) -> DayExport:
        start = datetime.combine(day, time(), tzinfo=UTC)
        parameters = [
            bigquery.ScalarQueryParameter("start", "TIMESTAMP", start),
            bigquery.ScalarQueryParameter("end", "TIMESTAMP", start + timedelta(days=1)),
        ]
        self._check_estimate(day, parameters)
        config = bigquery.QueryJobConfig(query_parameters=parameters, maximum_bytes_billed=self._max_bytes)
        # job_retry=None here: with any other value the client wraps jobs.insert in its own 10-minute retry,
        # beyond our deadline; failed jobs are still re-run, by result()'s job_retry.
        job = self._client.query(
            self._sql, job_config=config, retry=self._retry, job_retry=None, timeout=self._timeout_s
        )
        try:
            # The timeout bounds each request and the wait for the job: a hung endpoint fails the import.
            rows = job.result(
                page_size=self._page_size, retry=self._retry, job_retry=self._job_retry, timeout=self._timeout_s
            )
        except api_exceptions.GoogleAPICallError as error:
            if _reason(error) == _BYTES_LIMIT_REASON:
                raise InvalidImport(
                    f"BigQuery stopped the query for {day} at the PEPY_BIGQUERY_MAX_BYTES limit of "
                    f"{self._max_bytes} bytes, more than its dry run estimated; nothing was billed: {error.message}"
                ) from error
            raise
        bytes_billed = job.total_bytes_billed or 0
        logger.info(
            "bigquery query done",
            extra={
                "day": day.isoformat(),
                "job_id": job.job_id,
                "bytes_processed": job.total_bytes_processed or 0,
                "bytes_billed": bytes_billed,
                "cache_hit": bool(job.cache_hit),
                "result_rows": rows.total_rows,
            },
        )
        return DayExport(rows=_day_rows(rows), bytes_billed=bytes_billed)

    def _check_estimate(self, day: date, parameters: list[bigquery.ScalarQueryParameter]) -> None:
        # No cache on the dry run: a cached estimate of 0 bytes would say nothing about the real cost.
        config = bigquery.QueryJobConfig(dry_run=True, use_query_cache=False, query_parameters=parameters)
        job = self._client.query(
            self._sql, job_config=config, retry=self._retry, job_retry=None, timeout=self._timeout_s
        )
        estimate = job.total_bytes_processed or 0
        logger.info("bigquery dry run", extra={"day": day.isoformat(), "bytes_estimate": estimate})
        if estimate > self._max_bytes:
            raise InvalidImport(
                f"BigQuery estimates {estimate} bytes to read for {day} from {self._table}, over the "
                f"PEPY_BIGQUERY_MAX_BYTES limit of {self._max_bytes} bytes; nothing was run"
            )


def _day_rows(rows: RowIterator) -> Iterator[DayRow]:
    # Page by page, so only one page of the day's result is held at a time.
    row = None
    try:
        for page in rows.pages:
            for row in page:
                yield DayRow(
                    row["project"],
                    Breakdown(row["breakdown"]),
                    row["category"],
                    int(row["downloads"]),
                    int(row["non_mirror_downloads"]),
                    int(row["pip_downloads"]),
                    int(row["ci_downloads"]),
                )
    except api_exceptions.GoogleAPIError as error:
        raise SourceUnavailable(
            f"BigQuery failed while its answer was read: {type(error).__name__}: {error}"
        ) from error
    except (TypeError, ValueError, KeyError) as error:
        # A NULL or a wrong type where a count belongs: the answer is malformed, and nothing of it is stored.
        shown = dict(row.items()) if row is not None else "a page"
        raise InvalidImport(f"BigQuery answered a malformed row ({error}): {shown}"[:1000]) from None
