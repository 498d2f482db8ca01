"""Text-to-video and image-to-video on this machine's GPU: ``--video diffusers:MODEL`` (a
directory or a cached hub id) through diffusers' own pipeline classes, for the checkpoints in
``families`` (Wan 2.1/2.2, LTX-Video, LTX-2, CogVideoX 1.0/1.5, HunyuanVideo 1.5, SkyReels-V2;
and those that run on a CPU: AnimateDiff, with its motion adapter saved in or given apart in
[gpu] motion_adapter, and Zeroscope / ModelScope).

The shot's seconds become the checkpoint's frames at its own rate and size; the picture is
cropped to the house's 16:9 (never stretched) and written for the one house encode, with the
model's own sound where it makes one. A seed makes the same frames again (a torch Generator per
take). An out-of-memory error is the take's fault: logged, tried once more at half the rate
with the VAE tiled (and offloaded, unless the owner said never), and if that fails too the take
fails like any other; any other error of the model's is the take's fault too, and the channel
stays on air.
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
from webtv.production.backends import checkpoints, motion_adapters
from webtv.production.backends.base import Asset, VideoRequest
from webtv.production.backends.device import is_out_of_memory, torch
from webtv.production.backends.families import Checkpoint, Rules, rules_for
from webtv.production.backends.inprocess import GpuOptions, InProcess, source, take_fault
from webtv.production.backends.shapes import Shape, house_crop, longest, shape, smaller

log = logging.getLogger("webtv.gpu")


class DiffusersVideo(InProcess):
    any_rate = False
    _i2v: Any = None  # the image-to-video pipeline over the same weights, made when needed

    def __init__(self, spec: str, options: GpuOptions, journal: Any = None) -> None:
        super().__init__(spec, options, journal)
        where, is_dir = source(spec, self.what)
        found = checkpoints.from_folder(Path(where), spec) if is_dir else \
            checkpoints.from_cache(spec)
        if found is not None and options.motion_adapter:  # AnimateDiff: a base and an adapter
            found = motion_adapters.with_adapter(found, options.motion_adapter,
                                                 options.download)
        # a checkpoint this channel cannot plan is refused now, not when its first take is due
        self._rules = _rules_or_hint(found, spec) if found is not None else None
        self._class = found.cls if found is not None else None

    # -- what the model is --------------------------------------------------------------
    def _load(self) -> Any:
        adapter = self.options.motion_adapter
        if adapter:
            pipe = motion_adapters.load(self.spec, adapter, self._class or "AnimateDiffPipeline",
                                        self.options)
            pipe.set_progress_bar_config(disable=True)
        else:
            pipe = super()._load()
        if self._rules is None:  # fetched at its first take: its configs are read now
            self._rules = rules_for(replace(checkpoints.from_pipeline(pipe, self.spec),
                                            adapter_name=adapter))
        if self._rules.flow_shift is not None:  # the documented shift its config lacks
            pipe.scheduler = type(pipe.scheduler).from_config(
                pipe.scheduler.config, flow_shift=self._rules.flow_shift)
        if self._rules.scheduler:  # the scheduler its docs run it with
            import diffusers

            settings = dict(self._rules.scheduler)
            cls = getattr(diffusers, settings.pop("_class_name"))
            pipe.scheduler = cls.from_config(pipe.scheduler.config, **settings)
        return pipe

    @property
    def rules(self) -> Rules:
        """The checkpoint's rules: read from its files at start (or once it is loaded)."""
        if self._rules is None:
            pipe = self.pipeline()  # loaded now; or a pipeline built in this process
            if self._rules is None:
                self._rules = rules_for(checkpoints.from_pipeline(pipe, self.spec))
        return self._rules

    @property
    def distilled(self) -> bool:
        """Only where the owner says so against the checkpoint's own configs."""
        return bool(self.options.video.distilled)

    @property
    def can_continue(self) -> bool:
        """Whether a take can start from a given picture (image-to-video)."""
        return self.rules.can_continue

    @property
    def needs_image(self) -> bool:
        return self.rules.needs_image

    @property
    def longest_s(self) -> float:
        """The longest shot one take covers: its most frames at its rate (a whole number of
        tenths), or the diffusion-forcing window after window to LONGEST_S."""
        return longest(self.rules, self.options.video)

    def plan(self, seconds: float) -> Shape:
        """The shape a shot of ``seconds`` is generated at."""
        planned = shape(self.rules, seconds, self.options.video, self.distilled)
        return replace(planned, tiling=self.options.tiling(), offload=self._offload())

    def _offload(self) -> bool | None:
        return {"always": True, "never": False}.get(self.options.offload)

    # -- a take ---------------------------------------------------------------------------
    @take_fault("video")
    def generate(self, request: VideoRequest, out_dir: Path) -> Asset:
        seconds = request.seconds or request.frames / max(request.fps, 1)
        planned = self.plan(seconds)
        try:
            made = self._run(request, planned, note="")
        except Exception as exc:
            if not is_out_of_memory(exc):
                raise
            self.device.recover()
            # "never" means never: the retry is smaller and tiled, offloaded only if allowed;
            # the take after it runs as configured again (Device.use puts it back)
            retry = smaller(self.rules, planned, seconds,
                            offload=self.options.offload != "never")
            self._journal(request, 1, "out_of_memory", f"{type(exc).__name__}: {exc}"[:300])
            log.warning("%s: out of memory at %d frames %dx%d; trying again at %d frames, the "
                        "VAE tiled%s", self.name, planned.frames, planned.width,
                        planned.height, retry.frames, ", offloaded" if retry.offload else "")
            try:
                made = self._run(request, retry, note=f"retry after out of memory: "
                                                      f"{retry.frames} frames")
            except Exception as again:
                if not is_out_of_memory(again):
                    raise
                self.device.recover()
                self._journal(request, 2, "out_of_memory", str(again)[:300])
                how = "tiled, offloaded" if retry.offload else "tiled"
                raise BackendError(f"{self.name}: out of GPU memory at {planned.frames} "
                                   f"frames and again at {retry.frames} ({how})") from again
            planned = retry
        frames, sound = made
        # the size the model made (one that picks its own from the start picture too), cropped
        width, height = house_crop(frames.shape[2], frames.shape[1])
        path = out_dir / "video.nut"
        write_frames(_cropped(frames, width, height), planned.fps, path, sound=sound)
        return Asset(path, len(frames) / planned.fps, width, height, float(planned.fps),
                     len(frames), made_frames=len(frames), sound=sound is not None)

    def _run(self, request: VideoRequest, planned: Shape,
             note: str) -> tuple[np.ndarray, tuple[np.ndarray, int] | None]:
        """The frames, and the model's own sound (samples, rate) where it makes one."""
        pipe = self._pipe_for(request)
        kwargs = self._arguments(pipe, request, planned)
        started = time.monotonic()
        with self.device.use(self.name, "video", planned.steps, planned.offload, note):
            _tiled(pipe, planned.tiling)
            _guided(pipe, planned.guidance)
            out = pipe(**kwargs)
        frames = out.frames[0]  # the batch's one video: (frames, height, width, 3) in [0, 1]
        self._journal(request, 2 if note else 1, "ok", "",
                      time.monotonic() - started, planned)
        return np.asarray(frames), _sound(pipe, out) if self.rules.sound else None

    def _pipe_for(self, request: VideoRequest) -> Any:
        """The pipeline for this take: image-to-video from the same weights when it starts
        from a picture."""
        pipe = self.pipeline()
        rules = self.rules
        if self.needs_image and request.image is None:
            raise ConfigError(f"{self.name} is an image-to-video model: it needs a start "
                              "picture (a reference still for the cast: --stills)")
        if request.image is None or not rules.can_continue or rules.i2v is None \
                or "image" in inspect.signature(pipe.__call__).parameters:
            return pipe  # words only, or the pipeline itself takes the picture
        if self._i2v is None:
            import diffusers

            self._i2v = getattr(diffusers, rules.i2v).from_pipe(pipe)
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
            "output_type": "np", "callback_on_step_end": step, "frame_rate": planned.fps,
            "fps": planned.fps}
        if planned.guidance_2 is not None and self.options.video.guidance is None:
            kwargs["guidance_scale_2"] = planned.guidance_2  # the second expert's
        if planned.timesteps and "timesteps" in accepted:
            kwargs["timesteps"] = list(planned.timesteps)  # its distilled schedule
            kwargs.pop("num_inference_steps")
        elif planned.sigmas and "sigmas" in accepted:
            kwargs["sigmas"] = list(planned.sigmas)
            kwargs.pop("num_inference_steps")
        if planned.window:  # diffusion forcing: one generation, window after window
            kwargs.update(base_num_frames=planned.window, overlap_history=planned.overlap,
                          addnoise_condition=20)
        elif "base_num_frames" in accepted:
            kwargs["base_num_frames"] = planned.frames  # all of it in one window
        if request.image is not None and "image" in accepted:
            from PIL import Image, ImageOps

            with Image.open(request.image) as picture:  # cropped to the model's aspect
                kwargs["image"] = ImageOps.fit(picture.convert("RGB"),
                                               (planned.width, planned.height),
                                               Image.Resampling.LANCZOS)
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


