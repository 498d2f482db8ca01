"""Tiny video, music and still models for the tests: real diffusers and transformers classes
built from small configs with random weights (the VAEs keep the real ones' compression), a
tokenizer made here, saved with ``save_pretrained`` so the channel loads them exactly as it
loads a user's model. No hub access. Builds are byte-for-byte the same every time.

    python -m tests.tiny_models OUTDIR [wan ltx ...]    # all of them, or some
"""

from __future__ import annotations

import string
import sys
from pathlib import Path

import torch

TEXT_DIM = 32  # the tiny text encoder's width
WORDS = (
    "a an the of and to in at on with by for from into over under near who runs stand night "
    "day dusk dawn evening llama fox cat panda dog bird robot keeper chef noodle noodles bowl "
    "market street lantern lighthouse storm rain snow sea sky forest wood kitchen shop red "
    "green blue yellow orange purple pink white black grey brown gold silver scarf coat apron "
    "hat fur camera pans tilts zoom slow static left right up down toward away wide medium "
    "close-up shot walks waves cooks reads looks smiles calm cozy music instrumental cue show "
    "seconds text watermark logo subtitles worst low quality blurry jittery distorted deformed "
    "frame storybook animation soft light rich colour"
).split()


def tokenizer(length: int):
    """A T5-style tokenizer (Unigram pieces written out, not trained: a trained one differs
    from build to build) wrapped as transformers' T5 tokenizer."""
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, processors
    from transformers import T5TokenizerFast

    vocab = [("<pad>", 0.0), ("</s>", 0.0), ("<unk>", 0.0), ("\u2581", -2.0)]
    pieces = ["\u2581" + w for w in WORDS + [w.capitalize() for w in WORDS]]
    for c in string.ascii_letters + string.digits + string.punctuation:
        pieces += [c, "\u2581" + c]
    for i, piece in enumerate(dict.fromkeys(pieces)):
        vocab.append((piece, -5.0 - 0.001 * i if len(piece) > 2 else -10.0))
    tok = Tokenizer(models.Unigram(vocab, unk_id=2, byte_fallback=False))
    tok.pre_tokenizer = pre_tokenizers.Sequence([
        pre_tokenizers.WhitespaceSplit(),
        pre_tokenizers.Metaspace(replacement="\u2581", prepend_scheme="always")])
    tok.decoder = decoders.Metaspace(replacement="\u2581", prepend_scheme="always")
    tok.post_processor = processors.TemplateProcessing(
        single="$A </s>", pair="$A </s> $B </s>", special_tokens=[("</s>", 1)])
    return T5TokenizerFast(tokenizer_object=tok, eos_token="</s>", unk_token="<unk>",
                           pad_token="<pad>", extra_ids=0, model_max_length=length)


def t5(tok, umt5: bool = False):
    from transformers import T5Config, T5EncoderModel, UMT5Config, UMT5EncoderModel

    config = dict(vocab_size=(len(tok) + 63) // 64 * 64, d_model=TEXT_DIM, d_kv=8, d_ff=64,
                  num_layers=2, num_heads=4, relative_attention_num_buckets=8,
                  relative_attention_max_distance=32, feed_forward_proj="gated-gelu",
                  pad_token_id=0, eos_token_id=1, decoder_start_token_id=0)
    if umt5:
        return UMT5EncoderModel(UMT5Config(**config)).eval()
    return T5EncoderModel(T5Config(**config)).eval()


def wan(out: Path, ti2v: bool = False) -> None:
    """Wan 2.1 T2V; ``ti2v``: the Wan 2.2 TI2V layout (a 16x VAE, one folder for text- and
    image-to-video)."""
    from diffusers import (
        AutoencoderKLWan,
        UniPCMultistepScheduler,
        WanPipeline,
        WanTransformer3DModel,
    )

    torch.manual_seed(0)
    tok = tokenizer(512)
    z = 48 if ti2v else 16
    vae = AutoencoderKLWan(
        base_dim=3, z_dim=z, dim_mult=[1, 1, 1, 1], num_res_blocks=1,
        temperal_downsample=[False, True, True],
        **(dict(in_channels=12, out_channels=12, is_residual=True, patch_size=2,
                latents_mean=[0.0] * z, latents_std=[1.0] * z, scale_factor_spatial=16,
                scale_factor_temporal=4) if ti2v else {}))
    transformer = WanTransformer3DModel(
        patch_size=(1, 2, 2), num_attention_heads=2, attention_head_dim=12, in_channels=z,
        out_channels=z, text_dim=TEXT_DIM, freq_dim=256, ffn_dim=32, num_layers=2,
        cross_attn_norm=True, qk_norm="rms_norm_across_heads", rope_max_seq_len=1024)
    scheduler = UniPCMultistepScheduler(prediction_type="flow_prediction", use_flow_sigmas=True,
                                        flow_shift=3.0)
    WanPipeline(tokenizer=tok, text_encoder=t5(tok, umt5=True), vae=vae, scheduler=scheduler,
                transformer=transformer, **({"expand_timesteps": True} if ti2v else {})
                ).save_pretrained(out)


