"""A real redis-server on 127.0.0.1 for the cluster's tests and bench/cluster.py."""

from __future__ import annotations

import shutil
import subprocess
import time
from pathlib import Path

from tests.channel import free_port
from webtv.production.backends.cluster import connect


def binary() -> str | None:
    found = shutil.which("redis-server")
    return found or ("/usr/bin/redis-server" if Path("/usr/bin/redis-server").exists() else None)


def start(folder: Path) -> tuple[subprocess.Popen, str]:
    """A redis-server with nothing persisted, in ``folder``; it and its URL once it answers."""
    port = free_port()
    proc = subprocess.Popen([binary() or "redis-server", "--port", str(port), "--bind",
                             "127.0.0.1", "--save", "", "--appendonly", "no", "--dir",
                             str(folder)], stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
    url = f"redis://127.0.0.1:{port}/0"
    deadline = time.monotonic() + 20
    while True:
        try:
            connect(url)
            return proc, url
        except Exception:  # noqa: BLE001 - not up yet (ConfigError until it answers)
            if time.monotonic() > deadline or proc.poll() is not None:
                proc.kill()
                raise RuntimeError(f"redis-server did not answer at {url}") from None
            time.sleep(0.1)
