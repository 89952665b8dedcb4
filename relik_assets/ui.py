"""Start `dagster dev` on 127.0.0.1 in its own process group and stop the whole group cleanly.

`dagster dev` started as a plain background child ignores SIGTERM (STACK.md), so the server gets
its own session and is stopped by signalling the group.
"""
from __future__ import annotations

import argparse
import contextlib
import os
import signal
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def start(port: int = 3000, host: str = "127.0.0.1", env: dict[str, str] | None = None) -> subprocess.Popen:
    """Launch the UI server in a new session (process group); returns the process."""
    dagster = Path(sys.executable).with_name("dagster")
    command = [str(dagster), "dev", "-h", host, "-p", str(port), "-w", str(ROOT / "workspace.yaml")]
    full_env = {**os.environ, "DAGSTER_HOME": os.environ.get("DAGSTER_HOME", str(ROOT / "dagster_home")), **(env or {})}
    return subprocess.Popen(command, cwd=ROOT, env=full_env, start_new_session=True)


def wait_until_ready(port: int, timeout: float = 180.0, host: str = "127.0.0.1") -> None:
    """Poll the server until it answers or `timeout` seconds pass."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with contextlib.suppress(OSError):
            with urllib.request.urlopen(f"http://{host}:{port}/server_info", timeout=5) as response:
                if response.status == 200:
                    return
        time.sleep(1.0)
    raise TimeoutError(f"Dagster UI did not answer on {host}:{port} within {timeout:.0f} s")


def stop(process: subprocess.Popen, grace: float = 20.0) -> int:
    """SIGTERM the process group, then SIGKILL after `grace` seconds; returns the exit code."""
    if process.poll() is None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(grace)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
            process.wait()
    return process.returncode


@contextlib.contextmanager
def running(port: int = 3000, env: dict[str, str] | None = None) -> Iterator[subprocess.Popen]:
    """The UI server for the duration of a `with` block (used by the browser test)."""
    process = start(port, env=env)
    try:
        wait_until_ready(port)
        yield process
    finally:
        stop(process)


def main() -> int:
    parser = argparse.ArgumentParser(description="Dagster UI on 127.0.0.1")
    parser.add_argument("--port", type=int, default=3000)
    args = parser.parse_args()
    process = start(args.port)
    print(f"Dagster UI: http://127.0.0.1:{args.port} (Ctrl-C stops it)", flush=True)
    signal.signal(signal.SIGTERM, lambda *_: stop(process))
    try:
        return process.wait()
    except KeyboardInterrupt:
        return stop(process)


if __name__ == "__main__":
    raise SystemExit(main())
