"""The API served from a hot standby: validators that follow what it replayed, its lag in /ready and /metrics, no
error while the primary imports, and, under the server, reads and per-process limits while the primary is down or
does not answer."""

from __future__ import annotations

import itertools
import re
import time

import psycopg2
import pytest
from dependency_injector import providers

from pepy.application.commands import ImportDay
from pepy.infrastructure.api.app import create_app
from pepy.infrastructure.postgres.ledger import PostgresImportLedger
from tests import live_server
from tests.conftest import TEST_TIERS
from tests.e2e.api_support import DAYS, LAST_DAY, close, import_days, make_container, write_rows
from tests.e2e.test_faults import Load
from tests.integration.test_observability import parse, sample

EARLIER_DAYS = {day: rows for day, rows in DAYS.items() if day != LAST_DAY}


def replica_container(replica, **settings):
    """The real container writing to the primary and reading from the standby; the read ledger's freshness is
    asked anew on every request (it is kept 5 s otherwise), so that what the standby replayed shows at once."""
    container = make_container(replica.primary.url, read_database_url=replica.standby.url, **settings)
    container.read_ledger.override(
        providers.Singleton(PostgresImportLedger, pool=container.read_pool, freshness_ttl_s=0)
    )
    return container


def execute(url: str, statement: str) -> None:
    conn = psycopg2.connect(url)
    with conn, conn.cursor() as cur:
        cur.execute(statement)
    conn.close()


def wait_until_received(container, deadline_s: float = 10) -> None:
    """Wait until the standby has WAL it has not replayed (its replay being paused)."""
    deadline = time.monotonic() + deadline_s
    while container.replication().lag().bytes == 0:
        assert time.monotonic() < deadline, "the standby received nothing"
        time.sleep(0.05)


def test_validators_and_answers_change_together_when_the_standby_replays_an_import(replica, tmp_path):
    container = replica_container(replica)
    rows = write_rows(tmp_path / "rows.ndjson")
    import_days(container, rows, EARLIER_DAYS)
    # An hour back: the next import's Last-Modified differs even within the same second.
    execute(replica.primary.url, "UPDATE imports SET succeeded_at = succeeded_at - interval '1 hour'")
    replica.wait_for_replay()
    client = create_app(container).test_client()
    before = client.get("/api/v2/projects/demo-pkg")
    assert before.status_code == 200 and "2026-11-20" not in before.get_json()["downloads"]

    replica.pause_replay()
    container.import_day()(ImportDay(LAST_DAY, "files", str(rows)))
    wait_until_received(container)
    paused = client.get("/api/v2/projects/demo-pkg")
    assert (paused.headers["ETag"], paused.headers["Last-Modified"]) == (
        before.headers["ETag"],
        before.headers["Last-Modified"],
    )
    assert paused.get_json() == before.get_json()
    assert client.get("/api/v2/projects/demo-pkg", headers={"If-None-Match": before.headers["ETag"]}).status_code == 304
    # What the primary has is not what the API says.
    assert container.ledger().freshness().last_day == LAST_DAY

    replica.resume_replay()
    replica.wait_for_replay()
    after = client.get("/api/v2/projects/demo-pkg")
    assert after.headers["ETag"] != before.headers["ETag"]
    assert after.last_modified > before.last_modified
    assert "2026-11-20" in after.get_json()["downloads"]
    assert after.get_json()["total_downloads"] > before.get_json()["total_downloads"]
    close(container)


