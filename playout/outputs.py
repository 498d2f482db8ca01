"""The transmitter's outputs: one FFmpeg per destination, each fed the same MPEG-TS bytes.

FFmpeg's tee muxer cannot copy MPEG-TS into FLV (it keeps the TS codec tags, which the FLV
muxer refuses), and one FFmpeg with several outputs dies whole when one RTMP server goes away.
So each destination gets its own copy-only FFmpeg behind a writer thread and a bounded queue: a
stalled or dead RTMP server never holds up HLS, and a dead output is restarted with backoff,
joining the stream at the next keyframe (the TS carries its tables and SPS/PPS in-band).
"""

from __future__ import annotations

import collections
import logging
import queue
import re
import subprocess
import threading
import time
from pathlib import Path

from webtv.core import house
from webtv.core.errors import ConfigError
from webtv.core.media import ffmpeg_exe
from webtv.core.redact import redact
from webtv.core.settings import Secrets

log = logging.getLogger("webtv.outputs")
QUEUE_CHUNKS = 2048  # ~ several seconds of stream; a consumer further behind is restarted
MAX_BACKOFF = 30.0
HEALTHY_S = 10.0  # an output that ran this long had a connection: its next failure is news


# Where the big platforms take RTMP; the stream key comes from the named environment variable.
RTMP_PRESETS = {
    "twitch": ("rtmp://live.twitch.tv/app/{env:TWITCH_STREAM_KEY}"),
    "youtube": ("rtmp://a.rtmp.youtube.com/live2/{env:YOUTUBE_STREAM_KEY}"),
}


def resolve_rtmp(target: str, secrets: Secrets) -> str:
    """A preset name or an RTMP URL, with ``{env:NAME}`` filled from the environment (the
    settings' ``secrets``).

    Keys stay in memory: the error for a missing one names the variable, never a value."""
    url = RTMP_PRESETS.get(target.lower(), target)
    if not re.match(r"^rtmps?://[^\s/:]+(:\d+)?/\S", url):
        raise ConfigError(f"not an RTMP URL (rtmp://HOST/APP/KEY) or a preset "
                          f"({', '.join(RTMP_PRESETS)}): {redact(target)}")

    def fill(match: re.Match) -> str:
        value = secrets.get(match.group(1))
        if not value:
            raise ConfigError(f"the stream key variable {match.group(1)} is not set")
        return value

    return re.sub(r"\{env:([A-Za-z_][A-Za-z0-9_]*)\}", fill, url)


def hls_args(hls_dir: Path) -> list[str]:
    return [
        "-bsf:a", "aac_adtstoasc", "-f", "hls", "-hls_time", str(house.SEGMENT_SECONDS),
        "-hls_list_size", "15",
        "-hls_flags", "delete_segments+independent_segments+program_date_time+temp_file",
        "-hls_segment_type", "fmp4", "-hls_fmp4_init_filename", "init.mp4",
        "-hls_start_number_source", "epoch",
        "-hls_segment_filename", str(hls_dir / "seg_%d.m4s"), str(hls_dir / "live.m3u8"),
    ]


def rtmp_args(url: str) -> list[str]:
    return ["-bsf:a", "aac_adtstoasc", "-f", "flv", "-flvflags", "no_duration_filesize", url]


