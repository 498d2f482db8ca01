"""What a take costs on a GPU with each open video family, without downloading a weight: a
diffusion model's speed does not depend on its weights' values, so each family is built at its
real size (the released checkpoints' configs, random weights, bfloat16) and run through the
channel's own backend at the size the channel uses. Prints a table: seconds per take, peak
VRAM, the real-time ratio (seconds of video made per second of work), with and without CPU
offload.

    python bench/gpu.py                       # on a GPU: every family below, at real size
    python bench/gpu.py --families ltx --steps 8 --seconds 5
    python bench/gpu.py --families wan22-a14b ltx2 hunyuan15 skyreels-df --seconds 5
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


def umt5_xxl(device: str):
    from transformers import UMT5Config, UMT5EncoderModel

    return made(UMT5EncoderModel, device, config=UMT5Config(vocab_size=256384, **T5_XXL))


def _wan_like(device: str, cls_name: str, transformer: dict, vae: dict, shift: float | None,
              experts: int = 1, **pipeline):
    """A Wan-shaped pipeline (Wan 2.2, SkyReels-V2) at its released configs; ``experts``: 2
    for Wan 2.2 A14B's second transformer; ``pipeline``: model_index.json's own keys."""
    import diffusers

    from tests import released

    transformer_cls = diffusers.SkyReelsV2Transformer3DModel if "SkyReels" in cls_name \
        else diffusers.WanTransformer3DModel
    extra = dict(pipeline)
    if experts == 2:
        extra["transformer_2"] = made(transformer_cls, device, **transformer)
    return getattr(diffusers, cls_name)(
        tokenizer=tokenizer(512), text_encoder=umt5_xxl(device),
        vae=made(diffusers.AutoencoderKLWan, device, **vae),
        scheduler=diffusers.UniPCMultistepScheduler(
            **{**released.UNIPC, **({"flow_shift": shift} if shift else {})}),
        transformer=made(transformer_cls, device, **transformer), **extra)


def wan22_a14b(device: str):
    """Wan 2.2 T2V A14B: two 14B experts (bfloat16: 57 GB of weights with UMT5-XXL)."""
    from tests import released

    return _wan_like(device, "WanPipeline", released.WAN_14B, released.WAN_VAE, 12.0,
                     experts=2, boundary_ratio=0.875)


def wan22_ti2v(device: str):
    """Wan 2.2 TI2V-5B: a 5B transformer over the 16x VAE."""
    from tests import released

    return _wan_like(device, "WanPipeline", {**released.WAN_13B, "in_channels": 48,
                                             "out_channels": 48, "num_attention_heads": 24,
                                             "ffn_dim": 14336},
                     released.WAN22_VAE, 5.0, expand_timesteps=True)


def skyreels(device: str):
    """SkyReels-V2 DF 1.3B 540P: Wan's 1.3B with diffusion forcing."""
    from tests import released

    return _wan_like(device, "SkyReelsV2DiffusionForcingPipeline", released.SKYREELS_13B,
                     released.WAN_VAE, 8.0)


def cogvideox15(device: str):
    """CogVideoX 1.5 5B: 42 layers of 48 heads, two frames a patch, T5-XXL, 1360x768."""
    from diffusers import (
        AutoencoderKLCogVideoX,
        CogVideoXDDIMScheduler,
        CogVideoXPipeline,
        CogVideoXTransformer3DModel,
    )

    from tests import released

    return CogVideoXPipeline(
        tokenizer=tokenizer(226), text_encoder=t5_xxl(device),
        vae=made(AutoencoderKLCogVideoX, device),
        transformer=made(CogVideoXTransformer3DModel, device, **released.COG_15),
        scheduler=CogVideoXDDIMScheduler(**released.COG_DDIM))


def ltx2(device: str):
    """LTX-2 19B with its audio VAE, vocoder and text connectors (diffusers' defaults are the
    release's) and Gemma 3 12B as the text encoder."""
    from diffusers import (
        AutoencoderKLLTX2Audio,
        AutoencoderKLLTX2Video,
        FlowMatchEulerDiscreteScheduler,
        LTX2Pipeline,
        LTX2VideoTransformer3DModel,
    )
    from diffusers.pipelines.ltx2 import LTX2TextConnectors
    from diffusers.pipelines.ltx2.vocoder import LTX2Vocoder
    from transformers import Gemma3Config, Gemma3ForConditionalGeneration, Gemma3TextConfig

    from tests import released
    from tests.tiny_families import gemma_tokenizer

    text = Gemma3TextConfig(vocab_size=262208, hidden_size=3840, intermediate_size=15360,
                            num_hidden_layers=48, num_attention_heads=16,
                            num_key_value_heads=8, head_dim=256, query_pre_attn_scalar=256)
    return LTX2Pipeline(
        tokenizer=gemma_tokenizer(1024),
        text_encoder=made(Gemma3ForConditionalGeneration, device,
                          config=Gemma3Config(text_config=text)),
        connectors=made(LTX2TextConnectors, device), vae=made(AutoencoderKLLTX2Video, device),
        audio_vae=made(AutoencoderKLLTX2Audio, device), vocoder=made(LTX2Vocoder, device),
        transformer=made(LTX2VideoTransformer3DModel, device),
        scheduler=FlowMatchEulerDiscreteScheduler(**released.LTX_SHIFTING))


