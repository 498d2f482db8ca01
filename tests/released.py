"""Video checkpoints as they were released: each one's model_index.json and the configs of its
transformer, VAE, scheduler (and guider), with the values of the release (diffusers'
conversion scripts, the models' cards; README, "Checkpoints"), written by the real diffusers
classes (built on the meta device: no weights) exactly as ``save_pretrained`` writes them.
The channel reads a checkpoint's rules from these files before it loads a weight, so a folder
of them is planned exactly as the released checkpoint is.

Each entry also says what the channel must plan for it: a 3 s shot and a 10 s shot.
"""

from __future__ import annotations

import inspect
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import diffusers
import torch

WAN_13B = dict(patch_size=(1, 2, 2), num_attention_heads=12, attention_head_dim=128,
               in_channels=16, out_channels=16, text_dim=4096, freq_dim=256, ffn_dim=8960,
               num_layers=30, cross_attn_norm=True, qk_norm="rms_norm_across_heads", eps=1e-6,
               rope_max_seq_len=1024)
WAN_14B = {**WAN_13B, "num_attention_heads": 40, "ffn_dim": 13824, "num_layers": 40}
WAN_14B_I2V = {**WAN_14B, "in_channels": 36, "image_dim": 1280, "added_kv_proj_dim": 5120}
WAN_VAE = dict(base_dim=96, z_dim=16)
WAN22_VAE = dict(base_dim=160, decoder_base_dim=256, z_dim=48, in_channels=12, out_channels=12,
                 is_residual=True, patch_size=2, scale_factor_spatial=16,
                 scale_factor_temporal=4, latents_mean=[0.0] * 48, latents_std=[1.0] * 48)
UNIPC = dict(prediction_type="flow_prediction", use_flow_sigmas=True, flow_shift=3.0)
COG_2B = dict(num_attention_heads=30, attention_head_dim=64, in_channels=16, out_channels=16,
              time_embed_dim=512, text_embed_dim=4096, num_layers=30, sample_width=90,
              sample_height=60, sample_frames=49, patch_size=2, temporal_compression_ratio=4,
              max_text_seq_length=226)
COG_5B = {**COG_2B, "num_attention_heads": 48, "num_layers": 42,
          "use_rotary_positional_embeddings": True}
COG_15 = {**COG_5B, "patch_size_t": 2, "sample_width": 300, "sample_height": 300,
          "sample_frames": 81, "patch_bias": False}
COG_DDIM = dict(beta_schedule="scaled_linear", beta_start=0.00085, beta_end=0.012,
                clip_sample=False, prediction_type="v_prediction", rescale_betas_zero_snr=True,
                set_alpha_to_one=True, timestep_spacing="trailing", snr_shift_scale=3.0)
LTX_2B = dict(in_channels=128, out_channels=128, patch_size=1, patch_size_t=1,
              num_attention_heads=32, attention_head_dim=64, cross_attention_dim=2048,
              num_layers=28, caption_channels=4096)
LTX_13B = {**LTX_2B, "attention_head_dim": 128, "cross_attention_dim": 4096, "num_layers": 48}
LTX_SHIFTING = dict(use_dynamic_shifting=True, base_shift=0.95, max_shift=2.05,
                    base_image_seq_len=1024, max_image_seq_len=4096, shift_terminal=0.1)
SKYREELS_13B = dict(patch_size=(1, 2, 2), num_attention_heads=12, attention_head_dim=128,
                    in_channels=16, out_channels=16, text_dim=4096, freq_dim=256, ffn_dim=8960,
                    num_layers=30, cross_attn_norm=True, qk_norm="rms_norm_across_heads",
                    inject_sample_info=True)
SKYREELS_14B = {**SKYREELS_13B, "num_attention_heads": 40, "ffn_dim": 13824, "num_layers": 40,
                "inject_sample_info": False}
HUNYUAN15 = dict(in_channels=65, out_channels=32, num_attention_heads=16, attention_head_dim=128,
                 num_layers=54, patch_size=1, patch_size_t=1, text_embed_dim=3584,
                 text_embed_2_dim=1472, image_embed_dim=1152, target_size=640,
                 task_type="t2v")


@dataclass(frozen=True)
class Release:
    hub_id: str
    pipeline: str
    transformer: tuple[str, dict[str, Any]]
    vae: tuple[str, dict[str, Any]]
    scheduler: tuple[str, dict[str, Any]]
    extra: dict[str, Any] = field(default_factory=dict)  # model_index.json's plain keys
    transformer_2: bool = False
    guidance: float | None = None  # a guider component's (HunyuanVideo 1.5)
    # what the channel plans: (width, height, frames for 3 s, frames for 10 s, fps, steps,
    # guidance, second guidance)
    plan: tuple = ()
    checkpoint: str = ""  # the README's name for its rules


