"""Slices of load for `make bench-replica`: wrk over a mix of endpoints for a few seconds, every name respelled so
that each answer is read from the database, and how the p99 of busy slices compares with idle ones."""

from __future__ import annotations

import random
import statistics
from collections.abc import Callable
from pathlib import Path

from pepy.infrastructure.bench import api_bench
from pepy.infrastructure.bench.wrk import merged_percentile, run_wrk

# Reads of every kind of table: the day documents (v2), totals (v1, recent), category rows (python_minor) and
# version rows (v3's summary).
ENDPOINTS = (
    "/api/v2/projects/{}",
    "/api/v1/projects/{}",
    "/api/packages/{}/recent",
    "/api/packages/{}/python_minor",
    "/api/v3/projects/{}",
)


def slicer(base: str, rng: random.Random, args, folder: Path) -> Callable[[], dict]:
    """A function that drives one slice of the load and returns wrk's figures: the mix of endpoints over Zipf-drawn
    names, each spelled anew, so that every answer is read from the database.

    Its first slice runs at saturation. With `args.paced`, the others offer that fraction of the first one's rate
    (a little less: each connection also waits for its answers), so that they measure the latency of a server
    with capacity to spare rather than the length of its queue."""
    names = api_bench.zipf_names(args.projects, 20_000, rng)
    think_ms = None

    def one_slice() -> dict:
        nonlocal think_ms
        paths = [ENDPOINTS[n % len(ENDPOINTS)].format(api_bench.respelled(p, rng)) for n, p in enumerate(names)]
        result = run_wrk(base, paths, args.slice_seconds, args.connections, folder, think_ms=think_ms or 0.0)
        if args.paced and think_ms is None:
            think_ms = 1000 * args.connections / (args.paced * result["rps"])
            print(f"  saturated at {result['rps']:.0f} req/s: paced at {args.paced:.0%} of it", flush=True)
        return result

    return one_slice


def errors(result: dict) -> int:
    """A slice's answers that were not 2xx or 3xx, and its socket errors."""
    return result["non_2xx"] + result["socket_errors"]


def slice_line(phase_name: str, result: dict) -> str:
    """One slice as printed: its phase, throughput, latencies and errors."""
    return (
        f"  {phase_name:<10}{result['rps']:>8.0f} req/s  p50 {result['p50']:>7.2f} ms  p99 {result['p99']:>8.2f} ms"
        f"  errors {errors(result):>4}"
    )


def busy_against_idle(idle: list[dict], busy: list[dict]) -> dict:
    """The p99 of the idle slices and of the busy ones (the median slice's, and that of all their requests pooled),
    the worst busy slice's p99, and the busy slices' median throughput."""
    return {
        "idle p99": statistics.median(result["p99"] for result in idle),
        "busy p99": statistics.median(result["p99"] for result in busy),
        "pooled idle p99": merged_percentile(idle, 99),
        "pooled busy p99": merged_percentile(busy, 99),
        "worst p99": max(result["p99"] for result in busy),
        "busy rps": statistics.median(result["rps"] for result in busy),
    }


def p99_columns(figures: dict) -> str:
    """busy_against_idle's figures as the summary table's columns: idle p99, busy p99, worst, pooled, req/s."""
    pooled = f"{figures['pooled idle p99']:.1f} -> {figures['pooled busy p99']:.1f}"
    return (
        f"{figures['idle p99']:>10.1f}{figures['busy p99']:>12.1f}{figures['worst p99']:>8.1f}{pooled:>16}"
        f"{figures['busy rps']:>8.0f}"
    )
