"""Remote backends: the four capabilities behind the same interfaces as the local backends,
each a pool of Gradio endpoints (pool.py, space.py). Every file that comes back is probed
before it is accepted.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from webtv.core.errors import BadMedia, MediaError
from webtv.production.backends.base import Asset, VideoRequest, refuse_bad_clip
from webtv.production.backends.cluster import ClusterPool
from webtv.production.backends.pool import Pool
from webtv.production.backends.space import BadOutput


class RemoteBackend:
    """A capability served by a pool of endpoints; ``expect``: what a good output measures."""

    def __init__(self, pool: Pool | ClusterPool, expect: dict[str, Any]) -> None:
        self.name, self.pool, self.expect = pool.backend, pool, expect


def expect_media(expect: dict[str, Any], *, video: bool = True) -> Callable[[Path], None]:
    """A validator: the file must be media with the measured properties the preset expects
    (for a video: the frames asked for, within a couple, and the shape)."""

    def validate(path: Path) -> None:
        try:
            if video:
                width, height = expect.get("shape", (0, 0))
                asset = refuse_bad_clip(path, expect.get("min_frames", 1), width, height)
            else:
                asset = Asset.measure(path)
        except BadMedia as exc:
            raise BadOutput(str(exc)) from exc
        except MediaError as exc:
            raise BadOutput(f"not a readable media file: {exc}") from exc
        for key in ("width", "height"):
            if video and key in expect and getattr(asset, key) != expect[key]:
                raise BadOutput(f"{key} {getattr(asset, key)}, expected {expect[key]}")
        if asset.duration < expect.get("min_seconds", 0.1):
            raise BadOutput(f"{asset.duration:.2f}s long, expected at least "
                            f"{expect.get('min_seconds', 0.1)}s")

    return validate


class RemoteVideo(RemoteBackend):

    def generate(self, request: VideoRequest, out_dir: Path) -> Asset:
        values = {"prompt": request.prompt, "seed": request.seed, "frames": request.frames,
                  "fps": request.fps, "width": request.width, "height": request.height,
                  "seconds": request.frames / request.fps,
                  "negative_prompt": "text, watermark, words, letters, blurry, distorted"}
        expect = {"min_frames": request.frames, "shape": (request.width, request.height),
                  **self.expect}
        return Asset.measure(self.pool.run(values, out_dir, expect_media(expect)))


class RemoteUpscale(RemoteBackend):

    def upscale(self, clip: Asset, prompt: str, out_dir: Path) -> Asset:
        values = {"video": clip.path, "prompt": prompt, "width": self.expect.get("width", 1024),
                  "height": self.expect.get("height", 576)}
        expect = {"min_frames": clip.frames, "shape": (clip.width, clip.height), **self.expect}
        return Asset.measure(self.pool.run(values, out_dir, expect_media(expect)))


class RemoteInterpolate(RemoteBackend):

    def interpolate(self, clip: Asset, fps: int, out_dir: Path) -> Asset:
        factor = max(1, round(fps / clip.fps)) if clip.fps else 1
        values = {"video": clip.path, "factor": factor, "fps": fps,
                  "times": max(0, factor.bit_length() - 1)}  # FILM: 2**times frames per gap
        expect = {"min_frames": clip.frames, "shape": (clip.width, clip.height), **self.expect}
        return Asset.measure(self.pool.run(values, out_dir, expect_media(expect)))


class RemoteMusic(RemoteBackend):

    def compose(self, mood: str, seconds: float, seed: int, out_dir: Path) -> Asset:
        values = {"text": f"{mood} instrumental background music", "mood": mood,
                  "seconds": max(1, round(seconds + 0.5)), "seed": seed}
        expect = {"min_seconds": seconds * 0.9, **self.expect}
        return Asset.measure(self.pool.run(values, out_dir, expect_media(expect, video=False)))
