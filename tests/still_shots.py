"""Shots that hold still, as a Zeroscope-like Space delivers them and production makes a take
of them: the local renderer's held shot (a static camera on a subject that stands still: no
camera motion, a breath, light that drifts, small things that stir, a shimmer drawn anew each
model frame), or a frozen copy of one frame of a shot; encoded at the model's 8 fps with a
real codec, as the Space answers, then interpolated, upscaled and encoded into the house
format by FFmpeg, as production does, and read back as inspection reads a take. The codecs'
effects on a quiet picture and on a repeated frame are real, not modelled."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np

from webtv.core import house
from webtv.core.media import read_frames_twice, run_ffmpeg
from webtv.production.backends.base import Asset, ShotSpec, VideoRequest
from webtv.production.backends.local_media import FFmpegInterpolate, FFmpegUpscale
from webtv.production.backends.local_video import is_soft, render

# How a Space's answer is encoded: diffusers' export_to_video writes MPEG-4 Part 2 through
# OpenCV's "mp4v" writer (a keyframe every 12 frames); a Space that answers H.264 does so at
# x264's default quality.
SPACE_CODECS = {"mp4v": ["-c:v", "mpeg4", "-q:v", "5", "-g", "12"],
                "h264": ["-c:v", "libx264", "-crf", "23", "-preset", "medium"]}
PROMPT = "a red panda in a green apron, stands still, static camera, at a market, dusk"
STILL = ShotSpec(palette=["#2a2050", "#d07040", "#3a3020", "#c0a040", "#208080"],
                 subject_colours=["#c04020", "#208040"], subject_motion="stands still",
                 time_of_day="dusk")
PAN = replace(STILL, camera_move="pan", camera_direction="right", subject_motion="moves")


def request(spec: ShotSpec, seed: int, soft: bool | None = None) -> VideoRequest:
    """Zeroscope's request (24 frames at 8 fps, 576x320) for this shot, from the first seed at
    or after ``seed`` the renderer draws soft (or rich) when ``soft`` says which."""
    while True:
        asked = VideoRequest(PROMPT, seed, spec)
        if soft is None or is_soft(asked) == soft:
            return asked
        seed += 1


def frozen(frames: list[np.ndarray], noise: float = 0.0, fresh: bool = False,
           seed: int = 0) -> list[np.ndarray]:
    """The fault: the clip's first frame repeated; with ``noise``, the same noise on every copy
    (still one frame), or ``fresh`` noise on each (near-exact repeats: a stalled model's)."""
    first, rng = frames[0].astype(np.float32), np.random.default_rng(seed)
    if noise and not fresh:
        first += rng.normal(0, noise, first.shape[:2])[..., None]
    return [np.clip(first + (rng.normal(0, noise, first.shape[:2])[..., None] if fresh else 0),
                    0, 255).astype(np.uint8) for _ in frames]


def space_clip(frames: list[np.ndarray], out: Path, codec: str = "mp4v") -> Path:
    """The frames as a Space answers them: at 8 fps, in ``codec`` (SPACE_CODECS)."""
    height, width = frames[0].shape[:2]
    run_ffmpeg(["-f", "rawvideo", "-pix_fmt", "rgb24", "-s", f"{width}x{height}", "-r", "8",
                "-i", "pipe:0", *SPACE_CODECS[codec], "-pix_fmt", "yuv420p", str(out)],
               input_bytes=np.ascontiguousarray(np.stack(frames)).tobytes())
    return out


def take_frames(clip: Path, out: Path, seconds: float = 3.0) -> list[np.ndarray]:
    """A Space's clip made into a house-format take as production makes it (local
    interpolation to 24 fps and upscaling, filters of the one house encode), read back as
    inspect_take reads it."""
    asset = Asset.measure(clip)
    steps = [FFmpegInterpolate().filter(asset, house.FPS), FFmpegUpscale().filter()]
    house.normalize(clip, None, out, seconds, prefilter=",".join(steps))
    return read_frames_twice(out, width=384, every=12)[0]


def made(frames: list[np.ndarray], work: Path, codec: str = "mp4v") -> list[np.ndarray]:
    """Frames at the model's rate through a Space's codec and the house pass, as inspected."""
    work.mkdir(parents=True, exist_ok=True)
    return take_frames(space_clip(frames, work / "space.mp4", codec), work / "take.mp4")


def still_clip(seed: int, soft: bool | None = None) -> list[np.ndarray]:
    """A clean shot that holds still, as a video model draws one (the local renderer)."""
    return render(request(STILL, seed, soft))


class SpaceVideo:
    """A Zeroscope-like Space as a video backend: the local renderer's shot at the model's
    8 fps, answered as an MP4 in a Space's codec; ``frozen``: every answer a frozen copy of its
    first frame (a Space that stalls). ``prompts``: every prompt it was asked, in order."""

    name = "space-like"

    def __init__(self, frozen: bool = False, codec: str = "mp4v") -> None:
        self.frozen, self.codec = frozen, codec
        self.prompts: list[str] = []

    def generate(self, request: VideoRequest, out_dir: Path) -> Asset:
        self.prompts.append(request.prompt)
        frames = render(request)
        return Asset.measure(space_clip(frozen(frames) if self.frozen else frames,
                                        out_dir / "generated.mp4", self.codec))
