"""Settings from flags and the environment. Secrets are read, used, and never logged or stored."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from webtv.director.llm import ChatModel, OpenAIChat
from webtv.director.offline import OfflineDirector
from webtv.state.datadir import DataDir
from webtv.tools.backends import config as backend_config


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
    fault_rate: float = 0.0  # --faults: the local video backend's injected faults (testing)
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

    def data(self, create: bool = True) -> DataDir:
        return DataDir(self.data_dir, create=create)

    def config(self, data: DataDir) -> dict:
        return backend_config.load(self.config_path or data.root / "webtv.toml",
                                   required=self.config_path is not None)

    def model(self) -> ChatModel:
        if not self.llm_model:
            return OfflineDirector()
        if self.llm_model.startswith("gguf:"):
            from webtv.director import local_llm

            models = Path(os.environ.get("WEBTV_MODEL_DIR") or self.data().root / "models")
            return local_llm.LocalGGUF(local_llm.resolve(self.llm_model, models),
                                       temperature=self.llm_temperature)
        return OpenAIChat(self.llm_base_url, self.llm_model, self.llm_api_key, self.llm_vision,
                          timeout=self.llm_timeout, temperature=self.llm_temperature)

    def describe_model(self) -> str:
        if not self.llm_model:
            return "offline director (deterministic planner, no LLM)"
        if self.llm_model.startswith("gguf:"):
            return f"{self.llm_model} (embedded, llama-cpp-python)"
        return f"{self.llm_model} at {self.llm_base_url or 'the OpenAI API'}"
