"""Captions: a WebVTT track in a channel's HLS stream that says what is on screen (the shot's
action, or the prompt that made the take), in step with the picture.

The playout knows where every airing lands on the channel clock before it is sent, and the
segments' decode time is that clock (each picture is shown a constant two frames or so later,
B-frames' reordering: the cues are placed where the pictures are shown). A writer follows
the video playlist that FFmpeg writes: for each segment it lists, a WebVTT segment holding
the cues that overlap it, and a subtitle playlist that mirrors the video one (the same media
sequence, durations and dates), so any player lines the two up segment by segment.
``master.m3u8`` ties the picture and the captions together; ``live.m3u8`` stays the picture
alone for players that want only that.
"""

from __future__ import annotations

import collections
import logging
import re
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from webtv.core import house
from webtv.core.errors import ConfigError
from webtv.core.media import fragment_time, presentation_delay

log = logging.getLogger("webtv.captions")
CAPTIONS = {"action": "the shot's action (what happens on screen)",
            "prompt": "the prompt the take was made from",
            "off": "no caption track"}
POLL_S = 0.25  # how often the writer looks for a new segment (a segment is 2 s)
KEEP_CUES = 200  # cues remembered: far more than the playlist's window holds
MPEGTS_WRAP = 1 << 33  # MPEG-2 timestamps are 33 bits at 90 kHz
BANDWIDTH = 3_000_000  # the house encode's peak, bits a second, for the master playlist


def caption_mode(config: dict[str, Any]) -> str:
    """webtv.toml's ``[captions] text``: one of CAPTIONS (default: the action)."""
    mode = config.get("captions", {}).get("text", "action")
    if mode not in CAPTIONS:
        raise ConfigError(f"[captions] text {mode!r}: one of {', '.join(CAPTIONS)}")
    return mode


@dataclass(frozen=True)
class Cue:
    start: float  # channel clock, seconds
    end: float
    text: str


def master_playlist(captions: bool) -> str:
    """The channel's master playlist: the picture (live.m3u8) and, when on, its captions."""
    width, height = house.WIDTH, house.HEIGHT
    lines = ["#EXTM3U", "#EXT-X-VERSION:7", "#EXT-X-INDEPENDENT-SEGMENTS"]
    subtitles = ""
    if captions:
        lines.append('#EXT-X-MEDIA:TYPE=SUBTITLES,GROUP-ID="cc",NAME="On screen",'
                     'LANGUAGE="en",DEFAULT=NO,AUTOSELECT=YES,FORCED=NO,'
                     'URI="captions.m3u8"')
        subtitles = ',SUBTITLES="cc"'
    lines += [f'#EXT-X-STREAM-INF:BANDWIDTH={BANDWIDTH},CODECS="{house.CODECS}",'
              f"RESOLUTION={width}x{height},FRAME-RATE={house.FPS:.3f}{subtitles}",
              "live.m3u8"]
    return "\n".join(lines) + "\n"


def vtt_time(seconds: float) -> str:
    millis = max(0, round(seconds * 1000))
    hours, rest = divmod(millis, 3_600_000)
    minutes, rest = divmod(rest, 60_000)
    return f"{hours:02d}:{minutes:02d}:{rest // 1000:02d}.{rest % 1000:03d}"


def vtt_segment(start: float, cues: list[Cue], delay: float = 0.0,
                media: float | None = None) -> str:
    """One WebVTT segment. Cue times are the channel clock plus ``delay`` (how long after its
    decode time a picture is shown), the same in every segment a cue spans (players keep one
    copy); the timestamp map anchors them at the segment's first picture: ``start`` on the
    channel clock, ``media`` in the segment's own times (the same, unless the output's FFmpeg
    started again and its times with it)."""
    anchor = round((start + delay) * 1000) / 1000
    mpegts = round(((start if media is None else media) + delay) * 1000) / 1000
    lines = ["WEBVTT",
             f"X-TIMESTAMP-MAP=MPEGTS:{round(mpegts * 90000) % MPEGTS_WRAP},"
             f"LOCAL:{vtt_time(anchor)}", ""]
    for cue in cues:
        text = re.sub(r"\s+", " ", cue.text).strip().replace("&", "&amp;").replace(
            "<", "&lt;").replace(">", "&gt;")
        lines += [f"{vtt_time(cue.start + delay)} --> {vtt_time(cue.end + delay)} line:85%",
                  text, ""]
    return "\n".join(lines)


