"""The rules of each open video checkpoint, in one table: the size and frame counts it takes,
the rate it was trained at, its steps and guidance (and a second guidance for a second expert),
whether it starts from a picture, whether it makes its own sound. A shot's seconds become a
shape here; nothing at a call site guesses.

The rules are per checkpoint, told apart by what the checkpoint's own configs say (its
pipeline class, ``model_index.json``'s keys, the transformer's, VAE's and scheduler's configs),
never by its name alone. Values from diffusers 0.42's pipelines and conversion scripts and the
models' cards (docs/gpu.md, "Checkpoints"):

- CogVideoX 1.0 (2B, 5B, 5B-I2V): 720x480 and 49 frames only (its positions are built for its
  ``sample_*``; the I2V's are learned for 13 latent frames and lost at any other count), 8 fps,
  50 steps, guidance 6. CogVideoX 1.5 (``patch_size_t`` 2, rotary positions): 1360x768 (its
  ``sample_*`` are no size to plan at), frames 16N+1 up to 161, 16 fps, 50 steps, guidance 6.
- Wan 2.1: frames 4k+1 up to 81 at 16 fps; the 1.3B 832x480, guidance 6; the 14B T2V 1280x720,
  guidance 5, 50 steps; the I2V 14B 480P or 720P, 40 steps. Wan 2.2 A14B (two experts,
  ``boundary_ratio`` in model_index.json): 1280x720, 81 frames at 16 fps, 40 steps, guidance
  4 and 3 for T2V, 3.5 and 3.5 for I2V. Wan 2.2 TI2V-5B (a 16x VAE, ``expand_timesteps``):
  1280x704, frames up to 121 at 24 fps, 50 steps, guidance 5.
- SkyReels-V2 diffusion forcing: Wan's grid, 24 fps, 960x544 (540P) or 1280x720 (720P), a
  window of 97 (121) frames that a long take continues with 17 frames of overlap, up to 30 s as
  one generation; 30 steps, guidance 6, flow shift 8 (its scheduler's config has none).
- LTX-Video: multiples of 32, frames 8k+1 up to 257; 0.9.0-0.9.5 (LTXPipeline) 768x512 at
  24 fps, 50 steps, guidance 3; 0.9.7+ (LTXConditionPipeline) 1216x704 at 30 fps, 30 steps,
  guidance 5; the distilled ones their 8-step timestep list, guidance 1.
- LTX-2: LTX's grid, 768x512 at 24 fps, frames up to 257, 30 steps, guidance 3 (distilled: 8
  sigmas, guidance 1); its sound is the take's sound.
- HunyuanVideo 1.5: multiples of 16, frames 4k+1 up to 121 at 24 fps, 848x480 (``target_size``
  640) or 1280x720 (960), 50 steps, guidance from its guider (6; 1 for the CFG-distilled), 8
  steps for the step-distilled.
- AnimateDiff (a Stable Diffusion UNet and a motion adapter; runs on a CPU): any frame count
  up to the adapter's ``motion_max_seq_length`` (32), trained on 16, shown at 8 fps (the
  original repository's rate); the base model's width (512; SDXL's 1024) at the house's 16:9,
  multiples of 8; with DDIM as its docs set it, 25 steps and guidance 7.5 (SDXL: 20 and 8).
  AnimateDiff-Lightning (its adapter's file names its steps: 1, 2, 4 or 8): those steps,
  guidance 1, Euler with trailing timesteps and a linear beta schedule, as its card says.
- Zeroscope v2 / ModelScope (TextToVideoSDPipeline, DPM-Solver as the docs run it): 576x320
  and 24 frames in 40 steps (zeroscope_v2_576w), 1024x576 (XL), or 256x256 and 16 frames in
  25 steps (text-to-video-ms-1.7b); 8 fps, guidance 9.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from webtv.core.errors import ConfigError

LONGEST_S = 30.0  # a diffusion-forcing take: the longest made as one generation


@dataclass(frozen=True)
class Checkpoint:
    """What a checkpoint's own files say about it: enough to choose its rules, read before
    a weight is loaded (a folder's configs, or a loaded pipeline's)."""

    cls: str  # the pipeline class (model_index.json's _class_name)
    pipeline: dict[str, Any] = field(default_factory=dict)  # model_index's plain keys
    transformer: dict[str, Any] = field(default_factory=dict)
    vae: dict[str, Any] = field(default_factory=dict)
    scheduler: dict[str, Any] = field(default_factory=dict)
    guider: dict[str, Any] = field(default_factory=dict)  # where guidance is a component's
    components: frozenset[str] = frozenset()  # the components it has (transformer_2, ...)
    name: str = ""  # the folder or hub id: only where the configs cannot tell (480P/720P)
    unet: dict[str, Any] = field(default_factory=dict)  # a UNet's (AnimateDiff, SD, ...)
    adapter: dict[str, Any] = field(default_factory=dict)  # an AnimateDiff motion adapter's
    adapter_name: str = ""  # ... its folder, hub id or file (Lightning's say their steps)

    def has(self, component: str) -> bool:
        return component in self.components


@dataclass(frozen=True)
class Rules:
    """How one checkpoint is generated."""

    checkpoint: str  # what it is, as the README's table names it
    multiple: int  # height and width are multiples of this
    frame_step: int  # frames = frame_step * k + 1
    max_frames: int
    fps: int  # the rate it was trained at
    size: tuple[int, int]  # (width, height) it was trained at
    steps: int
    guidance: float
    guidance_2: float | None = None  # the second expert's (Wan 2.2 A14B)
    boundary: float | None = None  # where the second expert takes over (its own config's)
    fixed_size: bool = False  # its size only (positions built for it)
    fixed_frames: int | None = None  # its frame count only (learned positions)
    timesteps: tuple[float, ...] = ()  # a distilled schedule, for the classes that take one
    sigmas: tuple[float, ...] = ()  # ... or the sigmas, for those that take them (LTX-2)
    flow_shift: float | None = None  # the documented shift where its scheduler's config lacks it
    distilled_timesteps: tuple[float, ...] = ()  # the family's, where the owner says distilled
    max_seconds: float | None = None  # a take's seconds at most, at any rate
    window: int | None = None  # diffusion forcing: frames a generation attends at once
    overlap: int = 0  # ... and how many of them a longer take carries over
    sound: bool = False  # it makes the take's sound
    i2v: str | None = None  # the image-to-video class over the same components (from_pipe)
    needs_image: bool = False  # it cannot start from words alone
    can_continue: bool = False  # a take can start from a picture
    text_length: int | None = None  # max_sequence_length it must be given
    scheduler: dict[str, Any] = field(default_factory=dict)  # the scheduler it must run with
    # ("_class_name" and the config keys to change), where the checkpoint's own is not it

    def as_dict(self) -> dict[str, Any]:
        return {k: list(v) if isinstance(v, tuple) else v for k, v in self.__dict__.items()}

    @classmethod
    def from_dict(cls, values: dict[str, Any]) -> Rules:
        return cls(**{k: tuple(v) if isinstance(v, list) else v for k, v in values.items()})


def _cogvideox(c: Checkpoint) -> Rules:
    t = c.transformer
    i2v = c.cls == "CogVideoXImageToVideoPipeline"
    kind = "I2V" if i2v else "T2V"
    common = dict(multiple=16, steps=50, guidance=6.0, text_length=226, needs_image=i2v,
                  can_continue=i2v)
    if t.get("patch_size_t"):  # 1.5: rotary positions over any size, 16N+1 frames
        return Rules(f"CogVideoX 1.5 {kind}", frame_step=16, max_frames=161, fps=16,
                     size=(1360, 768), **common)
    scale = 2 ** (len(c.vae.get("block_out_channels", (0,) * 4)) - 1)
    frames = (t.get("sample_frames", 49) - 1) // 4 * 4 + 1  # 49: 13 latent frames
    return Rules(f"CogVideoX 1.0 {kind}", frame_step=8, max_frames=frames, fps=8,
                 size=(t.get("sample_width", 90) * scale, t.get("sample_height", 60) * scale),
                 fixed_size=True, fixed_frames=frames, **common)


def _wan(c: Checkpoint) -> Rules:
    i2v = c.cls == "WanImageToVideoPipeline"
    kind = "I2V" if i2v else "T2V"
    if c.pipeline.get("expand_timesteps") or c.vae.get("z_dim") == 48:  # TI2V-5B
        return Rules("Wan 2.2 TI2V-5B", multiple=32, frame_step=4, max_frames=121, fps=24,
                     size=(1280, 704), steps=50, guidance=5.0, can_continue=True,
                     i2v="WanImageToVideoPipeline")
    if c.has("transformer_2") or c.pipeline.get("boundary_ratio") is not None:  # A14B
        return Rules(f"Wan 2.2 {kind} A14B", multiple=16, frame_step=4, max_frames=81, fps=16,
                     size=(1280, 720), steps=40, guidance=3.5 if i2v else 4.0,
                     guidance_2=3.5 if i2v else 3.0, boundary=c.pipeline.get("boundary_ratio"),
                     needs_image=i2v, can_continue=i2v)
    t = c.transformer
    small = t.get("num_attention_heads", 0) * t.get("attention_head_dim", 0) <= 1536  # 1.3B
    # the 1.3B is 480p only; the 14B T2V was trained at 720p; the I2V checkpoints come as
    # 480P and 720P with the same configs, told apart by their names alone
    large = not small and (not i2v or "720p" in c.name.lower())
    size = (1280, 720) if large else (832, 480)
    return Rules(f"Wan 2.1 {kind} {'1.3B' if small else '14B'} {size[1]}p", multiple=16,
                 frame_step=4, max_frames=81, fps=16, size=size, steps=40 if i2v else 50,
                 guidance=6.0 if small else 5.0, needs_image=i2v, can_continue=i2v)


def _skyreels(c: Checkpoint) -> Rules:
    large = "720p" in c.name.lower()  # 540P and 720P share their configs
    size, window = ((1280, 720), 121) if large else ((960, 544), 97)
    i2v = "ImageToVideo" in c.cls
    # its scheduler config carries no shift (1.0): the documented 8 (5 from a picture)
    shift = c.scheduler.get("flow_shift")
    return Rules(f"SkyReels-V2 DF {'720P' if large else '540P'}{' I2V' if i2v else ''}",
                 multiple=16, frame_step=4, max_frames=int(LONGEST_S * 24) + 1,
                 max_seconds=LONGEST_S, fps=24, size=size,
                 steps=30, guidance=5.0 if i2v else 6.0, window=window, overlap=17,
                 flow_shift=None if shift and shift != 1.0 else 5.0 if i2v else 8.0,
                 needs_image=i2v, can_continue=True,
                 i2v=None if i2v else "SkyReelsV2DiffusionForcingImageToVideoPipeline")


DISTILLED_LTX = (1000, 993, 987, 981, 975, 909, 725, 0.03)  # 0.9.7/0.9.8 distilled, stage 1
DISTILLED_LTX2 = (1.0, 0.99375, 0.9875, 0.98125, 0.975, 0.909375, 0.725, 0.421875)


def _ltx(c: Checkpoint) -> Rules:
    condition = c.cls == "LTXConditionPipeline"  # 0.9.7+ (13B); 0.9.0-0.9.5 are LTXPipeline
    # the distilled checkpoints' configs equal the others' (0.9.5 on: no dynamic shifting
    # either way): the name, or the owner's [gpu] distilled, says it
    distilled = "distill" in c.name.lower()
    i2v = c.cls == "LTXImageToVideoPipeline"
    common = dict(multiple=32, frame_step=8, max_frames=257, distilled_timesteps=DISTILLED_LTX,
                  can_continue=True,
                  i2v=None if condition or i2v else "LTXImageToVideoPipeline")
    if distilled:
        return Rules("LTX-Video 0.9.x distilled", fps=30 if condition else 24,
                     size=(1216, 704) if condition else (768, 512), steps=len(DISTILLED_LTX),
                     guidance=1.0, timesteps=DISTILLED_LTX, **common)
    if condition:
        return Rules("LTX-Video 0.9.7+", fps=30, size=(1216, 704), steps=30, guidance=5.0,
                     **common)
    return Rules("LTX-Video 0.9.0-0.9.5", fps=24, size=(768, 512), steps=50, guidance=3.0,
                 **common)


def _ltx2(c: Checkpoint) -> Rules:
    i2v = c.cls == "LTX2ImageToVideoPipeline"
    # the distilled checkpoint's scheduler uses its sigmas as they are (no dynamic shifting)
    distilled = not c.scheduler.get("use_dynamic_shifting", True) or "distill" in c.name.lower()
    return Rules(f"LTX-2{' distilled' if distilled else ''}", multiple=32, frame_step=8,
                 max_frames=257, fps=24, size=(768, 512), steps=8 if distilled else 30,
                 guidance=1.0 if distilled else 3.0, sigmas=DISTILLED_LTX2 if distilled else (),
                 sound=True, can_continue=True, i2v=None if i2v else "LTX2ImageToVideoPipeline")


def _hunyuan15(c: Checkpoint) -> Rules:
    t = c.transformer
    large = t.get("target_size", 640) >= 960  # 640: 480p, 960: 720p
    i2v = "ImageToVideo" in c.cls
    guidance = float(c.guider.get("guidance_scale", 6.0))  # 1 for the CFG-distilled ones
    stepped = bool(t.get("use_meanflow"))  # the step-distilled 480p I2V: 8 steps
    size = (1280, 720) if large else (848, 480)
    what = " step-distilled" if stepped else " CFG-distilled" if guidance <= 1.0 else ""
    return Rules(f"HunyuanVideo 1.5 {size[1]}p {'I2V' if i2v else 'T2V'}{what}", multiple=16,
                 frame_step=4, max_frames=121, fps=24, size=size, steps=8 if stepped else 50,
                 guidance=guidance, needs_image=i2v, can_continue=i2v,
                 i2v=None if i2v else "HunyuanVideo15ImageToVideoPipeline")


ANIMATEDIFF_DDIM = {"_class_name": "DDIMScheduler", "clip_sample": False,
                    "beta_schedule": "linear", "steps_offset": 1, "timestep_spacing": "linspace"}


def _animatediff(c: Checkpoint) -> Rules:
    xl = "SDXL" in c.cls
    width = (c.unet.get("sample_size") or (128 if xl else 64)) * 8
    positions = int(c.adapter.get("motion_max_seq_length") or 32)
    named = f"{c.adapter_name} {c.name}".lower()
    common = dict(multiple=8, frame_step=1, max_frames=positions, fps=8,
                  size=(width, width * 9 // 16 // 8 * 8), can_continue=False)
    if "lightning" in named:  # ByteDance's files: animatediff_lightning_{1,2,4,8}step_...
        steps = int(next(iter(re.findall(r"(\d)[-_]?step", named)), 4))
        return Rules(f"AnimateDiff-Lightning {steps}-step", steps=steps, guidance=1.0,
                     scheduler={"_class_name": "EulerDiscreteScheduler",
                                "timestep_spacing": "trailing", "beta_schedule": "linear"},
                     **common)
    if xl:
        return Rules("AnimateDiff SDXL", steps=20, guidance=8.0, scheduler=ANIMATEDIFF_DDIM,
                     **common)
    return Rules("AnimateDiff", steps=25, guidance=7.5, scheduler=ANIMATEDIFF_DDIM, **common)


def _text_to_video_sd(c: Checkpoint) -> Rules:
    named = c.name.lower()
    if "xl" in named:
        size, frames, steps, what = (1024, 576), 24, 40, "Zeroscope v2 XL"
    elif "zeroscope" in named or "576" in named:
        size, frames, steps, what = (576, 320), 24, 40, "Zeroscope v2 576w"
    else:
        size, frames, steps, what = (256, 256), 16, 25, "ModelScope text-to-video 1.7B"
    return Rules(what, multiple=8, frame_step=1, max_frames=frames, fps=8, size=size,
                 steps=steps, guidance=9.0,
                 scheduler={"_class_name": "DPMSolverMultistepScheduler"})


@dataclass(frozen=True)
class Family:
    name: str
    classes: tuple[str, ...]  # the diffusers pipeline classes of the family
    rules: Callable[[Checkpoint], Rules]


FAMILIES = {f.name: f for f in (
    Family("wan", ("WanPipeline", "WanImageToVideoPipeline"), _wan),
    Family("ltx", ("LTXPipeline", "LTXImageToVideoPipeline", "LTXConditionPipeline"), _ltx),
    Family("ltx2", ("LTX2Pipeline", "LTX2ImageToVideoPipeline"), _ltx2),
    Family("cogvideox", ("CogVideoXPipeline", "CogVideoXImageToVideoPipeline"), _cogvideox),
    Family("hunyuanvideo15", ("HunyuanVideo15Pipeline", "HunyuanVideo15ImageToVideoPipeline"),
           _hunyuan15),
    Family("skyreels-v2", ("SkyReelsV2DiffusionForcingPipeline",
                           "SkyReelsV2DiffusionForcingImageToVideoPipeline"), _skyreels),
    Family("animatediff", ("AnimateDiffPipeline", "AnimateDiffSDXLPipeline"), _animatediff),
    Family("text-to-video-sd", ("TextToVideoSDPipeline",), _text_to_video_sd),
)}


def family_of(class_name: str) -> Family:
    """The family of a pipeline class, or a ConfigError naming the ones supported."""
    for family in FAMILIES.values():
        if class_name in family.classes:
            return family
    known = ", ".join(c for f in FAMILIES.values() for c in f.classes)
    raise ConfigError(f"{class_name} is not a video pipeline this channel knows (it knows "
                      f"{known})")


def rules_for(checkpoint: Checkpoint) -> Rules:
    return family_of(checkpoint.cls).rules(checkpoint)
