"""Local Gradio apps with exactly the API signatures of the Space presets, backed by the local
backends, for driving the remote backends through gradio_client on 127.0.0.1.

Each app has a Behaviour the tests steer: a delay, a number of failures before it works, a
corrupt file instead of media, and a count of calls.
"""

from __future__ import annotations

import hashlib
import re
import tempfile
import threading
import time
import wave
from dataclasses import dataclass, field
from pathlib import Path

import gradio as gr

from tests.channel import free_port
from webtv.inspection.motion import STILL
from webtv.production.backends.base import Asset, ShotSpec, VideoRequest
from webtv.production.backends.local_media import (
    FFmpegInterpolate,
    FFmpegUpscale,
    synthesize,
    write_wav,
)
from webtv.production.backends.local_video import ProceduralVideo
from webtv.reading.colours import NAMED


@dataclass
class Behaviour:
    delay: float = 0.0
    fail_first: int = 0  # raise a transient-looking error this many times first
    corrupt: bool = False
    trap: str | None = None  # a prompt with this word always gets a portrait clip, any seed
    trap_share: float = 0.0  # this share of prompts (by hash) always gets one, any seed
    crash: str | None = None  # a prompt with this word always crashes the app, any seed
    fault_rate: float = 0.0  # the share of answers with one of the renderer's faults
    calls: int = 0
    spans: list = field(default_factory=list)  # (start, end) of each call's wait
    lock: threading.Lock = field(default_factory=threading.Lock)

    def reset(self) -> None:
        with self.lock:
            self.delay, self.fail_first, self.corrupt, self.calls = 0.0, 0, False, 0
            self.trap, self.crash, self.fault_rate, self.spans = None, None, 0.0, []
            self.trap_share = 0.0

    def enter(self) -> bool:
        """Count the call, wait, maybe fail; True when the answer should be corrupt."""
        with self.lock:
            self.calls += 1
            failing = self.fail_first > 0
            self.fail_first -= 1 if failing else 0
        started = time.monotonic()
        time.sleep(self.delay)
        with self.lock:
            self.spans.append((started, time.monotonic()))
        if failing:
            raise gr.Error("GPU is busy: queue is full, please try again later")
        return self.corrupt


def _out(suffix: str) -> Path:
    return Path(tempfile.mkdtemp(prefix="space-")) / f"out{suffix}"


def _corrupt(suffix: str = ".mp4") -> str:
    path = _out(suffix)
    path.write_bytes(b"\x00\x00\x00\x18ftypmp42" + b"garbage" * 100)
    return str(path)


def spec_from_prompt(prompt: str) -> ShotSpec:
    """What a prompt-following model would draw: the colours named after the place ("..., at a
    harbor, sky backdrop, cream light, green ground") fill the scene, the ones before it dress
    the character; the camera move as said; a subject that "stands still" (or sits, waits)
    held still, as quiet as a video model draws it."""
    def colours(text: str) -> list[str]:
        words = re.findall(r"[a-z]+", text.lower())
        pairs = [f"{a} {b}" for a, b in zip(words, words[1:], strict=False)]
        found = []
        for i, word in enumerate(words):  # two-word colours ("sky blue") before one-word ones
            pair = pairs[i] if i < len(pairs) else ""
            if pair in NAMED:
                found.append(NAMED[pair])
            elif word in NAMED and not (i and pairs[i - 1] in NAMED):
                found.append(NAMED[word])
        return found

    place = re.search(r",\s(?:at|in|on|inside|under|by)\s", prompt)
    cast, scene = (prompt[:place.start()], prompt[place.end():]) if place else ("", prompt)
    move, direction = "static", "none"
    for m, d in (("pan", "left"), ("pan", "right"), ("tilt", "up"), ("tilt", "down"),
                 ("zoom", "in"), ("zoom", "out")):
        if f"{m}s {d}" in prompt or f"{m} {d}" in prompt:
            move, direction = m, d
    palette = colours(scene)[:3] or colours(cast)[2:5] or ["#203060", "#c08040", "#304020"]
    still = "stands still" if STILL.search(prompt) else "moves"  # a still shot held still
    return ShotSpec(palette=palette, subject_colours=colours(cast)[:2], camera_move=move,
                    camera_direction=direction, subject_motion=still)


