"""What a take costs on a GPU with each open video family, without downloading a weight: a
diffusion model's speed does not depend on its weights' values, so each family is built at its
real size (the released checkpoints' configs, random weights, bfloat16) and run through the
channel's own backend at the size the channel uses. Prints a table: seconds per take, peak
VRAM, the real-time ratio (seconds of video made per second of work), with and without CPU
offload.

    python bench/gpu.py                       # on a GPU: Wan 1.3B, LTX-Video 2B, CogVideoX-2B
    python bench/gpu.py --families ltx --steps 8 --seconds 5
    python bench/gpu.py --tiny                # anywhere: the tests' tiny models, to check it runs
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import torch  # noqa: E402

from tests.tiny_models import build, tokenizer  # noqa: E402
from webtv.production.backends.base import ShotSpec, VideoRequest  # noqa: E402
from webtv.production.backends.device import Resident, weight_bytes  # noqa: E402
from webtv.production.backends.models import in_process  # noqa: E402

T5_XXL = dict(d_model=4096, d_ff=10240, d_kv=64, num_heads=64, num_layers=24,
              feed_forward_proj="gated-gelu", relative_attention_num_buckets=32,
              relative_attention_max_distance=128, pad_token_id=0, eos_token_id=1,
              decoder_start_token_id=0)


def made(cls, device: str, **config):
    with torch.device(device):
        return cls(**config).to(torch.bfloat16).eval()


def t5_xxl(device: str):
    """T5 v1.1 XXL's encoder: LTX-Video's and CogVideoX's text encoder."""
    from transformers import T5Config, T5EncoderModel

    return made(T5EncoderModel, device, config=T5Config(vocab_size=32128, **T5_XXL))


def wan(device: str):
    """Wan 2.1 T2V 1.3B: a 1.3B transformer, UMT5-XXL, Wan's VAE (8x, 4x)."""
    from diffusers import (
        AutoencoderKLWan,
        UniPCMultistepScheduler,
        WanPipeline,
        WanTransformer3DModel,
    )
    from transformers import UMT5Config, UMT5EncoderModel

    return WanPipeline(
        tokenizer=tokenizer(512),
        text_encoder=made(UMT5EncoderModel, device, config=UMT5Config(vocab_size=256384,
                                                                      **T5_XXL)),
        vae=made(AutoencoderKLWan, device),  # its defaults are the released VAE's
        scheduler=UniPCMultistepScheduler(prediction_type="flow_prediction",
                                          use_flow_sigmas=True, flow_shift=3.0),
        transformer=made(WanTransformer3DModel, device, patch_size=(1, 2, 2),
                         num_attention_heads=12, attention_head_dim=128, in_channels=16,
                         out_channels=16, text_dim=4096, freq_dim=256, ffn_dim=8960,
                         num_layers=30, cross_attn_norm=True, qk_norm="rms_norm_across_heads",
                         eps=1e-6, rope_max_seq_len=1024))


def ltx(device: str):
    """LTX-Video 0.9.x 2B: its transformer, T5-XXL and its VAE (32x, 8x): the defaults."""
    from diffusers import (
        AutoencoderKLLTXVideo,
        FlowMatchEulerDiscreteScheduler,
        LTXPipeline,
        LTXVideoTransformer3DModel,
    )
    return LTXPipeline(
        tokenizer=tokenizer(128),
        text_encoder=t5_xxl(device),
        vae=made(AutoencoderKLLTXVideo, device),
        scheduler=FlowMatchEulerDiscreteScheduler(
            use_dynamic_shifting=True, base_shift=0.95, max_shift=2.05, base_image_seq_len=1024,
            max_image_seq_len=4096, shift_terminal=0.1),
        transformer=made(LTXVideoTransformer3DModel, device))


def cogvideox(device: str):
    """CogVideoX-2B: 30 layers of 30 heads, T5-XXL, its VAE: the defaults, 720x480."""
    from diffusers import (
        AutoencoderKLCogVideoX,
        CogVideoXDDIMScheduler,
        CogVideoXPipeline,
        CogVideoXTransformer3DModel,
    )
    return CogVideoXPipeline(
        tokenizer=tokenizer(226),
        text_encoder=t5_xxl(device),
        vae=made(AutoencoderKLCogVideoX, device),
        transformer=made(CogVideoXTransformer3DModel, device),
        scheduler=CogVideoXDDIMScheduler(timestep_spacing="trailing",
                                         prediction_type="v_prediction",
                                         rescale_betas_zero_snr=True))


