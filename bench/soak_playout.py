"""Accelerated soak of the transmitter: an hour of channel output, produced as fast as it goes.

Takes of 2.0 to 3.5 s (so the audio cut at every boundary varies) and the slate air back to
back, unpaced, through the real FFmpeg HLS output. Reports the A/V drift at the end (from the
transmitter's two clocks and from the last HLS segments, decoded back), and the memory of the
Python process and of the FFmpeg output at the start and the end.

    python bench/soak_playout.py [--hours 1]
"""

from __future__ import annotations

import argparse
import sys
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.airtime import scheduled_store  # noqa: E402
from tests.streams import timeline  # noqa: E402
from webtv.playout.playout import Playout  # noqa: E402

LENGTHS = [2.0, 2.5, 3.0, 3.5, 2.25, 3.25]
COLOURS = ["red", "blue", "green", "orange", "purple", "teal"]


def rss_kib(pid: str = "self") -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def last_segments(hls: Path, out: Path, count: int = 6) -> Path:
    lines = (hls / "live.m3u8").read_text().splitlines()
    names = [line for line in lines if line and not line.startswith("#")][-count:]
    with out.open("wb") as joined:
        for name in ["init.mp4", *names]:
            joined.write((hls / name).read_bytes())
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--hours", type=float, default=1.0)
    args = parser.parse_args()
    clips = [(colour, length, 300 + 60 * i)
             for i, (colour, length) in enumerate(zip(COLOURS, LENGTHS, strict=True))]
    data, store, _, entries = scheduled_store("webtv-soak-", clips, args.hours * 3600)
    total = sum(clips[i % len(clips)][1] for i in range(entries))

    playout = Playout(data, pace=False)
    samples: list[tuple[float, int, int]] = []
    started = time.monotonic()

    def sample() -> None:
        while playout.transmitter is None or not playout.transmitter.outputs:
            time.sleep(0.05)
        hls_pid = str(playout.transmitter.outputs[0]._proc.pid)
        while playout.transmitter.outputs:
            try:
                samples.append((float(playout.transmitter.clock), rss_kib(), rss_kib(hls_pid)))
            except (FileNotFoundError, AttributeError):
                break
            time.sleep(0.5)

    threading.Thread(target=sample, daemon=True).start()
    playout.run(max_entries=entries)
    wall = time.monotonic() - started
    tx = playout.transmitter
    clock_drift = abs(float(tx.clock - tx._audio_clock)) * 1000
    t = timeline(last_segments(data.hls, data.root / "tail.mp4"))
    hls_drift = abs(t.audio_end - t.video_end) * 1000
    early = [s for s in samples if s[0] >= 60] or samples
    print(f"{entries} takes, {total / 3600:.2f} h of channel time in {wall:.0f} s "
          f"({total / wall:.0f}x real time)")
    print("| measure | value |\n|---|---|")
    print(f"| A/V drift at the end, transmitter clocks | {clock_drift:.1f} ms |")
    print(f"| A/V drift at the end, last HLS segments decoded | {hls_drift:.1f} ms |")
    if early:
        print(f"| Python RSS after 1 min / at the end | {early[0][1] / 1024:.0f} MiB / "
              f"{samples[-1][1] / 1024:.0f} MiB |")
        print(f"| FFmpeg HLS output RSS after 1 min / at the end | {early[0][2] / 1024:.0f} MiB / "
              f"{samples[-1][2] / 1024:.0f} MiB |")
    store.close()


if __name__ == "__main__":
    main()
