"""Work that waits until the answer has gone: the request's log line and metrics.

A WSGI server calls the answer's `close()` once it has sent it (granian does so off the request's path, so the
client's next request does not wait for it either). Writing the log line alone cost about 65 µs a request, which a
client waited for when the hook that wrote it ran before the answer left.
"""

from __future__ import annotations

from collections.abc import Callable

from flask import Flask, request
from werkzeug.wsgi import ClosingIterator

_CALLBACKS = "pepy.after_response"


def after_response(callback: Callable[[], object]) -> None:
    """Run `callback` once the server has sent this request's answer."""
    request.environ[_CALLBACKS].append(callback)


def run_after_responses(app: Flask) -> None:
    """Make the app's answers, whatever they are, run what `after_response` deferred when the server closes them."""
    inner = app.wsgi_app

    def wsgi_app(environ, start_response):
        callbacks = environ[_CALLBACKS] = []
        return ClosingIterator(inner(environ, start_response), callbacks)

    app.wsgi_app = wsgi_app
