"""FFmpeg and PyAV: one runner for every FFmpeg graph, probing and frame decoding.

The FFmpeg binary is resolved lazily: ``ffmpeg`` on PATH when present, else the static build
that ``imageio-ffmpeg`` ships. It ships no ffprobe, so probing and decoding use PyAV.
"""

from __future__ import annotations

import functools
import shutil
import subprocess
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

import av
import numpy as np

from webtv.core.errors import MediaError

_CHOSEN: list[str] = []  # the settings' FFmpeg ($WEBTV_FFMPEG), handed down by use_ffmpeg


def use_ffmpeg(path: str | None) -> None:
    """Run ``path`` as FFmpeg from now on (the settings' choice); None: the default."""
    _CHOSEN[:] = [path] if path else []
    ffmpeg_exe.cache_clear()


@functools.cache
def ffmpeg_exe() -> str:
    """The FFmpeg binary to run: the settings' ($WEBTV_FFMPEG), ``ffmpeg`` on PATH, or
    imageio-ffmpeg's."""
    chosen = (_CHOSEN or [None])[0] or shutil.which("ffmpeg")
    if chosen:
        return chosen
    import imageio_ffmpeg

    return imageio_ffmpeg.get_ffmpeg_exe()


def ffmpeg_argv(*args: str, level: str = "error") -> list[str]:
    return [ffmpeg_exe(), "-hide_banner", "-nostdin", "-loglevel", level, "-y", *args]


def run_ffmpeg(args: list[str], *, input_bytes: bytes | None = None, timeout: float = 300,
               level: str = "error") -> str:
    """Run one FFmpeg command (an argv list, never a shell string); raise MediaError on failure.
    Returns what it printed at ``level`` (filters that measure report there)."""
    argv = ffmpeg_argv(*args, level=level)
    try:
        # its own process group: a terminal's Ctrl-C (or systemd's stop) is ours to handle,
        # and a take being made finishes instead of dying with 255
        done = subprocess.run(argv, input=input_bytes, capture_output=True, timeout=timeout,
                              process_group=0)
    except subprocess.TimeoutExpired as exc:
        raise MediaError(f"ffmpeg timed out after {timeout:.0f}s") from exc
    if done.returncode != 0:
        tail = "\n".join(done.stderr.decode(errors="replace").strip().splitlines()[-8:])
        raise MediaError(f"ffmpeg exited with {done.returncode}: {tail}")
    return done.stderr.decode(errors="replace")


def ffmpeg_report(args: list[str], *, timeout: float = 300) -> str:
    """Run an FFmpeg analysis (``-f null``) and return what its filters reported."""
    return run_ffmpeg(["-nostats", *args], timeout=timeout, level="info")


@dataclass(frozen=True)
class Probe:
    """What is inside a media file, as measured."""

    container: str
    duration: float
    video_codec: str | None = None
    width: int = 0
    height: int = 0
    fps: float = 0.0
    frames: int = 0
    audio_codec: str | None = None
    sample_rate: int = 0
    channels: int = 0


def probe(path: Path) -> Probe:
    """Open a file with PyAV and count what is really there (frames are demuxed, not guessed)."""
    try:
        with av.open(str(path)) as box:
            video = box.streams.video[0] if box.streams.video else None
            audio = box.streams.audio[0] if box.streams.audio else None
            streams = [s for s in (video, audio) if s is not None]
            if not streams:
                raise MediaError(f"{path.name}: no audio or video stream")
            frames, last_end = 0, {s.index: 0.0 for s in streams}
            for packet in box.demux(*streams):
                if packet.pts is None or packet.size == 0:
                    continue
                end = float((packet.pts + (packet.duration or 0)) * packet.time_base)
                last_end[packet.stream.index] = max(last_end[packet.stream.index], end)
                if video is not None and packet.stream.index == video.index:
                    frames += 1
            return Probe(
                container=box.format.name,
                duration=max(last_end.values()),
                video_codec=video.codec_context.name if video else None,
                width=video.codec_context.width if video else 0,
                height=video.codec_context.height if video else 0,
                fps=float(video.average_rate or 0) if video else 0.0,
                frames=frames,
                audio_codec=audio.codec_context.name if audio else None,
                sample_rate=audio.codec_context.sample_rate if audio else 0,
                channels=audio.codec_context.channels if audio else 0,
            )
    except (av.FFmpegError, IndexError) as exc:
        raise MediaError(f"{path.name}: cannot be read as media ({exc})") from exc


def read_frames(path: Path, *, width: int | None = None, every: int = 1) -> list[np.ndarray]:
    """Decode video frames as RGB arrays, optionally downscaled to ``width`` and thinned."""
    frames: list[np.ndarray] = []
    try:
        with av.open(str(path)) as box:
            stream = box.streams.video[0]
            for i, frame in enumerate(box.decode(stream)):
                if i % every:
                    continue
                if width:
                    height = round(frame.height * width / frame.width / 2) * 2
                    frame = frame.reformat(width=width, height=height)
                frames.append(frame.to_ndarray(format="rgb24"))
    except (av.FFmpegError, IndexError) as exc:
        raise MediaError(f"{path.name}: cannot decode video ({exc})") from exc
    if not frames:
        raise MediaError(f"{path.name}: no video frames")
    return frames