def ltx(out: Path, distilled: bool = False) -> None:
    """LTX-Video 0.9.1's layout; ``distilled``: 0.9.7-distilled's (LTXConditionPipeline, a
    timestep-conditioned VAE, a scheduler without dynamic shifting)."""
    from diffusers import (
        AutoencoderKLLTXVideo,
        FlowMatchEulerDiscreteScheduler,
        LTXConditionPipeline,
        LTXPipeline,
        LTXVideoTransformer3DModel,
    )

    torch.manual_seed(0)
    tok = tokenizer(128)
    transformer = LTXVideoTransformer3DModel(
        in_channels=8, out_channels=8, patch_size=1, patch_size_t=1, num_attention_heads=2,
        attention_head_dim=8, cross_attention_dim=16, num_layers=1, caption_channels=TEXT_DIM)
    vae = AutoencoderKLLTXVideo(  # 32x in space, 8x in time, like the real one
        latent_channels=8, block_out_channels=(8, 8, 8, 8),
        decoder_block_out_channels=(8, 8, 8, 8), layers_per_block=(1, 1, 1, 1, 1),
        decoder_layers_per_block=(1, 1, 1, 1, 1),
        spatio_temporal_scaling=(True, True, True, False),
        decoder_spatio_temporal_scaling=(True, True, True, False),
        decoder_inject_noise=(False,) * 5, patch_size=4, patch_size_t=1, encoder_causal=True,
        decoder_causal=False, timestep_conditioning=distilled)
    scheduler = FlowMatchEulerDiscreteScheduler(
        num_train_timesteps=1000, shift=1.0, use_dynamic_shifting=not distilled,
        base_shift=0.95, max_shift=2.05, base_image_seq_len=1024, max_image_seq_len=4096,
        shift_terminal=None if distilled else 0.1)
    cls = LTXConditionPipeline if distilled else LTXPipeline
    cls(scheduler=scheduler, vae=vae, text_encoder=t5(tok), tokenizer=tok,
        transformer=transformer).save_pretrained(out)


def cogvideox(out: Path, i2v: bool = False, v15: bool = False) -> None:
    """CogVideoX-2B's layout at 256x144 and the released 49 frames (its positional embeddings
    fix both); ``i2v``: 5B-I2V's (image latents beside the noise, positions learned for 13
    latent frames); ``v15``: CogVideoX 1.5's (two frames a patch, rotary positions over any
    size, and the released sample size of 300, which is no size to plan at)."""
    from diffusers import (
        AutoencoderKLCogVideoX,
        CogVideoXDDIMScheduler,
        CogVideoXImageToVideoPipeline,
        CogVideoXPipeline,
        CogVideoXTransformer3DModel,
    )

    torch.manual_seed(0)
    tok = tokenizer(226)
    vae = AutoencoderKLCogVideoX(
        in_channels=3, out_channels=3, down_block_types=("CogVideoXDownBlock3D",) * 4,
        up_block_types=("CogVideoXUpBlock3D",) * 4, block_out_channels=(8, 8, 8, 8),
        latent_channels=4, layers_per_block=1, norm_num_groups=2, temporal_compression_ratio=4)
    positions = dict(sample_width=300, sample_height=300, sample_frames=81, patch_size_t=2,
                     use_rotary_positional_embeddings=True, patch_bias=False,
                     ofs_embed_dim=2 if i2v else None) if v15 else dict(
        sample_width=32, sample_height=18, sample_frames=49,
        use_rotary_positional_embeddings=i2v, use_learned_positional_embeddings=i2v)
    transformer = CogVideoXTransformer3DModel(
        num_attention_heads=2, attention_head_dim=16, in_channels=8 if i2v else 4,
        out_channels=4, time_embed_dim=2, text_embed_dim=TEXT_DIM, num_layers=1,
        patch_size=2, temporal_compression_ratio=4, max_text_seq_length=226, **positions)
    scheduler = CogVideoXDDIMScheduler(
        beta_schedule="scaled_linear", beta_start=0.00085, beta_end=0.012, clip_sample=False,
        num_train_timesteps=1000, prediction_type="v_prediction", rescale_betas_zero_snr=True,
        set_alpha_to_one=True, snr_shift_scale=3.0, steps_offset=0, timestep_spacing="trailing")
    cls = CogVideoXImageToVideoPipeline if i2v else CogVideoXPipeline
    cls(tokenizer=tok, text_encoder=t5(tok), vae=vae, transformer=transformer,
        scheduler=scheduler).save_pretrained(out)


