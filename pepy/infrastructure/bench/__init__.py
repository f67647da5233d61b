"""Benchmarks: make targets, not tests."""

import signal


def stop_on_sigterm() -> None:
    """End the benchmark on SIGTERM as on Ctrl-C, so that its `finally` stops the servers it started: by default
    SIGTERM ends the process at once, and the API server and its workers, or the PostgreSQL servers, run on."""
    signal.signal(signal.SIGTERM, signal.default_int_handler)
