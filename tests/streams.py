"""Reading outputs back: the timestamps of every packet of an HLS playlist or an FLV file."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import av


@dataclass
class Timeline:
    video: list[float]  # packet presentation times, seconds, in decode order
    audio: list[float]
    video_end: float
    audio_end: float


def timeline(path: Path) -> Timeline:
    video, audio, ends = [], [], {"video": 0.0, "audio": 0.0}
    with av.open(str(path)) as box:
        for packet in box.demux():
            if packet.pts is None or packet.size == 0:
                continue
            t = float(packet.pts * packet.time_base)
            kind = packet.stream.type
            (video if kind == "video" else audio).append(t)
            ends[kind] = max(ends[kind], t + float((packet.duration or 0) * packet.time_base))
    return Timeline(video, audio, ends["video"], ends["audio"])


def hls_as_file(hls_dir: Path, out: Path) -> Path:
    """The playlist's init segment and media segments joined into one fragmented MP4."""
    lines = (hls_dir / "live.m3u8").read_text().splitlines()
    init = next(line.split('"')[1] for line in lines if line.startswith("#EXT-X-MAP"))
    segments = [line for line in lines if line and not line.startswith("#")]
    with out.open("wb") as joined:
        for name in [init, *segments]:
            joined.write((hls_dir / name).read_bytes())
    return out


def steps(times: list[float]) -> list[float]:
    ordered = sorted(times)
    return [b - a for a, b in zip(ordered, ordered[1:], strict=False)]


class Keeper:
    """Keeps every segment an HLS output writes (a hard link, before the rolling window
    deletes it), so a test or a benchmark can read back all that aired, not the last window."""

    def __init__(self, hls_dir: Path, into: Path, poll: float = 0.02) -> None:
        import threading

        self.hls_dir, self.into, self.poll = hls_dir, into, poll
        self.into.mkdir(parents=True, exist_ok=True)
        self.kept: dict[int, Path] = {}
        self.missed = 0  # segments gone before they were seen (a gap in the numbers)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> Keeper:
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        self._thread.join()
        self._look()

    def _run(self) -> None:
        while not self._stop.wait(self.poll):
            self._look()

    def _look(self) -> None:
        import os

        for found in self.hls_dir.glob("*"):
            name = found.name
            if name == "init.mp4" and not (self.into / name).exists():
                os.link(found, self.into / name)
            elif name.startswith("seg_") and name.endswith(".m4s"):
                number = int(name[4:-4])
                if number not in self.kept:
                    try:
                        os.link(found, self.into / name)
                    except (FileNotFoundError, FileExistsError):
                        continue
                    self.kept[number] = self.into / name

    def joined(self, out: Path) -> Path:
        """Everything kept, in order, as one fragmented MP4."""
        numbers = sorted(self.kept)
        self.missed = sum(b - a - 1 for a, b in zip(numbers, numbers[1:], strict=False))
        with out.open("wb") as whole:
            for path in [self.into / "init.mp4", *(self.kept[n] for n in numbers)]:
                whole.write(path.read_bytes())
        return out
