"""The transmitter: one timeline for the life of the channel, written by us.

Python demuxes each house-format file with PyAV, rewrites every packet's timestamps onto one
continuous channel clock and muxes them as MPEG-TS into long-lived copy-only FFmpeg outputs
(HLS, and RTMP when asked; see outputs.py). Nothing is re-encoded on air and no output is
restarted between takes, so every output sees one unbroken timeline.

Audio is laid end to end (each packet starts where the last one ended), and each file contributes
as many AAC packets as bring the audio clock closest to the video clock: the two never drift
further apart than half an AAC packet (~10.7 ms), however long the channel runs.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

import av

from webtv.core import house
from webtv.core.errors import MediaError
from webtv.core.redact import redact
from webtv.playout.outputs import Fanout, Output, hls_args, rtmp_args

BATCH_SECONDS = 0.25  # one wake-up per quarter second, not one per packet


@dataclass(frozen=True)
class Aired:
    """Where one file landed on the channel clock (seconds since the transmitter started)."""

    stream_start: float
    stream_end: float
    complete: bool = True  # False when a stop cut the file short
    played: float = 0.0  # seconds of it that went out

    @property
    def duration(self) -> float:
        return self.stream_end - self.stream_start


class Transmitter:
    """Owns the FFmpeg process and the channel clock."""

    def __init__(self, hls_dir: Path, rtmp_urls: list[str] | None = None, *, pace: bool = True,
                 lead: float = 1.0, speed: float = 1.0) -> None:
        self.hls_dir = hls_dir
        self.rtmp_urls = list(rtmp_urls or [])
        self.pace = pace
        self.speed = speed  # channel seconds per wall second when paced (soaks run ahead)
        self.lead = lead  # how far ahead of real time packets are handed to FFmpeg
        self.clock = Fraction(0)  # video clock: where the next file starts
        self._audio_clock = Fraction(0)
        self.outputs: list[Output] = []
        self.restarts: dict[str, int] = {}  # per output, as of close()
        self._box = None
        self._video = self._audio = None
        self._started_mono = 0.0
        self.started_wall = 0.0
        self._lock = threading.Lock()
        self._hls_joined_at = 0.0

    # -- lifecycle -----------------------------------------------------------------------
    def open(self, template: Path) -> None:
        """Start FFmpeg with streams shaped like ``template`` (any house-format file)."""
        self.hls_dir.mkdir(parents=True, exist_ok=True)
        # Unpaced (tests, soaks) the muxer outruns FFmpeg, so a full queue means "wait".
        patience = 0.5 if self.pace else 30.0
        self.outputs = [Output("hls", hls_args(self.hls_dir), patience, "hls/live.m3u8",
                               folder=self.hls_dir)]
        self.outputs += [Output(f"rtmp{i + 1}", rtmp_args(url), patience, url)
                         for i, url in enumerate(self.rtmp_urls)]
        for output in self.outputs:
            output.start()
        self._fanout = Fanout(self.outputs)
        self._box = av.open(self._fanout, mode="w", format="mpegts",
                            container_options={"flush_packets": "1"})
        with av.open(str(template)) as src:
            self._video = self._box.add_stream_from_template(src.streams.video[0])
            self._audio = self._box.add_stream_from_template(src.streams.audio[0])
        self._video.time_base = Fraction(1, house.VIDEO_TIMESCALE)
        self._audio.time_base = Fraction(1, house.SAMPLE_RATE)
        self._started_mono = time.monotonic()
        self.started_wall = time.time()

    def hls_joined_at(self) -> float:
        """Where on the channel clock the HLS output's FFmpeg last started: its segments'
        times count from there (0 until it is restarted)."""
        self._hls_joined_at = next((o.joined_at for o in self.outputs if o.name == "hls"),
                                   self._hls_joined_at)  # kept once the outputs are closed
        return self._hls_joined_at

    def close(self) -> str:
        """Flush, let every output finish its files; return what FFmpeg last said (redacted)."""
        if self._box is not None:
            try:
                self._box.close()  # writes the trailer through the fan-out
            except (OSError, av.FFmpegError):
                pass
            self._box = None
        said = []
        for output in self.outputs:
            output.close()
            said += [f"{output.name}: {line}" for line in output.stderr]
            self.restarts[output.name] = output.restarts
        self.outputs = []
        return redact("\n".join(said))

    def wall_time(self, stream_time: float) -> float:
        """Wall-clock time (epoch seconds) at which a point of the channel clock is on air."""
        return self.started_wall + stream_time

    # -- airing --------------------------------------------------------------------------
    def air(self, source: Path | Loaded, stop: threading.Event | None = None) -> Aired:
        """Put one house-format file on the channel clock. Raises MediaError if it is broken
        (before anything of it is sent: files are read whole first, see ``load``)."""
        video, audio = load(source) if isinstance(source, Path) else source
        start = self.clock
        first = video[0].pts
        duration = len(video) * house.FRAME  # house files are constant frame rate
        wanted = round((start + duration - self._audio_clock) / house.AUDIO_PACKET)
        audio = audio[:max(0, wanted)]
        timeline = [(start + (p.dts - first) * p.time_base, p, True) for p in video]
        clock = self._audio_clock
        for packet in audio:
            timeline.append((clock, packet, False))
            clock += house.AUDIO_PACKET
        timeline.sort(key=lambda item: item[0])
        # Muxing rescales a packet in place, so the shift is worked out before any is sent.
        shift = int(start / video[0].time_base) - first
        complete, played = True, Fraction(0)
        for at, packet, is_video in timeline:
            if stop is not None and stop.is_set():
                complete = False
                break
            played = max(played, at - start)
            self._wait_until(at)
            if is_video:
                packet.pts += shift
                packet.dts += shift
                packet.stream = self._video
            else:
                packet.pts = packet.dts = int(at * house.SAMPLE_RATE)
                packet.time_base = Fraction(1, house.SAMPLE_RATE)
                packet.stream = self._audio
            self._mux(packet)
        self.clock = start + duration
        self._audio_clock = clock
        return Aired(float(start), float(self.clock), complete,
                     float(duration if complete else played))

    def _wait_until(self, at: Fraction) -> None:
        if not self.pace:
            return
        delay = self._started_mono + (float(at) - self.lead) / self.speed - time.monotonic()
        if delay > 0:  # sleep a little past the deadline: packets go out in batches
            time.sleep(delay + BATCH_SECONDS)

    def _mux(self, packet: av.Packet) -> None:
        try:
            self._box.mux(packet)
        except (OSError, av.FFmpegError) as exc:
            raise MediaError(f"the transmitter's FFmpeg refused a packet: {exc}") from exc


Loaded = tuple[list[av.Packet], list[av.Packet]]


def load(path: Path) -> Loaded:
    """All packets of a house-format file, in decode order; MediaError if it is not one."""
    try:
        with av.open(str(path)) as src:
            if not src.streams.video or not src.streams.audio:
                raise MediaError(f"{path.name}: needs one video and one audio stream")
            v, a = src.streams.video[0], src.streams.audio[0]
            if (v.codec_context.width, v.codec_context.height) != (house.WIDTH, house.HEIGHT):
                raise MediaError(f"{path.name}: not in the house size")
            video, audio = [], []
            for packet in src.demux(v, a):
                if packet.size == 0 or packet.dts is None:
                    continue
                (video if packet.stream.index == v.index else audio).append(packet)
    except av.FFmpegError as exc:
        raise MediaError(f"{path.name}: cannot be read ({exc})") from exc
    if not video or not video[0].is_keyframe:
        raise MediaError(f"{path.name}: does not start on a keyframe")
    return video, audio
