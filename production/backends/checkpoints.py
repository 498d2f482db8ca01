"""What a video checkpoint is, read from its own files before a weight is loaded: the
pipeline class and keys of ``model_index.json``, and the configs of its transformer, VAE and
scheduler. From a folder, or from the Hugging Face cache for a hub id (nothing is fetched);
or, where neither has it yet (``[gpu] download = true``), from the pipeline once loaded.
Reading them at start means a checkpoint this channel cannot plan is refused at start, and a
model worker can say what its model is without loading it."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from webtv.production.backends.families import Checkpoint

COMPONENT_CONFIGS = {"transformer": "transformer/config.json", "vae": "vae/config.json",
                     "scheduler": "scheduler/scheduler_config.json",
                     "guider": "guider/guider_config.json", "unet": "unet/config.json",
                     "motion_adapter": "motion_adapter/config.json"}


def from_folder(folder: Path, name: str = "") -> Checkpoint | None:
    """The checkpoint in ``folder`` (a save_pretrained layout), or None when it has no
    model_index.json."""
    index = folder / "model_index.json"
    if not index.is_file():
        return None
    model_index = json.loads(index.read_text("utf-8"))
    configs = {}
    for key, path in COMPONENT_CONFIGS.items():
        file = folder / path
        configs[key] = json.loads(file.read_text("utf-8")) if file.is_file() else {}
    return _checkpoint(model_index, configs, name or folder.name)


def from_cache(repo_id: str) -> Checkpoint | None:
    """A hub id's checkpoint from the local cache, or None when it is not there."""
    from huggingface_hub import snapshot_download
    from huggingface_hub.errors import LocalEntryNotFoundError

    try:
        folder = snapshot_download(repo_id, local_files_only=True)
    except (LocalEntryNotFoundError, OSError, ValueError):
        return None
    return from_folder(Path(folder), repo_id)


def from_pipeline(pipe: Any, name: str) -> Checkpoint:
    """A loaded pipeline's checkpoint (a model fetched at its first take)."""
    configs = {key: dict(getattr(getattr(pipe, key, None), "config", None) or {})
               for key in COMPONENT_CONFIGS}
    return _checkpoint({"_class_name": type(pipe).__name__, **dict(pipe.config)}, configs,
                       name)


def _checkpoint(model_index: dict[str, Any], configs: dict[str, dict[str, Any]],
                name: str) -> Checkpoint:
    components = frozenset(k for k, v in model_index.items() if not k.startswith("_") and
                           isinstance(v, list | tuple) and len(v) == 2 and v[0] is not None)
    plain = {k: v for k, v in model_index.items()
             if not k.startswith("_") and not isinstance(v, list | tuple)}
    return Checkpoint(model_index.get("_class_name", ""), plain, configs["transformer"],
                      configs["vae"], configs["scheduler"], configs["guider"], components, name,
                      unet=configs["unet"], adapter=configs["motion_adapter"])
