"""A local fake of the BigQuery REST API, enough for the real client's query(), result() and paging.

It answers jobs.insert (dry runs included), jobs.get, jobs.getQueryResults and jobs.query. A query's answer is
either canned rows or, given raw rows of the PyPI downloads table, the received SQL itself: transpiled from
BigQuery SQL to DuckDB by sqlglot and run over those rows with the received parameters bound. Tests can inject
faults and read back every request received.
"""

from __future__ import annotations

import json
import re
import threading
import time
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import duckdb
import pyarrow as pa
import sqlglot
from sqlglot import exp

DEFAULT_TABLE = "bigquery-public-data.pypi.file_downloads"
# The columns of the day query, in the order DayRow has them.
DAY_SCHEMA = [
    ("project", "STRING"),
    ("breakdown", "STRING"),
    ("category", "STRING"),
    ("downloads", "INTEGER"),
    ("non_mirror_downloads", "INTEGER"),
    ("pip_downloads", "INTEGER"),
    ("ci_downloads", "INTEGER"),
]

_LOCAL_TABLE = "raw_downloads"
# The public table's columns, as the reference gives them.
_RAW_TABLE_DDL = f"""
CREATE TABLE {_LOCAL_TABLE} (
  timestamp TIMESTAMP,
  country_code VARCHAR,
  url VARCHAR,
  project VARCHAR,
  file STRUCT(filename VARCHAR, project VARCHAR, version VARCHAR, type VARCHAR),
  details STRUCT(
    installer STRUCT(name VARCHAR, version VARCHAR),
    python VARCHAR,
    implementation STRUCT(name VARCHAR, version VARCHAR),
    distro STRUCT(name VARCHAR, version VARCHAR, id VARCHAR, libc STRUCT(lib VARCHAR, version VARCHAR)),
    system STRUCT(name VARCHAR, release VARCHAR),
    cpu VARCHAR,
    openssl_version VARCHAR,
    setuptools_version VARCHAR,
    rustc_version VARCHAR,
    ci BOOLEAN
  ),
  tls_protocol VARCHAR,
  tls_cipher VARCHAR
)
"""
_RAW_SHAPE: dict[str, Any] = {
    "timestamp": None,
    "country_code": None,
    "url": None,
    "project": None,
    "file": {"filename": None, "project": None, "version": None, "type": None},
    "details": {
        "installer": {"name": None, "version": None},
        "python": None,
        "implementation": {"name": None, "version": None},
        "distro": {"name": None, "version": None, "id": None, "libc": {"lib": None, "version": None}},
        "system": {"name": None, "release": None},
        "cpu": None,
        "openssl_version": None,
        "setuptools_version": None,
        "rustc_version": None,
        "ci": None,
    },
    "tls_protocol": None,
    "tls_cipher": None,
}
_DUCKDB_TO_BIGQUERY = {
    "VARCHAR": "STRING",
    "BIGINT": "INTEGER",
    "HUGEINT": "INTEGER",
    "INTEGER": "INTEGER",
    "DOUBLE": "FLOAT",
    "BOOLEAN": "BOOLEAN",
    "DATE": "DATE",
    "TIMESTAMP": "TIMESTAMP",
}
_ROUTES = [
    ("POST", re.compile(r"/bigquery/v2/projects/(?P<project>[^/]+)/jobs"), "jobs.insert"),
    ("GET", re.compile(r"/bigquery/v2/projects/(?P<project>[^/]+)/jobs/(?P<job_id>[^/]+)"), "jobs.get"),
    ("POST", re.compile(r"/bigquery/v2/projects/(?P<project>[^/]+)/queries"), "jobs.query"),
    ("GET", re.compile(r"/bigquery/v2/projects/(?P<project>[^/]+)/queries/(?P<job_id>[^/]+)"), "jobs.getQueryResults"),
]
_STATUS_NAMES = {400: "INVALID_ARGUMENT", 403: "PERMISSION_DENIED", 404: "NOT_FOUND", 429: "RESOURCE_EXHAUSTED"}
_STATUS_NAMES.update({500: "INTERNAL", 503: "UNAVAILABLE"})
_DEFAULT_REASONS = {400: "invalid", 403: "quotaExceeded", 404: "notFound", 429: "rateLimitExceeded"}
_DEFAULT_REASONS.update({500: "backendError", 503: "backendError"})


@dataclass
class Request:
    """One request the fake received, and the HTTP status it answered."""

    method: str
    route: str
    path: str
    params: dict[str, str]
    body: dict[str, Any] | None
    status: int = 200


