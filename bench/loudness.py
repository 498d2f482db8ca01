"""Loudness as a viewer hears it: minutes of the channel's HLS output, measured with ebur128.

Takes are made the way production makes them (the house pass, with the local synthesizer's
music in every mood) from music whose own level spreads over 36 dB, put on the schedule, and
aired by the real playout (paced, the channel clock running ``--speed`` times faster). Every
HLS segment FFmpeg writes is kept and the whole is measured: integrated loudness against the
target, the loudness range, the true peak, and the short-term jump at every boundary between
two airings (the 3 s before it against the first 3 s after it).

    python bench/loudness.py [--minutes 10] [--standard streaming|ebu-r128|atsc-a85]
    python bench/loudness.py --channel [--minutes 10]   # `webtv run` as it is, in real time

``--channel`` measures the product as it ships instead: `webtv run` with its defaults (the
offline director, the local backends and their music) for ``--minutes`` of real time, every
HLS segment kept and measured the same way.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.table import print_table  # noqa: E402
from tests.channel import start  # noqa: E402
from tests.streams import Keeper  # noqa: E402
from webtv.core import house  # noqa: E402
from webtv.core.loudness import (  # noqa: E402
    STANDARDS,
    Loudness,
    boundary_jumps,
    measure_stream,
)
from webtv.core.media import run_ffmpeg  # noqa: E402
from webtv.playout.playout import Playout  # noqa: E402
from webtv.production.backends.local_media import MOODS, synthesize, write_wav  # noqa: E402
from webtv.state.datadir import DataDir  # noqa: E402
from webtv.state.store import Store  # noqa: E402

GAINS_DB = (-30, -18, -9, -3, 0, 6)  # the music's own level, before the house pass
LENGTHS = (3.0, 2.5, 4.0, 3.5, 2.0, 5.0)


def library(data: DataDir, store: Store, loudness: Loudness, count: int = 12) -> list[float]:
    """``count`` takes in the house format, each with the music of another mood at another
    level, all on the schedule in one scene; returns each music file's own loudness."""
    store.show.set_bible(title="Loudness")
    shots = store.takes.add_shots(1, [{"action": f"shot {i + 1}", "duration_s": LENGTHS[
        i % len(LENGTHS)]} for i in range(count)])
    work = data.workspace()
    picture = work / "picture.mp4"
    run_ffmpeg(["-f", "lavfi", "-i", "testsrc2=s=576x320:r=24:d=5", "-c:v", "libx264",
                "-preset", "ultrafast", str(picture)])
    moods, levels = sorted(MOODS), []
    for i, shot in enumerate(shots):
        seconds = LENGTHS[i % len(LENGTHS)]
        music = work / f"music{i}.wav"
        samples = synthesize(moods[i % len(moods)], seconds, seed=i)
        write_wav(samples * 10 ** (GAINS_DB[i % len(GAINS_DB)] / 20), music)
        levels.append(measure_stream(music).integrated)
        take_file = work / f"take{i}.mp4"
        house.normalize(picture, music, take_file, seconds, loudness=loudness)
        take = store.takes.add_take(shot_id=shot["id"], seed=i, prompt=f"prompt {i + 1}",
                                    media=data.keep(take_file, ".mp4"), duration_s=seconds)
        store.takes.set_take_status(take["id"], "accepted")
        store.air.schedule_take(take["id"])
    return levels


def aired(minutes: float, speed: float, loudness: Loudness, root: Path) -> dict:
    """Air ``minutes`` of the channel (premieres, then reruns) and measure what went out."""
    data = DataDir(root / "data")
    store = Store(data)
    try:
        levels = library(data, store, loudness)
    finally:
        store.close()
    stop = threading.Event()
    playout = Playout(data, speed=speed, stop=stop, loudness=loudness)
    thread = threading.Thread(target=playout.run, daemon=True)
    with Keeper(playout.hls, root / "kept") as kept:
        thread.start()
        while playout.transmitter is None or float(playout.transmitter.clock) < minutes * 60:
            time.sleep(0.2)
        stop.set()
        thread.join(60)
    series = measure_stream(kept.joined(root / "aired.mp4"))
    with Store(data) as store:
        starts = sorted(r["stream_start"] for r in store.air.air_log(playout.session, 10_000))
    jumps = boundary_jumps(series, starts)
    return {"levels": levels, "series": series, "jumps": jumps, "airings": len(starts),
            "missed": kept.missed, "seconds": series.times[-1]}


def channel(minutes: float, root: Path) -> dict:
    """`webtv run` on a fresh data dir for ``minutes`` of real time, measured as it aired."""
    home = root / "home"
    with (root / "run.log").open("wb") as log:
        proc = start(home, "--theme", "a lighthouse keeper and her cat on a stormy night",
                     "--port", "0", "--duration", str(minutes * 60 + 5), stdout=log)
        hls = DataDir(home).hls
        while not (hls / "live.m3u8").exists() and proc.poll() is None:
            time.sleep(0.1)
        with Keeper(hls, root / "kept", poll=0.1) as kept:
            proc.wait()
    series = measure_stream(kept.joined(root / "aired.mp4"))
    with Store(DataDir(home)) as store:
        rows = store.air.air_log(store.air.latest_session(), 100_000)
    starts = sorted(r["stream_start"] for r in rows)
    return {"levels": [], "series": series, "jumps": boundary_jumps(series, starts),
            "airings": len(starts), "missed": kept.missed, "seconds": series.times[-1]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--minutes", type=float, default=10.0)
    parser.add_argument("--speed", type=float, default=10.0)
    parser.add_argument("--standard", choices=sorted(STANDARDS), default="streaming")
    parser.add_argument("--channel", action="store_true",
                        help="measure `webtv run` as it ships, in real time")
    args = parser.parse_args()
    loudness = Loudness(*STANDARDS[args.standard])
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="webtv-loudness-") as root:
        got = (channel(args.minutes, Path(root)) if args.channel
               else aired(args.minutes, args.speed, loudness, Path(root)))
    series, jumps = got["series"], got["jumps"]
    print_table([
        ["target", loudness.describe()],
        ["music before the house pass (integrated, LUFS)",
         f"{min(got['levels']):.1f} to {max(got['levels']):.1f}" if got["levels"]
         else "the channel's own"],
        ["aired (s of HLS output measured)", f"{got['seconds']:.0f}"],
        ["airings (boundaries measured)", f"{got['airings']} ({len(jumps)})"],
        ["segments missed by the recorder", str(got["missed"])],
        ["integrated loudness (LUFS)", f"{series.integrated:.1f}"],
        ["off target (LU)", f"{series.integrated - loudness.target:+.1f}"],
        ["loudness range (LU)", f"{series.range:.1f}"],
        ["true peak (dBTP)", f"{series.true_peak:.1f}"],
        ["short-term jump at boundaries, median / max (LU)",
         f"{statistics.median(jumps):.2f} / {max(jumps):.2f}"],
        ["wall seconds", f"{time.monotonic() - started:.0f}"],
    ])


if __name__ == "__main__":
    main()
