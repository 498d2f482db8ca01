"""The rules of each open video model family, in one table: what sizes and frame counts its
pipeline takes, the rate its checkpoints were trained at, its steps and guidance, and which
pipeline makes image-to-video from the same weights. A shot's seconds become a shape here;
nothing at a call site guesses.

Read from diffusers 0.42's pipelines and the families' model cards:
- Wan 2.1/2.2: height and width multiples of 16, frames 4k+1 (81 at most for the 1.3B), 16 fps,
  480p (832x480) for the 1.3B; 50 steps, guidance 5.
- LTX-Video: multiples of 32, frames 8k+1 (257 at most), 24 fps; 50 steps, guidance 3; the
  distilled checkpoints: 8 steps (their timestep list), guidance 1.
- CogVideoX: frames 8k+1 (49 at most), 8 fps, 50 steps, guidance 6; it generates only at the
  size its transformer's positional embeddings were built for (its ``sample_height`` and
  ``sample_width``, in latent units), so the size comes from the checkpoint, not from us.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from typing import Any

from webtv.core.errors import ConfigError

HOUSE_ASPECT = 16 / 9  # the house format's picture; generation crops to it, never stretches


@dataclass(frozen=True)
class Family:
    name: str
    classes: tuple[str, ...]  # diffusers pipeline classes of the family (model_index.json)
    multiple: int  # height and width are multiples of this
    frame_step: int  # frames = frame_step * k + 1
    max_frames: int
    fps: int  # the rate its checkpoints were trained at
    size: tuple[int, int]  # (width, height) that fits a 24 GB card
    steps: int
    guidance: float
    i2v: str | None = None  # the image-to-video class over the same components (from_pipe)
    distilled_steps: int | None = None
    distilled_timesteps: tuple[float, ...] = ()  # for the classes that take a list
    fixed_size: bool = False  # the checkpoint's own size only (positional embeddings)
    text_length: int | None = None  # max_sequence_length it must be given


FAMILIES = {
    "wan": Family("wan", ("WanPipeline", "WanImageToVideoPipeline"), multiple=16,
                  frame_step=4, max_frames=81, fps=16, size=(832, 480), steps=50, guidance=5.0,
                  i2v="WanImageToVideoPipeline"),
    "ltx": Family("ltx", ("LTXPipeline", "LTXImageToVideoPipeline", "LTXConditionPipeline"),
                  multiple=32, frame_step=8, max_frames=257, fps=24, size=(896, 512), steps=50,
                  guidance=3.0, i2v="LTXImageToVideoPipeline", distilled_steps=8,
                  distilled_timesteps=(1000, 993, 987, 981, 975, 909, 725, 0.03)),
    "cogvideox": Family("cogvideox", ("CogVideoXPipeline", "CogVideoXImageToVideoPipeline"),
                        multiple=16, frame_step=8, max_frames=49, fps=8, size=(720, 480),
                        steps=50, guidance=6.0, fixed_size=True, text_length=226),
}
I2V_ONLY = {"CogVideoXImageToVideoPipeline"}  # checkpoints that cannot start from words alone


def family_of(class_name: str) -> Family:
    """The family of a pipeline class, or a ConfigError naming the ones supported."""
    for family in FAMILIES.values():
        if class_name in family.classes:
            return family
    known = ", ".join(c for f in FAMILIES.values() for c in f.classes)
    raise ConfigError(f"{class_name} is not a video pipeline this channel knows (it knows "
                      f"{known})")


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

    @property
    def seconds(self) -> float:
        return self.frames / self.fps


@dataclass(frozen=True)
class Options:
    """What the owner may set ([gpu] in webtv.toml); None: the family's own."""

    width: int | None = None
    height: int | None = None
    fps: int | None = None
    steps: int | None = None
    guidance: float | None = None
    distilled: bool | None = None  # None: guessed from the model's name
    max_frames: int | None = None

    @classmethod
    def from_config(cls, table: dict[str, Any]) -> Options:
        return cls(**{k: table[k] for k in cls.__dataclass_fields__ if k in table})


def frames_for(family: Family, seconds: float, fps: int, most: int | None = None) -> int:
    """The fewest frames the family takes that cover ``seconds`` (the house step trims the
    rest), within its maximum: frame_step * k + 1."""
    top = min(family.max_frames, most or family.max_frames)
    top = (top - 1) // family.frame_step * family.frame_step + 1
    k = math.ceil(max(seconds * fps - 1, 0) / family.frame_step)
    return max(1 + family.frame_step, min(top, family.frame_step * k + 1))


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


def shape(family: Family, seconds: float, options: Options, distilled: bool,
          native: tuple[int, int] | None = None) -> Shape:
    """A shot of ``seconds`` in this family's terms. ``native``: the size the checkpoint was
    built for (CogVideoX generates only at it)."""
    if family.fixed_size and native:
        width, height = native
    else:
        width = fit(options.width or family.size[0], family.multiple)
        height = fit(options.height or family.size[1], family.multiple)
    fps = options.fps or family.fps
    steps, guidance, timesteps = family.steps, family.guidance, ()
    if distilled and family.distilled_steps:
        steps, guidance, timesteps = family.distilled_steps, 1.0, family.distilled_timesteps
    if options.steps:  # the owner's count replaces a distilled schedule too
        steps, timesteps = options.steps, ()
    out_width, out_height = house_crop(width, height)
    return Shape(width, height, frames_for(family, seconds, fps, options.max_frames), fps,
                 steps, guidance if options.guidance is None else options.guidance, out_width,
                 out_height, timesteps)


def smaller(family: Family, planned: Shape, seconds: float) -> Shape:
    """The setting an out-of-memory take is tried again at: the same seconds at half the rate
    (about half the frames; interpolation brings it back to the house rate), the VAE in tiles,
    the components offloaded to the CPU between their turns."""
    fps = max(4, planned.fps // 2)
    return replace(planned, fps=fps, frames=min(planned.frames, frames_for(family, seconds, fps)),
                   tiling=True, offload=True)
