"""The channel's settings: flags, the environment and webtv.toml, read once, in one place.

Every layer reads what it needs from ``Settings`` and builds its own things from it (the data
dir, the backends, the director's model); nothing here imports them. Secrets are read, used,
and never logged or stored.
"""

from __future__ import annotations

import difflib
import os
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from webtv.core.errors import ConfigError


@dataclass
class Settings:
    data_dir: Path | None = None  # --data-dir, else $WEBTV_HOME, else ./webtv-data
    llm_base_url: str | None = None  # any OpenAI-compatible endpoint
    llm_model: str | None = None  # set -> use the endpoint; unset -> the offline director
    llm_api_key: str | None = field(default=None, repr=False)
    llm_vision: bool = False  # send contact sheets as images to models that see
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

    @classmethod
    def from_env(cls, **overrides: object) -> Settings:
        env = os.environ
        values = {
            "llm_base_url": env.get("WEBTV_LLM_BASE_URL") or env.get("OPENAI_BASE_URL"),
            "llm_model": env.get("WEBTV_LLM_MODEL"),
            "llm_api_key": env.get("WEBTV_LLM_API_KEY") or env.get("OPENAI_API_KEY"),
            "llm_vision": env.get("WEBTV_LLM_VISION", "") in {"1", "true", "yes"},
            "llm_timeout": float(env["WEBTV_LLM_TIMEOUT"]) if env.get("WEBTV_LLM_TIMEOUT")
            else None,
        }
        values.update({k: v for k, v in overrides.items() if v is not None})
        return cls(**values)

    def config(self, root: Path) -> dict[str, Any]:
        """webtv.toml: the one named by --config, else the one in the data dir ``root``."""
        return load_config(self.config_path or root / "webtv.toml",
                           required=self.config_path is not None)

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
          "channels": None,  # [[channels]]: read by the channel network (app/channels.py)
          "cluster": ("redis",),  # endpoints shared across hosts (production/backends/cluster.py)
          "hosted": None,  # [hosted.replicate], [hosted.veo]: production/backends/hosted.py
          "prices": None,  # [prices."BACKEND"]: production/costs.py
          "budget": ("day_usd", "hour_usd", "policy"),
          "programme": ("reruns", "premiere_wait_s"),  # playout/programme.py
          "loudness": ("standard", "target_lufs", "true_peak_dbtp"),  # core/loudness.py
          "captions": ("text",)}  # playout/captions.py


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
