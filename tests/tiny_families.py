"""More tiny video models for the tests, in the style of tests/tiny_models.py: Wan 2.2's two-expert
A14B layouts (text- and image-to-video), LTX-2 (video with its own sound track), HunyuanVideo 1.5
and SkyReels-V2's diffusion forcing. Real diffusers and transformers classes built from small
configs with random weights; the VAEs keep the real ones' compression (Wan 8x/4x, LTX-2 32x/8x,
HunyuanVideo 1.5 16x/4x) and the transformers their patch sizes. Tokenizers are made here, in
code: no hub access. Builds are the same every time (torch.manual_seed(0)).

    python -m tests.tiny_models OUTDIR [wan22-a14b ltx2 ...]    # these are built there too
"""

from __future__ import annotations

import string
from pathlib import Path

import torch

from tests.tiny_models import TEXT_DIM, WORDS, t5, tokenizer


def _wan_vae():
    """Wan 2.1's VAE layout (z16, 8x in space, 4x in time), as tiny_models.wan builds it."""
    from diffusers import AutoencoderKLWan

    return AutoencoderKLWan(base_dim=3, z_dim=16, dim_mult=[1, 1, 1, 1], num_res_blocks=1,
                            temperal_downsample=[False, True, True])


def _wan_transformer(in_channels: int = 16, seed: int = 0, skyreels: bool = False):
    from diffusers import SkyReelsV2Transformer3DModel, WanTransformer3DModel

    torch.manual_seed(seed)
    cls = SkyReelsV2Transformer3DModel if skyreels else WanTransformer3DModel
    extra = dict(inject_sample_info=True) if skyreels else {}  # DF-1.3B's fps embedding
    return cls(patch_size=(1, 2, 2), num_attention_heads=2, attention_head_dim=12,
               in_channels=in_channels, out_channels=16, text_dim=TEXT_DIM, freq_dim=256,
               ffn_dim=32, num_layers=2, cross_attn_norm=True, qk_norm="rms_norm_across_heads",
               rope_max_seq_len=1024, **extra)


def _wan_scheduler(flow_shift: float = 3.0):
    from diffusers import UniPCMultistepScheduler

    return UniPCMultistepScheduler(prediction_type="flow_prediction", use_flow_sigmas=True,
                                   flow_shift=flow_shift)


def wan22_a14b(out: Path) -> None:
    """Wan 2.2 T2V A14B: two experts (``transformer`` above the boundary, the high-noise one;
    ``transformer_2`` below it), switched at boundary_ratio 0.875 x 1000 timesteps; Wan 2.1's
    VAE. (The release samples with shift 12; flow_shift 3 here makes two steps reach both.)"""
    from diffusers import WanPipeline

    torch.manual_seed(0)
    tok = tokenizer(512)
    text_encoder = t5(tok, umt5=True)
    vae = _wan_vae()
    high, low = _wan_transformer(seed=0), _wan_transformer(seed=1)
    WanPipeline(tokenizer=tok, text_encoder=text_encoder, vae=vae, scheduler=_wan_scheduler(),
                transformer=high, transformer_2=low, boundary_ratio=0.875).save_pretrained(out)


def wan22_i2v_a14b(out: Path) -> None:
    """Wan 2.2 I2V A14B: two experts switched at boundary_ratio 0.9, no CLIP image encoder (the
    first frame reaches the model only as VAE latents): in_channels 36 = 16 noise + 16 image
    latents + 4 mask (the first latent frame's 4 pixel frames)."""
    from diffusers import WanImageToVideoPipeline

    torch.manual_seed(0)
    tok = tokenizer(512)
    text_encoder = t5(tok, umt5=True)
    vae = _wan_vae()
    high, low = _wan_transformer(36, seed=0), _wan_transformer(36, seed=1)
    WanImageToVideoPipeline(
        tokenizer=tok, text_encoder=text_encoder, vae=vae, scheduler=_wan_scheduler(),
        image_processor=None, image_encoder=None, transformer=high, transformer_2=low,
        boundary_ratio=0.9).save_pretrained(out)


def skyreels_df(out: Path) -> None:
    """SkyReels-V2 DF-1.3B's layout: Wan's transformer with diffusion forcing (a timestep per
    latent frame) and the fps embedding, Wan 2.1's VAE, UMT5, and UniPC as released: with no
    shift in its config (the channel applies the documented 8)."""
    from diffusers import SkyReelsV2DiffusionForcingPipeline, UniPCMultistepScheduler

    torch.manual_seed(0)
    tok = tokenizer(512)
    text_encoder = t5(tok, umt5=True)
    vae = _wan_vae()
    transformer = _wan_transformer(skyreels=True)
    SkyReelsV2DiffusionForcingPipeline(
        tokenizer=tok, text_encoder=text_encoder, transformer=transformer, vae=vae,
        scheduler=UniPCMultistepScheduler(prediction_type="flow_prediction",
                                          use_flow_sigmas=True)).save_pretrained(out)