class Output:
    """One FFmpeg reading MPEG-TS on stdin and copying it to one destination."""

    def __init__(self, name: str, args: list[str], patience: float = 0.5,
                 where: str = "", folder: Path | None = None) -> None:
        self.name = name
        self.folder = folder  # written into (HLS): made again if it was removed under us
        self.where = redact(where)  # for people: the destination, never its stream key
        self.args = args
        self.patience = patience  # seconds a full queue may block the channel before a restart
        self.restarts = 0
        self.stderr: collections.deque[str] = collections.deque(maxlen=20)
        self._proc: subprocess.Popen | None = None
        self._queue: queue.Queue[bytes | None] = queue.Queue(QUEUE_CHUNKS)
        self._writer: threading.Thread | None = None
        self._retry_at = 0.0
        self._backoff = 1.0
        self._started_at = 0.0
        self.last_error = ""
        self.joined_at = 0.0  # the channel clock where its output's times start (its start)

    @property
    def alive(self) -> bool:
        return self._proc is not None and self._proc.poll() is None

    def start(self) -> None:
        argv = [ffmpeg_exe(), "-hide_banner", "-nostdin", "-loglevel", "error",
                # Probe half a second, not five: the stream shape is known, and a long probe
                # makes every (re)start send its first seconds in one burst.
                "-probesize", "256k", "-analyzeduration", "500000",
                "-f", "mpegts", "-i", "pipe:0", "-map", "0:v", "-map", "0:a", "-c", "copy",
                *self.args]
        if self.folder is not None:
            self.folder.mkdir(parents=True, exist_ok=True)
        # its own process group: Ctrl-C reaches us, and we close the outputs in order (their
        # stdin ends, they finish the segment) instead of FFmpeg dying mid-write
        self._proc = subprocess.Popen(argv, stdin=subprocess.PIPE, stderr=subprocess.PIPE,
                                      process_group=0)
        self._started_at = time.monotonic()
        self._queue = queue.Queue(QUEUE_CHUNKS)
        self._writer = threading.Thread(target=self._write, args=(self._proc, self._queue),
                                        name=f"out-{self.name}", daemon=True)
        self._writer.start()
        threading.Thread(target=self._drain, args=(self._proc,), daemon=True).start()

    def state(self) -> dict:
        """For status and /health: up (streaming), reconnecting (waiting to try again), with
        the restarts so far and the last error (stream keys redacted)."""
        up = self.alive
        return {"name": self.name, "where": self.where, "state": "up" if up else "reconnecting",
                "restarts": self.restarts, "last_error": self.last_error,
                "up_for_s": round(time.monotonic() - self._started_at, 1) if up else 0.0,
                "retry_in_s": 0.0 if up else round(max(0.0, self._retry_at - time.monotonic()),
                                                   1)}

    def feed(self, chunk: bytes, tables: bytes = b"", keyframe: int | None = None,
             clock: float = 0.0) -> None:
        """Queue a chunk of the stream. A dead output comes back only at a keyframe
        (``keyframe``: where in the chunk its first TS packet is), fed the stream's PAT/PMT and
        the chunk from there, so the new FFmpeg starts clean on that picture instead of
        mid-GOP. ``clock``: that picture's place on the channel clock; the restarted FFmpeg's
        output times start at 0 there (``joined_at``)."""
        if not self.alive:
            self._maybe_restart(keyframe is not None)
            if not self.alive or keyframe is None:
                return
            self.joined_at = clock
            chunk = tables + chunk[keyframe:]
        try:
            self._queue.put(chunk, timeout=self.patience)
        except queue.Full:  # the destination stopped taking data: drop it and start over
            log.warning("%s is not keeping up; restarting it", self.name)
            self._kill()

    def close(self, timeout: float = 15.0) -> None:
        if self._proc is None:
            return
        try:
            self._queue.put(None, timeout=timeout)
        except queue.Full:
            self._kill()
        if self._writer is not None:
            self._writer.join(timeout)
        try:
            self._proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self._kill()
        self._proc = None

    def _maybe_restart(self, keyframe: bool) -> None:
        now = time.monotonic()
        if self._proc is not None:  # it just died: note why, and wait before trying again
            code = self._proc.poll()
            self.last_error = redact(" | ".join(list(self.stderr)[-3:]))[-300:] or f"exit {code}"
            log.warning("%s stopped (exit %s): %s", self.name, code, self.last_error)
            if now - self._started_at >= HEALTHY_S:
                self._backoff = 1.0  # it had been streaming: try again soon
            self._proc = None
            self._retry_at = now + self._backoff
            # a destination that cannot be reached waits longer each time (bytes taken by
            # FFmpeg's stdin say nothing about the connection)
            self._backoff = min(MAX_BACKOFF, self._backoff * 2)
            return
        if now >= self._retry_at and keyframe:
            self.restarts += 1
            log.info("restarting %s (attempt %d)", self.name, self.restarts)
            self.start()

    def _kill(self) -> None:
        if self._proc is not None and self._proc.poll() is None:
            self._proc.kill()
            self._proc.wait()

    def _write(self, proc: subprocess.Popen, chunks: queue.Queue) -> None:
        while True:
            chunk = chunks.get()
            try:
                if chunk is None:
                    proc.stdin.close()
                    return
                proc.stdin.write(chunk)
                proc.stdin.flush()
            except (BrokenPipeError, OSError, ValueError):
                return

    def _drain(self, proc: subprocess.Popen) -> None:
        for line in proc.stderr:
            self.stderr.append(line.decode(errors="replace").rstrip())


TS_PACKET = 188
PTS_WRAP = 1 << 33  # MPEG-TS times are 33 bits at 90 kHz


def keyframe_pts(packet: bytes) -> int | None:
    """The PTS (90 kHz) of the picture a TS packet starts, when it starts a video PES that its
    adaptation field marks as a random access point (a keyframe); None for any other."""
    if not packet[1] & 0x40 or not (packet[3] >> 4) & 0x2 or packet[4] == 0 \
            or not packet[5] & 0x40:  # a PES start, an adaptation field, random access
        return None
    pes = 5 + packet[4]
    if packet[pes:pes + 3] != b"\x00\x00\x01" or packet[pes + 3] & 0xF0 != 0xE0 \
            or not packet[pes + 7] & 0x80:  # a video stream's PES, with a PTS
        return None
    b = packet[pes + 9:pes + 14]
    return ((b[0] >> 1) & 0x7) << 30 | b[1] << 22 | (b[2] >> 1) << 15 | b[3] << 7 | b[4] >> 1
TABLE_PIDS = (0x0000, 0x0011, 0x1000)  # PAT, SDT, and the PMT where FFmpeg's muxer puts it


class Fanout:
    """A file-like sink for PyAV's muxer that hands every chunk to every output.

    It keeps the latest PAT/SDT/PMT packets and finds where keyframes start in the stream
    itself (the muxer may write a packet later than it is handed one), so an output that
    restarts joins the stream cleanly, and knows where on the channel clock it joined."""

    def __init__(self, outputs: list[Output]) -> None:
        self.outputs = outputs
        self.tables: dict[int, bytes] = {}
        self.first_pts: int | None = None  # the stream's first picture: channel clock 0

    def write(self, chunk: bytes) -> int:
        data = bytes(chunk)
        keyframe, pts = None, None
        for i in range(0, len(data) - TS_PACKET + 1, TS_PACKET):
            if data[i] == 0x47:
                pid = ((data[i + 1] & 0x1F) << 8) | data[i + 2]
                if pid in TABLE_PIDS:
                    self.tables[pid] = data[i:i + TS_PACKET]
                elif keyframe is None and (pts := keyframe_pts(data[i:i + TS_PACKET])) \
                        is not None:
                    keyframe = i
        tables = b"".join(self.tables[p] for p in TABLE_PIDS if p in self.tables)
        clock = 0.0
        if pts is not None:
            self.first_pts = pts if self.first_pts is None else self.first_pts
            clock = ((pts - self.first_pts) % PTS_WRAP) / 90000
        for output in self.outputs:
            output.feed(data, tables, keyframe, clock)
        return len(data)

    def flush(self) -> None:
        pass
