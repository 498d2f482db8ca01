"""One take, step by step: generate -> interpolate -> upscale -> music -> house format.

Interpolation runs before upscaling: at the generation size it costs a third as much. Steps
served by remote backends go through a content-addressed cache: the same backend, inputs and
parameters are never generated twice (a GPU minute on a Space is worth a few bytes of disk).
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

from playout import house
from tools.backends import Asset, VideoRequest, refuse_bad_clip
from tools.backends.remote import Pool
from tools.context import ToolContext

GENERATION_FPS = 8  # Zeroscope's rate; interpolation brings it to the house rate


def digest(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def cached(ctx: ToolContext, capability: str, backend: Any, params: dict[str, Any],
           inputs: list[Path], work: Path, make: Callable[[], Asset]) -> Asset:
    """``make()``, unless this remote backend already made the same thing."""
    if not isinstance(getattr(backend, "pool", None), Pool):
        return make()  # local backends are cheap and deterministic: nothing to save
    key = hashlib.sha256(json.dumps(
        {"capability": capability, "backend": backend.name, "params": params,
         "inputs": [digest(p) for p in inputs]}, sort_keys=True, default=str).encode()
    ).hexdigest()
    hit = ctx.store.cached_asset(key)
    if hit is not None:
        stored = ctx.data.resolve(hit["media"])
        if stored.is_file():
            local = work / f"{capability}-cached{stored.suffix}"
            try:
                os.link(stored, local)
            except OSError:
                shutil.copyfile(stored, local)
            return Asset.measure(local)
    asset = make()
    media = ctx.data.keep_copy(asset.path, asset.path.suffix or ".bin")
    ctx.store.remember_asset(key, capability, backend.name, media)
    return asset


def make_media(ctx: ToolContext, prompt: str, seed: int, spec, seconds: float, mood: str,
               work: Path) -> tuple[Path, tuple[str, ...]]:
    """The house-format file of one take, made in ``work``, and any faults injected on purpose
    into it (the local backend's testing mode)."""
    b = ctx.backends
    frames = max(8, round(seconds * GENERATION_FPS))
    request = VideoRequest(prompt, seed, spec, frames=frames, fps=GENERATION_FPS)
    clip = cached(ctx, "video", b.video,
                  {"prompt": prompt, "seed": seed, "frames": frames, "fps": GENERATION_FPS},
                  [], work, lambda: b.video.generate(request, work))
    faults = clip.faults
    # whichever backend made it: a partial, single-frame or misshapen clip never goes further
    # (the house step would pad it with a frozen last frame)
    refuse_bad_clip(clip.path, frames, request.width, request.height)
    clip = cached(ctx, "interpolate", b.interpolate, {"fps": house.FPS}, [clip.path], work,
                  lambda: b.interpolate.interpolate(clip, house.FPS, work))
    clip = cached(ctx, "upscale", b.upscale, {"prompt": prompt}, [clip.path], work,
                  lambda: b.upscale.upscale(clip, prompt, work))
    music = cached(ctx, "music", b.music, {"mood": mood, "seconds": seconds, "seed": seed}, [],
                   work, lambda: b.music.compose(mood, seconds, seed, work))
    out = work / "take.mp4"
    house.normalize(clip.path, music.path, out, seconds)
    return out, faults
