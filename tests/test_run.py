"""`webtv run` as a person runs it: a theme in, the channel on air as HLS with its page, and a
clean exit on SIGTERM with nothing half written."""

from __future__ import annotations

import json
import os
import signal
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


def wait_for(predicate, timeout: float, what: str):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            value = predicate()
            if value:
                return value
        except OSError:
            pass
        time.sleep(0.5)
    raise AssertionError(f"timed out waiting for {what}")


def test_run_puts_a_theme_on_air_and_stops_cleanly(tmp_path: Path) -> None:
    home, port = tmp_path / "home", free_port()
    env = {**os.environ, "WEBTV_HOME": str(home)}
    env.pop("WEBTV_LLM_MODEL", None)
    proc = subprocess.Popen(
        [sys.executable, "-m", "director.cli", "run", "--theme", THEME, "--port", str(port),
         "--buffer", "9"], env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        def a_take_on_air():
            now = json.loads(get(f"{base}/api/now"))
            return now if any(e["kind"] == "take" for e in now["on_air"]) else None

        now = wait_for(a_take_on_air, 120, "the first take on air")
        assert "Llama" in now["title"]
        take = next(e for e in now["on_air"] if e["kind"] == "take")
        assert "llama" in take["prompt"].lower()
        page = get(f"{base}/").decode()
        assert "player.js" in page and "<video" in page
        playlist = get(f"{base}/hls/live.m3u8").decode()
        assert "#EXT-X-MAP" in playlist and ".m4s" in playlist
        assert get(f"{base}/hls/init.mp4")[4:8] == b"ftyp"
        assert b"mdat" in get(f"{base}/hls/" + playlist.strip().splitlines()[-1])
        time.sleep(4)  # mid-work: the director is making the next takes
    finally:
        proc.send_signal(signal.SIGTERM)
        output = proc.communicate(timeout=60)[0].decode()
    assert proc.returncode == 0, output
    assert "Off air after" in output

    db = sqlite3.connect(home / "webtv.db")
    assert db.execute("pragma integrity_check").fetchone()[0] == "ok"
    assert db.execute("select count(*) from air_log where ended_at is null").fetchone()[0] == 0
    aired = db.execute("select count(*) from takes where status = 'aired'").fetchone()[0]
    assert aired >= 1
    assert db.execute("select count(*) from schedule where status = 'airing'").fetchone()[0] == 0
    assert db.execute("select count(*) from tool_calls where ok = 1").fetchone()[0] >= 8
    assert db.execute("select count(*) from llm_calls").fetchone()[0] >= 4
    assert list((home / "work").iterdir()) == []  # no half-written files left behind
    for (media,) in db.execute("select media from takes"):
        assert (home / media).is_file()

    status = subprocess.run([sys.executable, "-m", "director.cli", "status"], env=env,
                            capture_output=True, text=True, check=True).stdout
    assert "Llama" in status and f"{aired} aired" in status
