"""The channel's settings: flags, the environment and webtv.toml, read once, in one place.

``Settings.from_env`` is the one reader of the environment, ``Settings.config`` the one reader
of webtv.toml (parsed once, then kept). Every layer is handed what it needs from them and
builds its own things from it (the data dir, the backends, the director's model); nothing here
imports them. Secrets (API keys, tokens, stream keys) are looked up by name in ``Secrets``,
used, and never logged or stored.
"""

from __future__ import annotations

import difflib
import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from webtv.core.errors import ConfigError

DATA_DIR = "webtv-data"  # the data dir when neither --data-dir nor $WEBTV_HOME names one


class Secrets:
    """Keys, tokens and stream keys, looked up by the variable's name (webtv.toml names them:
    ``key_env``, ``token_env``, ``{env:NAME}``). Its repr shows no value."""

    def __init__(self, environ: Mapping[str, str] | None = None) -> None:
        self._environ = dict(os.environ if environ is None else environ)

    def get(self, name: str | None) -> str | None:
        value = (self._environ.get(name) or "").strip() if name else ""
        return value or None

    def __repr__(self) -> str:
        return "Secrets(...)"


@dataclass
class Settings:
    data_dir: Path | None = None  # --data-dir, else $WEBTV_HOME, else ./webtv-data
    llm_base_url: str | None = None  # any OpenAI-compatible endpoint
    llm_model: str | None = None  # set -> use the endpoint; unset -> the offline director
    llm_api_key: str | None = field(default=None, repr=False)
    llm_vision: bool = False  # send contact sheets as images to models that see
    # a reviewer of its own (--review-model): any OpenAI-compatible model that sees, so a
    # director that does not (gguf:, offline, a text model) still has takes reviewed by sight
    review_model: str | None = None  # --review-model, $WEBTV_REVIEW_MODEL
    review_base_url: str | None = None  # --review-url, $WEBTV_REVIEW_BASE_URL (else the LLM's)
    review_api_key: str | None = field(default=None, repr=False)  # $WEBTV_REVIEW_API_KEY
    channel: str = "AI WebTV"
    config_path: Path | None = None  # webtv.toml; default: the one in the data dir, if any
    backends: dict[str, str | None] = field(default_factory=dict)  # --video zeroscope, ...
    # (and --stills diffusers:MODEL: reference stills for image-to-video models)
    fault_rate: float = 0.0  # --faults: the local video backend's injected faults (testing)
    gate: str | None = None  # --checks: which failed checks reject a take (auto|all|playable)
    budget_day: float | None = None  # --budget: dollars a day (UTC) on takes
    budget_hour: float | None = None  # --budget-hour
    llm_timeout: float = 600.0  # seconds per model call: a small model on a CPU is slow
    llm_temperature: float = 0.2
    model_dir: Path | None = None  # $WEBTV_MODEL_DIR: assembled GGUF models (else data dir's)
    ffmpeg: str | None = None  # $WEBTV_FFMPEG: the FFmpeg binary (else PATH's, else bundled)
    hlsjs: Path | None = None  # $WEBTV_HLSJS: the page's hls.js (else node_modules')
    operator_token: str | None = field(default=None, repr=False)  # $WEBTV_OPERATOR_TOKEN
    moderation: str = "local"  # $WEBTV_MODERATION: local | openai
    moderation_base_url: str | None = None  # $WEBTV_MODERATION_BASE_URL
    moderation_api_key: str | None = field(default=None, repr=False)  # $OPENAI_API_KEY
    redis_url: str | None = None  # $WEBTV_REDIS_URL, over [cluster] redis
    secrets: Secrets = field(default_factory=lambda: Secrets({}), repr=False)
    _config: dict[str, Any] | None = field(default=None, init=False, repr=False,
                                           compare=False)

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None,
                 **overrides: object) -> Settings:
        """The settings of this process: ``overrides`` (the flags, where given) over the
        environment (``environ``, else this process's)."""
        env = os.environ if environ is None else environ
        values = {
            "data_dir": env.get("WEBTV_HOME") or None,
            "llm_base_url": env.get("WEBTV_LLM_BASE_URL") or env.get("OPENAI_BASE_URL"),
            "llm_model": env.get("WEBTV_LLM_MODEL"),
            "llm_api_key": env.get("WEBTV_LLM_API_KEY") or env.get("OPENAI_API_KEY"),
            "llm_vision": env.get("WEBTV_LLM_VISION", "") in {"1", "true", "yes"},
            "review_model": env.get("WEBTV_REVIEW_MODEL") or None,
            "review_base_url": env.get("WEBTV_REVIEW_BASE_URL") or None,
            "review_api_key": env.get("WEBTV_REVIEW_API_KEY") or None,
            "llm_timeout": float(env["WEBTV_LLM_TIMEOUT"]) if env.get("WEBTV_LLM_TIMEOUT")
            else None,
            "model_dir": env.get("WEBTV_MODEL_DIR") or None,
            "ffmpeg": env.get("WEBTV_FFMPEG") or None,
            "hlsjs": env.get("WEBTV_HLSJS") or None,
            "operator_token": env.get("WEBTV_OPERATOR_TOKEN"),
            "moderation": (env.get("WEBTV_MODERATION") or "").lower() or None,
            "moderation_base_url": env.get("WEBTV_MODERATION_BASE_URL"),
            "moderation_api_key": env.get("OPENAI_API_KEY"),
            "redis_url": env.get("WEBTV_REDIS_URL") or None,
            "secrets": Secrets(env),
        }
        values.update({k: v for k, v in overrides.items() if v is not None})
        for key in ("data_dir", "model_dir", "hlsjs", "config_path"):
            if values.get(key) is not None:
                values[key] = Path(values[key])
        return cls(**{k: v for k, v in values.items() if v is not None})

    @property
    def root(self) -> Path:
        """The data dir's path (made or not)."""
        return Path(self.data_dir or DATA_DIR).resolve()

    def config(self) -> dict[str, Any]:
        """webtv.toml (the one named by --config, else the one in the data dir), parsed once;
        $WEBTV_REDIS_URL stands over its ``[cluster] redis``."""
        if self._config is None:
            config = load_config(self.config_path or self.root / "webtv.toml",
                                 required=self.config_path is not None)
            if self.redis_url:
                config = {**config, "cluster": {**config.get("cluster", {}),
                                                "redis": self.redis_url}}
            self._config = config
        return self._config

    def describe_model(self) -> str:
        if not self.llm_model:
            return "offline director (deterministic planner, no LLM)"
        if self.llm_model.startswith("gguf:"):
            return f"{self.llm_model} (embedded, llama-cpp-python)"
        return f"{self.llm_model} at {self.llm_base_url or 'the OpenAI API'}"


