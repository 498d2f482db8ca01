"""Text-to-video and image-to-video on this machine's GPU: ``--video diffusers:MODEL`` (a
directory or a cached hub id) through diffusers' own pipeline classes, for the families in
``families`` (Wan, LTX-Video, CogVideoX).

The shot's seconds become the family's frames at its own rate and size; the picture is cropped
to the house's 16:9 (never stretched) and written for the one house encode. A seed makes the
same frames again (a torch Generator per take). An out-of-memory error is the take's fault:
logged, tried once more at half the rate with the VAE tiled and the components offloaded, and
if that fails too the take fails like any other, and the channel stays on air.
"""

from __future__ import annotations

import inspect
import logging
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np

from webtv import prompts
from webtv.core.errors import BackendError, ConfigError
from webtv.core.media import write_frames
from webtv.production.backends.base import Asset, VideoRequest
from webtv.production.backends.device import is_out_of_memory, torch
from webtv.production.backends.families import (
    I2V_ONLY,
    Family,
    Shape,
    family_of,
    shape,
    smaller,
)
from webtv.production.backends.inprocess import InProcess

log = logging.getLogger("webtv.gpu")


class DiffusersVideo(InProcess):
    any_rate = False
    _i2v: Any = None  # the image-to-video pipeline over the same weights, made when needed

    # -- what the model is --------------------------------------------------------------
    def _load(self) -> Any:
        pipe = super()._load()
        family_of(type(pipe).__name__)  # a pipeline of another kind: said now, not mid-take
        return pipe

    @property
    def family(self) -> Family:
        return family_of(type(self.pipeline()).__name__)

    @property
    def distilled(self) -> bool:
        if self.options.video.distilled is not None:
            return self.options.video.distilled
        pipe = self.pipeline()
        condition = type(pipe).__name__ == "LTXConditionPipeline"  # 0.9.5+: no shifting when
        fixed = not pipe.scheduler.config.get("use_dynamic_shifting", True)  # distilled
        return "distill" in self.spec.lower() or (condition and fixed)

    @property
    def can_continue(self) -> bool:
        """Whether a take can start from a given picture (image-to-video)."""
        pipe = self.pipeline()
        name = type(pipe).__name__
        if "ImageToVideo" in name or name == "LTXConditionPipeline":
            return True
        if self.family.name == "wan":  # only the TI2V checkpoints share T2V's weights
            return bool(pipe.config.get("expand_timesteps"))
        return self.family.i2v is not None

    @property
    def needs_image(self) -> bool:
        return type(self.pipeline()).__name__ in I2V_ONLY or (
            self.family.name == "wan" and "ImageToVideo" in type(self.pipeline()).__name__)

    def plan(self, seconds: float) -> Shape:
        """The shape a shot of ``seconds`` is generated at."""
        pipe = self.pipeline()
        native = None
        if self.family.fixed_size:
            config = pipe.transformer.config
            scale = getattr(pipe, "vae_scale_factor_spatial", 8)
            native = (config.sample_width * scale, config.sample_height * scale)
        planned = shape(self.family, seconds, self.options.video, self.distilled, native)
        return replace(planned, tiling=self.options.tiling(),
                       offload={"always": True, "never": False}.get(self.options.offload))

    # -- a take ---------------------------------------------------------------------------
    def generate(self, request: VideoRequest, out_dir: Path) -> Asset:
        seconds = request.seconds or request.frames / max(request.fps, 1)
        planned = self.plan(seconds)
        try:
            frames = self._run(request, planned, note="")
        except Exception as exc:
            if not is_out_of_memory(exc):
                raise
            self.device.recover()
            retry = smaller(self.family, planned, seconds)
            self._journal(request, 1, "out_of_memory", f"{type(exc).__name__}: {exc}"[:300])
            log.warning("%s: out of memory at %d frames %dx%d; trying again at %d frames, the "
                        "VAE tiled, offloaded", self.name, planned.frames, planned.width,
                        planned.height, retry.frames)
            try:
                frames = self._run(request, retry, note=f"retry after out of memory: "
                                                       f"{retry.frames} frames")
            except Exception as again:
                if not is_out_of_memory(again):
                    raise
                self.device.recover()
                self._journal(request, 2, "out_of_memory", str(again)[:300])
                raise BackendError(f"{self.name}: out of GPU memory at {planned.frames} "
                                   f"frames and again at {retry.frames} (tiled, offloaded)") \
                    from again
            planned = retry
        path = out_dir / "video.nut"
        write_frames(_cropped(frames, planned.out_width, planned.out_height), planned.fps, path)
        return Asset(path, planned.frames / planned.fps, planned.out_width, planned.out_height,
                     float(planned.fps), planned.frames, made_frames=planned.frames)

    def _run(self, request: VideoRequest, planned: Shape, note: str) -> np.ndarray:
        pipe = self._pipe_for(request)
        kwargs = self._arguments(pipe, request, planned)
        started = time.monotonic()
        with self.device.use(self.name, "video", planned.steps, planned.offload, note):
            _tiled(pipe, planned.tiling)
            out = pipe(**kwargs)
        frames = out.frames[0]  # the batch's one video: (frames, height, width, 3) in [0, 1]
        self._journal(request, 2 if note else 1, "ok", "",
                      time.monotonic() - started, planned)
        return np.asarray(frames)

    def _pipe_for(self, request: VideoRequest) -> Any:
        """The pipeline for this take: image-to-video from the same weights when it starts
        from a picture."""
        pipe = self.pipeline()
        name = type(pipe).__name__
        if request.image is None or "ImageToVideo" in name or name == "LTXConditionPipeline":
            if self.needs_image and request.image is None:
                raise ConfigError(f"{self.name} is an image-to-video model: it needs a start "
                                  "picture (a reference still for the cast: --stills)")
            return pipe
        if not self.can_continue:
            return pipe  # it cannot start from a picture: words only
        if self._i2v is None:
            import diffusers

            self._i2v = getattr(diffusers, self.family.i2v).from_pipe(pipe)
            self._i2v.set_progress_bar_config(disable=True)
        return self._i2v

    def _arguments(self, pipe: Any, request: VideoRequest, planned: Shape) -> dict[str, Any]:
        accepted = inspect.signature(pipe.__call__).parameters
        steps = planned.steps

        def step(pipeline: Any, index: int, timestep: Any, values: dict) -> dict:
            self.device.step(index + 1, steps)
            return values

        kwargs: dict[str, Any] = {
            "prompt": request.prompt, "negative_prompt": negative_prompt(),
            "height": planned.height, "width": planned.width, "num_frames": planned.frames,
            "num_inference_steps": steps, "guidance_scale": planned.guidance,
            "generator": torch().Generator("cpu").manual_seed(request.seed),
            "output_type": "np", "callback_on_step_end": step, "frame_rate": planned.fps}
        if planned.timesteps and type(pipe).__name__ == "LTXConditionPipeline":
            kwargs["timesteps"] = list(planned.timesteps)  # its distilled schedule
            kwargs.pop("num_inference_steps")
        if request.image is not None and "image" in accepted:
            from PIL import Image

            with Image.open(request.image) as picture:
                kwargs["image"] = picture.convert("RGB").resize((planned.width, planned.height))
        if planned.guidance <= 1.0:
            kwargs.pop("negative_prompt")  # no guidance: a negative prompt would do nothing
        return {k: v for k, v in kwargs.items() if k in accepted}

    def _journal(self, request: VideoRequest, attempt: int, outcome: str, error: str,
                 seconds: float = 0.0, planned: Shape | None = None) -> None:
        made = {} if planned is None else {"frames": planned.frames, "fps": planned.fps,
                                           "size": f"{planned.width}x{planned.height}",
                                           "steps": planned.steps}
        self.journal(endpoint=self.name, capability="video", attempt=attempt,
                     arguments={"seed": request.seed, "prompt": request.prompt[:120], **made},
                     duration_ms=seconds * 1000, outcome=outcome, error=error)


def negative_prompt() -> str:
    """What no take should show (prompts/negative_prompt.txt), for the models that take one."""
    return ", ".join(prompts.word_list("negative_prompt.txt"))


def _tiled(pipe: Any, on: bool) -> None:
    vae = getattr(pipe, "vae", None)
    if vae is None or not hasattr(vae, "enable_tiling"):
        return
    if on:
        vae.enable_tiling()
        vae.enable_slicing()
    else:
        vae.disable_tiling()
        vae.disable_slicing()


def _cropped(frames: np.ndarray, width: int, height: int) -> list[np.ndarray]:
    """The frames as 8-bit RGB, centre-cropped to the house aspect."""
    pixels = np.clip(np.asarray(frames, dtype=np.float32) * 255.0 + 0.5, 0, 255).astype(np.uint8)
    top = (pixels.shape[1] - height) // 2
    left = (pixels.shape[2] - width) // 2
    return list(pixels[:, top:top + height, left:left + width])