def _wan(hub_id, pipeline, transformer, plan, checkpoint, vae=WAN_VAE, scheduler=UNIPC,
         **kw) -> Release:
    return Release(hub_id, pipeline, ("WanTransformer3DModel", transformer),
                   ("AutoencoderKLWan", vae), ("UniPCMultistepScheduler", scheduler), plan=plan,
                   checkpoint=checkpoint, **kw)


RELEASES = [
    Release("THUDM/CogVideoX-2b", "CogVideoXPipeline",
            ("CogVideoXTransformer3DModel", COG_2B), ("AutoencoderKLCogVideoX", {}),
            ("CogVideoXDDIMScheduler", COG_DDIM), plan=(720, 480, 49, 49, 8, 50, 6.0, None),
            checkpoint="CogVideoX 1.0 T2V"),
    Release("THUDM/CogVideoX-5b", "CogVideoXPipeline",
            ("CogVideoXTransformer3DModel", COG_5B), ("AutoencoderKLCogVideoX", {}),
            ("CogVideoXDDIMScheduler", {**COG_DDIM, "snr_shift_scale": 1.0}),
            plan=(720, 480, 49, 49, 8, 50, 6.0, None), checkpoint="CogVideoX 1.0 T2V"),
    Release("THUDM/CogVideoX-5b-I2V", "CogVideoXImageToVideoPipeline",
            ("CogVideoXTransformer3DModel", {**COG_5B, "in_channels": 32,
                                             "use_learned_positional_embeddings": True}),
            ("AutoencoderKLCogVideoX", {}), ("CogVideoXDDIMScheduler", COG_DDIM),
            plan=(720, 480, 49, 49, 8, 50, 6.0, None), checkpoint="CogVideoX 1.0 I2V"),
    Release("THUDM/CogVideoX1.5-5B", "CogVideoXPipeline",
            ("CogVideoXTransformer3DModel", COG_15), ("AutoencoderKLCogVideoX", {}),
            ("CogVideoXDDIMScheduler", COG_DDIM), plan=(1360, 768, 49, 161, 16, 50, 6.0, None),
            checkpoint="CogVideoX 1.5 T2V"),
    Release("THUDM/CogVideoX1.5-5B-I2V", "CogVideoXImageToVideoPipeline",
            ("CogVideoXTransformer3DModel", {**COG_15, "in_channels": 32,
                                             "ofs_embed_dim": 512}),
            ("AutoencoderKLCogVideoX", {}), ("CogVideoXDDIMScheduler", COG_DDIM),
            plan=(1360, 768, 49, 161, 16, 50, 6.0, None), checkpoint="CogVideoX 1.5 I2V"),
    _wan("Wan-AI/Wan2.1-T2V-1.3B-Diffusers", "WanPipeline", WAN_13B,
         (832, 480, 49, 81, 16, 50, 6.0, None), "Wan 2.1 T2V 1.3B 480p"),
    _wan("Wan-AI/Wan2.1-T2V-14B-Diffusers", "WanPipeline", WAN_14B,
         (1280, 720, 49, 81, 16, 50, 5.0, None), "Wan 2.1 T2V 14B 720p"),
    _wan("Wan-AI/Wan2.1-I2V-14B-480P-Diffusers", "WanImageToVideoPipeline", WAN_14B_I2V,
         (832, 480, 49, 81, 16, 40, 5.0, None), "Wan 2.1 I2V 14B 480p"),
    _wan("Wan-AI/Wan2.1-I2V-14B-720P-Diffusers", "WanImageToVideoPipeline", WAN_14B_I2V,
         (1280, 720, 49, 81, 16, 40, 5.0, None), "Wan 2.1 I2V 14B 720p",
         scheduler={**UNIPC, "flow_shift": 5.0}),
    _wan("Wan-AI/Wan2.2-T2V-A14B-Diffusers", "WanPipeline", WAN_14B,
         (1280, 720, 49, 81, 16, 40, 4.0, 3.0), "Wan 2.2 T2V A14B",
         extra={"boundary_ratio": 0.875}, transformer_2=True),
    _wan("Wan-AI/Wan2.2-I2V-A14B-Diffusers", "WanImageToVideoPipeline",
         {**WAN_14B, "in_channels": 36}, (1280, 720, 49, 81, 16, 40, 3.5, 3.5),
         "Wan 2.2 I2V A14B", extra={"boundary_ratio": 0.9}, transformer_2=True),
    _wan("Wan-AI/Wan2.2-TI2V-5B-Diffusers", "WanPipeline",
         {**WAN_13B, "in_channels": 48, "out_channels": 48, "num_attention_heads": 24,
          "ffn_dim": 14336}, (1280, 704, 73, 121, 24, 50, 5.0, None), "Wan 2.2 TI2V-5B",
         vae=WAN22_VAE, scheduler={**UNIPC, "flow_shift": 5.0},
         extra={"expand_timesteps": True, "boundary_ratio": None}),
    Release("Lightricks/LTX-Video", "LTXPipeline", ("LTXVideoTransformer3DModel", LTX_2B),
            ("AutoencoderKLLTXVideo", {"timestep_conditioning": False}),
            ("FlowMatchEulerDiscreteScheduler", LTX_SHIFTING),
            plan=(768, 512, 73, 241, 24, 50, 3.0, None), checkpoint="LTX-Video 0.9.0-0.9.5"),
    Release("Lightricks/LTX-Video-0.9.5", "LTXPipeline", ("LTXVideoTransformer3DModel", LTX_2B),
            ("AutoencoderKLLTXVideo", {"timestep_conditioning": True}),
            ("FlowMatchEulerDiscreteScheduler", {"use_dynamic_shifting": False}),
            plan=(768, 512, 73, 241, 24, 50, 3.0, None), checkpoint="LTX-Video 0.9.0-0.9.5"),
    Release("Lightricks/LTX-Video-0.9.7-dev", "LTXConditionPipeline",
            ("LTXVideoTransformer3DModel", LTX_13B),
            ("AutoencoderKLLTXVideo", {"timestep_conditioning": True}),
            ("FlowMatchEulerDiscreteScheduler", {"use_dynamic_shifting": False}),
            plan=(1216, 704, 97, 257, 30, 30, 5.0, None), checkpoint="LTX-Video 0.9.7+"),
    Release("Lightricks/LTX-Video-0.9.7-distilled", "LTXConditionPipeline",
            ("LTXVideoTransformer3DModel", LTX_13B),
            ("AutoencoderKLLTXVideo", {"timestep_conditioning": True}),
            ("FlowMatchEulerDiscreteScheduler", {"use_dynamic_shifting": False}),
            plan=(1216, 704, 97, 257, 30, 8, 1.0, None), checkpoint="LTX-Video 0.9.x distilled"),
    Release("Lightricks/LTX-2", "LTX2Pipeline", ("LTX2VideoTransformer3DModel", {}),
            ("AutoencoderKLLTX2Video", {}), ("FlowMatchEulerDiscreteScheduler", LTX_SHIFTING),
            plan=(768, 512, 73, 241, 24, 30, 3.0, None), checkpoint="LTX-2"),
    Release("rootonchair/LTX-2-19b-distilled", "LTX2Pipeline",
            ("LTX2VideoTransformer3DModel", {}), ("AutoencoderKLLTX2Video", {}),
            ("FlowMatchEulerDiscreteScheduler", {"use_dynamic_shifting": False,
                                                 "shift_terminal": None}),
            plan=(768, 512, 73, 241, 24, 8, 1.0, None), checkpoint="LTX-2 distilled"),
    Release("hunyuanvideo-community/HunyuanVideo-1.5-Diffusers-480p_t2v",
            "HunyuanVideo15Pipeline", ("HunyuanVideo15Transformer3DModel", HUNYUAN15),
            ("AutoencoderKLHunyuanVideo15", {}), ("FlowMatchEulerDiscreteScheduler",
                                                   {"shift": 5.0}), guidance=6.0,
            plan=(848, 480, 73, 121, 24, 50, 6.0, None), checkpoint="HunyuanVideo 1.5 480p T2V"),
    Release("hunyuanvideo-community/HunyuanVideo-1.5-Diffusers-720p_t2v",
            "HunyuanVideo15Pipeline",
            ("HunyuanVideo15Transformer3DModel", {**HUNYUAN15, "target_size": 960}),
            ("AutoencoderKLHunyuanVideo15", {}), ("FlowMatchEulerDiscreteScheduler",
                                                   {"shift": 9.0}), guidance=6.0,
            plan=(1280, 720, 73, 121, 24, 50, 6.0, None),
            checkpoint="HunyuanVideo 1.5 720p T2V"),
    Release("hunyuanvideo-community/HunyuanVideo-1.5-Diffusers-480p_t2v_distilled",
            "HunyuanVideo15Pipeline", ("HunyuanVideo15Transformer3DModel", HUNYUAN15),
            ("AutoencoderKLHunyuanVideo15", {}), ("FlowMatchEulerDiscreteScheduler",
                                                   {"shift": 5.0}), guidance=1.0,
            plan=(848, 480, 73, 121, 24, 50, 1.0, None),
            checkpoint="HunyuanVideo 1.5 480p T2V CFG-distilled"),
    Release("hunyuanvideo-community/HunyuanVideo-1.5-Diffusers-480p_i2v_step_distilled",
            "HunyuanVideo15ImageToVideoPipeline",
            ("HunyuanVideo15Transformer3DModel", {**HUNYUAN15, "task_type": "i2v",
                                                  "use_meanflow": True}),
            ("AutoencoderKLHunyuanVideo15", {}), ("FlowMatchEulerDiscreteScheduler",
                                                   {"shift": 7.0}), guidance=1.0,
            plan=(848, 480, 73, 121, 24, 8, 1.0, None),
            checkpoint="HunyuanVideo 1.5 480p I2V step-distilled"),
    Release("Skywork/SkyReels-V2-DF-1.3B-540P-Diffusers", "SkyReelsV2DiffusionForcingPipeline",
            ("SkyReelsV2Transformer3DModel", SKYREELS_13B), ("AutoencoderKLWan", WAN_VAE),
            ("UniPCMultistepScheduler", {"prediction_type": "flow_prediction",
                                         "use_flow_sigmas": True}),
            plan=(960, 544, 73, 241, 24, 30, 6.0, None), checkpoint="SkyReels-V2 DF 540P"),
    Release("Skywork/SkyReels-V2-DF-14B-720P-Diffusers", "SkyReelsV2DiffusionForcingPipeline",
            ("SkyReelsV2Transformer3DModel", SKYREELS_14B), ("AutoencoderKLWan", WAN_VAE),
            ("UniPCMultistepScheduler", {"prediction_type": "flow_prediction",
                                         "use_flow_sigmas": True}),
            plan=(1280, 720, 73, 241, 24, 30, 6.0, None), checkpoint="SkyReels-V2 DF 720P"),
]