def _bpe(symbols: list[str], words: list[str]) -> tuple[dict[str, int], list[tuple[str, str]]]:
    """A BPE vocabulary and merges written out, not trained, that spell each of ``words`` as one
    token: ``symbols`` first, then every piece of every word, each with a merge for every way
    of cutting it in two, shorter results first (whatever a word's pieces so far, two neighbours
    make another piece of it, so merging goes on to the whole word)."""
    pieces: dict[str, None] = {}
    for word in words:
        for n in range(2, len(word) + 1):
            for i in range(len(word) - n + 1):
                pieces[word[i:i + n]] = None
    vocab = dict.fromkeys(symbols)
    merges = {}
    for piece in sorted(pieces, key=len):  # stable: the order of ``words`` within a length
        vocab[piece] = None
        for k in range(1, len(piece)):
            merges[(piece[:k], piece[k:])] = None
    return {piece: i for i, piece in enumerate(vocab)}, list(merges)


def gemma_tokenizer(length: int):
    """Gemma's tokenizer (BPE over characters with byte fallback, no prefix space) with a
    vocabulary written here: the specials, Gemma 3's image markers, the 256 byte tokens, the
    ASCII characters and the test words."""
    from transformers import GemmaTokenizer

    specials = ["<pad>", "<eos>", "<bos>", "<unk>", "<mask>", "<start_of_turn>", "<end_of_turn>",
                "<start_of_image>", "<end_of_image>", "<image_soft_token>"]
    chars = ["\u2581"] + list(string.ascii_letters + string.digits + string.punctuation)
    words = WORDS + [w.capitalize() for w in WORDS]
    words = ["\u2581" + w for w in words] + words
    vocab, merges = _bpe(specials + [f"<0x{b:02X}>" for b in range(256)] + chars, words)
    return GemmaTokenizer(vocab=vocab, merges=merges, add_bos_token=True, model_max_length=length)


