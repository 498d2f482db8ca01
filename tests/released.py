"""Video checkpoints as they were released: each one's model_index.json and the configs of its
transformer, VAE, scheduler (and guider), with the values of the release (diffusers'
conversion scripts, the models' cards; docs/gpu.md, "Checkpoints"), written by the real diffusers
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

SD_VAE = dict(block_out_channels=(128, 256, 512, 512), down_block_types=(
    "DownEncoderBlock2D",) * 4, up_block_types=("UpDecoderBlock2D",) * 4, latent_channels=4,
    layers_per_block=2, sample_size=512)
SD15_UNET = dict(sample_size=64, cross_attention_dim=768, attention_head_dim=8,
                 block_out_channels=(320, 640, 1280, 1280), layers_per_block=2)
SD_PNDM = dict(beta_schedule="scaled_linear", beta_start=0.00085, beta_end=0.012,
               skip_prk_steps=True, steps_offset=1)
SD_DDIM = dict(beta_schedule="scaled_linear", beta_start=0.00085, beta_end=0.012,
               clip_sample=False, set_alpha_to_one=False, steps_offset=1)
ADAPTER_153 = dict(block_out_channels=(320, 640, 1280, 1280), motion_layers_per_block=2,
                   motion_max_seq_length=32, motion_mid_block_layers_per_block=1,
                   motion_norm_num_groups=32, motion_num_attention_heads=8,
                   use_motion_mid_block=False)
MODELSCOPE_UNET = dict(sample_size=32, cross_attention_dim=1024, attention_head_dim=64,
                       block_out_channels=(320, 640, 1280, 1280), layers_per_block=2)


@dataclass(frozen=True)
class Release:
    hub_id: str
    pipeline: str
    transformer: tuple[str, dict[str, Any]] | None  # None: a UNet's (in components)
    vae: tuple[str, dict[str, Any]]
    scheduler: tuple[str, dict[str, Any]]
    extra: dict[str, Any] = field(default_factory=dict)  # model_index.json's plain keys
    transformer_2: bool = False
    guidance: float | None = None  # a guider component's (HunyuanVideo 1.5)
    # what the channel plans: (width, height, frames for 3 s, frames for 10 s, fps, steps,
    # guidance, second guidance)
    plan: tuple = ()
    checkpoint: str = ""  # the docs' name for its rules
    components: tuple = ()  # more (name, class, config): a UNet, a motion adapter
    adapter: str = ""  # [gpu] motion_adapter: a MotionAdapter's id, or its weights' file
    adapter_config: dict[str, Any] | None = None  # ... its config.json (None: a file alone)
    by_name: bool = False  # its configs equal another's: only its name tells it apart


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
    # the models that run on a CPU: a Stable Diffusion 1.5 base with a motion adapter, and
    # Zeroscope / ModelScope's 3D UNet
    Release("emilianJR/epiCRealism", "StableDiffusionPipeline", None,
            ("AutoencoderKL", SD_VAE), ("PNDMScheduler", SD_PNDM),
            components=(("unet", "UNet2DConditionModel", SD15_UNET),),
            adapter="guoyww/animatediff-motion-adapter-v1-5-3", adapter_config=ADAPTER_153,
            plan=(512, 288, 24, 32, 8, 25, 7.5, None), checkpoint="AnimateDiff"),
    Release("emilianJR/epiCRealism", "StableDiffusionPipeline", None,
            ("AutoencoderKL", SD_VAE), ("PNDMScheduler", SD_PNDM),
            components=(("unet", "UNet2DConditionModel", SD15_UNET),),
            adapter="ByteDance/AnimateDiff-Lightning/"
                    "animatediff_lightning_4step_diffusers.safetensors",
            plan=(512, 288, 24, 32, 8, 4, 1.0, None), checkpoint="AnimateDiff-Lightning 4-step"),
    Release("cerspense/zeroscope_v2_576w", "TextToVideoSDPipeline", None,
            ("AutoencoderKL", SD_VAE), ("DDIMScheduler", SD_DDIM),
            components=(("unet", "UNet3DConditionModel", MODELSCOPE_UNET),),
            plan=(576, 320, 24, 24, 8, 40, 9.0, None), checkpoint="Zeroscope v2 576w"),
    Release("damo-vilab/text-to-video-ms-1.7b", "TextToVideoSDPipeline", None,
            ("AutoencoderKL", SD_VAE), ("DDIMScheduler", SD_DDIM),
            components=(("unet", "UNet3DConditionModel", MODELSCOPE_UNET),),
            plan=(256, 256, 16, 16, 8, 25, 9.0, None),
            checkpoint="ModelScope text-to-video 1.7B"),
]


def write(release: Release, root: Path) -> Path:
    """The release's configs in ``root/NAME`` (NAME: the hub id's name), as save_pretrained
    writes them; the classes check every value (an unknown key is an error)."""
    folder = root / release.hub_id.split("/")[-1]
    index: dict[str, Any] = {"_class_name": release.pipeline,
                             "_diffusers_version": diffusers.__version__, **release.extra}
    parts = [*([("transformer", *release.transformer)] if release.transformer else []),
             ("vae", *release.vae), ("scheduler", *release.scheduler), *release.components]
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


def write_adapter(release: Release, root: Path) -> str:
    """The release's motion adapter as a user has it: a MotionAdapter's folder (its config,
    as save_pretrained writes it), or Lightning's one file of weights (an empty one: only its
    name is read before the weights are loaded). The [gpu] motion_adapter to give."""
    name = release.adapter.split("/")[-1]
    if release.adapter_config is None:
        (root / "adapters").mkdir(parents=True, exist_ok=True)
        from safetensors.torch import save_file

        save_file({}, str(root / "adapters" / name))
        return str(root / "adapters" / name)
    _made(diffusers.MotionAdapter, release.adapter_config).save_config(root / "adapters" / name)
    return str(root / "adapters" / name)


def _made(cls: Any, config: dict[str, Any]) -> Any:
    unknown = set(config) - set(inspect.signature(cls.__init__).parameters)
    assert not unknown, f"{cls.__name__} has no {unknown}"
    if hasattr(cls, "from_config") and not hasattr(cls, "parameters"):
        return cls(**config)  # a scheduler
    with torch.device("meta"):  # the real class, no weights
        return cls(**config)


def readme_row(release: Release) -> str:
    """The release's row in docs/gpu.md's table of checkpoints."""
    width, height, short, long, fps, steps, guidance, second = release.plan
    guided = f"{guidance:g}" + (f" / {second:g}" if second is not None else "")
    name = f"`{release.hub_id}`" + (f" + `{release.adapter}`" if release.adapter else "")
    return (f"| {name} | {release.checkpoint} | {width}x{height} | {short} / {long} "
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


SD21_UNET = {**SD15_UNET, "cross_attention_dim": 1024, "attention_head_dim": (5, 10, 20, 20),
             "use_linear_projection": True}
SDXL_UNET = dict(sample_size=64, cross_attention_dim=2048, attention_head_dim=(5, 10, 20),
                 block_out_channels=(320, 640, 1280), layers_per_block=2,
                 down_block_types=("DownBlock2D", "CrossAttnDownBlock2D",
                                   "CrossAttnDownBlock2D"),
                 up_block_types=("CrossAttnUpBlock2D", "CrossAttnUpBlock2D", "UpBlock2D"),
                 transformer_layers_per_block=(1, 2, 10), use_linear_projection=True,
                 addition_embed_type="text_time", addition_time_embed_dim=256,
                 projection_class_embeddings_input_dim=2816)
TRAILING = dict(beta_schedule="scaled_linear", beta_start=0.00085, beta_end=0.012,
                timestep_spacing="trailing", steps_offset=1)
FLUX_VAE = {**SD_VAE, "latent_channels": 16, "use_quant_conv": False,
            "use_post_quant_conv": False, "sample_size": 1024}
FLUX = dict(patch_size=1, in_channels=64, num_layers=19, num_single_layers=38,
            attention_head_dim=128, num_attention_heads=24, joint_attention_dim=4096,
            pooled_projection_dim=768, axes_dims_rope=(16, 56, 56))
SD35 = dict(sample_size=128, patch_size=2, in_channels=16, num_layers=38, attention_head_dim=64,
            num_attention_heads=38, joint_attention_dim=4096, caption_projection_dim=2432,
            pooled_projection_dim=2048, out_channels=16, pos_embed_max_size=192,
            qk_norm="rms_norm")
SD35_MEDIUM = {**SD35, "num_layers": 24, "num_attention_heads": 24,
               "caption_projection_dim": 1536, "pos_embed_max_size": 384,
               "dual_attention_layers": tuple(range(13))}
PIXART_SIGMA = dict(sample_size=128, num_layers=28, patch_size=2, attention_head_dim=72,
                    num_attention_heads=16, caption_channels=4096, in_channels=4,
                    out_channels=8, cross_attention_dim=1152, attention_bias=True,
                    activation_fn="gelu-approximate", num_embeds_ada_norm=1000,
                    norm_type="ada_norm_single", norm_elementwise_affine=False,
                    norm_eps=1e-6, interpolation_scale=2)

# text-to-image checkpoints (painters: reference stills, and --video stills:MODEL): what each
# paints at, (width, height, steps, guidance), and the docs' name for its rules
PAINTERS = [
    Release("stabilityai/sd-turbo", "StableDiffusionPipeline", None,
            ("AutoencoderKL", SD_VAE), ("EulerDiscreteScheduler", TRAILING),
            components=(("unet", "UNet2DConditionModel", SD21_UNET),),
            plan=(512, 288, 1, 0.0), checkpoint="SD-Turbo"),
    Release("stabilityai/sdxl-turbo", "StableDiffusionXLPipeline", None,
            ("AutoencoderKL", {**SD_VAE, "sample_size": 1024}),
            ("EulerAncestralDiscreteScheduler", TRAILING),
            components=(("unet", "UNet2DConditionModel", SDXL_UNET),),
            plan=(512, 288, 1, 0.0), checkpoint="SDXL-Turbo"),
    Release("black-forest-labs/FLUX.1-schnell", "FluxPipeline",
            ("FluxTransformer2DModel", {**FLUX, "guidance_embeds": False}),
            ("AutoencoderKL", FLUX_VAE), ("FlowMatchEulerDiscreteScheduler", {"shift": 1.0}),
            plan=(1024, 576, 4, 0.0), checkpoint="FLUX.1-schnell"),
    Release("black-forest-labs/FLUX.1-dev", "FluxPipeline",
            ("FluxTransformer2DModel", {**FLUX, "guidance_embeds": True}),
            ("AutoencoderKL", FLUX_VAE), ("FlowMatchEulerDiscreteScheduler",
                                          {"shift": 3.0, "use_dynamic_shifting": True}),
            plan=(1024, 576, 50, 3.5), checkpoint="FLUX.1-dev"),
    Release("stabilityai/stable-diffusion-3.5-large", "StableDiffusion3Pipeline",
            ("SD3Transformer2DModel", SD35), ("AutoencoderKL", FLUX_VAE),
            ("FlowMatchEulerDiscreteScheduler", {"shift": 3.0}),
            plan=(1024, 576, 28, 3.5), checkpoint="Stable Diffusion 3.5 Large"),
    Release("stabilityai/stable-diffusion-3.5-medium", "StableDiffusion3Pipeline",
            ("SD3Transformer2DModel", SD35_MEDIUM), ("AutoencoderKL", FLUX_VAE),
            ("FlowMatchEulerDiscreteScheduler", {"shift": 3.0}),
            plan=(1024, 576, 40, 4.5), checkpoint="Stable Diffusion 3.5 Medium"),
    Release("stabilityai/stable-diffusion-3.5-large-turbo", "StableDiffusion3Pipeline",
            ("SD3Transformer2DModel", SD35), ("AutoencoderKL", FLUX_VAE),
            ("FlowMatchEulerDiscreteScheduler", {"shift": 3.0}),
            plan=(1024, 576, 4, 0.0), checkpoint="Stable Diffusion 3.5 Large Turbo",
            by_name=True),
    Release("PixArt-alpha/PixArt-Sigma-XL-2-1024-MS", "PixArtSigmaPipeline",
            ("PixArtTransformer2DModel", PIXART_SIGMA), ("AutoencoderKL", SD_VAE),
            ("DPMSolverMultistepScheduler", {}),
            plan=(1024, 576, 20, 4.5), checkpoint="PixArtSigma"),
]


def painter_row(release: Release) -> str:
    """A painter's row in docs/laptop.md's table of text-to-image checkpoints."""
    width, height, steps, guidance = release.plan
    return (f"| `{release.hub_id}` | {release.checkpoint} | {width}x{height} | {steps}, "
            f"{guidance:g} |")
