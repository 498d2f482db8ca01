"""The channel at the speed of a real video model: premieres, reruns and the slate.

A local Gradio app with the Zeroscope Space's API (tests/spaces.py) answers like one GPU running
a real model: one job at a time, each taking --seconds-per-take, a --faults share of its
answers damaged (backwards motion, a frozen or black picture, a burned-in word...). `webtv run`
airs against it with the offline director; after the first take is on air the air log is read
for --minutes, and the table says what filled the air (premieres, reruns, the slate), how long
each take waited from made to premiere, how evenly the reruns spread over the library, and
whether every premiere and every rerun was a whole scene in story order.

    python bench/premieres.py [--seconds-per-take 40] [--faults 0.4] [--minutes 10]
"""

from __future__ import annotations

import argparse
import os
import signal
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
os.environ.setdefault("HF_HUB_OFFLINE", "1")
THEME = "a llama who runs a night-time noodle stand"


def seconds(iso: str) -> float:
    return datetime.fromisoformat(iso).timestamp()


def air_report(db_path: Path, since: float, until: float) -> dict[str, float | int | bool]:
    """What the director's channel aired between two wall-clock times (epoch seconds)."""
    with sqlite3.connect(db_path) as db:
        rows = db.execute(
            "select air_log.kind, air_log.take_id, air_log.started_at, air_log.ended_at, "
            "takes.created_at, shots.sequence, shots.position from air_log "
            "left join takes on takes.id = air_log.take_id "
            "left join shots on shots.id = takes.shot_id where air_log.channel = 'main' "
            "and air_log.ended_at is not null order by air_log.id").fetchall()
        accepted = db.execute(
            "select takes.created_at from takes where status in ('accepted', 'scheduled')"
            ).fetchall()
    air: dict[str, float] = {"take": 0.0, "replay": 0.0, "slate": 0.0}
    counts: dict[int, int] = {}
    latency: list[float] = []
    premiered: dict[int, list[int]] = {}  # scene -> positions premiered so far
    since_premiere: dict[int, float] = {}  # take -> when it joined the library
    # (kind, scene, positions aired back to back, the scene's premiered positions by then)
    blocks: list[tuple[str, int, list[int], list[int]]] = []
    for kind, take, start, end, made, scene, position in rows:
        begin, finish = max(seconds(start), since), min(seconds(end), until)
        if kind == "take" and scene is not None:
            premiered.setdefault(scene, []).append(position)
            since_premiere[take] = max(seconds(start), since)
            if since <= seconds(start) <= until:
                latency.append(seconds(start) - seconds(made))
        if finish <= begin:
            continue
        air[kind] += finish - begin
        if take is not None:
            counts[take] = counts.get(take, 0) + 1
            if blocks and blocks[-1][:2] == (kind, scene) and (
                    kind == "take" or len(blocks[-1][2]) < len(blocks[-1][3])):
                blocks[-1][2].append(position)
            else:
                blocks.append((kind, scene, [position], sorted(premiered.get(scene, []))))
    total = sum(air.values()) or 1.0
    in_order = all(b[2] == sorted(b[2]) for b in blocks)
    reruns = [b for b in blocks if b[0] == "replay"]
    # the first and the last may be cut by the window; every other is its whole scene
    whole = all(b[2] == b[3] for b in reruns[1:-1])
    waiting = [until - seconds(m) for (m,) in accepted]  # made, not on air by the end
    average = sum(counts.values()) / max(len(counts), 1)
    # how often per minute in the library (a minute at least): a take premiered late has had
    # less time to air, a channel's first take aired alone before there was anything else
    rates = [counts[t] / ((until - since_premiere.get(t, since)) / 60) for t in counts
             if until - since_premiere.get(t, since) >= 60]
    rate_average = sum(rates) / max(len(rates), 1)
    return {
        "premiere_share": air["take"] / total, "rerun_share": air["replay"] / total,
        "slate_share": air["slate"] / total, "seconds_on_air": total,
        "premieres": len(latency),
        "premiere_latency_median_s": statistics.median(latency) if latency else 0.0,
        "premiere_latency_max_s": max(latency + waiting, default=0.0),
        "scenes_premiered": len({b[1] for b in blocks if b[0] == "take"}),
        "rerun_blocks": len(reruns), "library_takes_aired": len(counts),
        "most_aired_over_average": max(counts.values(), default=0) / average if counts else 0,
        "most_aired_per_minute_over_average": max(rates, default=0) / rate_average
        if rates else 0,
        "blocks_in_story_order": in_order, "reruns_whole_scenes": whole,
    }


