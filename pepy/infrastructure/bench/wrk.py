"""wrk, as the API benchmarks drive it: a list of paths requested in turn, from many client addresses."""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path

from pepy.infrastructure.bench.cpu import CpuSplit

# Requests come from CLIENTS addresses of the benchmarking range 198.18.0.0/15 (RFC 2544), as nginx forwards them:
# one address for all would make every request wait on the one row the limiter keeps for it.
CLIENTS = 2000
_LUA = """
paths = {PATHS}
counter = 0
request = function()
  counter = counter + 1
  local client = counter % {CLIENTS}
  local forwarded = "198.18." .. math.floor(client / 250) .. "." .. (client % 250 + 1)
  return wrk.format("GET", paths[(counter % #paths) + 1], {["X-Forwarded-For"] = forwarded{KEY}})
end
{DELAY}done = function(summary, latency, requests)
  io.write("quantiles")
  for i = 1, {QUANTILES} do io.write(" ", latency:percentile(100 * i / {QUANTILES})) end
  io.write("\\n")
end
"""
# With a think time, each connection waits a random while before each request (exponentially distributed: many
# such clients together arrive as independent ones do), as a population of clients below the server's capacity.
_DELAY = "delay = function() return -math.log(1 - math.random()) * {THINK_MS} end\n"
# Each run also prints its latency at every 0.1% of its requests, so that runs can be pooled (merged_percentile).
QUANTILES = 1000
_UNITS = {"us": 1e-3, "ms": 1.0, "s": 1e3}


def run_wrk(
    base: str,
    paths: list[str],
    seconds: int,
    connections: int,
    folder: Path,
    key: str = "",
    cpu: CpuSplit | None = None,
    think_ms: float = 0.0,
) -> dict:
    """Requests per second and latency percentiles (ms) of one wrk run; `key` is sent as X-API-Key; with `cpu`,
    also the CPU per request (µs) of the app, PostgreSQL and the machine; with `think_ms`, each connection waits
    that long on average before each request, rather than sending the next as soon as an answer comes."""
    script = folder / "paths.lua"
    script.write_text(
        _LUA.replace("{QUANTILES}", str(QUANTILES))
        .replace("{CLIENTS}", str(CLIENTS))
        .replace("{PATHS}", "{" + ",".join(json.dumps(p) for p in paths) + "}")
        .replace("{KEY}", f', ["X-API-Key"] = "{key}"' if key else "")
        .replace("{DELAY}", _DELAY.replace("{THINK_MS}", f"{think_ms:.3f}") if think_ms else "")
    )
    if cpu:
        cpu.start()
    output = subprocess.run(
        ["wrk", "-t1", f"-c{connections}", f"-d{seconds}s", "--latency", "-s", str(script), base],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    result = {"rps": float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1))}
    result["requests"] = int(re.search(r"(\d+) requests in", output).group(1))
    result["quantiles_ms"] = [float(v) / 1000 for v in re.search(r"^quantiles (.*)$", output, re.M).group(1).split()]
    if cpu:
        result |= cpu.per_request_us(result["requests"])
    for percentile in ("50", "99"):
        value, unit = re.search(rf"\s{percentile}%\s+([\d.]+)(us|ms|s)\b", output).groups()
        result[f"p{percentile}"] = float(value) * _UNITS[unit]
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    result["non_2xx"] = int(errors.group(1)) if errors else 0
    failed = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", output)
    result["socket_errors"] = sum(map(int, failed.groups())) if failed else 0
    return result


def merged_percentile(results: list[dict], percentile: float) -> float:
    """The latency (ms) under which `percentile` % of all the runs' requests were answered, each run's share of
    requests spread evenly over its quantiles."""
    weighted = sorted((value, result["requests"] / QUANTILES) for result in results for value in result["quantiles_ms"])
    wanted, seen = sum(result["requests"] for result in results) * percentile / 100, 0.0
    for value, weight in weighted:
        seen += weight
        if seen >= wanted:
            return value
    return weighted[-1][0]
