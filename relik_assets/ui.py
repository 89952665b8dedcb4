"""Start `dagster dev` on 127.0.0.1 in its own process group and stop the whole group cleanly.

`dagster dev` maps SIGTERM onto its SIGINT handler; started from a background job it inherits an
ignored SIGINT (a shell starts background jobs so, and exec keeps it) and so ignores SIGTERM too.
The child therefore gets the default dispositions back, runs in its own session, and is stopped by
signalling it, then its group.
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


def _default_interrupts() -> None:
    """Runs in the child before exec: SIGINT/SIGTERM back to their defaults."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)


def start(port: int = 3000, host: str = "127.0.0.1", env: dict[str, str] | None = None) -> subprocess.Popen:
    """Launch the UI server in a new session (process group); returns the process."""
    dagster = Path(sys.executable).with_name("dagster")
    command = [str(dagster), "dev", "-h", host, "-p", str(port), "-w", str(ROOT / "workspace.yaml")]
    home = os.environ.get("DAGSTER_HOME", str(ROOT / "dagster_home"))
    full_env = {**os.environ, "DAGSTER_HOME": home, **(env or {})}
    return subprocess.Popen(
        command, cwd=ROOT, env=full_env, start_new_session=True, preexec_fn=_default_interrupts
    )


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


def group_alive(pgid: int) -> bool:
    """True while any process of the process group `pgid` exists."""
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _signal_group(pgid: int, signum: int) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(pgid, signum)


def _wait_group(pgid: int, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while group_alive(pgid) and time.monotonic() < deadline:
        time.sleep(0.2)
    return not group_alive(pgid)


def stop(process: subprocess.Popen, grace: float = 20.0) -> int:
    """SIGTERM `dagster dev` (it shuts its services down), then its group; SIGKILL after `grace` s."""
    if process.poll() is None:
        with contextlib.suppress(ProcessLookupError):
            process.send_signal(signal.SIGTERM)
        try:
            process.wait(grace)
        except subprocess.TimeoutExpired:
            _signal_group(process.pid, signal.SIGKILL)
            process.wait()
    if not _wait_group(process.pid, 5.0):
        _signal_group(process.pid, signal.SIGTERM)
        if not _wait_group(process.pid, 5.0):
            _signal_group(process.pid, signal.SIGKILL)
            _wait_group(process.pid, 5.0)
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
    # SIGTERM interrupts the wait below like Ctrl-C does, so both stop the server the same way.
    signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.signal(signal.SIGTERM, signal.default_int_handler)
    process = start(args.port)
    print(f"Dagster UI: http://127.0.0.1:{args.port} (Ctrl-C stops it)", flush=True)
    try:
        return process.wait()
    except KeyboardInterrupt:
        return stop(process)


if __name__ == "__main__":
    raise SystemExit(main())