TABLES = {"backends": ("video", "upscale", "interpolate", "music", "stills", "job_deadline_s"),
          "presets": None, "endpoints": None,
          "gpu": None,  # in-process models: checked by production/backends/inprocess.py
          "inspection": ("gate",),  # which failed checks keep a take off the air
          "channels": None,  # [[channels]]: the channel network (channel/network.py)
          "cluster": ("redis",),  # endpoints shared across hosts (production/backends/cluster.py)
          "hosted": None,  # [hosted.replicate], [hosted.veo]: production/backends/hosted.py
          "prices": None,  # [prices."BACKEND"]: production/costs.py
          "budget": ("day_usd", "hour_usd", "policy"),
          "programme": ("reruns", "premiere_wait_s"),  # playout/programme.py
          "loudness": ("standard", "target_lufs", "true_peak_dbtp"),  # core/loudness.py
          "captions": ("text",),  # playout/captions.py
          "review": ("per_shot", "per_hour"),  # director/review.py: reviews by sight
          "suggestions": None,  # viewers' suggestions: channel/suggestions.py
          "chat": None}  # --chat: channel/irc.py


def child_environment(**extra: str) -> dict[str, str]:
    """The environment a child process (Tesseract, FFmpeg) runs in: ours, with ``extra``."""
    return {**os.environ, **extra}


def load_config(path: Path | None, required: bool = False) -> dict[str, Any]:
    """webtv.toml; absent is no configuration unless it was asked for by name (--config). A
    key it does not know is an error with the nearest known one: `vidoe = "zeroscope"` would
    otherwise leave the channel on the local backend without a word."""
    if path is None or not path.exists():
        if required:
            raise ConfigError(f"no configuration file at {path}")
        return {}
    try:
        config = tomllib.loads(path.read_text("utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: {exc}") from exc
    except OSError as exc:
        raise ConfigError(f"{path}: cannot be read ({exc.strerror})") from exc
    for key, value in config.items():
        if key not in TABLES:
            raise ConfigError(f"{path}: unknown table or key {key!r}{_nearest(key, TABLES)} "
                              f"(known: {', '.join(TABLES)})")
        allowed = TABLES[key]
        if allowed is not None:
            for inner in value if isinstance(value, dict) else ():
                if inner not in allowed:
                    raise ConfigError(f"{path}: unknown key {inner!r} in [{key}]"
                                      f"{_nearest(inner, allowed)} (known: {', '.join(allowed)})")
    return config


def _nearest(word: str, known) -> str:
    close = difflib.get_close_matches(word, list(known), n=1, cutoff=0.6)
    return f"; did you mean {close[0]!r}?" if close else ""