def test_ready_and_metrics_report_how_far_the_standby_is_behind(replica, tmp_path):
    container = replica_container(replica, ready_max_replica_lag_seconds=1)
    import_days(container, write_rows(tmp_path / "rows.ndjson"), EARLIER_DAYS)
    replica.wait_for_replay()
    client = create_app(container).test_client()
    found = parse(client.get("/metrics").get_data(as_text=True))
    assert sample(found, "pepy_read_database_is_replica") == 1
    assert (sample(found, "pepy_replica_lag_seconds"), sample(found, "pepy_replica_lag_bytes")) == (0, 0)
    ready = client.get("/ready")
    assert ready.status_code == 200 and ready.get_json()["message"].endswith("; the replica is 0 s behind the primary")

    replica.pause_replay()
    execute(replica.primary.url, "UPDATE imports SET finished_at = finished_at")
    wait_until_received(container)
    time.sleep(1.1)
    found = parse(client.get("/metrics").get_data(as_text=True))
    assert sample(found, "pepy_replica_lag_seconds") > 1 and sample(found, "pepy_replica_lag_bytes") > 0
    refused = client.get("/ready")
    assert refused.status_code == 503
    assert re.fullmatch(
        r"The replica is \d+ s behind the primary, more than the 1 allowed \(PEPY_READY_MAX_REPLICA_LAG_SECONDS\)",
        refused.get_json()["message"],
    )

    replica.resume_replay()
    replica.wait_for_replay()
    assert client.get("/ready").status_code == 200
    close(container)


def test_on_the_primary_the_metrics_say_it_is_no_replica_and_nothing_behind(client):
    found = parse(client.get("/metrics").get_data(as_text=True))
    assert sample(found, "pepy_read_database_is_replica") == 0
    assert (sample(found, "pepy_replica_lag_seconds"), sample(found, "pepy_replica_lag_bytes")) == (0, 0)


# Reads of each fact table: the day documents, category rows, and version rows (the summary's top versions, and a
# series without mirrors). A parameter that no endpoint reads makes each path new: no answer comes from a cache.
READS = (
    "/api/v2/projects/heavy-pkg?request={}",
    "/api/packages/heavy-pkg/python_minor?request={}",
    "/api/v3/projects/heavy-pkg?request={}",
    "/api/v3/projects/heavy-pkg/downloads?breakdown=version&mirrors=false&request={}",
)
# A thousand versions a day over four days: reads of a few milliseconds, long enough to be in the way of replay
# now and then.
HEAVY_DAYS = {
    day: [("heavy-pkg", f"1.{n}", "pip", f"3.{n % 14}.0", "Linux", 1) for n in range(1000)] for day in sorted(DAYS)[-4:]
}
RETRIED = "read run again after a conflict with the replica's recovery"


@pytest.mark.slow
def test_the_standby_answers_without_an_error_while_the_primary_imports(replica, tmp_path):
    # The standby cancels a read in the way of replay at once (its recommended setting waits them out), so that
    # conflicts happen: the retries must answer every one.
    replica.configure_standby(max_standby_streaming_delay="0")
    container = make_container(replica.primary.url)
    rows = write_rows(tmp_path / "rows.ndjson", HEAVY_DAYS)
    import_days(container, rows, HEAVY_DAYS)
    replica.wait_for_replay()
    log = tmp_path / "server.log"
    with (
        log.open("w") as stderr,
        live_server.api_server(
            replica.primary.url,
            tmp_path,
            workers=2,
            stderr=stderr,
            PEPY_READ_DATABASE_URL=replica.standby.url,
            PEPY_RATE_LIMIT_TIERS=TEST_TIERS,
        ) as server,
        Load(lambda n: server.base + READS[n % len(READS)].format(n), threads=6) as load,
    ):
        # Days are imported again until reads were cancelled and run again a few times.
        deadline = time.monotonic() + 60
        for day in itertools.cycle(sorted(HEAVY_DAYS)):
            container.import_day()(ImportDay(day, "files", str(rows)))
            if log.read_text().count(RETRIED) >= 3 or time.monotonic() > deadline:
                break
    close(container)

    statuses = [status for _, _, status, _ in load.results]
    assert statuses.count(200) == len(statuses) > 100, {s: statuses.count(s) for s in set(statuses)}
    assert log.read_text().count(RETRIED) >= 3