def ltx2(out: Path) -> None:
    """LTX-2 (the 2.0 layout): one transformer denoising video and audio latents together, a
    Gemma 3 text encoder whose every layer's states feed the text connectors (a 1D transformer
    each for video and audio, with learnable registers in the padding), the video VAE (32x in
    space, 8x in time, 128 latent channels scaled down), the audio VAE (16 kHz mel, hop 160, 4x in
    time and in mel bins) and a HiFi-GAN vocoder (240x: 24 kHz out)."""
    from diffusers import (
        AutoencoderKLLTX2Audio,
        AutoencoderKLLTX2Video,
        FlowMatchEulerDiscreteScheduler,
        LTX2Pipeline,
        LTX2VideoTransformer3DModel,
    )
    from diffusers.pipelines.ltx2 import LTX2TextConnectors
    from diffusers.pipelines.ltx2.vocoder import LTX2Vocoder
    from transformers import (
        Gemma3Config,
        Gemma3ForConditionalGeneration,
        Gemma3TextConfig,
        SiglipVisionConfig,
    )

    torch.manual_seed(0)
    tok = gemma_tokenizer(1024)
    layers = 2
    text = Gemma3TextConfig(
        vocab_size=(len(tok) + 63) // 64 * 64, hidden_size=TEXT_DIM, intermediate_size=64,
        num_hidden_layers=layers, num_attention_heads=2, num_key_value_heads=1, head_dim=16,
        query_pre_attn_scalar=16, max_position_embeddings=2048, sliding_window=256,
        pad_token_id=0, eos_token_id=1, bos_token_id=2)
    vision = SiglipVisionConfig(hidden_size=16, intermediate_size=32, num_hidden_layers=1,
                                num_attention_heads=2, image_size=16, patch_size=4)
    ids = tok.convert_tokens_to_ids(["<start_of_image>", "<end_of_image>", "<image_soft_token>"])
    text_encoder = Gemma3ForConditionalGeneration(Gemma3Config(
        text_config=text, vision_config=vision, mm_tokens_per_image=4, boi_token_index=ids[0],
        eoi_token_index=ids[1], image_token_index=ids[2])).eval()

    torch.manual_seed(0)
    connectors = LTX2TextConnectors(  # video and audio connectors' width = the text encoder's
        caption_channels=TEXT_DIM, text_proj_in_factor=layers + 1,
        video_connector_num_attention_heads=4, video_connector_attention_head_dim=8,
        video_connector_num_layers=1, video_connector_num_learnable_registers=128,
        audio_connector_num_attention_heads=4, audio_connector_attention_head_dim=8,
        audio_connector_num_layers=1, audio_connector_num_learnable_registers=128,
        connector_rope_base_seq_len=4096, rope_theta=10000.0, rope_double_precision=True,
        causal_temporal_positioning=False, rope_type="split", per_modality_projections=False,
        proj_bias=False)

    torch.manual_seed(0)
    latent, audio_latent, mel_bins = 8, 4, 16
    vae = AutoencoderKLLTX2Video(  # patch 4 x 2 x 2 x 2 = 32 in space; 2 x 2 x 2 = 8 in time
        latent_channels=latent, block_out_channels=(8, 16, 32, 64),
        decoder_block_out_channels=(8, 16, 32), layers_per_block=(1, 1, 1, 1, 1),
        decoder_layers_per_block=(1, 1, 1, 1), spatio_temporal_scaling=(True, True, True, True),
        decoder_spatio_temporal_scaling=(True, True, True),
        decoder_inject_noise=(False, False, False, False),
        downsample_type=("spatial", "temporal", "spatiotemporal", "spatiotemporal"),
        upsample_type=("spatiotemporal",) * 3, upsample_residual=(True, True, True),
        upsample_factor=(2, 2, 2), timestep_conditioning=False, patch_size=4, patch_size_t=1,
        encoder_causal=True, decoder_causal=False, spatial_compression_ratio=32,
        temporal_compression_ratio=8)

    torch.manual_seed(0)
    audio_vae = AutoencoderKLLTX2Audio(  # its latent statistics are base_channels wide: they
        # normalise the packed latents, latent channels x mel bins / 4
        base_channels=audio_latent * mel_bins // 4, output_channels=2, ch_mult=(1, 2, 4),
        num_res_blocks=1, attn_resolutions=None, in_channels=2, resolution=256,
        latent_channels=audio_latent, norm_type="pixel", causality_axis="height", dropout=0.0,
        mid_block_add_attention=False, sample_rate=16000, mel_hop_length=160, is_causal=True,
        mel_bins=mel_bins, double_z=True)

    torch.manual_seed(0)
    vocoder = LTX2Vocoder(
        in_channels=2 * mel_bins, hidden_channels=32, out_channels=2,
        upsample_kernel_sizes=[16, 15, 8, 4, 4], upsample_factors=[6, 5, 2, 2, 2],
        resnet_kernel_sizes=[3], resnet_dilations=[[1, 3, 5]], act_fn="leaky_relu",
        leaky_relu_negative_slope=0.1, antialias=False, final_act_fn="tanh", final_bias=True,
        output_sampling_rate=24000)

    torch.manual_seed(0)
    transformer = LTX2VideoTransformer3DModel(
        in_channels=latent, out_channels=latent, patch_size=1, patch_size_t=1,
        num_attention_heads=2, attention_head_dim=8, cross_attention_dim=16,
        vae_scale_factors=(8, 32, 32), audio_in_channels=audio_latent * mel_bins // 4,
        audio_out_channels=audio_latent * mel_bins // 4, audio_num_attention_heads=2,
        audio_attention_head_dim=4, audio_cross_attention_dim=8, audio_sampling_rate=16000,
        audio_hop_length=160, num_layers=2, caption_channels=TEXT_DIM, rope_type="split",
        rope_double_precision=True, cross_attn_timestep_scale_multiplier=1000)

    scheduler = FlowMatchEulerDiscreteScheduler(
        num_train_timesteps=1000, shift=1.0, use_dynamic_shifting=True, base_shift=0.95,
        max_shift=2.05, base_image_seq_len=1024, max_image_seq_len=4096, shift_terminal=0.1)
    LTX2Pipeline(scheduler=scheduler, vae=vae, audio_vae=audio_vae, text_encoder=text_encoder,
                 tokenizer=tok, connectors=connectors, transformer=transformer, vocoder=vocoder
                 ).save_pretrained(out)


QWEN_CHAT = (  # Qwen2.5's chat template, short of tool calls and images
    "{% for message in messages %}{{ '<|im_start|>' + message['role'] + '\\n' + message['content']"
    " + '<|im_end|>' + '\\n' }}{% endfor %}"
    "{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}")