def first_take_at(db_path: Path) -> float | None:
    try:
        with sqlite3.connect(db_path) as db:
            row = db.execute("select min(started_at) from air_log where kind = 'take'").fetchone()
    except sqlite3.OperationalError:
        return None
    return seconds(row[0]) if row and row[0] else None


def main() -> None:
    from bench.table import print_table
    from tests.spaces import Space

    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds-per-take", type=float, default=40.0)
    parser.add_argument("--faults", type=float, default=0.4)
    parser.add_argument("--minutes", type=float, default=10.0)
    args = parser.parse_args()
    space = Space("zeroscope-576w", concurrency=1)  # one GPU: one job at a time
    space.behaviour.delay, space.behaviour.fault_rate = args.seconds_per_take, args.faults
    home = Path(tempfile.mkdtemp(prefix="webtv-premieres-"))
    (home / "webtv.toml").write_text(f'[[endpoints]]\nbackend = "zeroscope"\n'
                                     f'preset = "zeroscope-576w"\nurl = "{space.url}"\n')
    env = {**os.environ, "WEBTV_HOME": str(home)}
    env.pop("WEBTV_LLM_MODEL", None)
    started = time.time()
    proc = subprocess.Popen([sys.executable, "-m", "webtv.app.cli", "run", "--theme", THEME,
                             "--video", "zeroscope", "--port", "0"], env=env, cwd=ROOT,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        first = None
        while first is None:
            time.sleep(1.0)
            first = first_take_at(home / "webtv.db")
            if proc.poll() is not None:
                raise SystemExit(f"the channel stopped (exit {proc.returncode}); see {home}")
        time.sleep(max(0.0, first + args.minutes * 60 - time.time()))
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=120)
        space.close()
    report = air_report(home / "webtv.db", first, first + args.minutes * 60)
    rows = [
        ("seconds per take at the Space (one job at a time)", f"{args.seconds_per_take:g}"),
        ("share of the Space's answers with a fault", f"{args.faults:.0%}"),
        ("first take on air after start (s)", f"{first - started:.0f}"),
        (f"measured: {args.minutes:g} minutes of air after the first take (s)",
         f"{report['seconds_on_air']:.0f}"),
        ("premieres (fresh takes) share of air", f"{report['premiere_share']:.1%}"),
        ("reruns share of air", f"{report['rerun_share']:.1%}"),
        ("slate share of air", f"{report['slate_share']:.1%}"),
        ("takes premiered / scenes", f"{report['premieres']} / {report['scenes_premiered']}"),
        ("premiere latency, made to on air: median / max (s)",
         f"{report['premiere_latency_median_s']:.0f} / {report['premiere_latency_max_s']:.0f}"),
        ("library takes aired / rerun blocks",
         f"{report['library_takes_aired']} / {report['rerun_blocks']}"),
        ("airings of the most-aired take over the library's average",
         f"{report['most_aired_over_average']:.2f}"),
        ("the same per minute in the library (takes there a minute or more)",
         f"{report['most_aired_per_minute_over_average']:.2f}"),
        ("every premiere and rerun in story order", str(report["blocks_in_story_order"])),
        ("every rerun a whole scene", str(report["reruns_whole_scenes"])),
    ]
    print_table(rows)


if __name__ == "__main__":
    main()