def pixart(out: Path) -> None:
    """A text-to-image pipeline (PixArt-alpha's layout) for the cast's reference stills."""
    from diffusers import (
        AutoencoderKL,
        DDIMScheduler,
        PixArtAlphaPipeline,
        PixArtTransformer2DModel,
    )

    torch.manual_seed(0)
    tok = tokenizer(120)
    transformer = PixArtTransformer2DModel(
        sample_size=8, num_layers=1, patch_size=2, attention_head_dim=8, num_attention_heads=2,
        caption_channels=TEXT_DIM, in_channels=4, cross_attention_dim=16, out_channels=8,
        attention_bias=True, activation_fn="gelu-approximate", num_embeds_ada_norm=1000,
        norm_type="ada_norm_single", norm_elementwise_affine=False, norm_eps=1e-6)
    vae = AutoencoderKL(block_out_channels=(8, 8), down_block_types=("DownEncoderBlock2D",) * 2,
                        up_block_types=("UpDecoderBlock2D",) * 2, latent_channels=4,
                        norm_num_groups=4, layers_per_block=1)
    PixArtAlphaPipeline(tokenizer=tok, text_encoder=t5(tok), vae=vae, transformer=transformer,
                        scheduler=DDIMScheduler()).save_pretrained(out)


def musicgen(out: Path) -> None:
    """MusicGen's layout (musicgen-small's rates: 32 kHz, 50 frames a second, 4 codebooks)."""
    from transformers import (
        EncodecConfig,
        EncodecFeatureExtractor,
        GenerationConfig,
        MusicgenConfig,
        MusicgenDecoderConfig,
        MusicgenForConditionalGeneration,
        MusicgenProcessor,
        T5Config,
    )

    torch.manual_seed(0)
    tok = tokenizer(512)
    text = t5(tok).config
    audio = EncodecConfig(
        sampling_rate=32000, audio_channels=1, upsampling_ratios=[8, 5, 4, 4],
        target_bandwidths=[2.2], codebook_size=2048, hidden_size=16, codebook_dim=16,
        num_filters=4, num_residual_layers=1, num_lstm_layers=1, use_causal_conv=False,
        use_conv_shortcut=False, normalize=False)
    decoder = MusicgenDecoderConfig(
        vocab_size=2048, max_position_embeddings=2048, num_hidden_layers=2, ffn_dim=32,
        num_attention_heads=2, hidden_size=16, num_codebooks=4, audio_channels=1,
        pad_token_id=2048, bos_token_id=2048)
    model = MusicgenForConditionalGeneration(MusicgenConfig(
        text_encoder=T5Config(**text.to_dict()), audio_encoder=audio, decoder=decoder)).eval()
    with torch.no_grad():  # a new EnCodec's codebooks are zeros: every seed would sound alike
        for layer in model.audio_encoder.quantizer.layers:
            layer.codebook.embed.normal_()
            layer.codebook.embed_avg.copy_(layer.codebook.embed)
    model.generation_config = GenerationConfig(
        bos_token_id=2048, decoder_start_token_id=2048, pad_token_id=2048, do_sample=True,
        guidance_scale=3.0, max_length=1500, top_k=250)
    model.save_pretrained(out)
    MusicgenProcessor(feature_extractor=EncodecFeatureExtractor(
        feature_size=1, sampling_rate=32000, padding_side="left", padding_value=0.0),
        tokenizer=tok).save_pretrained(out)


BUILDERS = {
    "wan": wan, "wan-ti2v": lambda out: wan(out, ti2v=True), "ltx": ltx,
    "ltx-distilled": lambda out: ltx(out, distilled=True), "cogvideox": cogvideox,
    "cogvideox-i2v": lambda out: cogvideox(out, i2v=True),
    "cogvideox15": lambda out: cogvideox(out, v15=True), "musicgen": musicgen,
    "pixart": pixart,
}


def build(root: Path, names: list[str] | None = None) -> dict[str, Path]:
    """Each model in ``root/NAME`` (built once: an existing folder is kept), with the
    families of tests/tiny_families.py and the laptop models of tests/tiny_painters.py."""
    from tests.tiny_families import BUILDERS as MORE
    from tests.tiny_painters import BUILDERS as PAINTERS

    every = {**BUILDERS, **MORE, **PAINTERS}
    made = {}
    for name in names or list(every):
        out = root / name
        if not out.is_dir() or not any(out.iterdir()):
            every[name](out)
        made[name] = out
    return made


if __name__ == "__main__":
    for name, path in build(Path(sys.argv[1]), sys.argv[2:] or None).items():
        print(name, path)
