"""The rules of each text-to-image checkpoint (a *painter*: the cast's reference stills, and
the pictures ``--video stills:MODEL`` sets in motion): the size it was trained at, its steps
and guidance, how many of its steps repaint a picture, the text it reads. Told apart by its own
configs (its pipeline class, its scheduler's timestep spacing, the transformer's guidance
embedding), and by its name only where they cannot tell. Values from the models' cards and
diffusers 0.42:

- SD-Turbo and SDXL-Turbo (adversarially distilled; Euler or Euler Ancestral with "trailing"
  timesteps): 512x512, one step without guidance; from a picture, 2 steps at strength 0.5.
  SDXS-512 (named so; its VAE a tiny one): one step, no guidance. SDXL-Lightning, LCM,
  Hyper-SD, named so: their few steps (4), no guidance.
- Stable Diffusion 1.x/2.x: 512 (the 2.x v-prediction ones 768), 50 steps, guidance 7.5.
  SDXL: 1024, 50 steps, guidance 5.
- FLUX.1-schnell (no guidance embedding): 1024, 4 steps, guidance 0, 256 tokens of text.
  FLUX.1-dev: 1024, 50 steps, guidance 3.5, 512 tokens.
- Stable Diffusion 3: 1024, 28 steps, guidance 7; 3.5 (qk-normed) Large 28 and 3.5, Medium
  (dual-attention layers) 40 and 4.5, Large Turbo 4 steps without guidance.
- PixArt-alpha/sigma, Sana: their sample size, 20 steps, guidance 4.5.
- Any other of diffusers' text-to-image pipelines: its own defaults at its sample size.
"""

from __future__ import annotations

from dataclasses import dataclass

from webtv.core.errors import ConfigError
from webtv.production.backends.families import Checkpoint

FEW_STEP_NAMES = ("turbo", "lightning", "lcm", "hyper", "sdxs", "schnell", "sprint", "flash")
HOUSE = (16, 9)  # the house picture's aspect: a painter paints 16:9 at its trained width


@dataclass(frozen=True)
class Painter:
    """How one text-to-image checkpoint paints."""

    checkpoint: str  # what it is, as the README names it
    size: tuple[int, int]  # (width, height) it was trained at
    multiple: int  # height and width are multiples of this
    steps: int | None  # None: the pipeline's own default
    guidance: float | None  # None: the pipeline's own
    repaint_steps: int | None = None  # from a picture, where one step cannot repaint (turbo)
    text_length: int | None = None  # max_sequence_length it must be given
    few_steps: bool = False  # distilled: no negative prompt, no guidance

    def picture(self, width: int | None = None, height: int | None = None) -> tuple[int, int]:
        """The 16:9 picture it paints: its trained width (or the owner's), the height to
        match, each a multiple of its own."""
        width = width or self.size[0]
        height = height or width * HOUSE[1] // HOUSE[0]
        return tuple(max(self.multiple, round(v / self.multiple) * self.multiple)
                     for v in (width, height))  # type: ignore[return-value]


NOT_PAINTING = ("Video", "Edit", "Control", "Inpaint", "Prior", "Zero", "Pix2Pix", "LDM3D",
                "GLIGEN", "ModelEditing", "Paradigms", "UnCLIP", "Semantic")


def text_to_image_classes() -> set[str]:
    """Every pipeline class diffusers paints a picture from words alone with: those of its
    AutoPipelineForText2Image, and the others that take words and a size and nothing they
    must be given (a picture, a mask, a control picture, frames); not those that edit or
    make video."""
    import inspect

    import diffusers
    from diffusers.pipelines.auto_pipeline import AUTO_TEXT2IMAGE_PIPELINES_MAPPING

    known = {cls.__name__ for cls in AUTO_TEXT2IMAGE_PIPELINES_MAPPING.values()}
    for name in (n for n in dir(diffusers) if n.endswith("Pipeline") and n not in known):
        try:
            params = inspect.signature(getattr(diffusers, name).__call__).parameters
        except (AttributeError, ImportError, RuntimeError, TypeError, ValueError):
            continue  # its optional packages are missing: not one this machine runs
        needed = [k for k, p in params.items() if k not in ("self", "prompt") and
                  p.default is inspect.Parameter.empty and p.kind is p.POSITIONAL_OR_KEYWORD]
        if "prompt" in params and "height" in params and not needed and not any(
                k in params for k in ("num_frames", "video_length", "image", "mask_image",
                                      "control_image", "audio_length_in_s")):
            known.add(name)
    return {n for n in known if not any(word in n for word in NOT_PAINTING)}


