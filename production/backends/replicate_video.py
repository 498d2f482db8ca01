"""Any public video model on Replicate (``--video replicate:OWNER/NAME``, or
``replicate:OWNER/NAME:VERSION`` to pin one version), through the ``replicate`` client: one
protocol for Wan, LTX, Kling, Hailuo, Veo, Seedance and the community's models.

Replicate runs its official models by name and every other model by a version's id: a model
is asked for by name first, and one the service does not run by name (404) is run by its latest
version's id from then on. A pinned version always runs by its id.

Models name their inputs differently, so the model's own input schema (its latest version's
OpenAPI schema, read once) says what to send: the prompt; a negative prompt and a seed where it
takes them; the length as it counts it (``duration`` in the seconds it allows, or
``num_frames`` at its frame rate); 16:9 and the configured resolution where it offers them; the
picture a take starts from (``image``, ``start_image``, ``first_frame_image``) for a shot that
continues the one before; a cast member's reference stills where it takes ``reference_images``.
"""

from __future__ import annotations

import logging
import math
import re
import threading
from pathlib import Path
from typing import Any

import httpx

from webtv.core.errors import ConfigError
from webtv.production.backends.base import VideoRequest
from webtv.production.backends.hosted import (
    HostedSettings,
    HostedVideo,
    ServiceError,
    seconds_between,
)
from webtv.production.backends.outputs import download
from webtv.production.backends.space import Journal

IMAGE_INPUTS = ("image", "start_image", "first_frame_image", "input_image", "init_image")
FPS_INPUTS = ("frames_per_second", "fps")
RUNNING = ("starting", "processing")
log = logging.getLogger("webtv.hosted")


class ReplicateVideo(HostedVideo):
    service = "replicate"

    def __init__(self, model: str, settings: HostedSettings, journal: Journal | None) -> None:
        owner_name, _, pinned = model.partition(":")
        if owner_name.count("/") != 1 or not all(owner_name.split("/")) or (
                _ and not re.fullmatch(r"[0-9a-zA-Z]+", pinned)):
            raise ConfigError(f"replicate:{model}: name a model as Replicate spells it, "
                              "replicate:OWNER/NAME (e.g. replicate:wan-video/wan-2.2-t2v-fast) "
                              "or replicate:OWNER/NAME:VERSION")
        super().__init__(model, settings, journal)
        self.owner_name = owner_name
        self.version: str | None = pinned or None  # None: by name (an official model)
        self._latest: str | None = None  # the latest version's id, read with the schema
        self._client: Any = None
        self._inputs: dict[str, Any] | None = None
        self._required: set[str] = set()
        self._lock = threading.Lock()
        self._hint = threading.local()  # the Retry-After of this thread's last answer

    # -- the client and the model's schema -------------------------------------------------
    def client(self) -> Any:
        import replicate

        with self._lock:
            if self._client is None:
                self._client = replicate.Client(
                    api_token=self.settings.key("replicate"), base_url=self.settings.base_url,
                    event_hooks={"response": [self._remember_retry_after]})
            return self._client

    def _remember_retry_after(self, response: httpx.Response) -> None:
        self._hint.value = response.headers.get("Retry-After") \
            if response.status_code in (429, 503) else None

    def inputs(self) -> dict[str, Any]:
        """The model's input properties (with enums resolved), read once."""
        if self._inputs is None:
            try:
                version = self.retrying(self._version, float("inf"), "read the model's schema")
            except Exception as exc:
                raise self._failure(exc, billed=False) from exc
            self._latest = version.id if version is not None else None
            schema = (version.openapi_schema if version is not None else None) or {}
            parts = schema.get("components", {}).get("schemas", {})
            found = parts.get("Input", {})
            if not found.get("properties"):
                raise ServiceError(f"{self.name}: the model publishes no input schema",
                                   billed=False)
            self._required = set(found.get("required", []))
            self._inputs = {name: _resolved(prop, parts)
                            for name, prop in found["properties"].items()}
        return self._inputs

    def _version(self) -> Any:
        """The version whose schema says what to send: the pinned one, else the latest."""
        model = self.client().models.get(self.owner_name)
        if self.version is not None:
            return model.versions.get(self.version)
        return model.latest_version

    @property
    def can_continue(self) -> bool:
        try:
            return self._image_input() is not None
        except Exception:  # noqa: BLE001 - unreachable now: words only, this take
            return False

    @property
    def needs_image(self) -> bool:
        key = self._image_input()
        return key is not None and key in self._required

    def _image_input(self) -> str | None:
        inputs = self.inputs()
        return next((k for k in IMAGE_INPUTS if k in inputs), None)

    # -- the protocol --------------------------------------------------------------------
    def allowed_seconds(self) -> list[float]:
        inputs = self.inputs()
        if "duration" in inputs:
            return _choices(inputs["duration"], 1, 20)
        if "num_frames" in inputs:
            low, high = _bounds(inputs["num_frames"], 1, 257)
            fps = self.fps
            return seconds_between(max(1, (low - 1) / fps), (high - 1) / fps)
        return [5.0]  # a model that picks its own length: Replicate's usual five seconds

    @property
    def fps(self) -> int:  # type: ignore[override]
        """The model's frame rate: its fps input's default, else Wan's 16 for a model that
        counts frames, else 24."""
        inputs = self.inputs()
        for key in FPS_INPUTS:
            if key in inputs:
                return int(inputs[key].get("default") or 16)
        return 16 if "num_frames" in inputs else 24

    def payload(self, request: VideoRequest, seconds: float) -> dict[str, Any]:
        inputs, values = self.inputs(), {"prompt": request.prompt}
        if "negative_prompt" in inputs:
            values["negative_prompt"] = "text, watermark, words, letters, blurry, distorted"
        if "seed" in inputs:
            values["seed"] = request.seed
        if "generate_audio" in inputs:  # the channel adds its own music; silence costs less
            values["generate_audio"] = False
        if "duration" in inputs:
            values["duration"] = _typed(inputs["duration"], seconds)
        elif "num_frames" in inputs:
            low, high = _bounds(inputs["num_frames"], 1, 257)
            values["num_frames"] = min(high, max(low, math.ceil(seconds * self.fps) + 1))
        offered = inputs.get("aspect_ratio", {}).get("enum")
        if offered and "16:9" in offered:
            values["aspect_ratio"] = "16:9"
        resolution = _nearest_resolution(inputs.get("resolution", {}).get("enum"),
                                         self.settings.resolution)
        if resolution is not None:
            values["resolution"] = resolution
        image = self._image_input()
        if image and request.image is not None:
            values[image] = Path(request.image)
        if "reference_images" in inputs and request.references and request.image is None:
            values["reference_images"] = [Path(p) for p in request.references[:3]]
        return values

    def submit(self, request: VideoRequest, seconds: float) -> Any:
        from replicate.exceptions import ReplicateError

        payload = self.payload(request, seconds)
        if self.version is None:
            try:
                return self.client().models.predictions.create(
                    model=self.owner_name, input=payload, file_encoding_strategy="base64")
            except ReplicateError as exc:
                if exc.status != 404 or not self._latest:
                    raise
                # not run by name: a community model, run by its latest version from now on
                log.info("%s is not an official model: running its version %s", self.name,
                         self._latest[:12])
                self.version = self._latest
        return self.client().predictions.create(
            version=self.version, input=payload, file_encoding_strategy="base64")

    def poll(self, job: Any) -> tuple[bool, Any]:
        job = self.client().predictions.get(job.id)
        if job.status in RUNNING:
            return False, job
        if job.status == "succeeded":
            return True, job
        message = str(job.error or job.status)
        raise self.refusal(message) or ServiceError(f"{self.name}: the prediction "
                                                    f"{job.status}: {message[:300]}")

    def fetch(self, job: Any, out: Path) -> Path:
        output = job.output
        if isinstance(output, list):
            output = output[0] if output else None
        if isinstance(output, dict):
            output = output.get("video") or output.get("url") or output.get("output")
        url = getattr(output, "url", None)  # a FileOutput, where a client wraps one
        output = url if isinstance(url, str) else output
        if not isinstance(output, str):
            raise ServiceError(f"{self.name}: the prediction has no video output: "
                               f"{str(job.output)[:200]}")
        return download(output, out)

    def cancel(self, job: Any) -> None:
        self.client().predictions.cancel(job.id)

    def transient(self, exc: BaseException) -> bool:
        from replicate.exceptions import ReplicateError

        if isinstance(exc, ReplicateError):
            return exc.status == 429 or (exc.status or 0) >= 500
        return super().transient(exc)

    def retry_after(self, exc: BaseException) -> float | None:
        value = getattr(self._hint, "value", None)
        self._hint.value = None
        try:
            return float(value) if value is not None else None
        except ValueError:
            return None