def write(release: Release, root: Path) -> Path:
    """The release's configs in ``root/NAME`` (NAME: the hub id's name), as save_pretrained
    writes them; the classes check every value (an unknown key is an error)."""
    folder = root / release.hub_id.split("/")[-1]
    index: dict[str, Any] = {"_class_name": release.pipeline,
                             "_diffusers_version": diffusers.__version__, **release.extra}
    parts = [("transformer", *release.transformer), ("vae", *release.vae),
             ("scheduler", *release.scheduler)]
    if release.transformer_2:
        parts.append(("transformer_2", *release.transformer))
    for name, cls, config in parts:
        made = _made(getattr(diffusers, cls), config)
        made.save_config(folder / name)
        index[name] = ["diffusers", cls]
    if release.guidance is not None:
        diffusers.ClassifierFreeGuidance(guidance_scale=release.guidance).save_config(
            folder / "guider")
        index["guider"] = ["diffusers", "ClassifierFreeGuidance"]
    (folder / "model_index.json").write_text(json.dumps(index, indent=2))
    return folder


def _made(cls: Any, config: dict[str, Any]) -> Any:
    unknown = set(config) - set(inspect.signature(cls.__init__).parameters)
    assert not unknown, f"{cls.__name__} has no {unknown}"
    if hasattr(cls, "from_config") and not hasattr(cls, "parameters"):
        return cls(**config)  # a scheduler
    with torch.device("meta"):  # the real class, no weights
        return cls(**config)


