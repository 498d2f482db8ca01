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


def test_every_table_the_docs_show_is_one_webtv_toml_accepts(tmp_path: Path) -> None:
    """Each ```toml block of the README and docs/ parses as webtv.toml (a table the docs
    show but the settings refuse would stop the channel that copies it)."""
    import re

    root = Path(__file__).resolve().parents[1]
    pages = [root / "README.md", *sorted((root / "docs").glob("*.md"))]
    blocks = [(page.name, block) for page in pages
              for block in re.findall(r"```toml\n(.*?)```", page.read_text("utf-8"), re.S)]
    assert len(blocks) >= 8
    for name, block in blocks:
        path = tmp_path / "webtv.toml"
        path.write_text(block)
        try:
            Settings(config_path=path).config()
        except ConfigError as exc:
            pytest.fail(f"{name}: {exc}")
    from webtv.director.review import Limits

    path.write_text("[review]\nper_shot = 1\nper_hour = 5\n")
    limits = Limits.from_config(Settings(config_path=path).config())
    assert (limits.per_shot, limits.per_hour) == (1, 5)


def test_the_configuration_page_names_every_variable_the_settings_read() -> None:
    """docs/configuration.md's table of variables is the settings' own list: none read that is
    not documented, none documented that is not read."""
    import re

    root = Path(__file__).resolve().parents[1]
    read = set(re.findall(r'env\.get\("((?:WEBTV|OPENAI)_[A-Z_]+)"',
                          (root / "core" / "settings.py").read_text("utf-8")))
    page = (root / "docs" / "configuration.md").read_text("utf-8")
    table = page.split("## The environment")[1].split("## webtv.toml")[0]
    named = set(re.findall(r"`((?:WEBTV|OPENAI)_[A-Z_]+)`", table))
    assert len(read) >= 14 and read == named
    from webtv.core.settings import TABLES

    tables = page.split("## webtv.toml")[1]
    assert set(TABLES) <= set(re.findall(r"`\[\[?([a-z]+)", tables))
