"""Hosted video services through their official clients: what they share.

A job is submitted, polled and fetched within the job's deadline (``[backends] job_deadline_s``),
then cancelled. Transient failures (429, honouring Retry-After; 5xx; timeouts; a dropped
connection) are retried with backoff, each request on its own: a job the service took is never
submitted a second time in one attempt (it would be billed twice). A refusal by the service's
moderation is the shot's fault (``Refused``: the director rewrites it), not the service's.
The key is read from the environment variable named in webtv.toml, at first use; it is never
logged or stored.

    [hosted.replicate]
    token_env = "REPLICATE_API_TOKEN"   # the variable that holds the token
    base_url = "https://api.replicate.com"   # or $REPLICATE_BASE_URL

    [hosted.veo]
    key_env = "GOOGLE_API_KEY"          # Vertex AI express mode
    base_url = "https://aiplatform.googleapis.com/"
"""

from __future__ import annotations

import logging
import math
import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import httpx
from tenacity import Retrying, retry_if_exception, stop_after_attempt, stop_after_delay

from webtv.core.errors import BackendError, BadMedia, ConfigError, MediaError, Refused
from webtv.core.settings import Secrets
from webtv.production.backends.base import Asset, VideoRequest
from webtv.production.backends.shapes import Shape
from webtv.production.backends.space import Journal

log = logging.getLogger("webtv.hosted")
T = TypeVar("T")
REFUSAL_WORDS = ("flagged as sensitive", "sensitive content", "safety", "nsfw", "moderation",
                 "content policy", "usage guidelines", "responsible ai", "e005", "blocked",
                 "violat")
TOO_SHORT = 0.85  # a clip shorter than this share of the seconds asked is a partial one


class ServiceError(BackendError):
    """The service failed the job, or could not be reached. ``billed``: whether it took the
    job (its price is counted) or never did (a refused submission costs nothing)."""

    def __init__(self, message: str, billed: bool = True) -> None:
        super().__init__(message)
        self.billed = billed


class ServiceRefused(Refused):
    billed = True  # counted at its price: the conservative reading of the services' terms


@dataclass(frozen=True)
class HostedSettings:
    """One service's [hosted.NAME] table, with the channel's job deadline."""

    base_url: str | None = None
    key_env: str = ""
    deadline_s: float = 900.0
    poll_s: float = 2.0  # the first wait between status requests (it doubles, up to 15 s)
    attempts: int = 6  # tries of one request that keeps failing transiently
    backoff_s: float = 1.0  # scale of the jittered exponential wait between them
    resolution: str = "720p"
    width: int = 1280  # what the channel asks for: 16:9, the house aspect
    height: int = 720
    secrets: Secrets = field(default_factory=Secrets, repr=False, compare=False)

    @classmethod
    def from_config(cls, service: str, config: dict[str, Any], key_env: str,
                    secrets: Secrets | None = None) -> HostedSettings:
        table = dict(config.get("hosted", {}).get(service, {}))
        table.setdefault("key_env", table.pop("token_env", key_env))
        known = set(cls.__dataclass_fields__) - {"deadline_s", "secrets"}
        unknown = set(table) - known
        if unknown:
            raise ConfigError(f"unknown key(s) in [hosted.{service}]: "
                              f"{', '.join(sorted(unknown))} (known: {', '.join(sorted(known))})")
        deadline = float(config.get("backends", {}).get("job_deadline_s", 900))
        return cls(**table, deadline_s=deadline, secrets=secrets or Secrets())

    def key(self, service: str) -> str:
        value = self.secrets.get(self.key_env)
        if not value:
            raise ConfigError(f"{service}: no API key: set ${self.key_env} (the variable named "
                              f"by [hosted.{service}] key_env)")
        return value


def nearest_at_least(seconds: float, allowed: list[float]) -> float:
    """The shortest length a service makes that covers ``seconds`` (else its longest)."""
    covering = [a for a in sorted(allowed) if a >= seconds - 1e-6]
    return covering[0] if covering else max(allowed)


