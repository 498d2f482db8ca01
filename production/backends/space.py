"""One Gradio Space (or any Gradio app with the same API) through gradio_client: its declared
endpoint, the values rendered into its inputs, retries with jittered backoff for the failures
worth retrying (a full queue, a paused or sleeping Space, timeouts, 5xx), and a circuit breaker
that rests an endpoint that keeps failing.

Each endpoint is declared in configuration (see config.py): where it is, its ``api_name``, how
our values map onto its inputs, which output holds the file.
"""

from __future__ import annotations

import logging
import shutil
import threading
import time
from collections.abc import Callable
from concurrent.futures import CancelledError
from pathlib import Path
from typing import Any, Literal

import httpx
from pydantic import BaseModel, ConfigDict, Field, model_validator
from tenacity import (
    Retrying,
    retry_if_exception,
    stop_after_attempt,
    stop_after_delay,
    wait_random_exponential,
)

from webtv.core.errors import Abandoned, BackendError, BadMedia, ConfigError, WebTVError
from webtv.core.settings import Secrets

log = logging.getLogger("webtv.remote")
TRANSIENT_WORDS = ("queue is full", "paused", "sleeping", "building", "too many requests",
                   "timed out", "timeout", "503", "502", "504", "could not fetch config",
                   "connection", "temporarily")


class EndpointTimeout(TimeoutError):
    """A job ran past its endpoint's time limit (the job is cancelled on the endpoint)."""


class BadOutput(BadMedia):
    """The endpoint answered with what is not the asset asked for: this input's fault."""


class EndpointConfig(BaseModel):
    """One endpoint, as declared in webtv.toml (merged over its preset). Unknown keys are errors."""

    model_config = ConfigDict(extra="forbid")
    name: str
    backend: str  # endpoints with the same backend name form one pool
    capability: Literal["video", "upscale", "interpolate", "music"]
    url: str
    api_name: str | None = None
    fn_index: int | None = None  # for Spaces whose endpoint has no name
    args: list[Any]  # templates: "{prompt}", "{video:file}", "__none__", or literal values
    output: list[int | str] = Field(default_factory=lambda: [0])  # path into the result
    token_env: str | None = None  # the environment variable holding the token (never stored)
    concurrency: int = Field(1, ge=1, le=64)
    timeout_s: float = Field(600.0, gt=0)
    attempts: int = Field(3, ge=1, le=20)
    backoff_s: float = Field(2.0, ge=0)  # scale of the jittered exponential wait
    defaults: dict[str, Any] = Field(default_factory=dict)  # values a preset fixes (steps)
    expect: dict[str, Any] = Field(default_factory=dict)  # what a good output measures

    @model_validator(mode="after")
    def _one_target(self) -> EndpointConfig:
        if (self.api_name is None) == (self.fn_index is None):
            raise ValueError("give exactly one of api_name and fn_index")
        return self


class NoSuchAPI(BackendError):
    """The Space does not expose the API the preset describes: no retry will change that."""


def transient(exc: BaseException) -> bool:
    """Worth another try on the same endpoint: the Space is busy, asleep, or the network blinked."""
    from gradio_client.utils import QueueError, TooManyRequestsError

    if isinstance(exc, (TimeoutError, QueueError, TooManyRequestsError, httpx.TransportError)):
        return True
    if isinstance(exc, httpx.HTTPStatusError):
        return exc.response.status_code >= 500 or exc.response.status_code == 429
    if isinstance(exc, BadOutput | ConfigError | NoSuchAPI | Abandoned):
        return False
    return any(word in str(exc).lower() for word in TRANSIENT_WORDS)


def outside(exc: BaseException) -> bool:
    """A failure of the endpoint, the network or the file it sent: the next endpoint may do
    better. Anything else (a TypeError, an AttributeError) is a bug here and must surface, not
    be failed over as if a Space were at fault."""
    from gradio_client.utils import QueueError, TooManyRequestsError

    return isinstance(exc, (WebTVError, OSError, TimeoutError, ValueError, httpx.HTTPError,
                            QueueError, TooManyRequestsError, CancelledError))


