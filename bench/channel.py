"""How fast the channel comes on air and how fast it makes takes, with the embedded defaults.

Runs `webtv run` for a while in a temp data dir (with --page, the channel page open in
headless Chromium all along, as a viewer would have it) and prints a table: time to the first
HLS segment (the slate), time to the first take on air, takes made per minute, how the air
after the first --warmup seconds was shared between new takes, replays and the slate, and the
CPU the whole channel used per minute on air.

    python bench/channel.py [--seconds 120] [--page] [--warmup 60]
"""

from __future__ import annotations

import argparse
import os
import resource
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.table import print_table  # noqa: E402
from tests.channel import free_port  # noqa: E402

THEME = "a llama who runs a night-time noodle stand"


def air_after(db_path: Path, warmup: float) -> dict[str, float]:
    """Seconds of each kind on air (take, replay, slate) after the first ``warmup`` seconds."""
    with sqlite3.connect(db_path) as db:
        start = db.execute("select min(stream_start) from air_log").fetchone()[0] or 0
        return dict(db.execute(
            "select kind, sum(stream_end - max(stream_start, ?)) from air_log "
            "where stream_end > ? group by kind", [start + warmup] * 2).fetchall())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=float, default=120)
    parser.add_argument("--page", action="store_true", help="keep the page open in Chromium")
    parser.add_argument("--warmup", type=float, default=60.0,
                        help="the air share is measured after this many seconds")
    args = parser.parse_args()
    home = Path(tempfile.mkdtemp(prefix="webtv-bench-"))
    env = {**os.environ, "WEBTV_HOME": str(home)}
    env.pop("WEBTV_LLM_MODEL", None)
    port = free_port()
    started = time.monotonic()
    proc = subprocess.Popen([sys.executable, "-m", "webtv.app.cli", "run", "--theme", THEME,
                             "--port", str(port)], env=env, cwd=ROOT,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    browser = None
    if args.page:
        from tests.browser.chromium import Browser, missing

        if reason := missing():
            raise SystemExit(f"--page: {reason}")
        browser = Browser()
    first_segment = first_take = None
    db_path = home / "webtv.db"
    while time.monotonic() - started < args.seconds:
        now = time.monotonic() - started
        if first_segment is None and any((home / "hls").glob("seg_*.m4s")):
            first_segment = now
            if browser is not None:  # the viewer arrives when there is something to see
                browser.open(f"http://127.0.0.1:{port}/")
        if first_take is None and db_path.exists():
            try:
                with sqlite3.connect(db_path) as db:
                    if db.execute("select 1 from air_log where kind = 'take'").fetchone():
                        first_take = now
            except sqlite3.OperationalError:
                pass
        time.sleep(0.2)
    if browser is not None:
        browser.close()
    proc.send_signal(signal.SIGTERM)
    proc.wait(timeout=60)
    elapsed = time.monotonic() - started
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)  # the channel and all its FFmpegs
    cpu = usage.ru_utime + usage.ru_stime
    with sqlite3.connect(db_path) as db:
        made = db.execute("select count(*) from takes").fetchone()[0]
        aired = db.execute("select count(*) from takes where status = 'aired'").fetchone()[0]
        on_air = db.execute("select max(stream_end) from air_log").fetchone()[0] or 0
        take_air = db.execute("select coalesce(sum(stream_end - stream_start), 0) from air_log "
                              "where kind = 'take'").fetchone()[0]
    after = air_after(db_path, args.warmup)
    rows = [
        ("run length (s)", f"{elapsed:.1f}"),
        ("first HLS segment after start (s)", f"{first_segment:.1f}" if first_segment else "-"),
        ("first take on air after start (s)", f"{first_take:.1f}" if first_take else "-"),
        ("takes made", str(made)),
        ("takes made per minute", f"{made / elapsed * 60:.1f}"),
        ("takes aired", str(aired)),
        ("share of air time that was new takes (whole run)", f"{take_air / max(on_air, 1):.0%}"),
        *((f"after the first {args.warmup:.0f} s: {kind}",
           f"{after.get(kind, 0):.0f} s ({after.get(kind, 0) / max(sum(after.values()), 1):.0%})")
          for kind in ("take", "replay", "slate")),
        ("CPU s per minute on air (whole channel, 2 cores max 120)",
         f"{cpu / max(on_air, 1) * 60:.1f}"),
    ]
    print_table(rows)


if __name__ == "__main__":
    main()
