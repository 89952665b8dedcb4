"""A real `relik-ml serve` process on a free loopback port (tests and benchmarks talk HTTP to it)."""
from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class ServerProcess:
    """`relik-ml serve --model DIR ARGS...` started on a free port; `stop()` ends it (SIGINT, then SIGKILL)."""

    def __init__(self, model: Path, *args: str, log: Path, nice: int = 0) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = log
        env = {**os.environ, "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1", "PYTHONUNBUFFERED": "1"}
        command = [sys.executable, "-m", "relik_ml.cli", "serve", "--model", str(model), "--port", str(self.port), *args]
        if nice:
            command = ["nice", "-n", str(nice), *command]
        with open(log, "wb") as handle:
            self.process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=handle, stderr=subprocess.STDOUT)

    def wait_ready(self, timeout_s: float = 120.0) -> dict:
        """`GET /ready`'s answer once it is 200; a server that exits or stays unready fails with its log."""
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"relik-ml serve exited with {self.process.returncode}:\n{self.log.read_text()}")
            try:
                answer = httpx.get(f"{self.url}/ready", timeout=2.0)
                if answer.status_code == 200:
                    return answer.json()
            except httpx.TransportError:
                pass
            time.sleep(0.2)
        raise RuntimeError(f"relik-ml serve not ready after {timeout_s} s:\n{self.log.read_text()}")

    def rss_bytes(self) -> int:
        """Resident memory of the server process (the python under `nice`, which execs it)."""
        pages = int(Path(f"/proc/{self.process.pid}/statm").read_text().split()[1])
        return pages * os.sysconf("SC_PAGE_SIZE")

    def stop(self) -> int:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        return self.process.returncode