def read_frames_twice(path: Path, width: int, every: int) -> tuple[list[np.ndarray],
                                                                     list[np.ndarray]]:
    """One decode, two sets of RGB frames: every frame at ``width`` (for measuring motion and
    colour), and every ``every``-th frame at full size (thin lines and small letters)."""
    small: list[np.ndarray] = []
    full: list[np.ndarray] = []
    try:
        with av.open(str(path)) as box:
            stream = box.streams.video[0]
            for i, frame in enumerate(box.decode(stream)):
                height = round(frame.height * width / frame.width / 2) * 2
                small.append(frame.reformat(width=width, height=height).to_ndarray(
                    format="rgb24"))
                if i % every == 0:
                    full.append(frame.to_ndarray(format="rgb24"))
    except (av.FFmpegError, IndexError) as exc:
        raise MediaError(f"{path.name}: cannot decode video ({exc})") from exc
    if not small:
        raise MediaError(f"{path.name}: no video frames")
    return small, full


def decodable_frames(path: Path) -> int:
    """How many video frames really decode: a file cut short can keep an index that promises
    more frames than its data holds."""
    count = 0
    try:
        with av.open(str(path)) as box:
            for _ in box.decode(box.streams.video[0]):
                count += 1
    except (av.FFmpegError, IndexError):
        pass  # the frames before the damage are what there is
    return count


def write_frames(frames: list[np.ndarray], fps: Fraction | int, out: Path,
                 sound: tuple[np.ndarray, int] | None = None) -> None:
    """Write RGB frames through FFmpeg's stdin: to a near-lossless H.264 file, or for a
    ``.nut`` path, uncompressed (an intermediate that costs no encode and no decode).
    ``sound``: samples (channels, n) in [-1, 1] at a rate, muxed beside the picture."""
    height, width = frames[0].shape[:2]
    raw = np.ascontiguousarray(np.stack(frames)).tobytes()
    codec = ["-c:v", "rawvideo"] if out.suffix == ".nut" else [
        "-c:v", "libx264", "-preset", "ultrafast", "-crf", "12"]
    wav = out.with_name(out.stem + "-sound.wav")
    extra: list[str] = []
    if sound is not None:
        write_wav(*sound, wav)
        extra = ["-i", str(wav), "-map", "0:v", "-map", "1:a",
                 "-c:a", "pcm_s16le" if out.suffix == ".nut" else "aac"]
    try:
        run_ffmpeg([
            "-f", "rawvideo", "-pix_fmt", "rgb24", "-s", f"{width}x{height}", "-r", str(fps),
            "-i", "pipe:0", *extra, *codec, "-pix_fmt", "yuv420p", str(out),
        ], input_bytes=raw)
    finally:
        wav.unlink(missing_ok=True)


def write_wav(samples: np.ndarray, rate: int, out: Path) -> Path:
    """(channels, samples) float audio as a 16-bit WAV, through FFmpeg's stdin; a model's
    sound past full scale is brought down to it, never clipped."""
    channels = samples.shape[0]
    peak = float(np.abs(samples).max()) or 1.0
    data = np.ascontiguousarray((samples / max(peak, 1.0)).T.astype(np.float32))
    run_ffmpeg(["-f", "f32le", "-ar", str(rate), "-ac", str(channels), "-i", "pipe:0",
                "-c:a", "pcm_s16le", str(out)], input_bytes=data.tobytes())
    return out


def fragment_time(init: bytes, head: bytes) -> float | None:
    """Where an fMP4 (CMAF) segment starts in its media time, seconds: its first track's
    decode time (``tfdt``) over that track's time scale (``mdhd`` in the init segment).
    ``head``: the segment's first bytes. None when either box is not there."""
    mdhd, tfdt = init.find(b"mdhd"), head.find(b"tfdt")  # the first track's: the video
    if mdhd < 0 or tfdt < 0 or len(init) < mdhd + 5 or len(head) < tfdt + 5:
        return None
    at = mdhd + (24 if init[mdhd + 4] == 1 else 16)
    width = 8 if head[tfdt + 4] == 1 else 4
    if len(init) < at + 4 or len(head) < tfdt + 8 + width:
        return None  # cut short: not a whole box yet
    scale = int.from_bytes(init[at:at + 4], "big")
    decode = int.from_bytes(head[tfdt + 8:tfdt + 8 + width], "big")
    return decode / scale if scale else None


def presentation_delay(init: bytes, head: bytes) -> float:
    """How far an fMP4 segment's first picture is shown after its decode time, seconds: the
    first sample's composition offset (``trun``), which B-frames make two frames or so."""
    mdhd, trun = init.find(b"mdhd"), head.find(b"trun")
    if mdhd < 0 or trun < 0 or len(head) < trun + 12:
        return 0.0
    at = mdhd + (24 if init[mdhd + 4] == 1 else 16)
    scale = int.from_bytes(init[at:at + 4], "big")
    version, flags = head[trun + 4], int.from_bytes(head[trun + 5:trun + 8], "big")
    if not flags & 0x800 or not scale:
        return 0.0  # no composition offsets: shown when decoded
    field = trun + 12 + (4 if flags & 0x1 else 0) + (4 if flags & 0x4 else 0)
    field += 4 * bool(flags & 0x100) + 4 * bool(flags & 0x200) + 4 * bool(flags & 0x400)
    if len(head) < field + 4:
        return 0.0
    offset = int.from_bytes(head[field:field + 4], "big", signed=version == 1)
    return offset / scale
