"""Music on this machine's GPU: ``--music transformers:MODEL`` (MusicGen) or ``--music
diffusers:MODEL`` (an audio pipeline: Stable Audio Open, AudioLDM 2), sharing the device with
the video model. The prompt says the show's mood and the take's length; the model makes that
many seconds (MusicGen: 50 tokens a second), and the house step trims and mixes it."""

from __future__ import annotations

import inspect
import time
from pathlib import Path
from typing import Any

import numpy as np

from webtv import prompts
from webtv.core.media import write_wav
from webtv.production.backends.base import Asset
from webtv.production.backends.device import torch
from webtv.production.backends.inprocess import InProcess, load, take_fault

MARGIN_S = 0.25  # a little more than the take: the house step trims, it never pads music


def music_prompt(mood: str, seconds: float) -> str:
    return prompts.render("music.j2", mood=mood, seconds=round(seconds)).strip()


class TransformersMusic(InProcess):
    """MusicGen (or any transformers text-to-audio model with ``generate``)."""

    library, what = "transformers", "music"

    def _load(self) -> Any:
        from transformers import AutoModelForTextToWaveform, AutoProcessor

        processor = load(self.spec, "music", self.options, AutoProcessor)
        model = load(self.spec, "music", self.options, AutoModelForTextToWaveform,
                     dtype=self.options.torch_dtype()).eval()
        return _Pair(processor, model)

    @take_fault("music")
    def compose(self, mood: str, seconds: float, seed: int, out_dir: Path) -> Asset:
        pair = self.pipeline()
        config = pair.model.config
        rate = config.audio_encoder.frame_rate
        tokens = round((seconds + MARGIN_S) * rate) + config.decoder.num_codebooks - 1
        text = music_prompt(mood, seconds)
        started = time.monotonic()
        with self.device.use(self.name, "music", tokens):
            inputs = pair.processor(text=[text], padding=True, return_tensors="pt")
            inputs = {k: v.to(pair.model.device) for k, v in inputs.items()}
            torch().manual_seed(seed)  # MusicGen samples: the seed makes the same cue again
            audio = pair.model.generate(**inputs, max_new_tokens=tokens, do_sample=True,
                                        logits_processor=[_Steps(self.device, tokens)])
        samples = audio[0].float().cpu().numpy()  # (channels, samples)
        path = write_wav(samples, config.audio_encoder.sampling_rate, out_dir / "music.wav")
        self.journal(endpoint=self.name, capability="music", attempt=1,
                     arguments={"seed": seed, "prompt": text, "tokens": tokens},
                     duration_ms=(time.monotonic() - started) * 1000, outcome="ok", error="")
        return Asset.measure(path)


class DiffusersAudio(InProcess):
    """A diffusers audio pipeline (Stable Audio Open, AudioLDM 2, MusicLDM)."""

    what = "music"

    @take_fault("music")
    def compose(self, mood: str, seconds: float, seed: int, out_dir: Path) -> Asset:
        pipe = self.pipeline()
        accepted = inspect.signature(pipe.__call__).parameters
        length = "audio_end_in_s" if "audio_end_in_s" in accepted else "audio_length_in_s"
        steps = 50 if "num_inference_steps" not in accepted else \
            accepted["num_inference_steps"].default or 50
        text = music_prompt(mood, seconds)
        kwargs = {"prompt": text, length: seconds + MARGIN_S,
                  "generator": torch().Generator("cpu").manual_seed(seed), "output_type": "np"}
        if "callback_on_step_end" in accepted:
            kwargs["callback_on_step_end"] = lambda p, i, t, values: (
                self.device.step(i + 1, steps), values)[1]
        started = time.monotonic()
        with self.device.use(self.name, "music", steps):
            audio = pipe(**{k: v for k, v in kwargs.items() if k in accepted}).audios[0]
        rate = getattr(getattr(pipe, "vae", None), "sampling_rate", None) or \
            pipe.vocoder.config.sampling_rate
        samples = np.asarray(audio, dtype=np.float32)
        path = write_wav(samples if samples.ndim == 2 else samples[None], rate,
                         out_dir / "music.wav")
        self.journal(endpoint=self.name, capability="music", attempt=1,
                     arguments={"seed": seed, "prompt": text},
                     duration_ms=(time.monotonic() - started) * 1000, outcome="ok", error="")
        return Asset.measure(path)


class _Pair:
    """A processor and its model, placed on the device together."""

    def __init__(self, processor: Any, model: Any) -> None:
        self.processor, self.model = processor, model

    def parameters(self):
        return self.model.parameters()

    def buffers(self):
        return self.model.buffers()

    def to(self, where: str) -> _Pair:
        self.model.to(where)
        return self


class _Steps:
    """A logits processor that only counts: MusicGen's tokens are its steps."""

    def __init__(self, dev: Any, total: int) -> None:
        self.device, self.total, self.done = dev, total, 0

    def __call__(self, input_ids: Any, scores: Any) -> Any:
        self.done += 1
        self.device.step(self.done, self.total)
        return scores
