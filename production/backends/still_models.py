"""Reference stills on this machine's GPU: ``--stills diffusers:MODEL``, any diffusers
text-to-image pipeline (SDXL-Turbo, FLUX.1-schnell, PixArt, ...). A cast member's still is made
once for its look and kept in the bible; image-to-video models start from it. It is drawn at
the video's size ([gpu] width and height; 1024x576 when unset)."""

from __future__ import annotations

import inspect
from pathlib import Path

from webtv.production.backends.device import torch
from webtv.production.backends.inprocess import InProcess, take_fault

DISTILLED_STEPS = 4  # turbo and schnell checkpoints: a few steps, no guidance


class DiffusersStill(InProcess):
    what = "stills"

    @take_fault("stills")
    def draw(self, prompt: str, seed: int, out_dir: Path) -> Path:
        pipe = self.pipeline()
        accepted = inspect.signature(pipe.__call__).parameters
        fast = any(word in self.spec.lower() for word in ("turbo", "schnell", "lightning"))
        steps = DISTILLED_STEPS if fast else 25
        width, height = (-(-(v or d) // 16) * 16 for v, d in (
            (self.options.video.width, 1024), (self.options.video.height, 576)))
        kwargs = {"prompt": prompt, "num_inference_steps": steps,
                  "generator": torch().Generator("cpu").manual_seed(seed),
                  "width": width, "height": height, "output_type": "pil",
                  "use_resolution_binning": False}  # the size asked, not the nearest bin
        if fast:
            kwargs["guidance_scale"] = 0.0
        if "callback_on_step_end" in accepted:
            kwargs["callback_on_step_end"] = lambda p, i, t, values: (
                self.device.step(i + 1, steps), values)[1]
        with self.device.use(self.name, "still", steps):
            image = pipe(**{k: v for k, v in kwargs.items() if k in accepted}).images[0]
        out = out_dir / "still.png"
        image.save(out)
        return out
