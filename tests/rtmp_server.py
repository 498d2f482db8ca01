"""A real RTMP server for tests: nginx with Debian's RTMP module, on 127.0.0.1, in a temp dir.

.ci/run installs it (apt-get install nginx libnginx-mod-rtmp). Where it is missing the RTMP
tests skip, unless WEBTV_REQUIRE_RTMP=1 (set by .ci/run) makes that a failure.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import time
from pathlib import Path

import pytest

MODULE = Path("/usr/lib/nginx/modules/ngx_rtmp_module.so")


def nginx_binary() -> str:
    found = shutil.which("nginx") or ("/usr/sbin/nginx" if Path("/usr/sbin/nginx").exists()
                                      else None)
    if found is None or not MODULE.exists():
        if os.environ.get("WEBTV_REQUIRE_RTMP") == "1":
            pytest.fail("nginx with the RTMP module is required (apt-get install nginx "
                        "libnginx-mod-rtmp)")
        pytest.skip("nginx with the RTMP module is not installed")
    return found


class NginxRtmp:
    def __init__(self, root: Path) -> None:
        self.binary = nginx_binary()
        self.root = root
        root.mkdir(parents=True, exist_ok=True)
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            self.port = s.getsockname()[1]
        user = "user root;\n" if os.geteuid() == 0 else ""
        (root / "nginx.conf").write_text(
            f"load_module {MODULE};\n{user}daemon off;\nmaster_process off;\n"
            f"error_log {root}/error.log warn;\npid {root}/nginx.pid;\n"
            "events { worker_connections 64; }\n"
            f"rtmp {{ server {{ listen 127.0.0.1:{self.port}; chunk_size 4096;\n"
            "  application live { live on; record off; } } }\n")
        self.proc: subprocess.Popen | None = None

    def url(self, name: str = "channel") -> str:
        return f"rtmp://127.0.0.1:{self.port}/live/{name}"

    def start(self) -> None:
        self.proc = subprocess.Popen([self.binary, "-p", str(self.root), "-c",
                                      str(self.root / "nginx.conf")],
                                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.5).close()
                return
            except OSError:
                time.sleep(0.1)
        raise RuntimeError("nginx did not start: " + (self.root / "error.log").read_text())

    def stop(self) -> None:
        if self.proc is not None:
            self.proc.kill()
            self.proc.wait()
            self.proc = None


def stop_playing(viewer: subprocess.Popen, out: Path, quiet_for: float = 3.0) -> None:
    """Like a viewer closing the player once the stream has gone quiet (players run seconds
    behind the publisher): FFmpeg finishes the file it was writing."""
    deadline, last, since = time.monotonic() + 30, -1, time.monotonic()
    while time.monotonic() < deadline and viewer.poll() is None:
        size = out.stat().st_size if out.exists() else 0
        if size != last:
            last, since = size, time.monotonic()
        elif time.monotonic() - since >= quiet_for:
            break
        time.sleep(0.2)
    viewer.send_signal(signal.SIGINT)
    try:
        viewer.wait(timeout=10)
    except subprocess.TimeoutExpired:
        viewer.kill()


def play(url: str, out: Path) -> subprocess.Popen:
    """A viewer: pulls the stream from the server and keeps it, packets untouched."""
    from webtv.core.media import ffmpeg_exe

    return subprocess.Popen([ffmpeg_exe(), "-hide_banner", "-loglevel", "error", "-y",
                             "-rw_timeout", "20000000", "-i", url, "-c", "copy",
                             "-flush_packets", "1", "-f", "flv",
                             str(out)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