def _nearest_resolution(offered: list[Any] | None, wanted: str) -> Any:
    """The model's own name for the resolution nearest the one configured ("768P" for
    "720p"), None when it offers no choice."""
    lines = {v: int(m.group()) for v in offered or [] if (m := re.search(r"\d+", str(v)))}
    if not lines:
        return None
    target = int(re.search(r"\d+", wanted).group()) if re.search(r"\d+", wanted) else 720
    return min(lines, key=lambda v: (abs(lines[v] - target), lines[v]))


def _resolved(prop: dict[str, Any], parts: dict[str, Any]) -> dict[str, Any]:
    """A schema property with an enum given by reference (``allOf: [{$ref}]``) made inline."""
    merged = dict(prop)
    for ref in prop.get("allOf", []):
        target = parts.get(str(ref.get("$ref", "")).rsplit("/", 1)[-1], {})
        merged = {**target, **merged}
    return merged


def _choices(prop: dict[str, Any], low: float, high: float) -> list[float]:
    if prop.get("enum"):
        return [float(str(v).rstrip("s")) for v in prop["enum"]]
    lo, hi = _bounds(prop, low, high)
    return seconds_between(lo, hi)


def _bounds(prop: dict[str, Any], low: float, high: float) -> tuple[int, int]:
    return int(prop.get("minimum", low)), int(prop.get("maximum", high))


def _typed(prop: dict[str, Any], seconds: float) -> Any:
    """A length as the schema writes it: one of its enum values, or a number of its type."""
    for value in prop.get("enum", []):
        if float(str(value).rstrip("s")) == seconds:
            return value
    return float(seconds) if prop.get("type") == "number" else int(round(seconds))