def render(templates: list[Any], values: dict[str, Any]) -> list[Any]:
    """Our values in the endpoint's input order. "{x}" keeps x's type; "{x:file}" uploads x."""
    from gradio_client import handle_file

    rendered = []
    for template in templates:
        if template == "__none__":  # TOML has no null
            rendered.append(None)
        elif isinstance(template, str) and template.startswith("{") and template.endswith("}"):
            name, _, kind = template[1:-1].partition(":")
            if name not in values:
                raise ConfigError(f"input {template!r} names no known value "
                                  f"(known: {', '.join(sorted(values))})")
            value = values[name]
            rendered.append(handle_file(str(value)) if kind == "file" else value)
        else:
            rendered.append(template)
    return rendered


def pick(result: Any, path: list[int | str]) -> Path:
    """The output file inside a Gradio result (a tuple, a dict, a FileData, a filepath)."""
    value = result
    try:
        for step in path:
            value = value[step]
    except (IndexError, KeyError, TypeError) as exc:
        raise BadOutput(f"the result has no output at {path}: {str(result)[:200]}") from exc
    if isinstance(value, dict):
        value = value.get("video") or value.get("path") or value.get("name")
    if not isinstance(value, str) or not value:
        raise BadOutput(f"output {path} is not a file: {str(value)[:200]}")
    return Path(value)


class Breaker:
    """Opens when the endpoint looks broken, not when one input is bad: after failures in a
    row on ``threshold`` different inputs (a prompt that crashes the Space, however often it is
    tried with new seeds, fails only itself), or bad files in a row for ``bad_files`` different
    inputs (a Space that answers everything with garbage, not one that always answers a few
    prompts badly). Lets one trial through after ``cooldown``."""

    def __init__(self, threshold: int = 3, cooldown: float = 60.0, bad_files: int = 8) -> None:
        self.threshold, self.cooldown, self.bad_files = threshold, cooldown, bad_files
        self.failures: list[str] = []  # the inputs of the failures in a row
        self.bad: set[str] = set()  # the inputs of the bad files in a row
        self.open_until = 0.0
        self._lock = threading.Lock()

    def allow(self) -> bool:
        with self._lock:
            return not self._tripped() or time.monotonic() >= self.open_until

    def success(self) -> None:
        with self._lock:
            self.failures, self.bad = [], set()

    def failure(self, key: str, permanent: bool = False) -> None:
        with self._lock:
            self.failures.append(key)
            if permanent:
                self.failures += [f"{key}:{i}" for i in range(self.threshold)]
            if self._tripped():
                self.open_until = time.monotonic() + (1e9 if permanent else self.cooldown)

    def bad_file(self, key: str) -> None:
        with self._lock:
            self.bad.add(key)
            if self._tripped():
                self.open_until = time.monotonic() + self.cooldown

    def _tripped(self) -> bool:
        return len(set(self.failures)) >= self.threshold or len(self.bad) >= self.bad_files

    @property
    def state(self) -> str:
        with self._lock:
            if not self._tripped():
                return "closed"
        return "open" if time.monotonic() < self.open_until else "half-open"


Journal = Callable[..., None]  # records one attempt: endpoint, capability, attempt, ... outcome


def _input_key(values: dict[str, Any]) -> str:
    """What a job asks, without its seed: the same prompt with a new seed is the same input."""
    return repr(sorted((k, str(v)) for k, v in values.items() if k != "seed"))


