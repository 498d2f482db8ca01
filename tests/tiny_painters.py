"""Tiny laptop-sized models for the tests, in the style of tests/tiny_models.py: text-to-image
checkpoints shaped as the released SD-Turbo (Stable Diffusion 2.x's UNet and CLIP text
encoder, Euler with "trailing" timesteps, as sd-turbo's scheduler config has it) and
FLUX.1-schnell (no guidance embedding), and the video models that run on a CPU: AnimateDiff
(a Stable Diffusion UNet and a motion adapter, saved as one pipeline; and Lightning's way, a
base model plus the adapter's weights in one file) and Zeroscope's TextToVideoSDPipeline. Real
diffusers and transformers classes from small configs with random weights; the VAEs keep the
real ones' 8x compression. A CLIP tokenizer is written here (every character a token, no
merges): no hub access. Builds are the same every time.

    python -m tests.tiny_models OUTDIR [sd-turbo animatediff ...]   # these are built there too
"""

from __future__ import annotations

import json
import shutil
import string
from pathlib import Path

import torch

from tests.tiny_models import TEXT_DIM, WORDS

LIGHTNING_FILE = "animatediff_lightning_4step_diffusers.safetensors"  # ByteDance's name


def clip_tokenizer(folder: Path):
    """A CLIP BPE tokenizer from a vocabulary written here: the tests' words whole, every
    character alone and at a word's end, no merges beyond the words'."""
    from transformers import CLIPTokenizer

    folder.mkdir(parents=True, exist_ok=True)
    vocab = ["<|startoftext|>", "<|endoftext|>"]
    for c in string.ascii_lowercase + string.digits + string.punctuation:
        vocab += [c, c + "</w>"]
    merges = ["#version: 0.2"]
    for word in dict.fromkeys(w.lower() for w in WORDS if w.isalpha() and len(w) > 1):
        piece = word[0]
        for n, c in enumerate(word[1:], 1):  # merged left to right: "l a", "la m", ...
            end = "</w>" if n == len(word) - 1 else ""
            merges.append(f"{piece} {c}{end}")
            piece += c + end
            vocab.append(piece)
    vocab = list(dict.fromkeys(vocab))
    (folder / "vocab.json").write_text(json.dumps({t: i for i, t in enumerate(vocab)}))
    (folder / "merges.txt").write_text("\n".join(dict.fromkeys(merges)) + "\n")
    tok = CLIPTokenizer(str(folder / "vocab.json"), str(folder / "merges.txt"),
                        model_max_length=77, pad_token="<|endoftext|>")
    shutil.rmtree(folder)
    return tok


def clip_text(tok, projection: bool = False):
    from transformers import CLIPTextConfig, CLIPTextModel, CLIPTextModelWithProjection

    config = CLIPTextConfig(vocab_size=len(tok), hidden_size=TEXT_DIM, intermediate_size=64,
                            num_hidden_layers=2, num_attention_heads=4,
                            max_position_embeddings=77, projection_dim=TEXT_DIM,
                            bos_token_id=0, eos_token_id=1, pad_token_id=1)
    return (CLIPTextModelWithProjection if projection else CLIPTextModel)(config).eval()


def sd_vae():
    from diffusers import AutoencoderKL

    return AutoencoderKL(block_out_channels=(8, 8, 8, 8), down_block_types=(
        "DownEncoderBlock2D",) * 4, up_block_types=("UpDecoderBlock2D",) * 4, latent_channels=4,
        norm_num_groups=4, layers_per_block=1)


def sd_unet(sample_size: int = 64, cross: int = TEXT_DIM):
    from diffusers import UNet2DConditionModel

    return UNet2DConditionModel(
        block_out_channels=(8, 16), layers_per_block=1, sample_size=sample_size,
        in_channels=4, out_channels=4, norm_num_groups=4, cross_attention_dim=cross,
        down_block_types=("CrossAttnDownBlock2D", "DownBlock2D"),
        up_block_types=("UpBlock2D", "CrossAttnUpBlock2D"), attention_head_dim=4,
        use_linear_projection=True)


def sd_turbo(out: Path) -> None:
    """SD-Turbo's layout: StableDiffusionPipeline, Euler with trailing timesteps."""
    from diffusers import EulerDiscreteScheduler

    torch.manual_seed(0)
    sd_base(out, EulerDiscreteScheduler(timestep_spacing="trailing", steps_offset=1))


