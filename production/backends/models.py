"""Models run by this process: which class serves ``--video diffusers:MODEL``,
``--video stills:MODEL`` (a text-to-image model's pictures in motion),
``--music transformers:MODEL`` and the rest. Nothing of torch is imported until a model is
first used, so a channel without one never needs it installed."""

from __future__ import annotations

from importlib import import_module
from importlib.util import find_spec
from typing import Any

from webtv.core.errors import ConfigError

IN_PROCESS = ("diffusers:", "transformers:", "stills:")
MODELS = {("video", "diffusers"): "video_models:DiffusersVideo",
          ("video", "stills"): "still_motion:StillsVideo",
          ("music", "transformers"): "audio_models:TransformersMusic",
          ("music", "diffusers"): "audio_models:DiffusersAudio",
          ("stills", "diffusers"): "still_models:DiffusersStill"}


def in_process(cap: str, name: str, gpu: dict[str, Any], journal: Any = None) -> Any:
    """The backend for ``name`` (``library:MODEL``) with the [gpu] options ``gpu``."""
    library, _, spec = name.partition(":")
    where = MODELS.get((cap, library))
    if where is None or not spec:
        known = ", ".join(f"--{c} {lib}:MODEL" for c, lib in MODELS)
        raise ConfigError(f"{cap} backend {name!r}: not a model this channel runs (it runs "
                          f"{known})")
    need_extra(f"--{cap} {name}", "gpu", ("torch", "diffusers", "transformers"))
    from webtv.production.backends.inprocess import GpuOptions

    module, _, cls = where.partition(":")
    return getattr(import_module(f"webtv.production.backends.{module}"), cls)(
        spec, GpuOptions.from_config(gpu), journal)


def need_extra(what: str, extra: str, modules: tuple[str, ...]) -> None:
    """Before anything is fetched or written: the packages ``what`` runs on, or one line
    naming the extra that installs them."""
    missing = [m for m in modules if not _installed(m)]
    if missing:
        raise ConfigError(f"{what} needs the [{extra}] extra ({', '.join(missing)} not "
                          f"installed): pip install 'ai-webtv[{extra}]'")


def _installed(module: str) -> bool:
    try:
        return find_spec(module) is not None
    except ModuleNotFoundError:  # its parent package is not there either
        return False