def hunyuan15(device: str):
    """HunyuanVideo 1.5 480p T2V: the 8.3B transformer, its VAE (16x), Qwen2.5-VL-7B's language
    model and ByT5-small for quoted text, guidance 6 in its guider."""
    from diffusers import (
        AutoencoderKLHunyuanVideo15,
        FlowMatchEulerDiscreteScheduler,
        HunyuanVideo15Pipeline,
        HunyuanVideo15Transformer3DModel,
    )
    from diffusers.guiders import ClassifierFreeGuidance
    from transformers import (
        ByT5Tokenizer,
        Qwen2_5_VLTextConfig,
        Qwen2_5_VLTextModel,
        T5Config,
        T5EncoderModel,
    )

    from tests.tiny_families import _system_prompt, qwen_tokenizer

    qwen = Qwen2_5_VLTextConfig(vocab_size=152064, hidden_size=3584, intermediate_size=18944,
                                num_hidden_layers=28, num_attention_heads=28,
                                num_key_value_heads=4)
    byt5 = T5Config(vocab_size=384, d_model=1472, d_kv=64, d_ff=3584, num_layers=12,
                    num_heads=6, feed_forward_proj="gated-gelu", pad_token_id=0,
                    eos_token_id=1, decoder_start_token_id=0)
    return HunyuanVideo15Pipeline(
        tokenizer=qwen_tokenizer([_system_prompt()]),
        text_encoder=made(Qwen2_5_VLTextModel, device, config=qwen), tokenizer_2=ByT5Tokenizer(),
        text_encoder_2=made(T5EncoderModel, device, config=byt5),
        vae=made(AutoencoderKLHunyuanVideo15, device),
        transformer=made(HunyuanVideo15Transformer3DModel, device),
        scheduler=FlowMatchEulerDiscreteScheduler(shift=5.0),
        guider=ClassifierFreeGuidance(guidance_scale=6.0))


REAL = {"wan": ("Wan2.1-T2V-1.3B", wan), "ltx": ("LTX-Video-2B", ltx),
        "cogvideox": ("CogVideoX-2B", cogvideox),
        "cogvideox15": ("CogVideoX1.5-5B", cogvideox15),
        "wan22-ti2v": ("Wan2.2-TI2V-5B", wan22_ti2v),
        "wan22-a14b": ("Wan2.2-T2V-A14B", wan22_a14b),
        "skyreels-df": ("SkyReels-V2-DF-1.3B-540P", skyreels),
        "ltx2": ("LTX-2", ltx2), "hunyuan15": ("HunyuanVideo-1.5-480p_t2v", hunyuan15)}
TINY = {"wan22-ti2v": "wan-ti2v"}  # the tests' tiny model of each, where named otherwise


def backend(family: str, args: argparse.Namespace, offload: bool, root: Path):
    """The channel's video backend over this family's model (real size, or tiny)."""
    options = {"offload": "always" if offload else "never", "steps": args.steps}
    if args.tiny:
        options.update(width=160, height=96, device="cpu")
        name = TINY.get(family, family)
        return in_process("video", f"diffusers:{build(root, [name])[name]}", options)
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
    return {"checkpoint": video.rules.checkpoint, "size": f"{plan.width}x{plan.height}",
            "frames": plan.frames, "fps": plan.fps, "steps": plan.steps, "wall": wall, "peak": peak,
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
    print("| family | planned as | weights (B params) | size | frames @ fps | steps | offload | "
          "s a take | peak VRAM GB | video s per s |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    for family in args.families:
        for offload in {"both": (False, True), "on": (True,), "off": (False,)}[args.offload]:
            video = backend(family, args, offload, root)
            row = measure(video, args.seconds, args.runs)
            print(f"| {family} | {row['checkpoint']} | {row['params']:.2f} | {row['size']} | "
                  f"{row['frames']} @ "
                  f"{row['fps']} | {row['steps']} | {'on' if offload else 'off'} | "
                  f"{row['wall']:.1f} | {row['peak']:.1f} | {row['ratio']:.3f} |", flush=True)
        video.device.models.clear()  # the next family gets the whole GPU
        if torch.cuda.is_available():
            torch.cuda.empty_cache()


if __name__ == "__main__":
    main()
