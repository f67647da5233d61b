"""A benchmark stopped with SIGTERM stops the servers it started."""

import os
import subprocess
import sys
import textwrap

BENCHMARK = textwrap.dedent(
    """
    import subprocess, time
    from pepy.infrastructure.bench import stop_on_sigterm

    stop_on_sigterm()
    server = subprocess.Popen(["sleep", "60"], start_new_session=True)
    print(server.pid, flush=True)
    try:
        time.sleep(60)
    finally:
        server.terminate()
        server.wait()
    """
)


def test_sigterm_runs_the_benchmarks_cleanup():
    benchmark = subprocess.Popen([sys.executable, "-c", BENCHMARK], stdout=subprocess.PIPE, text=True)
    server_pid = int(benchmark.stdout.readline())
    benchmark.terminate()
    assert benchmark.wait(timeout=10) != 0
    try:
        os.kill(server_pid, 0)
    except ProcessLookupError:
        return
    os.kill(server_pid, 9)
    raise AssertionError("the server the benchmark started outlived it")
