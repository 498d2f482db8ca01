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
