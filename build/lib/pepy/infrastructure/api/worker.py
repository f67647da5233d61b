"""The gunicorn worker: gthread, answering in the API's JSON the requests gunicorn refuses before the app sees them,
and quitting once however often it is told to."""

from __future__ import annotations

import json
from http import HTTPStatus

from gunicorn import util
from gunicorn.http.errors import (
    InvalidHeader,
    InvalidHeaderName,
    InvalidHTTPVersion,
    InvalidRequestLine,
    InvalidRequestMethod,
    InvalidResponseHeader,
    InvalidResponseHeaderName,
    LimitRequestHeaders,
    LimitRequestLine,
    ObsoleteFolding,
)
from gunicorn.workers.gthread import ThreadWorker

MALFORMED = (
    InvalidRequestLine,
    InvalidRequestMethod,
    InvalidHTTPVersion,
    InvalidHeader,
    InvalidHeaderName,
    ObsoleteFolding,
)
# Subclasses of InvalidHeader and InvalidHeaderName, but the app's fault: gunicorn's 500 stays.
APP_FAULTS = (InvalidResponseHeader, InvalidResponseHeaderName)


class ApiWorker(ThreadWorker):
    """gunicorn's gthread worker, whose answers to an over-long request line (414), too many or too large headers
    (431) and a malformed request line or header (400) are {"error": status, "message": ...} like every other
    error of the API (gunicorn's other errors are left to it), and which quits once however many times it is told.
    """

    _quitting = False

    def handle_quit(self, sig, frame):
        """Quit at once, on the first SIGINT or SIGQUIT; the others change nothing."""
        # Ctrl-C reaches a worker twice, from the terminal (SIGINT) and from the master (SIGQUIT). A second handler
        # run inside the first, while that one held the thread pool's shutdown lock, waited for the lock forever,
        # and the master killed the worker after graceful_timeout (20 s): 1 to 4 Ctrl-C in 8 under `pepy serve`.
        if self._quitting:
            return
        self._quitting = True
        super().handle_quit(sig, frame)

    def handle_error(self, req, client, addr, exc):
        """Answer a request-line or header error in JSON; hand any other error to gunicorn."""
        if isinstance(exc, LimitRequestLine):
            status, message = 414, f"The request line is longer than {self.cfg.limit_request_line} bytes"
        elif isinstance(exc, LimitRequestHeaders):
            status = 431
            message = (
                f"The request's headers are too many or too large: at most {self.cfg.limit_request_fields} "
                f"headers of {self.cfg.limit_request_field_size} bytes each"
            )
        elif isinstance(exc, MALFORMED) and not isinstance(exc, APP_FAULTS):
            status, message = 400, str(exc)
        else:
            super().handle_error(req, client, addr, exc)
            return
        # gunicorn's own line for a refused request, in its error log: the app never saw it, so it logs nothing.
        self.log.warning("Invalid request from ip=%s: %s", addr[0] if addr else "", exc)
        body = json.dumps({"error": status, "message": message}).encode()
        head = (
            f"HTTP/1.1 {status} {HTTPStatus(status).phrase}\r\n"
            f"Connection: close\r\nContent-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n"
        )
        try:
            util.write_nonblock(client, head.encode() + body)
        except OSError:
            self.log.debug("Failed to send error message.")
