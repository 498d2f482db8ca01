"""AnimateDiff the way its users load it: a Stable Diffusion 1.5 (or SDXL) checkpoint as
``--video diffusers:BASE`` and a motion adapter as ``[gpu] motion_adapter``: a MotionAdapter's
folder or hub id (guoyww/animatediff-motion-adapter-v1-5-3), or one file of its weights, as
AnimateDiff-Lightning ships them (``animatediff_lightning_4step_diffusers.safetensors``: a
path, or ``OWNER/NAME/FILE`` in the Hugging Face cache). A file's adapter has the released
v1.5 adapter's shape (MotionAdapter's defaults) unless a ``config.json`` lies beside it. An
AnimateDiff pipeline saved whole needs no option. The adapter is read at start (its config),
so a wrong one is refused before the channel goes on air."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path
from typing import Any

from webtv.core.errors import ConfigError
from webtv.production.backends.families import Checkpoint
from webtv.production.backends.inprocess import hub_cache

BASES = {"StableDiffusionPipeline": "AnimateDiffPipeline",
         "StableDiffusionXLPipeline": "AnimateDiffSDXLPipeline"}


def with_adapter(base: Checkpoint, spec: str, download: bool) -> Checkpoint:
    """The AnimateDiff checkpoint a base and an adapter make together."""
    cls = BASES.get(base.cls)
    if cls is None:
        raise ConfigError(f"[gpu] motion_adapter goes on a Stable Diffusion 1.5 or SDXL "
                          f"checkpoint (AnimateDiff's base), not on {base.cls or 'this folder'}")
    return replace(base, cls=cls, adapter=_config(spec, download), adapter_name=spec)


def load(base_spec: str, adapter_spec: str, cls: str, options: Any) -> Any:
    """The AnimateDiff pipeline over the base's weights and the adapter's."""
    import diffusers

    from webtv.production.backends import inprocess

    adapter = _adapter(adapter_spec, options)
    return inprocess.load(base_spec, "video", options, getattr(diffusers, cls),
                          motion_adapter=adapter, dtype=options.torch_dtype())


def _weights_file(spec: str, download: bool) -> Path | None:
    """The adapter's one file of weights, or None where ``spec`` names a whole adapter."""
    if not spec.endswith((".safetensors", ".bin", ".pth")):
        return None
    path = Path(spec).expanduser()
    if path.is_file():
        return path
    parts = spec.split("/")
    if path.exists() or len(parts) < 3:
        raise ConfigError(f"[gpu] motion_adapter {spec!r}: no such file (a path, or "
                          "OWNER/NAME/FILE in the Hugging Face cache)")
    from huggingface_hub import hf_hub_download

    repo, name = "/".join(parts[:2]), "/".join(parts[2:])
    try:
        return Path(hf_hub_download(repo, name, local_files_only=not download))
    except Exception:  # noqa: BLE001 - not cached, or not on the hub
        cache = hub_cache()
        raise ConfigError(f"[gpu] motion_adapter {spec!r} is not in the Hugging Face cache "
                          f"({cache}): fetch it with `hf download {repo} {name}`") from None


def _config(spec: str, download: bool) -> dict[str, Any]:
    """The adapter's config: beside its file, in its folder, or in the cache."""
    file = _weights_file(spec, download)
    if file is not None:
        beside = file.with_name("config.json")
        return json.loads(beside.read_text("utf-8")) if beside.is_file() else {}
    folder = Path(spec).expanduser()
    if folder.is_dir():
        config = folder / "config.json"
        if not config.is_file():
            raise ConfigError(f"[gpu] motion_adapter {spec!r}: no config.json (a MotionAdapter "
                              "saved with save_pretrained, or its weights' file)")
        return json.loads(config.read_text("utf-8"))
    from huggingface_hub import hf_hub_download

    try:
        return json.loads(Path(hf_hub_download(spec, "config.json",
                                               local_files_only=not download)).read_text())
    except Exception:  # noqa: BLE001 - not cached, not a hub id
        cache = hub_cache()
        raise ConfigError(f"[gpu] motion_adapter {spec!r} is neither a folder nor in the "
                          f"Hugging Face cache ({cache}): fetch it with `hf download "
                          f"{spec}`") from None


def _adapter(spec: str, options: Any) -> Any:
    from diffusers import MotionAdapter

    from webtv.production.backends import inprocess

    file = _weights_file(spec, options.download)
    if file is None:
        return inprocess.load(spec, "motion adapter", options, MotionAdapter)
    from safetensors.torch import load_file

    adapter = MotionAdapter(**_config(spec, options.download))
    state = load_file(str(file)) if file.suffix == ".safetensors" else __import__(
        "torch").load(file, map_location="cpu", weights_only=True)
    missing, unexpected = adapter.load_state_dict(state, strict=False)
    if missing or unexpected:
        raise ConfigError(f"[gpu] motion_adapter {spec!r} does not fit its adapter's shape "
                          f"({len(missing)} weights missing, {len(unexpected)} unexpected)")
    return adapter.to(options.torch_dtype())
