"""One settings object: the environment read once, webtv.toml parsed once, secrets by name and
never shown."""

from __future__ import annotations

from pathlib import Path

import pytest

from webtv.core.errors import ConfigError
from webtv.core.settings import Secrets, Settings
from webtv.inspection import moderation
from webtv.playout.outputs import resolve_rtmp


def test_the_environment_is_read_into_the_settings_and_flags_stand_over_it(
        tmp_path: Path) -> None:
    env = {"WEBTV_HOME": str(tmp_path / "home"), "WEBTV_LLM_MODEL": "from-env",
           "WEBTV_MODEL_DIR": str(tmp_path / "models"), "WEBTV_FFMPEG": "/opt/ffmpeg",
           "WEBTV_REDIS_URL": "redis://127.0.0.1:1/0", "WEBTV_OPERATOR_TOKEN": "o" * 24,
           "OPENAI_API_KEY": "sk-secret-1234", "WEBTV_LLM_TIMEOUT": "30"}
    settings = Settings.from_env(env, llm_model="from-flag")
    assert settings.data_dir == tmp_path / "home" and settings.root == tmp_path / "home"
    assert settings.llm_model == "from-flag" and settings.llm_timeout == 30.0
    assert settings.model_dir == tmp_path / "models" and settings.ffmpeg == "/opt/ffmpeg"
    assert settings.moderation == "local"
    shown = repr(settings)
    assert "sk-secret" not in shown and "o" * 24 not in shown and "Secrets(...)" not in shown
    assert settings.secrets.get("OPENAI_API_KEY") == "sk-secret-1234"
    assert repr(settings.secrets) == "Secrets(...)"
    # defaults where the environment is silent
    bare = Settings.from_env({})
    assert bare.root == Path("webtv-data").resolve() and bare.llm_timeout == 600.0
    assert bare.secrets.get("OPENAI_API_KEY") is None


def test_webtv_toml_is_parsed_once_and_the_redis_variable_stands_over_it(tmp_path: Path) -> None:
    home = tmp_path / "home"
    home.mkdir()
    (home / "webtv.toml").write_text('[cluster]\nredis = "redis://127.0.0.1:2/0"\n')
    settings = Settings.from_env({"WEBTV_HOME": str(home)})
    first = settings.config()
    (home / "webtv.toml").write_text('[cluster]\nredis = "redis://changed:3/0"\n')
    assert settings.config() is first and first["cluster"]["redis"].endswith(":2/0")
    over = Settings.from_env({"WEBTV_HOME": str(home), "WEBTV_REDIS_URL": "redis://env:4/0"})
    assert over.config()["cluster"]["redis"] == "redis://env:4/0"
    (home / "webtv.toml").write_text('[backends]\nvidoe = "zeroscope"\n')
    with pytest.raises(ConfigError, match="did you mean 'video'"):
        Settings.from_env({"WEBTV_HOME": str(home)}).config()


def test_named_secrets_come_from_the_settings_not_the_process(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """A stream key named in an RTMP URL is looked up in the settings' secrets: the one the
    process was started with, not one set later, and an unset one is named, never shown."""
    secrets = Secrets({"TWITCH_STREAM_KEY": "live_123"})
    monkeypatch.setenv("TWITCH_STREAM_KEY", "not-this-one")
    assert resolve_rtmp("twitch", secrets).endswith("/app/live_123")
    with pytest.raises(ConfigError, match="YOUTUBE_STREAM_KEY is not set"):
        resolve_rtmp("youtube", secrets)


def test_moderation_is_the_settings_choice_and_a_wrong_one_is_refused() -> None:
    assert isinstance(moderation.chosen(Settings()), moderation.LocalModerator)
    chosen = moderation.chosen(Settings.from_env({"WEBTV_MODERATION": "OpenAI",
                                                  "OPENAI_API_KEY": "sk-x"}))
    assert isinstance(chosen, moderation.OpenAIModerator)
    with pytest.raises(ConfigError, match="unknown moderation 'opnai'"):
        moderation.chosen(Settings.from_env({"WEBTV_MODERATION": "opnai"}))