def readme_row(release: Release) -> str:
    """The release's row in README.md's table of checkpoints."""
    width, height, short, long, fps, steps, guidance, second = release.plan
    guided = f"{guidance:g}" + (f" / {second:g}" if second is not None else "")
    return (f"| `{release.hub_id}` | {release.checkpoint} | {width}x{height} | {short} / {long} "
            f"@ {fps} fps | {steps}, {guided} |")


def cache(release: Release, hf_home: Path) -> None:
    """The release's configs in a Hugging Face cache at ``hf_home``, laid out as `hf download`
    leaves it (blobs by hash, a snapshot of links, refs/main)."""
    import hashlib
    import os

    folder = write(release, hf_home / "saved")
    repo = hf_home / "hub" / ("models--" + release.hub_id.replace("/", "--"))
    revision = hashlib.sha1(release.hub_id.encode()).hexdigest()
    snapshot = repo / "snapshots" / revision
    (repo / "blobs").mkdir(parents=True, exist_ok=True)
    (repo / "refs").mkdir(exist_ok=True)
    (repo / "refs" / "main").write_text(revision)
    for file in (f for f in folder.rglob("*") if f.is_file()):
        data = file.read_bytes()
        blob = repo / "blobs" / hashlib.sha256(data).hexdigest()
        blob.write_bytes(data)
        link = snapshot / file.relative_to(folder)
        link.parent.mkdir(parents=True, exist_ok=True)
        os.symlink(os.path.relpath(blob, link.parent), link)