REAL = {"wan": ("Wan2.1-T2V-1.3B", wan), "ltx": ("LTX-Video-2B", ltx),
        "cogvideox": ("CogVideoX-2B", cogvideox)}


def backend(family: str, args: argparse.Namespace, offload: bool, root: Path):
    """The channel's video backend over this family's model (real size, or tiny)."""
    options = {"offload": "always" if offload else "never", "steps": args.steps}
    if args.tiny:
        options.update(width=160, height=96, device="cpu")
        return in_process("video", f"diffusers:{build(root, [family])[family]}", options)
    name, make = REAL[family]
    folder = root / name
    folder.mkdir(exist_ok=True)
    video = in_process("video", f"diffusers:{folder}", options)
    if video.name not in video.device.models:
        pipe = make(video.device.name)
        pipe.set_progress_bar_config(disable=True)
        video.device.models[video.name] = Resident(pipe, weight_bytes(pipe), on_device=True)
    return video


def measure(video, seconds: float, runs: int) -> dict:
    plan = video.plan(seconds)
    work = Path(tempfile.mkdtemp(prefix="webtv-gpu-"))
    times = []
    accelerated = video.device.accelerated
    for run in range(runs + 1):  # the first run warms up (kernels, allocator): not counted
        if accelerated:
            torch.cuda.synchronize()
            torch.cuda.reset_peak_memory_stats()
        started = time.perf_counter()
        video.generate(VideoRequest("a red panda repairs a bicycle in a busy market", run,
                                    ShotSpec(palette=[]), seconds=seconds), work)
        if accelerated:
            torch.cuda.synchronize()
        times.append(time.perf_counter() - started)
    wall = sum(times[1:]) / max(1, len(times) - 1)
    peak = torch.cuda.max_memory_allocated() / 2**30 if accelerated else float("nan")
    return {"size": f"{plan.width}x{plan.height}", "frames": plan.frames, "fps": plan.fps,
            "steps": plan.steps, "wall": wall, "peak": peak,
            "ratio": plan.frames / plan.fps / wall,
            "params": sum(p.numel() for m in video.pipeline().components.values()
                          if hasattr(m, "parameters") for p in m.parameters()) / 1e9}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--families", nargs="+", default=list(REAL), choices=list(REAL))
    parser.add_argument("--seconds", type=float, default=3.0, help="the shot's length")
    parser.add_argument("--steps", type=int, help="default: each family's own")
    parser.add_argument("--runs", type=int, default=1, help="timed runs after the warm-up")
    parser.add_argument("--offload", choices=("both", "on", "off"), default="both")
    parser.add_argument("--tiny", action="store_true", help="tiny models on the CPU")
    args = parser.parse_args()
    root = Path(tempfile.mkdtemp(prefix="webtv-bench-gpu-"))
    where = "cpu" if args.tiny or not torch.cuda.is_available() else \
        torch.cuda.get_device_name(0)
    print(f"device: {where}; torch {torch.__version__}; a {args.seconds:g} s shot", flush=True)
    print("| family | weights (B params) | size | frames @ fps | steps | offload | "
          "s a take | peak VRAM GB | video s per s |")
    print("|---|---|---|---|---|---|---|---|---|")
    for family in args.families:
        for offload in {"both": (False, True), "on": (True,), "off": (False,)}[args.offload]:
            video = backend(family, args, offload, root)
            row = measure(video, args.seconds, args.runs)
            print(f"| {family} | {row['params']:.2f} | {row['size']} | {row['frames']} @ "
                  f"{row['fps']} | {row['steps']} | {'on' if offload else 'off'} | "
                  f"{row['wall']:.1f} | {row['peak']:.1f} | {row['ratio']:.3f} |", flush=True)
        video.device.models.clear()  # the next family gets the whole GPU
        if torch.cuda.is_available():
            torch.cuda.empty_cache()


if __name__ == "__main__":
    main()