def trapped(prompt: str, share: float) -> bool:
    """Whether this prompt is one of the ``share`` of prompts the app always answers badly."""
    digest = hashlib.sha256(prompt.encode()).digest()
    return int.from_bytes(digest[:4], "big") / 2**32 < share


def zeroscope(b: Behaviour) -> gr.Blocks:
    def run(prompt: str, seed: float, num_frames: float, num_inference_steps: float) -> str:
        if b.enter():
            return _corrupt()
        request = VideoRequest(prompt, int(seed), spec_from_prompt(prompt), frames=int(num_frames))
        out = _out(".mp4").parent
        if b.crash and b.crash in prompt:
            raise gr.Error("CUDA error: an illegal memory access was encountered")
        if b.trap and b.trap in prompt or trapped(prompt, b.trap_share):  # any seed
            return str(ProceduralVideo(1.0, ("wrong_aspect",)).generate(request, out).path)
        return str(ProceduralVideo(b.fault_rate).generate(request, out).path)

    with gr.Blocks() as demo:
        prompt = gr.Textbox(label="Prompt")
        seed = gr.Slider(0, 2147483647, step=1, label="Seed")
        frames = gr.Slider(8, 48, value=24, step=1, label="Number of frames")
        steps = gr.Slider(10, 50, value=35, step=1, label="Number of inference steps")
        video = gr.Video(label="Result")
        gr.Button("Generate").click(run, [prompt, seed, frames, steps], video, api_name="run")
    return demo


def zeroscope_xl(b: Behaviour) -> gr.Blocks:
    def infer(prompt: str, video_in: str) -> str:
        if b.enter():
            return _corrupt()
        out = _out(".mp4").parent
        return str(FFmpegUpscale().upscale(Asset.measure(Path(video_in)), prompt, out).path)

    with gr.Blocks() as demo:
        prompt = gr.Textbox(label="Prompt")
        video_in = gr.Video(label="Video to upscale")
        video_out = gr.Video(label="XL result")
        gr.Button("Upscale").click(infer, [prompt, video_in], video_out, api_name="infer")
    return demo


def film(b: Behaviour) -> gr.Blocks:
    def interpolate(video: str, steps: float, fps: float) -> str:
        if b.enter():
            return _corrupt()
        out = _out(".mp4").parent
        return str(FFmpegInterpolate().interpolate(Asset.measure(Path(video)), int(fps), out).path)

    with gr.Blocks() as demo:
        video = gr.Video(label="Video")
        steps = gr.Slider(1, 4, value=1, step=1, label="Interpolation Steps")
        fps = gr.Radio([8, 12, 24, 30], value=24, label="FPS output")
        result = gr.Video(label="Interpolated")
        gr.Button("Info").click(lambda: "FILM", None, gr.Textbox(), api_name="info")  # fn 0
        gr.Button("Interpolate").click(interpolate, [video, steps, fps], result)  # fn_index 1
    return demo


MUSICGEN_MODELS = ["facebook/musicgen-melody", "facebook/musicgen-medium",
                   "facebook/musicgen-small", "facebook/musicgen-large",
                   "facebook/musicgen-melody-large", "facebook/musicgen-stereo-small",
                   "facebook/musicgen-stereo-medium", "facebook/musicgen-stereo-melody",
                   "facebook/musicgen-stereo-large", "facebook/musicgen-stereo-melody-large"]


