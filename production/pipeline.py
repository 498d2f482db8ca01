"""One take, step by step: generate -> interpolate -> upscale -> music -> house format.

Interpolation runs before upscaling: at the generation size it costs a third as much. Local
steps are filters of one FFmpeg pass that also encodes the house format (one encode per take). Steps
served by remote backends go through a content-addressed cache: the same backend, inputs and
parameters are never generated twice (a GPU minute on a Space is worth a few bytes of disk).
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

from webtv.core import house
from webtv.production.backends.base import Asset, VideoRequest, refuse_bad_clip
from webtv.production.context import Production
from webtv.production.costs import Bill
from webtv.state.datadir import content_hash

GENERATION_FPS = 8  # Zeroscope's rate; interpolation brings it to the house rate


def video_request(backend: Any, prompt: str, seed: int, spec: Any, seconds: float,
                  start: Path | None) -> VideoRequest:
    """What the video backend is asked for: a model that plans its own shape (an in-process
    model, by its family's rules) is asked for that, the local renderer for the house rate,
    a Space for Zeroscope's."""
    plan = getattr(backend, "plan", None)
    if plan is not None:
        shape = plan(seconds)
        return VideoRequest(prompt, seed, spec, frames=shape.frames, fps=shape.fps,
                            width=shape.out_width, height=shape.out_height, seconds=seconds,
                            image=start)
    rate = house.FPS if getattr(backend, "any_rate", False) else GENERATION_FPS
    return VideoRequest(prompt, seed, spec, frames=max(rate, round(seconds * rate)), fps=rate,
                        seconds=seconds, image=start)


def cached(ctx: Production, capability: str, backend: Any, params: dict[str, Any],
           inputs: list[Path], work: Path, make: Callable[[], Asset]) -> Asset:
    """``make()``, unless this remote backend already made the same thing."""
    if getattr(backend, "pool", None) is None and not getattr(backend, "remote", False):
        return make()  # local backends are cheap and deterministic: nothing to save
    key = hashlib.sha256(json.dumps(
        {"capability": capability, "backend": backend.name, "params": params,
         "inputs": [content_hash(p) for p in inputs]}, sort_keys=True, default=str).encode()
    ).hexdigest()
    hit = ctx.store.calls.cached_asset(key)
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
    ctx.store.calls.remember_asset(key, capability, backend.name, media)
    return asset


def make_media(ctx: Production, prompt: str, seed: int, spec, seconds: float, mood: str,
               work: Path, start: Path | None = None, bill: Bill | None = None,
               references: tuple[Path, ...] = ()) -> tuple[Path, tuple[str, ...]]:
    """The house-format file of one take, made in ``work``, and any faults injected on purpose
    into it (the local backend's testing mode). ``start``: the picture the take starts from
    (image-to-video backends).

    Local (FFmpeg) interpolation and upscaling are filters of the one FFmpeg pass that encodes
    the house format, so the picture is encoded once; a remote step gets a file. A video
    backend that draws at any rate (the local renderer) is asked for the house rate, and
    nothing is interpolated; an in-process model plans its own frames, rate and size (its
    family's rules). ``bill``: where each priced call's cost is counted (made or not);
    ``references``: the cast's reference stills, for a service that takes them."""
    b = ctx.backends
    bill = bill or Bill(ctx.prices)
    request = replace(video_request(b.video, prompt, seed, spec, seconds, start),
                      references=references)
    clip = cached(ctx, "video", b.video,
                  {"prompt": prompt, "seed": seed, "frames": request.frames,
                   "fps": request.fps},
                  [start] if start else [], work,
                  lambda: bill.run("video", b.video, seconds,
                                   lambda: b.video.generate(request, work)))
    faults, sound = clip.faults, clip.sound
    # whichever backend made it: a partial, single-frame or misshapen clip never goes further
    # (the house step would pad it with a frozen last frame)
    clip = replace(refuse_bad_clip(clip.path, clip.made_frames or request.frames,
                                   request.width, request.height), faults=faults)
    music = cached(ctx, "music", b.music, {"mood": mood, "seconds": seconds, "seed": seed}, [],
                   work, lambda: bill.run("music", b.music, seconds,
                                          lambda: b.music.compose(mood, seconds, seed, work)))
    bed = music.path
    if sound:  # the model's own sound is the take's; the music goes under it
        bed = house.bed_under(clip.path, music.path, work / "sound.wav", ctx.loudness)
    pending: list[str] = []  # FFmpeg filters still to apply, in order, in the house pass
    if clip.fps < house.FPS - 0.5:
        if hasattr(b.interpolate, "filter"):
            pending.append(b.interpolate.filter(clip, house.FPS))
        else:
            clip = cached(ctx, "interpolate", b.interpolate, {"fps": house.FPS}, [clip.path],
                          work, lambda: bill.run("interpolate", b.interpolate, seconds,
                                                 lambda: b.interpolate.interpolate(
                                                     clip, house.FPS, work)))
    if hasattr(b.upscale, "filter"):
        pending.append(b.upscale.filter())
    else:
        if pending:  # a remote upscaler needs the interpolated file
            clip, pending = b.interpolate.interpolate(clip, house.FPS, work), []
        clip = cached(ctx, "upscale", b.upscale, {"prompt": prompt}, [clip.path], work,
                      lambda: bill.run("upscale", b.upscale, seconds,
                                       lambda: b.upscale.upscale(clip, prompt, work)))
    out = work / "take.mp4"
    house.normalize(clip.path, bed, out, seconds, prefilter=",".join(pending),
                    loudness=ctx.loudness)
    return out, faults
