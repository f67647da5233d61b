"""HTTP caching: answers last until the next daily import, with validators from the last successful import."""

from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict
from collections.abc import Callable
from datetime import date, datetime
from functools import lru_cache, wraps

from dependency_injector.wiring import Provide, inject
from flask import Blueprint, current_app, request
from werkzeug.http import http_date

from pepy.application.queries.common import CacheValidity, GetCacheValidity, GetCacheValidityHandler
from pepy.domain.errors import DatabaseTimeout, DatabaseUnavailable
from pepy.infrastructure.container import Container

# pepy's allowances: serve a stale copy for an hour when we fail, and for a minute while revalidating.
STALE = "stale-if-error=3600, stale-while-revalidate=60"
# An answer that is about to change before the next import: cached briefly, without validators, and not kept.
PROVISIONAL = "public, max-age=60"
# Per process: the popular projects' answers and a few of the heaviest, small enough for every worker.
MAX_CACHED_BYTES = 64 * 1024 * 1024

blueprint = Blueprint("caching", __name__)


@blueprint.record_once
@inject
def install_answer_cache(state, get_validity: GetCacheValidityHandler = Provide[Container.get_cache_validity]) -> None:
    """Give the app its own AnswerCache, and the handler of what caching headers depend on: taken from the
    container once, as injecting it into every cached view cost more than the handler itself."""
    state.app.extensions["pepy_answers"] = AnswerCache()
    state.app.extensions["pepy_cache_validity"] = get_validity


def cache_validity() -> CacheValidity:
    """What this request's caching headers depend on."""
    return current_app.extensions["pepy_cache_validity"](GetCacheValidity())


def cache_headers(validity: CacheValidity, variant: str, private: bool) -> dict[str, str]:
    """Cache-Control lasting until the next import, and ETag and Last-Modified once an import has succeeded.

    The ETag also carries today (pepy's v2 window moves with the date) and the representation (JSON or CSV).
    """
    scope = "private" if private else "public"
    headers = {"Cache-Control": f"{scope}, max-age={validity.seconds_until_next_import}, {STALE}"}
    if validity.last_import_at is not None:
        headers["ETag"], headers["Last-Modified"] = _validators(validity.last_import_at, validity.today, variant)
    return headers


@lru_cache(maxsize=64)
def _validators(last_import_at: datetime, today: date, variant: str) -> tuple[str, str]:
    # The same for every request until an import succeeds or the date turns: hashed and formatted once, not per
    # request.
    seed = f"{last_import_at.isoformat()}|{today.isoformat()}|{variant}"
    return '"' + hashlib.sha256(seed.encode()).hexdigest()[:24] + '"', http_date(last_import_at)


def _not_modified(headers: dict[str, str], validity: CacheValidity | None) -> bool:
    if "ETag" not in headers:
        return False
    # Most requests carry neither validator: Werkzeug would parse both absent headers into empty values.
    if "HTTP_IF_NONE_MATCH" not in request.environ and "HTTP_IF_MODIFIED_SINCE" not in request.environ:
        return False
    if request.if_none_match:
        return request.if_none_match.contains_weak(headers["ETag"].strip('"'))
    since = request.if_modified_since
    return since is not None and since >= validity.last_import_at.replace(microsecond=0)


class AnswerCache:
    """The latest answers of this process, kept until the next import changes their ETag.

    Answers only change when an import succeeds (or the date turns), which is what the key carries; popular
    projects take most requests, so most are answered without reading the database, and the heaviest answers
    (megabytes of JSON) are built once per process and import. Bounded by the bytes it holds, least recently
    used first out.
    """

    def __init__(self, max_bytes: int = MAX_CACHED_BYTES):
        self._answers: OrderedDict[tuple, tuple[bytes, str]] = OrderedDict()
        self._max_bytes = max_bytes
        self._bytes = 0
        self._lock = threading.Lock()

    def get(self, key: tuple) -> tuple[bytes, str] | None:
        """The body and content type stored under the key, if any."""
        with self._lock:
            found = self._answers.get(key)
            if found is not None:
                self._answers.move_to_end(key)
            return found

    def put(self, key: tuple, response) -> None:
        """Keep a 200's body, unless it alone would take more than a tenth of the room."""
        body = response.get_data()
        if len(body) > self._max_bytes // 10:
            return
        with self._lock:
            previous = self._answers.pop(key, None)
            if previous is not None:
                self._bytes -= len(previous[0])
            self._answers[key] = (body, response.content_type)
            self._bytes += len(body)
            while self._bytes > self._max_bytes:
                _, (evicted, _) = self._answers.popitem(last=False)
                self._bytes -= len(evicted)


def provisional(response):
    """Mark a 200 that will change before the next import (built from data older than the last import): `cached`
    then gives it a minute's Cache-Control and no validators, and keeps it nowhere."""
    response.headers["Cache-Control"] = PROVISIONAL
    return response


def cached(variant: Callable[[], str] | None = None, private: bool = False, vary: str | None = None):
    """Decorate a view: answer 304 when the client's copy is current, else add caching headers to a 200.

    `variant` names the representation the request will get (for the ETag); `vary` lists request headers the
    answer depends on, sent on every answer of the route. Once an import has succeeded, 200s are kept in the
    app's AnswerCache under their ETag, except those the view marked `provisional`.
    """

    def decorate(view):
        @wraps(view)
        def wrapper(*args, **kwargs):
            try:
                validity = cache_validity()
            except (DatabaseUnavailable, DatabaseTimeout):
                # No validators without the ledger: the view runs, and answers the outage in its own
                # representation (a badge draws it).
                validity = None
            headers = {} if validity is None else cache_headers(validity, variant() if variant else "", private)
            answers: AnswerCache = current_app.extensions["pepy_answers"]
            key = (request.full_path, headers.get("ETag"))
            stored = answers.get(key) if "ETag" in headers else None
            if _not_modified(headers, validity):
                response = current_app.response_class(status=304)
            elif stored is not None:
                response = current_app.response_class(stored[0], content_type=stored[1])
            else:
                try:
                    response = current_app.make_response(view(*args, **kwargs))
                except Exception as error:
                    # Handled here rather than by Flask, so that error answers carry the route's Vary too.
                    response = current_app.make_response(current_app.handle_user_exception(error))
                if response.status_code != 200 or response.headers.get("Cache-Control") == PROVISIONAL:
                    headers = {}
                elif "ETag" in headers:
                    answers.put(key, response)
            response.headers.update(headers)
            if vary:
                response.vary.update(v.strip() for v in vary.split(","))
            return response

        return wrapper

    return decorate
