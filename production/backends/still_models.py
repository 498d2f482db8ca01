"""Pictures painted on this machine (a GPU, or a laptop's CPU): ``--stills diffusers:MODEL``,
any of diffusers' text-to-image pipelines (SD-Turbo, SDXL-Turbo, FLUX.1-schnell, PixArt, ...).
A cast member's still is painted once for its look and kept in the bible; image-to-video models
start from it. Each checkpoint paints by its own rules (painters.py): its trained width at the
house's 16:9 unless the owner sets [gpu] width and height, its steps and guidance.

A painter also repaints a picture (image-to-image over the same weights) where diffusers has
that class for it: the second picture of a shot in motion, a picture of the cast in a new
place. A checkpoint that is not a text-to-image model is refused at start."""

from __future__ import annotations

import inspect
import math
from pathlib import Path
from typing import Any

from webtv.production.backends import checkpoints
from webtv.production.backends.device import torch
from webtv.production.backends.inprocess import InProcess, source, take_fault
from webtv.production.backends.painters import Painter, painter_for


class DiffusersStill(InProcess):
    what = "stills"
    _repainter: Any = None  # the image-to-image pipeline over the same weights, or False

    def __init__(self, spec: str, options: Any, journal: Any = None) -> None:
        super().__init__(spec, options, journal)
        where, is_dir = source(spec, self.what)
        found = checkpoints.from_folder(Path(where), spec) if is_dir else \
            checkpoints.from_cache(spec)
        # not a text-to-image checkpoint: refused now, not when its first picture is due
        self._painter = painter_for(found) if found is not None else None

    @property
    def painter(self) -> Painter:
        if self._painter is None:  # fetched at its first picture: its configs are read now
            self._painter = painter_for(checkpoints.from_pipeline(self.pipeline(), self.spec))
        return self._painter

    def size(self) -> tuple[int, int]:
        """The picture it paints: the owner's [gpu] width and height, else its own 16:9."""
        return self.painter.picture(self.options.video.width, self.options.video.height)

    @take_fault("stills")
    def draw(self, prompt: str, seed: int, out_dir: Path) -> Path:
        out = out_dir / "still.png"
        self.paint(prompt, seed, self.size()).save(out)
        return out

    def paint(self, prompt: str, seed: int, size: tuple[int, int], start: Any = None,
              strength: float = 1.0) -> Any:
        """A picture of ``prompt`` (a PIL image at ``size``): from words, or repainted from
        ``start`` (a PIL image) keeping 1 - ``strength`` of it, where the checkpoint can."""
        pipe = self.pipeline()
        painter = self.painter
        if start is not None:
            repaint = self._repaint(pipe)
            if repaint is None:  # no image-to-image for it: from words, the same seed family
                start = None
            else:
                pipe = repaint
        accepted = inspect.signature(pipe.__call__).parameters
        steps = painter.steps or accepted["num_inference_steps"].default \
            if "num_inference_steps" in accepted else painter.steps
        steps = self.options.video.steps or steps
        if start is not None and steps:  # a few-step model repaints in its own few steps,
            # and every model in at least one step of what it keeps of the picture
            steps = max(painter.repaint_steps or 0, steps, math.ceil(1 / strength))
        kwargs: dict[str, Any] = {
            "prompt": prompt, "generator": torch().Generator("cpu").manual_seed(seed),
            "width": size[0], "height": size[1], "output_type": "pil",
            "use_resolution_binning": False,  # the size asked, not the nearest bin
            "clean_caption": False}  # PixArt's caption cleaning needs packages it lacks
        if steps:
            kwargs["num_inference_steps"] = steps
        guidance = self.options.video.guidance if self.options.video.guidance is not None \
            else painter.guidance
        if guidance is not None:
            kwargs["guidance_scale"] = guidance
        if guidance is not None and guidance > 1.0:
            from webtv.production.backends.video_models import negative_prompt

            kwargs["negative_prompt"] = negative_prompt()
        if painter.text_length:
            kwargs["max_sequence_length"] = painter.text_length
        if start is not None:
            from PIL import Image, ImageOps

            kwargs.update(image=ImageOps.fit(start.convert("RGB"), size,
                                             Image.Resampling.LANCZOS), strength=strength)
        if "callback_on_step_end" in accepted and steps:
            kwargs["callback_on_step_end"] = lambda p, i, t, values: (
                self.device.step(i + 1, steps), values)[1]
        with self.device.use(self.name, "still", steps or 0):
            return pipe(**{k: v for k, v in kwargs.items() if k in accepted}).images[0]

    def _repaint(self, pipe: Any) -> Any:
        """Image-to-image over the same weights (no second copy), or None where diffusers has
        none for this checkpoint."""
        if self._repainter is None:
            from diffusers import AutoPipelineForImage2Image

            try:
                self._repainter = AutoPipelineForImage2Image.from_pipe(pipe)
                self._repainter.set_progress_bar_config(disable=True)
            except (ValueError, TypeError, AttributeError):
                self._repainter = False
        return self._repainter or None
