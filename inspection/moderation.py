"""The moderation gate before anything is scheduled: the prompt and the text read in the
picture. OpenAI's moderation endpoint when configured; a local word list otherwise."""

from __future__ import annotations

import re
from dataclasses import dataclass

from webtv import prompts
from webtv.core.errors import ConfigError, GateUnavailable
from webtv.core.settings import Settings


@dataclass(frozen=True)
class Verdict:
    flagged: bool
    reason: str
    source: str


# Text written to steer a model rather than to be shown: a theme or a note that carries it
# would put it on the page and in the logline verbatim.
INJECTION = re.compile(
    r"\b(?:ignore|disregard|forget)\s+(?:all\s+|any\s+|the\s+|your\s+)?(?:previous|prior|"
    r"above|earlier)\s+(?:instructions?|prompts?|rules?|messages?)\b|\bsystem\s+prompt\b|"
    r"\byou\s+are\s+now\s+(?:a|an|in)\b|\bnew\s+instructions?\s*:|</?(?:system|assistant)>",
    re.I)


def injection(text: str) -> Verdict | None:
    found = INJECTION.search(text)
    return None if found is None else Verdict(
        True, f"reads as instructions to a model ({found.group(0)!r})", "injection check")


class LocalModerator:
    name = "local word list"

    def check(self, text: str) -> Verdict:
        steered = injection(text)
        if steered is not None:
            return steered
        words = set(re.findall(r"[a-z][a-z-]*", text.lower()))
        hits = sorted(words & set(prompts.word_list("moderation_blocklist.txt")))
        return Verdict(bool(hits), f"contains {', '.join(hits)}" if hits else "", self.name)


class OpenAIModerator:
    """OpenAI's moderation endpoint (or a compatible one), through the openai client."""

    name = "openai moderation"

    def __init__(self, base_url: str | None = None, api_key: str | None = None,
                 model: str = "omni-moderation-latest") -> None:
        from openai import OpenAI

        self._client = OpenAI(base_url=base_url, api_key=api_key or "not-needed", timeout=30,
                              max_retries=1)
        self.model = model

    def check(self, text: str) -> Verdict:
        from openai import OpenAIError

        steered = injection(text)
        if steered is not None:
            return steered

        try:
            result = self._client.moderations.create(model=self.model, input=text).results[0]
        except OpenAIError as exc:  # nothing airs unchecked: the take waits for the gate
            raise GateUnavailable(f"{self.name} is not answering ({type(exc).__name__}: "
                                  f"{exc}); the take waits until it does") from exc
        if not result.flagged:
            return Verdict(False, "", self.name)
        categories = [k for k, v in result.categories.model_dump().items() if v]
        return Verdict(True, f"flagged for {', '.join(categories)}", self.name)


def chosen(settings: Settings) -> LocalModerator | OpenAIModerator:
    """The moderator the settings name ($WEBTV_MODERATION): local, or OpenAI's endpoint."""
    if settings.moderation == "openai":
        return OpenAIModerator(settings.moderation_base_url, settings.moderation_api_key)
    if settings.moderation != "local":
        raise ConfigError(f"unknown moderation {settings.moderation!r} (local or openai)")
    return LocalModerator()
