"""One accelerator, several models: video, music and stills share the GPU of this process.

Each model is loaded once per process (a worker keeps it across jobs) and kept on the device
while it fits; when a model that does not fit is wanted, the idle ones move out to the CPU,
least recently used first, and one that cannot fit even alone runs with its components
offloaded (on the GPU only while each runs). One generation at a time per device: two at once
would only race each other into an out-of-memory error.

Progress: the running generation's step, for `webtv status`, the operator page and the log.
"""

from __future__ import annotations

import gc
import logging
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

log = logging.getLogger("webtv.gpu")
HEADROOM = 0.35  # of the device's memory, left for activations (a video's latents, the VAE)


def torch():
    """torch, or the line that says how to install it."""
    try:
        import torch as module
    except ImportError:
        from webtv.core.errors import ConfigError

        raise ConfigError("in-process models need torch, diffusers and transformers: pip "
                          "install 'ai-webtv[gpu]' (README, \"Your own GPU\")") from None
    return module


def weight_bytes(model: Any) -> int:
    """The bytes of a pipeline's (or a model's) parameters and buffers."""
    modules = [m for m in getattr(model, "components", {}).values() if hasattr(m, "parameters")]
    if not modules and hasattr(model, "parameters"):
        modules = [model]
    return sum(t.numel() * t.element_size() for m in modules
               for t in (*m.parameters(), *m.buffers()))


def is_out_of_memory(exc: BaseException) -> bool:
    """CUDA's out-of-memory error, or the CPU allocator's."""
    oom = getattr(torch(), "OutOfMemoryError", None)
    return (oom is not None and isinstance(exc, oom)) or (
        isinstance(exc, RuntimeError) and ("out of memory" in str(exc).lower()
                                           or "can't allocate memory" in str(exc)))


@dataclass
class Resident:
    model: Any
    bytes: int
    on_device: bool = False
    offloaded: bool = False  # enable_model_cpu_offload: it manages its own placement
    uses: int = 0


@dataclass
class Progress:
    """The generation running now, as the status shows it."""

    model: str
    kind: str  # video | music | still
    steps: int
    step: int = 0
    started: float = field(default_factory=time.monotonic)
    note: str = ""  # e.g. "retry after out of memory: 25 frames, tiled, offloaded"

    def as_dict(self) -> dict[str, Any]:
        return {"model": self.model, "kind": self.kind, "step": self.step, "steps": self.steps,
                "seconds": round(time.monotonic() - self.started, 1), "note": self.note}


class Device:
    def __init__(self, name: str) -> None:
        self.name = name
        self.models: OrderedDict[str, Resident] = OrderedDict()
        self.loads = 0  # models loaded in this process (a worker keeps them: this stays small)
        self.progress: Progress | None = None
        self._lock = threading.RLock()  # one generation, one load at a time
        self._loading = threading.Lock()

    @property
    def accelerated(self) -> bool:
        return self.name != "cpu"

    def budget(self) -> int | None:
        """Bytes of weights that may stay on the device; None: no limit (the CPU)."""
        if not self.accelerated:
            return None
        total = torch().cuda.get_device_properties(torch().device(self.name)).total_memory
        return int(total * (1 - HEADROOM))

    def model(self, key: str, load: Callable[[], Any]) -> Any:
        """The model under ``key``, loaded on first use (on the CPU: ``use`` places it)."""
        with self._loading:
            if key not in self.models:
                started = time.monotonic()
                model = load()
                self.models[key] = Resident(model, weight_bytes(model))
                self.loads += 1
                log.info("loaded %s (%.2f GB of weights) in %.1f s", key,
                         self.models[key].bytes / 1e9, time.monotonic() - started)
            return self.models[key].model

    @contextmanager
    def use(self, key: str, kind: str, steps: int, offload: bool | None = None,
            note: str = "") -> Iterator[Any]:
        """The model on the device for one generation, the device held meanwhile.
        ``offload``: True, run it offloaded; False, never; None, only if it does not fit."""
        with self._lock:
            resident = self.models[key]
            self.models.move_to_end(key)
            self._place(key, resident, offload)
            resident.uses += 1
            self.progress = Progress(key, kind, steps, note=note)
            try:
                yield resident.model
            finally:
                self.progress = None

    def step(self, step: int, steps: int) -> None:
        if self.progress is not None:
            self.progress.step, self.progress.steps = step, steps
            if step in {max(1, steps // 4), max(1, steps // 2), max(1, 3 * steps // 4)}:
                log.info("%s %s: step %d of %d, %.0f s", self.progress.kind,
                         self.progress.model, step, steps,
                         time.monotonic() - self.progress.started)

    def _place(self, key: str, resident: Resident, offload: bool | None) -> None:
        if not self.accelerated:
            return
        budget = self.budget()
        needs = budget is not None and resident.bytes > budget  # it never fits whole
        if resident.offloaded:
            if offload or offload is None and needs:
                return  # offloaded it stays
            self._whole(key, resident)  # a retry's offload ends with the retry
        if resident.on_device and not offload:
            return
        can_offload = hasattr(resident.model, "enable_model_cpu_offload")
        if can_offload and (offload or offload is None and needs):
            self._offload(key, resident)  # asked for, or it would not fit even alone
            return
        on_device = sum(r.bytes for r in self.models.values() if r.on_device)
        for other_key, other in list(self.models.items()):  # least recently used first
            if budget is None or on_device + resident.bytes <= budget:
                break
            if other.on_device and other is not resident:  # idle: the device is held by us
                other.model.to("cpu")
                other.on_device = False
                on_device -= other.bytes
                log.info("moved %s out to the CPU to make room for %s", other_key, key)
        resident.model.to(self.name)
        resident.on_device = True

    def _offload(self, key: str, resident: Resident) -> None:
        resident.model.enable_model_cpu_offload(device=self.name)
        resident.offloaded, resident.on_device = True, False
        log.info("%s runs offloaded: its components visit the GPU in turn", key)

    def _whole(self, key: str, resident: Resident) -> None:
        """Offloading undone: the model is placed whole again, as configured."""
        resident.model.remove_all_hooks()
        resident.offloaded = False
        log.info("%s runs whole again: the offloading of a retry is undone", key)

    def recover(self) -> None:
        """After an out-of-memory error: what the failed run held goes back to the allocator."""
        gc.collect()
        if self.accelerated:
            torch().cuda.empty_cache()


_DEVICES: dict[str, Device] = {}
_GUARD = threading.Lock()


def device(name: str | None = None) -> Device:
    """The process's Device for ``name`` (default: the first CUDA GPU, else the CPU)."""
    if name is None or name == "auto":
        name = "cuda" if torch().cuda.is_available() else "cpu"
    with _GUARD:
        if name not in _DEVICES:
            _DEVICES[name] = Device(name)
        return _DEVICES[name]


def making_now() -> list[dict[str, Any]]:
    """What every device of this process is generating now (for the channel's state)."""
    with _GUARD:
        devices = list(_DEVICES.values())
    return [{"device": d.name, **d.progress.as_dict()} for d in devices if d.progress]