def qwen_tokenizer(texts: list[str] = ()):
    """Qwen2's byte-level BPE tokenizer with a vocabulary written here (the 256 byte symbols, the
    test words with and without a leading space, and every piece Qwen's pre-tokenizer splits
    ``texts`` into) and Qwen2.5's chat markers and template."""
    from transformers import Qwen2Tokenizer
    from transformers.convert_slow_tokenizer import bytes_to_unicode

    byte = bytes_to_unicode()
    words = WORDS + [w.capitalize() for w in WORDS]
    words = ["".join(byte[b] for b in (" " + w).encode()) for w in words] + [
        "".join(byte[b] for b in w.encode()) for w in words]
    specials = ["<|endoftext|>", "<|im_start|>", "<|im_end|>"]
    for _ in range(2):  # the second time with the pieces of ``texts`` as words
        vocab, merges = _bpe(specials + list(byte.values()), list(dict.fromkeys(words)))
        tok = Qwen2Tokenizer(vocab=vocab, merges=merges, padding_side="right",
                             extra_special_tokens=specials[1:])
        tok.chat_template = QWEN_CHAT
        split = tok.backend_tokenizer.pre_tokenizer.pre_tokenize_str
        words += [piece for text in texts for part in _special_split(text, specials)
                  for piece, _ in split(part)]
    return tok


def _special_split(text: str, specials: list[str]) -> list[str]:
    import re

    return [p for p in re.split("|".join(map(re.escape, specials)), text) if p]


def _system_prompt() -> str:
    """HunyuanVideo 1.5's prompt template up to the user's text: the pipeline crops a fixed 108
    tokens (its length in Qwen's tokens) off the front; the tiny tokenizer spells it in as many
    when every piece of it is a token."""
    import inspect

    from diffusers import HunyuanVideo15Pipeline

    message = inspect.signature(HunyuanVideo15Pipeline._get_mllm_prompt_embeds).parameters[
        "system_message"].default
    return (f"<|im_start|>system\n{message}<|im_end|>\n<|im_start|>user\n"
            "<|im_end|>\n<|im_start|>assistant\n")


def hunyuan15(out: Path) -> None:
    """HunyuanVideo 1.5 text-to-video (the 480p layout): a Qwen2.5-VL language model's
    third-to-last layer for the prompt, a ByT5 encoder for quoted text, the VAE's 16x in space and
    4x in time with 32 latent channels scaled down, in_channels = 2 x latent + 1 (noise, image
    latents, mask), classifier-free guidance 6 as a guider component, shift 5."""
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

    torch.manual_seed(0)
    tok = qwen_tokenizer([_system_prompt()])
    text_encoder = Qwen2_5_VLTextModel(Qwen2_5_VLTextConfig(
        vocab_size=(len(tok) + 63) // 64 * 64, hidden_size=TEXT_DIM, intermediate_size=64,
        num_hidden_layers=3, num_attention_heads=2, num_key_value_heads=1,
        max_position_embeddings=2048, bos_token_id=tok.convert_tokens_to_ids("<|endoftext|>"),
        rope_parameters={"rope_type": "default", "rope_theta": 1e6, "mrope_section": [2, 2, 4]},
        eos_token_id=tok.convert_tokens_to_ids("<|im_end|>"),
        pad_token_id=tok.convert_tokens_to_ids("<|endoftext|>"))).eval()
    tok_2 = ByT5Tokenizer()
    text_encoder_2 = T5EncoderModel(T5Config(
        vocab_size=len(tok_2), d_model=16, d_kv=8, d_ff=32, num_layers=1, num_heads=2,
        relative_attention_num_buckets=8, relative_attention_max_distance=32,
        feed_forward_proj="gated-gelu", pad_token_id=0, eos_token_id=1,
        decoder_start_token_id=0)).eval()

    torch.manual_seed(0)
    latent = 8
    vae = AutoencoderKLHunyuanVideo15(
        latent_channels=latent, block_out_channels=(8, 8, 8, 8, 8), layers_per_block=1,
        spatial_compression_ratio=16, temporal_compression_ratio=4)

    torch.manual_seed(0)
    transformer = HunyuanVideo15Transformer3DModel(
        in_channels=2 * latent + 1, out_channels=latent, num_attention_heads=2,
        attention_head_dim=8, num_layers=1, num_refiner_layers=1, mlp_ratio=2.0, patch_size=1,
        patch_size_t=1, text_embed_dim=TEXT_DIM, text_embed_2_dim=16, image_embed_dim=8,
        rope_axes_dim=(2, 2, 4), target_size=640, task_type="t2v")

    HunyuanVideo15Pipeline(
        text_encoder=text_encoder, tokenizer=tok, transformer=transformer, vae=vae,
        scheduler=FlowMatchEulerDiscreteScheduler(shift=5.0), text_encoder_2=text_encoder_2,
        tokenizer_2=tok_2, guider=ClassifierFreeGuidance(guidance_scale=6.0)
    ).save_pretrained(out)


BUILDERS = {
    "wan22-a14b": wan22_a14b, "wan22-i2v-a14b": wan22_i2v_a14b, "ltx2": ltx2,
    "hunyuan15": hunyuan15, "skyreels-df": skyreels_df,
}
