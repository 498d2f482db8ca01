"""What a take costs on a laptop's CPU, with the models of the README's laptop recipe at their
real size: SD-Turbo's layout for pictures in motion (``--video stills:MODEL``) and a Stable
Diffusion 1.5 base with AnimateDiff-Lightning's 4-step motion adapter (``--video diffusers:BASE``
and ``[gpu] motion_adapter``). No weights can be fetched here, so each model is built from its
released configuration with random weights (a diffusion model's speed does not depend on its
weights' values), saved as a user's download is, and run through the channel's own backends
exactly as `webtv run` runs them. Prints seconds per take, the real-time ratio and the memory.

    python bench/laptop.py                        # both, a 3-second shot, on this CPU
    python bench/laptop.py --models stills --seconds 5
    python bench/laptop.py --tiny                 # the tests' tiny models: checks it runs
"""

from __future__ import annotations

import argparse
import resource
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import torch  # noqa: E402

from bench.table import print_table  # noqa: E402
from tests.released import SD15_UNET, SD21_UNET, SD_VAE, TRAILING  # noqa: E402
from tests.tiny_painters import LIGHTNING_FILE, clip_tokenizer  # noqa: E402
from webtv.production.backends.base import ShotSpec, VideoRequest  # noqa: E402
from webtv.production.backends.models import in_process  # noqa: E402

OPEN_CLIP_H = dict(hidden_size=1024, intermediate_size=4096, num_hidden_layers=23,
                   num_attention_heads=16, hidden_act="gelu", projection_dim=512)  # SD 2.x
CLIP_L = dict(hidden_size=768, intermediate_size=3072, num_hidden_layers=12,
              num_attention_heads=12, hidden_act="quick_gelu", projection_dim=768)  # SD 1.5


def _text(config: dict):
    from transformers import CLIPTextConfig, CLIPTextModel

    return CLIPTextModel(CLIPTextConfig(vocab_size=49408, max_position_embeddings=77,
                                        **config)).eval()


def sd_turbo(folder: Path) -> str:
    """SD-Turbo as released: SD 2.1's UNet (865M) and OpenCLIP-H text encoder, Euler with
    trailing timesteps."""
    from diffusers import (
        AutoencoderKL,
        EulerDiscreteScheduler,
        StableDiffusionPipeline,
        UNet2DConditionModel,
    )

    if not (folder / "model_index.json").is_file():
        StableDiffusionPipeline(
            vae=AutoencoderKL(**SD_VAE), text_encoder=_text(OPEN_CLIP_H),
            tokenizer=clip_tokenizer(folder / "_tok"), unet=UNet2DConditionModel(**SD21_UNET),
            scheduler=EulerDiscreteScheduler(**TRAILING), safety_checker=None,
            feature_extractor=None, requires_safety_checker=False).save_pretrained(folder)
    return f"stills:{folder}"


def lightning(folder: Path) -> tuple[str, dict]:
    """A Stable Diffusion 1.5 base (860M UNet, CLIP-L) and AnimateDiff-Lightning's 4-step
    adapter file (MotionAdapter's defaults: the v2 adapter it was distilled from)."""
    from diffusers import (
        AutoencoderKL,
        DDIMScheduler,
        MotionAdapter,
        StableDiffusionPipeline,
        UNet2DConditionModel,
    )
    from safetensors.torch import save_file

    base, file = folder / "base", folder / LIGHTNING_FILE
    if not (base / "model_index.json").is_file():
        StableDiffusionPipeline(
            vae=AutoencoderKL(**SD_VAE), text_encoder=_text(CLIP_L),
            tokenizer=clip_tokenizer(folder / "_tok"), unet=UNet2DConditionModel(**SD15_UNET),
            scheduler=DDIMScheduler(steps_offset=1, clip_sample=False), safety_checker=None,
            feature_extractor=None, requires_safety_checker=False).save_pretrained(base)
    if not file.is_file():
        save_file(MotionAdapter().state_dict(), str(file))
    return f"diffusers:{base}", {"motion_adapter": str(file)}