class HostedVideo:
    """A video model on a hosted service: ``submit`` a job, ``poll`` it, ``fetch`` its clip;
    the subclasses speak each service's protocol through its official client."""

    costly = True  # every take is paid for

    service = ""
    remote = True  # the production line caches what it makes: the same prompt is paid once
    fps = 24  # what the service's clips are assumed to run at before they are measured

    def __init__(self, model: str, settings: HostedSettings, journal: Journal | None) -> None:
        self.model = model
        self.name = f"{self.service}:{model}"
        self.settings = settings
        self.deadline_s = settings.deadline_s
        self.journal = journal

    # -- what the subclasses say -------------------------------------------------------
    def allowed_seconds(self) -> list[float]:
        raise NotImplementedError

    def submit(self, request: VideoRequest, seconds: float) -> Any:
        raise NotImplementedError

    def poll(self, job: Any) -> tuple[bool, Any]:
        """(done, the job as it is now)."""
        raise NotImplementedError

    def fetch(self, job: Any, out: Path) -> Path:
        raise NotImplementedError

    def cancel(self, job: Any) -> None:
        raise NotImplementedError

    def transient(self, exc: BaseException) -> bool:
        """Worth another try: a dropped connection, a timeout, 429 or 5xx from a download (the
        subclasses add their clients' own errors)."""
        if isinstance(exc, httpx.HTTPStatusError):
            return exc.response.status_code == 429 or exc.response.status_code >= 500
        return isinstance(exc, httpx.TransportError | TimeoutError)

    def retry_after(self, exc: BaseException) -> float | None:
        return None

    # -- one take ------------------------------------------------------------------------
    def billed_seconds(self, seconds: float) -> float:
        return nearest_at_least(seconds, self.allowed_seconds())

    def plan(self, seconds: float) -> Shape:
        """What is asked for: the length the service makes, 16:9, its frame rate."""
        billed = self.billed_seconds(seconds)
        s = self.settings
        return Shape(s.width, s.height, max(1, round(billed * self.fps)), self.fps, 0, 0.0,
                     s.width, s.height)

    def generate(self, request: VideoRequest, out_dir: Path) -> Asset:
        seconds = self.billed_seconds(request.seconds or request.frames / request.fps)
        deadline = time.monotonic() + self.deadline_s
        started, shown = time.monotonic(), {"prompt": request.prompt[:200],
                                            "seed": request.seed, "seconds": seconds,
                                            "image": request.image.name if request.image else None}
        try:
            job = self.retrying(lambda: self.submit(request, seconds), deadline, "submit")
        except Exception as exc:
            error = self._failure(exc, billed=False)
            self._record(started, shown, "refused" if isinstance(error, Refused) else "error",
                         error)
            raise error from exc
        try:
            path = self._finish(job, out_dir / f"video-{self.service}.mp4", deadline)
            asset = self._measured(path, seconds)
        except Exception as exc:
            error = self._failure(exc, billed=True)
            outcome = ("refused" if isinstance(error, Refused) else
                       "bad_output" if isinstance(error, BadMedia) else "error")
            self._record(started, shown, outcome, error)
            raise error from exc
        self._record(started, shown, "ok", None)
        return asset

    def retrying(self, call: Callable[[], T], deadline: float, what: str) -> T:
        """``call()``, tried again after a transient failure, before ``deadline``."""
        s = self.settings

        def wait(state: Any) -> float:
            hinted = self.retry_after(state.outcome.exception())
            tries = state.attempt_number
            delay = hinted if hinted is not None else random.uniform(
                0, s.backoff_s * 2 ** min(tries, 6))
            return max(0.0, min(delay, 60.0, deadline - time.monotonic()))

        for attempt in Retrying(retry=retry_if_exception(self.transient), reraise=True,
                                wait=wait, stop=stop_after_attempt(s.attempts)
                                | stop_after_delay(max(0.0, deadline - time.monotonic()))):
            with attempt:
                if time.monotonic() >= deadline:
                    raise ServiceError(f"{self.name}: no time left to {what} before the "
                                       "job's deadline", billed=what != "submit")
                return call()
        raise AssertionError("unreachable: tenacity reraises")

    def _finish(self, job: Any, out: Path, deadline: float) -> Path:
        wait = self.settings.poll_s
        while True:
            done, job = self.retrying(lambda j=job: self.poll(j), deadline, "poll")
            if done:
                return self.retrying(lambda j=job: self.fetch(j, out), deadline, "fetch")
            if time.monotonic() + wait >= deadline:
                try:
                    self.cancel(job)
                except Exception as exc:  # noqa: BLE001 - it times out either way
                    log.warning("%s: cancelling a late job failed: %s", self.name, exc)
                raise ServiceError(f"{self.name}: not done within the job's deadline "
                                   f"({self.deadline_s:.0f}s); cancelled")
            time.sleep(wait)
            wait = min(wait * 2, 15.0)

    def _measured(self, path: Path, seconds: float) -> Asset:
        """The clip, measured: readable, as long as asked (within a little), 16:9. Its own
        frame count is what the line checks it against: services choose their frame rate."""
        from webtv.core.media import decodable_frames

        try:
            asset = Asset.measure(path)
            frames = decodable_frames(path)
        except MediaError as exc:
            raise BadMedia(f"{self.name} sent a file that is not a readable video: {exc}") \
                from exc
        if frames < 2 or asset.duration < seconds * TOO_SHORT:
            raise BadMedia(f"{self.name} sent {asset.duration:.1f}s ({frames} frames) for "
                           f"{seconds:g}s asked")
        return Asset(path, asset.duration, asset.width, asset.height, asset.fps, frames,
                     made_frames=frames)

    def _failure(self, exc: BaseException, billed: bool) -> BackendError:
        """Any failure as the production line reads it: a ToolError, with whether the job
        was billed."""
        if isinstance(exc, ServiceError | Refused | BadMedia):
            return exc
        if isinstance(exc, ConfigError):
            return ServiceError(str(exc), billed=False)
        text = _describe(exc)
        if billed is False and getattr(exc, "status", getattr(exc, "code", 0)) in (401, 403):
            return ServiceError(f"{self.name}: the service refused the key: {text}",
                                billed=False)
        return ServiceError(f"{self.name}: {text}", billed=billed)

    def refusal(self, message: str) -> ServiceRefused | None:
        """A moderation refusal, told by the service's words."""
        lowered = message.lower()
        if any(word in lowered for word in REFUSAL_WORDS):
            return ServiceRefused(f"{self.name} refused the prompt ({message[:200]}); rewrite "
                                  "the shot in plainer words")
        return None

    def _record(self, started: float, shown: dict, outcome: str, error: BaseException | None
                ) -> None:
        if self.journal is not None:
            self.journal(endpoint=self.name, capability="video", attempt=1, arguments=shown,
                         duration_ms=(time.monotonic() - started) * 1000, outcome=outcome,
                         error="" if error is None else str(error)[:500])


def seconds_between(low: float, high: float) -> list[float]:
    """Whole seconds from ``low`` to ``high`` (a range a schema allows)."""
    return [float(s) for s in range(math.ceil(low), math.floor(high) + 1)] or [float(high)]


def _describe(exc: BaseException) -> str:
    text = " ".join(str(exc).split())
    return f"{type(exc).__name__}: {text[:300]}"