def _rules_or_hint(found: Checkpoint, spec: str) -> Rules:
    """The checkpoint's rules; a text-to-image one is refused with what it can do here."""
    try:
        return rules_for(found)
    except ConfigError as exc:
        from webtv.production.backends.painters import text_to_image_classes

        if found.cls not in text_to_image_classes():
            raise
        adapter = " (or [gpu] motion_adapter makes it AnimateDiff's base)" \
            if found.cls in motion_adapters.BASES else ""
        raise ConfigError(f"{exc}; {found.cls} paints pictures: --video stills:{spec} sets "
                          f"them in motion{adapter}") from None


def negative_prompt() -> str:
    """What no take should show (prompts/negative_prompt.txt), for the models that take one."""
    return ", ".join(prompts.word_list("negative_prompt.txt"))


def _guided(pipe: Any, guidance: float) -> None:
    """Guidance held by a guider component (HunyuanVideo 1.5) rather than an argument."""
    guider = getattr(pipe, "guider", None)
    if guider is not None and guider.config.get("guidance_scale") != guidance:
        pipe.guider = guider.new(guidance_scale=guidance)


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


def _sound(pipe: Any, out: Any) -> tuple[np.ndarray, int] | None:
    """The model's sound for the batch's one video: (samples as (channels, n), rate)."""
    audio = getattr(out, "audio", None)
    if audio is None:
        return None
    samples = audio[0] if isinstance(audio, list | tuple) else audio
    samples = np.asarray(samples.float().cpu() if hasattr(samples, "cpu") else samples,
                         dtype=np.float32)
    while samples.ndim > 2:  # a batch of one
        samples = samples[0]
    if samples.ndim == 1:
        samples = samples[None]
    vocoder = getattr(pipe, "vocoder", None)
    rate = getattr(getattr(vocoder, "config", None), "output_sampling_rate", None) or getattr(
        getattr(vocoder, "config", None), "sampling_rate", None) or 24000
    return samples, int(rate)