def musicgen(b: Behaviour) -> gr.Blocks:
    def predict_full(model, model_path, decoder, text, melody, duration, topk, topp,
                     temperature, cfg_coef):
        if b.enter():
            return None, _corrupt(".wav"), None, None
        out = _out(".wav")
        write_wav(synthesize(text, float(duration), 0), out)
        return None, str(out), None, None

    with gr.Blocks() as demo:
        model = gr.Radio(MUSICGEN_MODELS, value="facebook/musicgen-stereo-melody", label="Model")
        model_path = gr.Text(label="Model Path (custom models)")
        decoder = gr.Radio(["Default", "MultiBand_Diffusion"], value="Default", label="Decoder")
        text = gr.Text(label="Input Text")
        melody = gr.Audio(type="numpy", label="Melody Condition (optional)")
        duration = gr.Slider(1, 120, value=10, label="Duration")
        topk = gr.Number(label="Top-k", value=250)
        topp = gr.Number(label="Top-p", value=0)
        temperature = gr.Number(label="Temperature", value=1.0)
        cfg = gr.Number(label="Classifier Free Guidance", value=3.0)
        outputs = [gr.Video(label="Generated Music"), gr.Audio(type="filepath"),
                   gr.Video(label="MBD"), gr.Audio(type="filepath")]
        gr.Button("Submit").click(predict_full, [model, model_path, decoder, text, melody,
                                                 duration, topk, topp, temperature, cfg],
                                  outputs, api_name="predict_full")
    return demo


def ltx(b: Behaviour) -> gr.Blocks:
    def generate(prompt, negative_prompt, input_image_filepath, input_video_filepath,
                 height_ui, width_ui, mode, duration_ui, ui_frames_to_use, seed_ui,
                 randomize_seed, ui_guidance_scale, improve_texture_flag):
        if b.enter():
            return _corrupt(), seed_ui
        frames = max(9, round(float(duration_ui) * 8))
        request = VideoRequest(prompt, int(seed_ui), spec_from_prompt(prompt), frames=frames,
                               width=int(width_ui), height=int(height_ui))
        return str(ProceduralVideo().generate(request, _out(".mp4").parent).path), seed_ui

    with gr.Blocks() as demo:
        inputs = [gr.Textbox(label="Prompt"), gr.Textbox(label="Negative Prompt"),
                  gr.Textbox(visible=False), gr.Textbox(visible=False),
                  gr.Slider(256, 1280, value=512, step=32, label="Height"),
                  gr.Slider(256, 1280, value=704, step=32, label="Width"),
                  gr.Dropdown(["text-to-video", "image-to-video", "video-to-video"],
                              value="image-to-video", visible=False),
                  gr.Slider(0.3, 8.5, value=2, step=0.1, label="Duration (s)"),
                  gr.Slider(9, 257, value=9, step=8, label="Frames to use"),
                  gr.Number(label="Seed", value=42), gr.Checkbox(label="Randomize seed",
                                                                value=True),
                  gr.Slider(1, 10, value=1.0, label="Guidance Scale"),
                  gr.Checkbox(label="Improve texture", value=True)]
        outputs = [gr.Video(label="Generated Video"), gr.Number(label="Seed")]
        gr.Button("Generate").click(generate, inputs, outputs, api_name="text_to_video")
    return demo


APPS = {"zeroscope-576w": zeroscope, "zeroscope-xl": zeroscope_xl, "film": film,
        "musicgen-full": musicgen, "ltx-video": ltx}


class Space:
    """One app running on 127.0.0.1 in this process."""

    def __init__(self, preset: str, concurrency: int = 4) -> None:
        """``concurrency``: jobs served at once (1: one GPU, the rest wait in its queue)."""
        self.preset = preset
        self.behaviour = Behaviour()
        self.demo = APPS[preset](self.behaviour)
        self.port = free_port()
        self.demo.queue(default_concurrency_limit=concurrency).launch(
            server_name="127.0.0.1", server_port=self.port, prevent_thread_lock=True,
            quiet=True, show_error=True)
        self.url = f"http://127.0.0.1:{self.port}/"

    def close(self) -> None:
        self.demo.close()


def read_wav_seconds(path: Path) -> float:
    with wave.open(str(path)) as w:
        return w.getnframes() / w.getframerate()