def tiny(root: Path, which: str) -> tuple[str, dict]:
    import json

    from tests.tiny_models import build
    from tests.tiny_painters import motion_adapter

    if which == "stills":
        return f"stills:{build(root, ['sd-turbo'])['sd-turbo']}", {}
    folder = build(root, ["animatediff-lightning"])["animatediff-lightning"]
    config = {k: v for k, v in motion_adapter().config.items() if not k.startswith("_")}
    (folder / "config.json").write_text(json.dumps(config))
    return f"diffusers:{folder / 'base'}", {"motion_adapter": str(folder / LIGHTNING_FILE)}


def _time_in_model(video) -> list[float]:
    """Seconds spent inside the model (the device held for a generation), appended per use:
    the rest of a take is the channel's own work (the camera, the encode)."""
    from contextlib import contextmanager

    spent: list[float] = []
    use = video.device.use

    @contextmanager
    def timed(*args, **kwargs):
        started = time.perf_counter()
        with use(*args, **kwargs) as model:
            yield model
        spent.append(time.perf_counter() - started)

    video.device.use = timed
    return spent


def measure(name: str, options: dict, seconds: float, runs: int) -> dict:
    video = in_process("video", name, {"device": "cpu", **options})
    plan = video.plan(seconds)
    work = Path(tempfile.mkdtemp(prefix="webtv-laptop-"))
    started = time.perf_counter()
    video.pipeline()
    load = time.perf_counter() - started
    in_model = _time_in_model(video)
    times = []
    for run in range(runs):
        spec = ShotSpec(palette=[], camera_move="pan", camera_direction="right",
                        subject_motion="stirs the noodles")
        started = time.perf_counter()
        video.generate(VideoRequest("a llama who runs a night-time noodle stand, lanterns",
                                    run, spec, seconds=seconds), work)
        times.append(time.perf_counter() - started)
    wall = sum(times) / len(times)
    return {"model": sum(in_model) / len(times), "checkpoint": video.rules.checkpoint,
            "size": f"{plan.width}x{plan.height}",
            "frames": plan.frames, "fps": plan.fps, "steps": plan.steps, "load": load,
            "wall": wall, "ratio": plan.frames / plan.fps / wall,
            "rss": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20,
            "params": sum(p.numel() for m in video.pipeline().components.values()
                          if hasattr(m, "parameters") for p in m.parameters()) / 1e9}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", nargs="+", default=["stills", "animatediff-lightning"],
                        choices=["stills", "animatediff-lightning"])
    parser.add_argument("--seconds", type=float, default=3.0, help="the shot's length")
    parser.add_argument("--runs", type=int, default=2, help="timed takes (different seeds)")
    parser.add_argument("--tiny", action="store_true", help="the tests' tiny models")
    parser.add_argument("--root", type=Path, help="where the models are saved (kept)")
    args = parser.parse_args()
    root = args.root or Path(tempfile.mkdtemp(prefix="webtv-laptop-models-"))
    root.mkdir(parents=True, exist_ok=True)
    threads = torch.get_num_threads()
    for which in args.models:
        if args.tiny:
            name, options = tiny(root, which)
        elif which == "stills":
            name, options = sd_turbo(root / "sd-turbo"), {}
        else:
            name, options = lightning(root / "lightning")
        row = measure(name, options, args.seconds, args.runs)
        print(f"\n{which}: {row['checkpoint']}, {'tiny' if args.tiny else 'real-size'} "
              f"random weights, {threads} CPU threads")
        print_table([
            ("parameters (billions)", f"{row['params']:.2f}"),
            ("planned", f"{row['size']}, {row['frames']} frames @ {row['fps']} fps, "
                        f"{row['steps']} steps"),
            ("load (s)", f"{row['load']:.1f}"),
            (f"seconds per {args.seconds:g} s take (mean of {args.runs})", f"{row['wall']:.1f}"),
            ("... of which in the model (painting, denoising, decoding)", f"{row['model']:.1f}"),
            ("seconds of video per second of work", f"{row['ratio']:.3f}"),
            ("peak memory, this process (GB)", f"{row['rss']:.1f}"),
        ])


if __name__ == "__main__":
    main()