@dataclass
class _Fault:
    route: str
    status: int
    reason: str
    remaining: int


@dataclass
class _Job:
    resource: dict[str, Any]
    schema: list[tuple[str, str]] = field(default_factory=list)
    rows: list[tuple[Any, ...]] = field(default_factory=list)
    error: dict[str, str] | None = None
    polls_left: int = 0


class FakeBigQueryError(Exception):
    """An answer the fake gives as an HTTP error, in BigQuery's error format."""

    def __init__(self, status: int, reason: str, message: str):
        super().__init__(message)
        self.status = status
        self.reason = reason
        self.message = message


class FakeBigQuery:
    """A BigQuery REST endpoint on 127.0.0.1 for the real client; use as a context manager.

    Set `rows` (canned result tuples in DAY_SCHEMA's order) or `raw_rows` (dicts in the public table's schema,
    which the received SQL is run over). `bytes_processed` is what dry runs estimate and jobs process;
    `bytes_billed` defaults to it. `page_size` caps the rows per answered page. `running_polls` makes each job
    report RUNNING that many times before DONE. `fail()` injects HTTP errors and `fail_jobs()` failed jobs;
    `requests` records what was received.
    """

    def __init__(
        self,
        rows: Iterable[tuple[Any, ...]] | None = None,
        raw_rows: Iterable[dict[str, Any]] | None = None,
        table: str = DEFAULT_TABLE,
        bytes_processed: int = 10 * 2**20,
        bytes_billed: int | None = None,
        page_size: int | None = None,
    ):
        self.rows = list(rows) if rows is not None else []
        self.raw_rows = raw_rows
        self.table = table
        self.bytes_processed = bytes_processed
        self.bytes_billed = bytes_billed
        # Seconds to wait before answering a route: a slow or hung BigQuery.
        self.delays: dict[str, float] = {}
        self.page_size = page_size
        self._job_error: tuple[str, str] | None = None
        self._job_errors_left: int | None = None
        self.running_polls = 0
        self.requests: list[Request] = []
        self._faults: list[_Fault] = []
        self._jobs: dict[str, _Job] = {}
        self._lock = threading.Lock()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    @property
    def raw_rows(self) -> list[dict[str, Any]] | None:
        """The raw rows queries run over, or None to answer with `rows`."""
        return self._raw_rows

    @raw_rows.setter
    def raw_rows(self, rows: Iterable[dict[str, Any]] | None) -> None:
        self._raw_rows = None if rows is None else list(rows)
        # Checked now, so that a malformed row fails the test's setup rather than a request.
        for row in self._raw_rows or []:
            _raw_row(row)

    # Lifecycle

    def start(self) -> FakeBigQuery:
        """Listen on a free port of 127.0.0.1, in a background thread."""
        fake = self

        class Handler(_Handler):
            server_fake = fake

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.02}, name="fake-bigquery", daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop listening and wait for the server thread."""
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            assert self._thread is not None
            self._thread.join(timeout=5)
            self._server = None

    def __enter__(self) -> FakeBigQuery:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    @property
    def endpoint(self) -> str:
        """The URL to give the client as its api_endpoint."""
        assert self._server is not None, "FakeBigQuery is not started"
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    # Configuration and inspection

    def fail(self, route: str, status: int, times: int = 1, reason: str | None = None) -> None:
        """Answer the next `times` requests of `route` (e.g. "jobs.insert", "jobs.getQueryResults") with an error."""
        if route not in {name for _, _, name in _ROUTES}:
            raise ValueError(f"unknown route {route!r}")
        with self._lock:
            self._faults.append(_Fault(route, status, reason or _DEFAULT_REASONS.get(status, "backendError"), times))

    def fail_jobs(self, reason: str, message: str, times: int | None = None) -> None:
        """Make the next `times` (None: all) real jobs finish with status.errorResult, e.g. reason "invalidQuery"."""
        with self._lock:
            self._job_error = (reason, message)
            self._job_errors_left = times

    def requests_to(self, route: str) -> list[Request]:
        """The requests received on one route, in order."""
        with self._lock:
            return [r for r in self.requests if r.route == route]

    def inserted_jobs(self, dry_run: bool | None = None) -> list[dict[str, Any]]:
        """The configurations jobs.insert received, answered or not; optionally only dry runs or only real jobs."""
        jobs = [r.body["configuration"] for r in self.requests_to("jobs.insert") if r.body]
        if dry_run is None:
            return jobs
        return [job for job in jobs if bool(job.get("dryRun")) == dry_run]

    # Request handling, called from the server's threads

    def handle(self, method: str, path: str, params: dict[str, str], body: dict[str, Any] | None) -> tuple[int, Any]:
        found = next(
            (
                (route, match)
                for verb, pattern, route in _ROUTES
                if verb == method and (match := pattern.fullmatch(path))
            ),
            None,
        )
        if found is None:
            return 404, _error_body(404, "notFound", f"no route {method} {path}")
        route, match = found
        request = Request(method, route, path, params, body)
        with self._lock:
            self.requests.append(request)
            delay = self.delays.get(route, 0.0)
            fault = next((f for f in self._faults if f.route == route and f.remaining > 0), None)
            if fault is not None:
                fault.remaining -= 1
        if delay:
            time.sleep(delay)
        if fault is not None:
            request.status = fault.status
            return fault.status, _error_body(fault.status, fault.reason, f"injected {fault.status} on {route}")
        try:
            handler = getattr(self, "_" + route.replace(".", "_"))
            answer = handler(match.group("project"), match.groupdict().get("job_id"), params, body or {})
        except FakeBigQueryError as error:
            request.status = error.status
            return error.status, _error_body(error.status, error.reason, error.message)
        return 200, answer

    def _jobs_insert(self, project: str, _job_id: str | None, _params: dict[str, str], body: dict[str, Any]):
        configuration = body.get("configuration", {})
        reference = dict(body.get("jobReference") or {})
        reference.setdefault("projectId", project)
        reference.setdefault("jobId", f"job_{uuid.uuid4().hex}")
        reference["location"] = reference.get("location") or "US"
        query = configuration.get("query", {})
        return self._create_job(
            reference,
            configuration,
            query.get("query", ""),
            query.get("queryParameters", []),
            dry_run=bool(configuration.get("dryRun")),
            max_billed=configuration.get("query", {}).get("maximumBytesBilled"),
        )

    def _jobs_query(self, project: str, _job_id: str | None, params: dict[str, str], body: dict[str, Any]):
        reference = {"projectId": project, "jobId": f"job_{uuid.uuid4().hex}", "location": body.get("location", "US")}
        configuration: dict[str, Any] = {"query": {k: v for k, v in body.items() if k not in {"dryRun", "kind"}}}
        if body.get("dryRun"):
            configuration["dryRun"] = True
        job = self._create_job(
            reference,
            configuration,
            body.get("query", ""),
            body.get("queryParameters", []),
            dry_run=bool(body.get("dryRun")),
            max_billed=body.get("maximumBytesBilled"),
        )
        if body.get("dryRun"):
            return {
                "kind": "bigquery#queryResponse",
                "jobReference": job["jobReference"],
                "jobComplete": True,
                "totalBytesProcessed": str(self.bytes_processed),
                "schema": {"fields": []},
            }
        page_params = {"maxResults": str(body["maxResults"])} if "maxResults" in body else {}
        answer = self._jobs_getQueryResults(project, reference["jobId"], page_params, {})
        answer["kind"] = "bigquery#queryResponse"
        answer["totalBytesProcessed"] = str(self.bytes_processed)
        return answer

    def _jobs_get(self, _project: str, job_id: str | None, _params: dict[str, str], _body: dict[str, Any]):
        job = self._job(job_id)
        with self._lock:
            if job.polls_left > 0:
                job.polls_left -= 1
                return {**job.resource, "status": {"state": "RUNNING"}}
        return job.resource

    def _jobs_getQueryResults(self, _project: str, job_id: str | None, params: dict[str, str], _body: dict[str, Any]):
        job = self._job(job_id)
        answer: dict[str, Any] = {
            "kind": "bigquery#getQueryResultsResponse",
            "jobReference": job.resource["jobReference"],
        }
        with self._lock:
            if job.polls_left > 0:
                job.polls_left -= 1
                return {**answer, "jobComplete": False}
        if job.error is not None:
            # As the real service does: a failed job's results are an HTTP error carrying its errorResult.
            raise FakeBigQueryError(400, job.error["reason"], job.error["message"])
        start = int(params.get("pageToken") or params.get("startIndex") or 0)
        limits = [n for n in (_int_or_none(params.get("maxResults")), self.page_size) if n is not None]
        stop = min([start + n for n in limits] + [len(job.rows)])
        answer.update(
            jobComplete=True,
            schema={"fields": [{"name": name, "type": kind, "mode": "NULLABLE"} for name, kind in job.schema]},
            totalRows=str(len(job.rows)),
            cacheHit=False,
            totalBytesProcessed=str(self.bytes_processed),
        )
        if stop > start:
            answer["rows"] = [{"f": [{"v": _to_wire(value)} for value in row]} for row in job.rows[start:stop]]
        if stop < len(job.rows) and stop > start:
            answer["pageToken"] = str(stop)
        return answer

    def _job(self, job_id: str | None) -> _Job:
        with self._lock:
            job = self._jobs.get(job_id or "")
        if job is None:
            raise FakeBigQueryError(404, "notFound", f"Not found: Job {job_id}")
        return job

    def _create_job(
        self,
        reference: dict[str, Any],
        configuration: dict[str, Any],
        sql: str,
        parameters: list[dict[str, Any]],
        dry_run: bool,
        max_billed: str | int | None,
    ) -> dict[str, Any]:
        processed = self.bytes_processed
        billed = self.bytes_billed if self.bytes_billed is not None else processed
        # Runs even for a dry run, so that a query the fake cannot answer fails where BigQuery's would.
        schema, rows = self._answer(sql, parameters)
        statistics: dict[str, Any] = {
            "creationTime": str(_now_ms()),
            "totalBytesProcessed": str(processed),
            "query": {"totalBytesProcessed": str(processed), "statementType": "SELECT"},
        }
        resource: dict[str, Any] = {
            "kind": "bigquery#job",
            "id": f"{reference['projectId']}:{reference['location']}.{reference['jobId']}",
            "jobReference": reference,
            "configuration": configuration,
            "status": {"state": "DONE"},
            "statistics": statistics,
        }
        if dry_run:
            return resource
        statistics.update(startTime=str(_now_ms()), endTime=str(_now_ms()))
        error = self._take_job_error()
        if error is None and max_billed is not None and billed > int(max_billed):
            error = {
                "reason": "bytesBilledLimitExceeded",
                "message": f"Query exceeded limit for bytes billed: {max_billed}. {billed} or higher required.",
            }
        if error is None:
            statistics["query"].update(totalBytesBilled=str(billed), cacheHit=False, billingTier=1)
        else:
            resource["status"] = {"state": "DONE", "errorResult": error, "errors": [error]}
            rows = []
        job = _Job(resource=resource, schema=schema, rows=rows, error=error, polls_left=self.running_polls)
        with self._lock:
            self._jobs[reference["jobId"]] = job
        if job.polls_left > 0:
            return {**resource, "status": {"state": "RUNNING"}}
        return resource

    def _take_job_error(self) -> dict[str, str] | None:
        with self._lock:
            if self._job_error is None or self._job_errors_left == 0:
                return None
            if self._job_errors_left is not None:
                self._job_errors_left -= 1
            return {"reason": self._job_error[0], "message": self._job_error[1]}

    def _answer(
        self, sql: str, parameters: list[dict[str, Any]]
    ) -> tuple[list[tuple[str, str]], list[tuple[Any, ...]]]:
        tree = _parse_on_table(sql, self.table)
        if self.raw_rows is None:
            return DAY_SCHEMA, list(self.rows)
        return run_on_raw_rows(tree, parameters, self.raw_rows)


class _Handler(BaseHTTPRequestHandler):
    server_fake: FakeBigQuery
    protocol_version = "HTTP/1.1"

    def do_GET(self) -> None:
        self._serve("GET")

    def do_POST(self) -> None:
        self._serve("POST")

    def _serve(self, method: str) -> None:
        url = urlsplit(self.path)
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        try:
            body = json.loads(raw) if raw else None
        except ValueError:
            status, answer = 400, _error_body(400, "parseError", "request body is not JSON")
        else:
            try:
                status, answer = self.server_fake.handle(method, url.path, dict(parse_qsl(url.query)), body)
            except Exception as error:
                # A 400, not a 500: the client would retry a 500 and hide the fake's own bug behind a timeout.
                status, answer = 400, _error_body(400, "invalid", f"fake BigQuery failed: {error!r}")
        payload = json.dumps(answer).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json; charset=UTF-8")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def log_message(self, format: str, *args: Any) -> None:
        pass


def _parse_on_table(sql: str, table: str) -> exp.Expression:
    """Parse BigQuery SQL, check it reads only `table`, and point it at the local table of raw rows."""
    try:
        tree = sqlglot.parse_one(sql, read="bigquery")
    except sqlglot.errors.ParseError as error:
        raise FakeBigQueryError(400, "invalidQuery", f"Syntax error: {error}") from error
    for node in list(tree.find_all(exp.Table)):
        name = ".".join(part for part in (node.catalog, node.db, node.name) if part)
        if name != table:
            raise FakeBigQueryError(404, "notFound", f"Not found: Table {name} was not found in location US")
        node.replace(exp.to_table(_LOCAL_TABLE))
    # BigQuery's COUNTIF is 0 when the condition is never TRUE; DuckDB's COUNT_IF is NULL when it is always NULL.
    for node in list(tree.find_all(exp.CountIf)):
        node.this.replace(exp.func("COALESCE", node.this.copy(), exp.false()))
    return tree


def run_on_raw_rows(
    tree: exp.Expression, parameters: list[dict[str, Any]], raw_rows: Iterable[dict[str, Any]]
) -> tuple[list[tuple[str, str]], list[tuple[Any, ...]]]:
    """Run a parsed BigQuery query over raw rows of the downloads table in DuckDB; the BigQuery schema and rows."""
    # As sqlglot.transpile(read="bigquery", write="duckdb"), which the files source relies on, but of the SQL the
    # client actually sent.
    duck_sql = tree.sql(dialect="duckdb")
    connection = duckdb.connect(":memory:")
    try:
        connection.execute(_RAW_TABLE_DDL)
        columns = list(_RAW_SHAPE)
        values = [dict(zip(columns, _raw_row(row), strict=True)) for row in raw_rows]
        if values:
            # Through Arrow: DuckDB's executemany inserts nested rows one at a time, far too slowly.
            batch = pa.Table.from_pylist(values)  # noqa: F841 - read by DuckDB's replacement scan below
            connection.execute(f"INSERT INTO {_LOCAL_TABLE} BY NAME SELECT * FROM batch")
        try:
            cursor = connection.execute(duck_sql, {p["name"]: _parameter(p) for p in parameters})
        except duckdb.Error as error:
            raise FakeBigQueryError(400, "invalidQuery", f"DuckDB could not run the query: {error}") from error
        schema = [(column[0], _DUCKDB_TO_BIGQUERY.get(str(column[1]), "STRING")) for column in cursor.description]
        return schema, cursor.fetchall()
    finally:
        connection.close()


def _raw_row(row: dict[str, Any]) -> tuple[Any, ...]:
    full = _fill(_RAW_SHAPE, row)
    return (
        _utc_naive(full["timestamp"]),
        full["country_code"],
        full["url"],
        full["project"],
        full["file"],
        full["details"],
        full["tls_protocol"],
        full["tls_cipher"],
    )


def _fill(shape: dict[str, Any], value: dict[str, Any] | None) -> dict[str, Any] | None:
    # A missing field is NULL, as in BigQuery; a NULL record stays NULL rather than a record of NULLs.
    if value is None:
        return None
    unknown = set(value) - set(shape)
    if unknown:
        raise ValueError(f"fields not in the table's schema: {sorted(unknown)}")
    return {key: _fill(sub, value.get(key)) if isinstance(sub, dict) else value.get(key) for key, sub in shape.items()}


def _utc_naive(value: datetime | str | None) -> datetime | None:
    if value is None:
        return None
    if isinstance(value, str):
        # BigQuery exports write "2024-01-01 12:00:00.000000 UTC".
        value = datetime.fromisoformat(value.removesuffix(" UTC").replace("Z", "+00:00"))
    if value.tzinfo is not None:
        value = value.astimezone(UTC).replace(tzinfo=None)
    return value


def _parameter(parameter: dict[str, Any]) -> Any:
    kind = parameter["parameterType"]["type"]
    value = parameter.get("parameterValue", {}).get("value")
    if value is None:
        return None
    if kind == "TIMESTAMP":
        return _utc_naive(value)
    if kind == "DATE":
        return date.fromisoformat(value)
    if kind in {"INT64", "INTEGER"}:
        return int(value)
    if kind in {"FLOAT64", "FLOAT"}:
        return float(value)
    if kind in {"BOOL", "BOOLEAN"}:
        return value.lower() == "true"
    return value


def _to_wire(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime):
        # The client asks for TIMESTAMPs as int64 microseconds since the epoch.
        return str(int(value.replace(tzinfo=UTC).timestamp() * 1_000_000))
    return str(value)


def _int_or_none(value: str | None) -> int | None:
    return int(value) if value not in (None, "") else None


def _error_body(status: int, reason: str, message: str) -> dict[str, Any]:
    return {
        "error": {
            "code": status,
            "message": message,
            "errors": [{"message": message, "domain": "global", "reason": reason}],
            "status": _STATUS_NAMES.get(status, "UNKNOWN"),
        }
    }


def _now_ms() -> int:
    return int(datetime.now(UTC).timestamp() * 1000)