def sd_base(out: Path, scheduler) -> None:
    """A Stable Diffusion pipeline (no safety checker) with ``scheduler``, saved in ``out``."""
    from diffusers import StableDiffusionPipeline

    tok = clip_tokenizer(out / "_tok")
    StableDiffusionPipeline(
        vae=sd_vae(), text_encoder=clip_text(tok), tokenizer=tok, unet=sd_unet(),
        scheduler=scheduler, safety_checker=None, feature_extractor=None,
        requires_safety_checker=False).save_pretrained(out)


def flux_schnell(out: Path) -> None:
    """FLUX.1-schnell's layout: CLIP and T5 text encoders, no guidance embedding."""
    from diffusers import (
        AutoencoderKL,
        FlowMatchEulerDiscreteScheduler,
        FluxPipeline,
        FluxTransformer2DModel,
    )

    from tests.tiny_models import t5, tokenizer

    torch.manual_seed(0)
    tok = clip_tokenizer(out / "_tok")
    tok2 = tokenizer(256)
    transformer = FluxTransformer2DModel(
        patch_size=1, in_channels=16, num_layers=1, num_single_layers=1, attention_head_dim=8,
        num_attention_heads=2, joint_attention_dim=TEXT_DIM, pooled_projection_dim=TEXT_DIM,
        axes_dims_rope=(2, 2, 4), guidance_embeds=False)
    vae = AutoencoderKL(block_out_channels=(8, 8, 8, 8), down_block_types=(
        "DownEncoderBlock2D",) * 4, up_block_types=("UpDecoderBlock2D",) * 4, latent_channels=4,
        norm_num_groups=4, layers_per_block=1, use_quant_conv=False,
        use_post_quant_conv=False, shift_factor=0.0609, scaling_factor=1.5035)
    FluxPipeline(scheduler=FlowMatchEulerDiscreteScheduler(), vae=vae,
                 text_encoder=clip_text(tok, projection=False), tokenizer=tok,
                 text_encoder_2=t5(tok2), tokenizer_2=tok2,
                 transformer=transformer).save_pretrained(out)


def motion_adapter():
    from diffusers import MotionAdapter

    return MotionAdapter(block_out_channels=(8, 16), motion_layers_per_block=1,
                         motion_norm_num_groups=4, motion_num_attention_heads=2,
                         motion_max_seq_length=32)  # v1-5-2's 32 positions


def animatediff(out: Path) -> None:
    """An AnimateDiff pipeline saved whole (a UNet with the adapter's motion modules, and the
    adapter), with the DDIM settings its docs give."""
    from diffusers import AnimateDiffPipeline, DDIMScheduler

    torch.manual_seed(0)
    tok = clip_tokenizer(out / "_tok")
    AnimateDiffPipeline(
        vae=sd_vae(), text_encoder=clip_text(tok), tokenizer=tok, unet=sd_unet(),
        motion_adapter=motion_adapter(), scheduler=DDIMScheduler(
            beta_schedule="linear", steps_offset=1, clip_sample=False,
            timestep_spacing="linspace")).save_pretrained(out)


def animatediff_lightning(out: Path) -> None:
    """Lightning's way: a Stable Diffusion 1.5 base in ``base/`` and the distilled motion
    adapter's weights alone in one file named as ByteDance names them."""
    from diffusers import DDIMScheduler
    from safetensors.torch import save_file

    torch.manual_seed(0)
    sd_base(out / "base", DDIMScheduler(steps_offset=1, clip_sample=False))
    torch.manual_seed(1)
    save_file(motion_adapter().state_dict(), str(out / LIGHTNING_FILE))


def zeroscope(out: Path) -> None:
    """Zeroscope v2 576w's layout: TextToVideoSDPipeline, a 3D UNet, DDIM."""
    from diffusers import DDIMScheduler, TextToVideoSDPipeline, UNet3DConditionModel

    torch.manual_seed(0)
    tok = clip_tokenizer(out / "_tok")
    unet = UNet3DConditionModel(
        block_out_channels=(8, 16), layers_per_block=1, sample_size=32, in_channels=4,
        out_channels=4, norm_num_groups=4, cross_attention_dim=TEXT_DIM,
        down_block_types=("CrossAttnDownBlock3D", "DownBlock3D"),
        up_block_types=("UpBlock3D", "CrossAttnUpBlock3D"), attention_head_dim=4)
    TextToVideoSDPipeline(vae=sd_vae(), text_encoder=clip_text(tok), tokenizer=tok, unet=unet,
                          scheduler=DDIMScheduler(beta_schedule="scaled_linear",
                                                  clip_sample=False, steps_offset=1)
                          ).save_pretrained(out)


BUILDERS = {"sd-turbo": sd_turbo, "flux-schnell": flux_schnell, "animatediff": animatediff,
            "animatediff-lightning": animatediff_lightning, "zeroscope": zeroscope}
