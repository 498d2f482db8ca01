"""What every in-process model backend shares: the owner's options ([gpu] in webtv.toml), where
the weights are read from, and the one clear line when they are not there.

Weights come from a directory or the local Hugging Face cache (a hub id that was fetched
before); nothing is downloaded unless the owner allows it (``[gpu] download = true``).
"""

from __future__ import annotations

import functools
import logging
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any, TypeVar

from webtv.core.errors import BackendError, ConfigError, WebTVError
from webtv.production.backends.device import device, torch
from webtv.production.backends.shapes import Options

log = logging.getLogger("webtv.gpu")
F = TypeVar("F", bound=Callable[..., Any])
HUB_ID = re.compile(r"^[\w.-]+/[\w.-]+$")


@dataclass(frozen=True)
class GpuOptions:
    """[gpu] in webtv.toml. The defaults fit a 24 GB card."""

    device: str = "auto"  # auto: the first CUDA GPU, else the CPU
    dtype: str = "auto"  # auto: bfloat16 on a GPU, float32 on the CPU
    offload: str = "auto"  # auto: only for a model that does not fit | always | never
    vae_tiling: bool | None = None  # None: on a GPU (less memory for a little time)
    download: bool = False  # fetch weights from the Hugging Face Hub when they are not cached
    workers: bool = False  # run on `webtv worker --models` hosts through the cluster's Redis
    motion_adapter: str = ""  # AnimateDiff's, on a Stable Diffusion base (motion_adapters.py)
    video: Options = Options()  # the video model's shape: width, height, fps, steps, ...

    @classmethod
    def from_config(cls, table: dict[str, Any]) -> GpuOptions:
        known = {f.name for f in fields(cls)} - {"video"}
        shape = set(Options.__dataclass_fields__)
        unknown = set(table) - known - shape
        if unknown:
            raise ConfigError(f"unknown key(s) in [gpu]: {', '.join(sorted(unknown))} (known: "
                              f"{', '.join(sorted(known | shape))})")
        if table.get("offload", "auto") not in ("auto", "always", "never"):
            raise ConfigError("[gpu] offload: auto, always or never")
        return cls(**{k: v for k, v in table.items() if k in known},
                   video=Options.from_config(table))

    def torch_dtype(self) -> Any:
        name = self.dtype
        if name == "auto":
            name = "bfloat16" if device(self.device).accelerated else "float32"
        try:
            return getattr(torch(), name)
        except AttributeError:
            raise ConfigError(f"[gpu] dtype: {self.dtype!r} is not a torch dtype") from None

    def tiling(self) -> bool:
        return device(self.device).accelerated if self.vae_tiling is None else self.vae_tiling


def source(spec: str, what: str) -> tuple[str, bool]:
    """Where ``spec`` (a directory or a hub id) is read from, and whether it is a directory.
    A path that is not there is one clear line, not a hub lookup."""
    path = Path(spec).expanduser()
    if path.is_dir():
        return str(path.resolve()), True
    if HUB_ID.match(spec) and not path.exists():
        return spec, False
    raise ConfigError(f"{what} model {spec!r}: no such directory (give a directory of weights "
                      "saved with save_pretrained, or a Hugging Face id like owner/name)")


def check_source(spec: str, what: str, options: GpuOptions) -> None:
    """At start, not at the first take: a model that is not there is one clear line."""
    _, is_dir = source(spec, what)
    if is_dir or options.download:
        return
    from huggingface_hub import scan_cache_dir
    from huggingface_hub.errors import CacheNotFound

    try:
        cached = {repo.repo_id for repo in scan_cache_dir().repos}
    except CacheNotFound:
        cached = set()
    if spec not in cached:
        cache = hub_cache()
        raise ConfigError(f"{what} model {spec!r} is not in the Hugging Face cache ({cache}): "
                          f"fetch it with `hf download {spec}`, or allow "
                          "downloads with [gpu] download = true")


def hub_cache() -> str:
    """Where the Hugging Face hub keeps downloads (its own setting, HF_HOME or HF_HUB_CACHE)."""
    from huggingface_hub import constants

    return constants.HF_HUB_CACHE


def load(spec: str, what: str, options: GpuOptions, loader: Any, **kwargs: Any) -> Any:
    """``loader.from_pretrained`` over a directory or the local cache; a missing model is one
    line saying what to fetch."""
    where, is_dir = source(spec, what)
    offline = not options.download and not is_dir
    try:
        return loader.from_pretrained(where, local_files_only=offline, **kwargs)
    except (OSError, ValueError) as exc:
        if is_dir:
            raise ConfigError(f"{what} model at {where} cannot be loaded: "
                              f"{str(exc).splitlines()[0][:200]}") from None
        cache = hub_cache()
        raise ConfigError(
            f"{what} model {spec!r} is not in the Hugging Face cache ({cache}): fetch it with "
            f"`hf download {spec}`, or allow downloads with [gpu] download = true"
            + ("" if offline else f" ({str(exc).splitlines()[0][:160]})")) from None


def short_name(spec: str) -> str:
    """A model's name for the logs and the takes' records: the hub id, or the folder's name."""
    return spec if HUB_ID.match(spec) and not Path(spec).expanduser().is_dir() \
        else Path(spec).expanduser().resolve().name


def take_fault(capability: str) -> Callable[[F], F]:
    """A model's error is the take's fault, never the turn's: whatever the model raises (a
    shape its position table cannot hold, a kernel missing, weights that do not match) becomes
    a BackendError naming the model, in the journal where `webtv status` and /health find a
    model that fails every take. The channel's own errors pass as they are."""
    def wrap(method: F) -> F:
        @functools.wraps(method)
        def guarded(self: InProcess, *args: Any, **kwargs: Any) -> Any:
            started = time.monotonic()

            def failed(exc: BaseException) -> str:
                text = f"{type(exc).__name__}: {' '.join(str(exc).split())}"[:300]
                log.warning("%s failed a take: %s", self.name, text)
                self.journal(endpoint=self.name, capability=capability, attempt=1,
                             arguments={}, duration_ms=(time.monotonic() - started) * 1000,
                             outcome="error", error=text)
                return text

            try:
                return method(self, *args, **kwargs)
            except BackendError:  # out of memory twice: journaled where it happened
                raise
            except ConfigError as exc:  # it cannot load, or cannot make this take (no
                failed(exc)  # start picture): every take of it fails alike, so it counts
                raise
            except WebTVError:
                raise
            except Exception as exc:  # noqa: BLE001 - the model's, whatever it is
                raise BackendError(f"{self.name} failed: {failed(exc)}") from exc
        return guarded  # type: ignore[return-value]
    return wrap


class InProcess:
    """A model backend of this process: its weights, its options, its name in the records,
    and the device it shares with the others."""

    library, what = "diffusers", "video"  # diffusers:MODEL as --video
    costly = True  # a take costs minutes of the owner's GPU (or CPU): checks gate it lightly

    def __init__(self, spec: str, options: GpuOptions, journal: Any = None) -> None:
        check_source(spec, self.what, options)
        self.spec, self.options = spec, options
        self.name = f"{self.library}:{short_name(spec)}"
        self.device = device(options.device)
        self.journal = journal or (lambda **fields: None)

    def pipeline(self) -> Any:
        """The model, loaded once for this process."""
        return self.device.model(self.name, self._load)

    def _load(self) -> Any:
        import diffusers

        pipe = load(self.spec, self.what, self.options, diffusers.DiffusionPipeline,
                    dtype=self.options.torch_dtype())
        pipe.set_progress_bar_config(disable=True)
        return pipe
