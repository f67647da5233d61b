"""One log line per request: method, path with query string, status and milliseconds.

In development it reads `GET /api/v2/projects/requests 200 3.1 ms`. In production the same values are fields of
the JSON line (`method`, `path`, `status`, `ms`), and the requests that would drown the rest are left out: the
probes, and badges answered 2xx or 304.
"""

from __future__ import annotations

import logging
import time
from urllib.parse import quote

from dependency_injector.wiring import Provide, inject
from flask import Blueprint, Response, current_app, g, request
from flask.blueprints import BlueprintSetupState

from pepy.infrastructure.container import Container

log = logging.getLogger("pepy.request")

blueprint = Blueprint("request_log", __name__)

PROBES = frozenset({"/health-check", "/ready", "/metrics"})
BADGES = ("/badge/", "/personalized-badge/")
# Characters a path or query keeps as they are when escaped again (RFC 3986's reserved and unreserved ones).
URI_SAFE = "/:@!$&'()*+,;=~-._"


@blueprint.record_once
@inject
def choose_format(state: BlueprintSetupState, env: str = Provide[Container.config.env]) -> None:
    """Structured lines, without the noise, in production; readable lines of everything elsewhere."""
    state.app.extensions["pepy_structured_request_log"] = env == "production"


@blueprint.before_app_request
def start_timer() -> None:
    """Note when the request started."""
    g.request_log_started = time.perf_counter()


@blueprint.after_app_request
def log_request(response: Response) -> Response:
    """Log the request's line, unless production leaves it out."""
    ms = round((time.perf_counter() - g.request_log_started) * 1000, 1)
    status = response.status_code
    path = uri_as_sent(request.environ)
    if not current_app.extensions["pepy_structured_request_log"]:
        log.info("%s %s %s %s ms", request.method, path, status, ms)
    elif not _left_out(request.path, status):
        log.info("request", extra={"method": request.method, "path": path, "status": status, "ms": ms})
    return response


def _left_out(path: str, status: int) -> bool:
    return path in PROBES or (path.startswith(BADGES) and (200 <= status < 300 or status == 304))


def uri_as_sent(environ: dict) -> str:
    """The request's URI as the client sent it, percent-escapes kept: they keep control characters, and so forged
    lines, out of the log. Werkzeug keeps it (RAW_URI); for a server that does not, as granian, the decoded path is
    escaped again."""
    raw = environ.get("RAW_URI") or environ.get("REQUEST_URI")
    if raw:
        return raw
    path = quote((environ.get("SCRIPT_NAME", "") + environ.get("PATH_INFO", "")).encode("latin-1"), safe=URI_SAFE)
    query = environ.get("QUERY_STRING", "")
    return f"{path}?{quote(query, safe=URI_SAFE + '%?')}" if query else path
