"""How fast the channel comes on air and how fast it makes takes, with the embedded defaults.

Runs `webtv run` for a while in a temp data dir (with --page, the channel page open in
headless Chromium all along, as a viewer would have it) and prints a table: time to the first
HLS segment (the slate), time to the first take on air, takes made per minute, how the air
after the first --warmup seconds was shared between new takes, replays and the slate, the CPU
the whole channel used per minute on air and per take made, and where that CPU went: the
channel's threads by part (production, playout, outputs, captions, the page and guide), its
FFmpeg outputs, and each take's FFmpeg and Tesseract runs.

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


# Where a running channel's CPU goes: its threads by their names (core/threads.py names them in
# the OS), and the FFmpeg processes beside them by what they do.
PARTS = [("production (director, making, checks)", ("autopilot", "production", "llm-request",
                                                   "heartbeat")),
         ("playout (choosing, muxing the channel)", ("playout",)),
         ("outputs (feeding FFmpeg)", ("out-",)), ("captions", ("captions",)),
         ("page, guide, API (HTTP)", ("web", "Thread-")),
         ("library channels", ("channel:", "network")), ("ticker", ("ticker",))]
TICK = os.sysconf("SC_CLK_TCK")


def _stat(path: Path) -> tuple[str, float, float] | None:
    """(name, CPU seconds, CPU seconds of the children it waited for) from a /proc stat."""
    try:
        text = path.read_text()
    except OSError:
        return None
    name = text[text.index("(") + 1:text.rindex(")")]
    fields = text[text.rindex(")") + 2:].split()
    return name, (int(fields[11]) + int(fields[12])) / TICK, \
        (int(fields[13]) + int(fields[14])) / TICK


def cpu_by_part(pid: int) -> dict[str, float]:
    """CPU seconds so far of a `webtv run` process, by part: its live threads by name, the
    threads that have ended (per-take workers), its live FFmpeg children by what they write,
    and the children it has reaped (each take's encodes, Tesseract)."""
    parts: dict[str, float] = {}
    own = _stat(Path(f"/proc/{pid}/stat"))
    if own is None:
        return parts
    live = 0.0
    for task in Path(f"/proc/{pid}/task").iterdir():
        found = _stat(task / "stat")
        if found is None:
            continue
        name, seconds, _ = found
        part = next((label for label, prefixes in PARTS if name.startswith(prefixes)),
                    "main thread and others")
        parts[part] = parts.get(part, 0.0) + seconds
        live += seconds
    parts["threads that ended (per-take workers)"] = max(0.0, own[1] - live)
    for child in _children(pid):
        found = _stat(Path(f"/proc/{child}/stat"))
        if found is None:
            continue
        argv = Path(f"/proc/{child}/cmdline").read_bytes().split(b"\0")
        kind = ("FFmpeg: HLS output" if b"hls" in argv else "FFmpeg: RTMP output"
                if b"flv" in argv else "FFmpeg: a library channel or other")
        parts[kind] = parts.get(kind, 0.0) + found[1] + found[2]
    parts["FFmpeg and Tesseract per take (reaped)"] = own[2]
    return parts


def guide_of(home: Path, began: float, ended: float) -> list[tuple[str, str]]:
    """The runs of air the run made (a premiere's takes, reruns, the slate: what a guide
    without blocks lists) and the programmes of its guide, over the run."""
    from webtv.app.blocks import blocks
    from webtv.app.guide import aired, channels, join_slates
    from webtv.state.datadir import DataDir
    from webtv.state.store import Store

    with Store(DataDir(home)) as store:
        main = channels(store, "AI WebTV")[0]
        runs = [r for r in join_slates(aired(store, main, ended)) if r.start < ended]
    programmes = [p for p in blocks(runs) if p.start < ended]
    lengths = sorted(min(p.stop, ended) - p.start for p in programmes)

    def said(items) -> str:
        spans = sorted(min(i.stop, ended) - i.start for i in items)
        return (f"{len(items)}, {spans[len(spans) // 2]:.0f} s median, "
                f"{sum(s < 60 for s in spans)} under a minute") if spans else "none"

    return [("runs of air (a premiere, reruns, the slate)", said(runs)),
            ("guide programmes (half-hour blocks)", said(programmes)),
            ("the first programme", f"{programmes[0].title} — {programmes[0].sub_title}"
             if programmes else "-"),
            ("run", f"{ended - began:.0f} s; programmes end at the half hour: "
                    f"{', '.join(f'{x:.0f} s' for x in lengths)}")]


def _children(pid: int) -> list[int]:
    kids = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        try:
            kids += [int(k) for k in (task / "children").read_text().split()]
        except OSError:
            pass
    return kids


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
    started, started_wall = time.monotonic(), time.time()
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
    parts = cpu_by_part(proc.pid)  # before it stops: its threads and FFmpegs are still there
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
        ("CPU s per take made (whole channel, to the stop)", f"{cpu / max(made, 1):.2f}"),
    ]
    print_table(rows)
    print("\nThe guide of the run (what aired, as XMLTV, the page and `webtv status` say it):")
    print_table(guide_of(home, started_wall, time.time()))
    print("\nWhere the CPU went, up to the stop:")
    measured = sum(parts.values())
    print_table([(part, f"{seconds:.1f} s ({seconds / max(measured, 1e-9):.0%}), "
                        f"{seconds / max(made, 1):.2f} s a take")
                 for part, seconds in sorted(parts.items(), key=lambda p: -p[1])])


if __name__ == "__main__":
    main()
