"""CPU per minute on air: this playout against the original channel's FFmpeg command line.

Both air the same house-format takes for the same stream length. The original re-encoded every
frame (`ffmpeg -re -f concat -safe 0 -i list -c:v libx264 -preset veryfast -tune zerolatency
-c:a aac -f flv ...`); ours copies packets onto a timeline it writes. Runs unpaced by default
(CPU per minute of output does not depend on pacing; --realtime paces both).

    python bench/playout_cpu.py [--minutes 1] [--realtime]
"""

from __future__ import annotations

import argparse
import resource
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.airtime import scheduled_store  # noqa: E402
from webtv.core.media import ffmpeg_exe  # noqa: E402
from webtv.playout.playout import Playout  # noqa: E402
from webtv.playout.slate import slate  # noqa: E402

COLOURS = ["red", "blue", "green", "orange", "purple", "teal"]


def cpu() -> float:
    own = resource.getrusage(resource.RUSAGE_SELF)
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + kids.ru_utime + kids.ru_stime


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--minutes", type=float, default=1.0)
    parser.add_argument("--realtime", action="store_true")
    args = parser.parse_args()
    clips = [(colour, 3.0, 440) for colour in COLOURS]
    data, store, media, count = scheduled_store("webtv-cpu-", clips, args.minutes * 60)
    slate(data, "Bench")  # made once per show title, not per minute on air
    before, wall = cpu(), time.monotonic()
    Playout(data, pace=args.realtime).run(max_entries=count)
    ours, ours_wall = cpu() - before, time.monotonic() - wall

    playlist = data.root / "list.ffconcat"
    playlist.write_text("ffconcat version 1.0\n" + "".join(
        f"file '{data.resolve(media[i % len(media)])}'\n" for i in range(count)))
    argv = [ffmpeg_exe(), "-hide_banner", "-loglevel", "error", "-y",
            *(["-re"] if args.realtime else []), "-f", "concat", "-safe", "0",
            "-i", str(playlist), "-c:v", "libx264", "-preset", "veryfast",
            "-tune", "zerolatency", "-c:a", "aac", "-f", "flv", str(data.root / "original.flv")]
    before, wall = cpu(), time.monotonic()
    subprocess.run(argv, check=True)
    theirs, theirs_wall = cpu() - before, time.monotonic() - wall

    minutes = count * 3.0 / 60
    print(f"{count} takes, {minutes:.1f} min of stream, {'paced' if args.realtime else 'unpaced'}")
    print("| playout | CPU s | CPU s per minute on air | wall s |")
    print("|---|---|---|---|")
    print(f"| original (concat + libx264 re-encode) | {theirs:.1f} | {theirs / minutes:.2f} "
          f"| {theirs_wall:.1f} |")
    print(f"| ours (timeline + copy) | {ours:.1f} | {ours / minutes:.2f} | {ours_wall:.1f} |")
    print(f"| ratio | {theirs / ours:.1f}x less CPU | | |")
    store.close()


if __name__ == "__main__":
    main()
