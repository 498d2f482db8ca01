"""Running `webtv run` as a person does, in a subprocess on 127.0.0.1 with its own data dir,
and reading what it left in SQLite."""

from __future__ import annotations

import os
import socket
import sqlite3
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

THEME = "a llama who runs a night-time noodle stand"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def get(url: str) -> bytes:
    with urllib.request.urlopen(url, timeout=5) as response:
        return response.read()


def wait_for(predicate, timeout: float, what: str, every: float = 0.5):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            value = predicate()
            if value:
                return value
        except (OSError, sqlite3.OperationalError):
            pass
        time.sleep(every)
    raise AssertionError(f"timed out waiting for {what}")


def start(home: Path, *args: str, env: dict | None = None, **popen) -> subprocess.Popen:
    """`webtv run` with the offline director and local backends unless ``args`` (or ``env``)
    say otherwise; its output piped, unless ``stdout`` says where (a log file)."""
    environment = {**{k: v for k, v in os.environ.items() if k != "WEBTV_LLM_MODEL"},
                   "WEBTV_HOME": str(home), **(env or {})}
    return subprocess.Popen([sys.executable, "-m", "webtv.app.cli", "run", *args],
                            env=environment, stdout=popen.pop("stdout", subprocess.PIPE),
                            stderr=subprocess.STDOUT, **popen)


def seconds_to_exit(proc: subprocess.Popen, sig: int, timeout: float) -> float:
    """Send ``sig`` and time the exit; a process still there after ``timeout`` is killed
    (and the time is the timeout's)."""
    sent = time.monotonic()
    proc.send_signal(sig)
    try:
        proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
    return time.monotonic() - sent


def query(home: Path, sql: str, params: tuple = ()) -> list[tuple]:
    db = sqlite3.connect(home / "webtv.db", timeout=30)
    try:
        return db.execute(sql, params).fetchall()
    finally:
        db.close()


def run_webtv(home: Path, *args: str) -> subprocess.CompletedProcess:
    """Another `webtv` command on the same data dir (status, queue, channel, ...), as it ended."""
    environment = {**os.environ, "WEBTV_HOME": str(home)}
    environment.pop("WEBTV_LLM_MODEL", None)
    return subprocess.run([sys.executable, "-m", "webtv.app.cli", *args], env=environment,
                          capture_output=True, text=True, timeout=60)


def webtv(home: Path, *args: str) -> str:
    """Another `webtv` command that must succeed; its stdout."""
    done = run_webtv(home, *args)
    assert done.returncode == 0, done.stderr
    return done.stdout
