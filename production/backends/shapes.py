"""A shot's seconds as a checkpoint makes them: the size, frames, rate, steps and guidance of
one take by the checkpoint's rules (families.py) and what the owner set ([gpu]), and the
smaller setting an out-of-memory take is tried again at."""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from typing import Any

from webtv.production.backends.families import Rules

HOUSE_ASPECT = 16 / 9  # the house format's picture; generation crops to it, never stretches


@dataclass(frozen=True)
class Shape:
    """What one take is generated at, and what the clip is once cropped to the house aspect."""

    width: int  # generated
    height: int
    frames: int
    fps: int
    steps: int
    guidance: float
    out_width: int  # after the crop
    out_height: int
    timesteps: tuple[float, ...] = ()
    tiling: bool = False  # the VAE decodes in tiles (less memory, a little slower)
    offload: bool | None = None  # components visit the GPU in turn: yes, no, None: if needed
    guidance_2: float | None = None  # the second expert's
    sigmas: tuple[float, ...] = ()
    window: int | None = None  # diffusion forcing: the frames of one window
    overlap: int = 0  # ... carried over into the next

    @property
    def seconds(self) -> float:
        return self.frames / self.fps


@dataclass(frozen=True)
class Options:
    """What the owner may set ([gpu] in webtv.toml); None: the checkpoint's own."""

    width: int | None = None
    height: int | None = None
    fps: int | None = None
    steps: int | None = None
    guidance: float | None = None
    distilled: bool | None = None  # None: from the checkpoint's configs (and name)
    max_frames: int | None = None

    @classmethod
    def from_config(cls, table: dict[str, Any]) -> Options:
        return cls(**{k: table[k] for k in cls.__dataclass_fields__ if k in table})


def frames_for(rules: Rules, seconds: float, fps: int, most: int | None = None) -> int:
    """The fewest frames the checkpoint takes that cover ``seconds`` (the house step trims
    the rest), within its maximum: frame_step * k + 1; a checkpoint of one count, that."""
    if rules.fixed_frames:
        return rules.fixed_frames
    top = min(rules.max_frames, most or rules.max_frames)
    if rules.max_seconds:
        top = min(top, int(rules.max_seconds * fps) + 1)
    top = (top - 1) // rules.frame_step * rules.frame_step + 1
    k = math.ceil(max(seconds * fps - 1, 0) / rules.frame_step)
    return max(1 + rules.frame_step, min(top, rules.frame_step * k + 1))


def fit(value: int, multiple: int) -> int:
    """The multiple at or above ``value``: the crop to the house aspect takes the rest."""
    return max(multiple, -(-value // multiple) * multiple)


def house_crop(width: int, height: int) -> tuple[int, int]:
    """The largest even 16:9 picture inside width x height (a centre crop, no stretch)."""
    if width / height > HOUSE_ASPECT:
        width = round(height * HOUSE_ASPECT)
    else:
        height = round(width / HOUSE_ASPECT)
    return width - width % 2, height - height % 2


def shape(rules: Rules, seconds: float, options: Options = Options(),
          distilled: bool = False) -> Shape:
    """A shot of ``seconds`` in this checkpoint's terms; ``distilled``: the owner says it is
    (``[gpu] distilled``), where its configs do not."""
    if rules.fixed_size:
        width, height = rules.size
    else:
        width = fit(options.width or rules.size[0], rules.multiple)
        height = fit(options.height or rules.size[1], rules.multiple)
    fps = rules.fps if rules.fixed_frames else options.fps or rules.fps
    steps, guidance, timesteps, sigmas = rules.steps, rules.guidance, rules.timesteps, \
        rules.sigmas
    if distilled and not timesteps and rules.distilled_timesteps:  # the owner says so
        steps, guidance = len(rules.distilled_timesteps), 1.0
        timesteps = rules.distilled_timesteps
    if options.steps:  # the owner's count replaces a distilled schedule too
        steps, timesteps, sigmas = options.steps, (), ()
    out_width, out_height = house_crop(width, height)
    frames = frames_for(rules, seconds, fps, options.max_frames)
    window = rules.window if rules.window and frames > rules.window else None
    return Shape(width, height, frames, fps, steps,
                 guidance if options.guidance is None else options.guidance, out_width,
                 out_height, timesteps, guidance_2=rules.guidance_2, sigmas=sigmas, window=window,
                 overlap=rules.overlap if window else 0)


def smaller(rules: Rules, planned: Shape, seconds: float, offload: bool) -> Shape:
    """The setting an out-of-memory take is tried again at: the same seconds at half the rate
    (about half the frames; interpolation brings it back to the house rate), the VAE in tiles,
    and, unless the owner said never, the components offloaded to the CPU between their turns.
    A checkpoint of one frame count keeps it (tiling and offloading are all it can give)."""
    if rules.fixed_frames:
        return replace(planned, tiling=True, offload=offload)
    fps = max(4, planned.fps // 2)
    frames = min(planned.frames, frames_for(rules, seconds, fps))
    window = planned.window if planned.window and frames > planned.window else None
    return replace(planned, fps=fps, frames=frames, tiling=True, offload=offload,
                   window=window, overlap=planned.overlap if window else 0)


def longest(rules: Rules, options: Options = Options()) -> float:
    """The seconds of the longest take the checkpoint makes at the rate it runs at."""
    fps = rules.fps if rules.fixed_frames else options.fps or rules.fps
    most = min(rules.max_frames, options.max_frames or rules.max_frames)
    seconds = math.floor((rules.fixed_frames or most) / fps * 10) / 10
    return max(1.0, min(seconds, rules.max_seconds or seconds))