class Endpoint:
    def __init__(self, config: EndpointConfig, download_dir: Path, journal: Journal,
                 stop: threading.Event | None = None, secrets: Secrets | None = None) -> None:
        """``stop``: the run's (it cancels a job); ``secrets``: None, this process's."""
        self.config, self.stop, self.secrets = config, stop, secrets or Secrets()
        self.name = config.name
        self.download_dir, self.journal = download_dir, journal
        self.breaker = Breaker()
        self.in_flight = 0
        self._client = None
        self._client_lock = threading.Lock()

    def client(self) -> Any:
        """Created on first use: a Space that is down must not stop the channel from starting."""
        from gradio_client import Client

        with self._client_lock:
            if self._client is None:
                token = self.secrets.get(self.config.token_env)
                self.download_dir.mkdir(parents=True, exist_ok=True)
                client = Client(self.config.url, token=token, verbose=False,
                                download_files=str(self.download_dir))
                self._check_api(client)
                self._client = client
            return self._client

    def _check_api(self, client: Any) -> None:
        """Fail clearly, once, when the Space has no such endpoint or another signature."""
        info = client.view_api(return_format="dict", print_info=False)
        if self.config.api_name is not None:
            found = info.get("named_endpoints", {}).get(self.config.api_name)
            where = self.config.api_name
            known = ", ".join(info.get("named_endpoints", {})) or "none"
        else:  # an endpoint by position: gradio_client knows every function's inputs
            endpoint = getattr(client, "endpoints", {}).get(self.config.fn_index)
            inputs = getattr(endpoint, "input_component_types", None)
            found = None if endpoint is None else {"parameters": inputs or self.config.args}
            where = f"fn_index {self.config.fn_index}"
            known = ", ".join(map(str, getattr(client, "endpoints", {}))) or "none"
        if found is None:
            raise NoSuchAPI(f"{self.config.url} has no API {where} (it has: {known})")
        wanted, has = len(self.config.args), len(found.get("parameters", []))
        if wanted != has:
            raise NoSuchAPI(f"{self.config.url} {where} takes {has} inputs, the preset sends "
                            f"{wanted}")

    def call(self, values: dict[str, Any], out_dir: Path, deadline: float,
             validate: Callable[[Path], None]) -> Path:
        """One job on this endpoint, with retries for transient failures, before ``deadline``."""
        config = self.config
        args = render(config.args, {**config.defaults, **values})
        shown = {k: (Path(v).name if isinstance(v, Path) else v) for k, v in values.items()}
        retrying = Retrying(
            retry=retry_if_exception(transient), reraise=True,
            wait=wait_random_exponential(multiplier=config.backoff_s, max=30),
            stop=stop_after_attempt(config.attempts)
            | stop_after_delay(max(0.0, deadline - time.monotonic())))
        for attempt in retrying:
            with attempt:
                number = attempt.retry_state.attempt_number
                started = time.monotonic()
                try:
                    path = self._once(args, out_dir, deadline)
                    validate(path)
                except Abandoned:
                    raise  # the channel stops: no fault of the endpoint's
                except Exception as exc:
                    outcome = ("timeout" if isinstance(exc, TimeoutError) else
                               "bad_output" if isinstance(exc, BadOutput) else
                               "no_api" if isinstance(exc, NoSuchAPI) else "error")
                    self._record(number, started, shown, outcome, f"{type(exc).__name__}: {exc}")
                    if isinstance(exc, BadOutput):
                        # the answer's fault, unless every input gets one
                        self.breaker.bad_file(_input_key(values))
                    else:
                        self.breaker.failure(_input_key(values),
                                             permanent=isinstance(exc, NoSuchAPI))
                    raise
                self._record(number, started, shown, "ok", "")
                self.breaker.success()
                return path
        raise AssertionError("unreachable: tenacity reraises")

    def _once(self, args: list[Any], out_dir: Path, deadline: float) -> Path:
        limit = min(self.config.timeout_s, deadline - time.monotonic())
        if limit <= 0:
            raise EndpointTimeout("no time left before the job's deadline")
        target = ({"api_name": self.config.api_name} if self.config.api_name is not None
                  else {"fn_index": self.config.fn_index})
        job = self.client().submit(*args, **target)
        ends, stop = time.monotonic() + limit, self.stop or threading.Event()
        while not job.done() and time.monotonic() < ends:  # a stop is heard within 0.2 s
            if stop.wait(0.2):
                job.cancel()
                raise Abandoned(f"{self.name}: the channel stops; the job is cancelled")
        if not job.done():
            job.cancel()
            raise EndpointTimeout(f"no answer within {limit:.0f}s")
        result = job.result()
        produced = pick(result if isinstance(result, (tuple, list)) else (result,),
                        self.config.output)
        target = out_dir / f"{self.config.capability}-{self.name}{produced.suffix or '.bin'}"
        shutil.move(str(produced), target)  # out of the download folder, into the job's own
        return target

    def _record(self, attempt: int, started: float, shown: dict, outcome: str, error: str) -> None:
        self.journal(endpoint=self.name, capability=self.config.capability, attempt=attempt,
                     arguments=shown, duration_ms=(time.monotonic() - started) * 1000,
                     outcome=outcome, error=error[:500])