def painter_for(c: Checkpoint) -> Painter:
    """The painter rules of a checkpoint, or a ConfigError when it is no text-to-image model."""
    known = text_to_image_classes()
    if c.cls not in known:
        raise ConfigError(f"{c.cls or 'this folder'} is not a text-to-image pipeline (pictures "
                          f"in motion and reference stills take one of diffusers' "
                          f"{len(known)}: {', '.join(sorted(known)[:12])}, ...)")
    scale = 32 if c.vae.get("_class_name") == "AutoencoderDC" else \
        2 ** (len(c.vae.get("block_out_channels") or (0,) * 4) - 1)
    model = c.unet or c.transformer
    sample = model.get("sample_size")
    sample = sample[0] if isinstance(sample, list | tuple) else sample
    native = int(sample) * scale if sample else 1024  # FLUX's transformer has none: 1024
    multiple = scale * int(c.transformer.get("patch_size") or 1) if not c.unet else scale
    if c.cls.startswith("Flux"):  # its latents are packed 2x2 whatever its patch size says
        multiple = scale * 2
    named = c.name.lower()
    few = any(word in named for word in FEW_STEP_NAMES)
    size = (native, native)
    if c.cls.startswith("Flux"):
        schnell = not c.transformer.get("guidance_embeds", True) or "schnell" in named
        if schnell:
            return Painter("FLUX.1-schnell", size, multiple, 4, 0.0, text_length=256,
                           few_steps=True)
        return Painter("FLUX.1-dev", size, multiple, 50, 3.5, text_length=512)
    if c.cls.startswith(("StableDiffusionPipeline", "StableDiffusionXL")):
        xl = "XL" in c.cls
        turbo = c.scheduler.get("timestep_spacing") == "trailing" and "Euler" in \
            c.scheduler.get("_class_name", "") or "turbo" in named or "sdxs" in named
        what = "SDXL" if xl else "Stable Diffusion"
        if turbo:
            return Painter("SDXS" if "sdxs" in named else "SDXL-Turbo" if xl else "SD-Turbo",
                           (512, 512), 8, 1, 0.0, repaint_steps=2, few_steps=True)
        if few:
            return Painter(f"{what} (few-step)", size, 8, 4, 0.0, repaint_steps=4,
                           few_steps=True)
        return Painter(what, size, 8, 50, 5.0 if xl else 7.5)
    if c.cls.startswith("StableDiffusion3"):
        if few:
            return Painter("Stable Diffusion 3.5 Large Turbo", size, multiple, 4, 0.0,
                           repaint_steps=4, few_steps=True)
        if c.transformer.get("qk_norm"):  # 3.5: Medium has dual-attention layers
            if c.transformer.get("dual_attention_layers"):
                return Painter("Stable Diffusion 3.5 Medium", size, multiple, 40, 4.5)
            return Painter("Stable Diffusion 3.5 Large", size, multiple, 28, 3.5)
        return Painter("Stable Diffusion 3", size, multiple, 28, 7.0)
    if c.cls == "SanaSprintPipeline":  # distilled to 2 steps; its guidance is embedded
        return Painter("Sana Sprint", size, multiple, 2, None, few_steps=True)
    if c.cls.startswith(("PixArt", "Sana")):
        if few:
            return Painter(f"{c.cls[:-8]} (few-step)", size, multiple, 2, 0.0, few_steps=True)
        return Painter(c.cls.removesuffix("Pipeline"), size, multiple, 20, 4.5)
    return Painter(c.cls.removesuffix("Pipeline"), size, multiple, 4 if few else None,
                   0.0 if few else None, few_steps=few)
