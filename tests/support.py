"""Shared by the tests and the benchmarks: a real server process, Chromium's launch flags, the machine.

Benchmarks import this too (they run from the project root), so a server is
started, waited for and described in exactly one way everywhere.
"""

from __future__ import annotations

import atexit
import contextlib
import json
import os
import platform
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent

# Debian's Chromium, launched by Playwright with these flags (shared/guides/TESTING.md):
# without the background-networking ones it keeps dialling a closed network.
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def machine_info() -> str:
    """The CPU and core count, for figures that only mean something with the machine named."""
    cpu = platform.processor() or platform.machine()
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    return f"{cpu}, {os.cpu_count()} CPUs, Python {platform.python_version()}"


class LabServer:
    """`python -m app` on a port, which can be stopped and started again."""

    def __init__(self, port: int | None = None, args: list[str] | None = None, log: Path | None = None) -> None:
        self.port = port or free_port()
        self.args = list(args or [])
        self.log = log  # the server's stdout and stderr go here (appended), else nowhere
        self.proc: subprocess.Popen[bytes] | None = None
        if "--db" not in self.args and "--redis" not in self.args:
            # Its own store, kept across stop() and start() (a restart), never the developer's.
            tmp = tempfile.mkdtemp(prefix="hinting-lab-test-")
            atexit.register(shutil.rmtree, tmp, True)
            self.args += ["--db", str(Path(tmp) / "lab.db")]

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> LabServer:
        # Settings come from flags only: a developer's HINTING_LAB_* must not leak in.
        env = {k: v for k, v in os.environ.items() if not k.startswith("HINTING_LAB_")}
        env["PYTHONUNBUFFERED"] = "1"
        out = self.log.open("ab") if self.log is not None else subprocess.DEVNULL
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "app", "--host", "127.0.0.1", "--port", str(self.port), "--log-level", "warning",
             *self.args],
            cwd=ROOT, env=env, stdout=out, stderr=out, start_new_session=True,
        )
        if out is not subprocess.DEVNULL:
            out.close()  # the child has its own copy
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"the server exited with {self.proc.returncode}")
            with contextlib.suppress(OSError), urllib.request.urlopen(f"{self.url}/healthz", timeout=1) as r:
                if r.status == 200:
                    return self
            time.sleep(0.05)
        raise RuntimeError("the server did not come up")

    def kill(self) -> None:
        """kill -9, as a crash would: no shutdown, nothing flushed."""
        if self.proc is not None and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait()
        self.proc = None

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.proc = None

    def get(self, path: str) -> Any:
        with urllib.request.urlopen(f"{self.url}{path}", timeout=30) as r:
            return json.load(r)

    def create(self, body: dict[str, Any]) -> dict[str, Any]:
        req = urllib.request.Request(
            f"{self.url}/api/sessions", data=json.dumps(body).encode(), headers={"content-type": "application/json"}
        )
        with urllib.request.urlopen(req, timeout=30) as r:
            return dict(json.load(r))


REDIS_SERVER = shutil.which("redis-server") or "/usr/bin/redis-server"


class RedisServer:
    """Debian's redis-server on a free loopback port, without persistence (shared/guides/TESTING.md)."""

    def __init__(self) -> None:
        self.port = free_port()
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> RedisServer:
        self.proc = subprocess.Popen(
            [REDIS_SERVER, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
             "--daemonize", "no"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True,
        )
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", self.port), timeout=1) as s:
                s.sendall(b"PING\r\n")
                if s.recv(16).startswith(b"+PONG"):
                    return self
            time.sleep(0.05)
        raise RuntimeError("redis-server did not come up")

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait()
        self.proc = None


def ten_thousand_steps() -> dict[str, Any]:
    """A long history (alloc and free, 5,000 times): time travel's test and its benchmark use it."""
    steps: list[dict[str, Any]] = []
    for i in range(5000):
        steps.append({"do": "alloc", "zone": "Normal", "order": i % 3, "migratetype": "Movable", "as": f"a{i}"})
        steps.append({"do": "free", "ref": f"a{i}"})
    return {"format": "hinting-scenario/1", "title": "10,000 steps",
            "machine": {"max_order": 6, "pageblock_order": 3, "zones": [{"name": "Normal", "pages": 256}]},
            "hinting": {"min_order": 3, "hwm": 2, "capacity": 4, "delay_ms": 100}, "steps": steps}