class Captions:
    """Writes one channel's caption track beside its HLS stream while it airs."""

    def __init__(self, hls_dir: Path, mode: str = "action",
                 joined_at: Callable[[], float] = lambda: 0.0) -> None:
        """``joined_at``: where on the channel clock the HLS output's FFmpeg started (again):
        its segments' times count from there."""
        self.hls_dir = hls_dir
        self.mode = mode
        self.joined_at = joined_at
        self._cues: collections.deque[Cue] = collections.deque(maxlen=KEEP_CUES)
        self._lock = threading.Lock()
        self._done: dict[str, float] = {}  # segment -> its media start (tfdt), captioned
        self._last_playlist = ""
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    @property
    def on(self) -> bool:
        return self.mode != "off"

    def add(self, start: float, end: float, words: dict[str, Any]) -> None:
        """An airing placed on the channel clock (before it is sent); ``words``: its action
        and prompt. The slate and an airing with nothing to say add nothing."""
        text = (words.get(self.mode) or "") if self.on else ""
        if text.strip() and words.get("credit"):
            text = f"{text.strip()} ({words['credit']})"
        if text.strip():
            with self._lock:
                self._cues.append(Cue(start, end, text.strip()))

    def start(self) -> None:
        """Write the master playlist and follow the video playlist until ``stop``."""
        self.hls_dir.mkdir(parents=True, exist_ok=True)
        _replace(self.hls_dir / "master.m3u8", master_playlist(self.on))
        if self.on:
            self._thread = threading.Thread(target=self._follow, name="captions", daemon=True)
            self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(5)
            self._thread = None
        self.update()  # the last segments FFmpeg wrote as it closed

    def _follow(self) -> None:
        while not self._stop.wait(POLL_S):
            try:
                self.update()
            except OSError as exc:  # the folder went away under us: the next look will do
                log.debug("captions: %s", exc)

    def update(self) -> None:
        """Caption every segment the video playlist lists, then write the subtitle playlist
        that mirrors it (after its segments, so a player never finds one missing)."""
        if not self.on:
            return
        try:
            playlist = (self.hls_dir / "live.m3u8").read_text()
        except OSError:
            return
        if playlist == self._last_playlist:
            return
        lines = playlist.splitlines()
        segments = [line for line in lines if line.endswith(".m4s")]
        durations = [float(line[8:].split(",")[0]) for line in lines
                     if line.startswith("#EXTINF:")]
        if not segments or len(durations) != len(segments):
            return
        try:
            init = (self.hls_dir / "init.mp4").read_bytes()[:8192]
        except OSError:
            return
        for name, length in zip(segments, durations, strict=True):
            timing = self._timing(init, name)
            if timing is None:
                return  # not readable yet: try again at the next look
            if self._done.get(name) != timing[0]:  # new, or written again by a restarted
                self._write_segment(name, *timing, length)  # FFmpeg (names are its epoch)
        out = []
        for line in lines:
            if line.startswith(("#EXT-X-MAP", "#EXT-X-INDEPENDENT")):
                continue
            out.append(line[:-4] + ".vtt" if line.endswith(".m4s") else line)
        _replace(self.hls_dir / "captions.m3u8", "\n".join(out) + "\n")
        self._last_playlist = playlist
        self._forget(set(segments))

    def _timing(self, init: bytes, name: str) -> tuple[float, float] | None:
        """A segment's decode time (the channel clock) and its pictures' delay."""
        try:
            with (self.hls_dir / name).open("rb") as handle:
                head = handle.read(8192)
        except OSError:
            return None
        start = fragment_time(init, head)
        return None if start is None else (start, presentation_delay(init, head))

    def _write_segment(self, name: str, media: float, delay: float, length: float) -> None:
        start = media + self.joined_at()  # the segment on the channel clock
        end = start + length
        with self._lock:
            cues = [c for c in self._cues if c.start < end and c.end > start]
        _replace(self.hls_dir / (name[:-4] + ".vtt"), vtt_segment(start, cues, delay, media))
        self._done[name] = media

    def _forget(self, listed: set[str]) -> None:
        """Segments that left the video playlist leave with their captions."""
        for name in [n for n in self._done if n not in listed]:
            del self._done[name]
            (self.hls_dir / (name[:-4] + ".vtt")).unlink(missing_ok=True)


def _replace(path: Path, text: str) -> None:
    """Written whole, then renamed into place: a player never reads half a file."""
    temp = path.with_name(f".{path.name}.tmp")
    temp.write_text(text, encoding="utf-8")
    temp.replace(path)
