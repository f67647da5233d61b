"""One logging configuration for the whole process: readable in development, JSON lines in production."""

from __future__ import annotations

import logging
import sys

from pythonjsonlogger.orjson import OrjsonFormatter

_READABLE = "%(asctime)s %(levelname)-7s %(name)s: %(message)s"


class _ContextFormatter(logging.Formatter):
    """The readable format, followed by the record's extra context as key=value pairs."""

    _STANDARD = set(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {"message", "asctime", "color_message"}

    def format(self, record: logging.LogRecord) -> str:
        line = super().format(record)
        context = {k: v for k, v in vars(record).items() if k not in self._STANDARD}
        if context:
            line += " " + " ".join(f"{k}={v}" for k, v in context.items())
        return line


def configure_logging(env: str, level: str = "INFO") -> None:
    """Install the process's single handler on the root logger; safe to call more than once."""
    handler = logging.StreamHandler(sys.stderr)
    if env == "production":
        handler.setFormatter(
            OrjsonFormatter("%(asctime)s %(levelname)s %(name)s %(message)s", rename_fields={"levelname": "level"})
        )
    else:
        handler.setFormatter(_ContextFormatter(_READABLE))
    # No format here shows the caller, the thread or the process, so no record gathers them (the logging HOWTO's
    # "Optimization"): the caller alone is a walk up the stack on every request's line.
    logging._srcfile = None
    logging.logThreads = logging.logMultiprocessing = logging.logProcesses = False
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
