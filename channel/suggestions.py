"""Viewers' suggestions, taken in from the page and the chat, and taken up by the director.

``Intake`` is the one way in: a suggestion is tidied, held to its length, counted against the
viewer's and the address's rate limits, and passed through the channel's moderation before it
is listed; a vote is one per viewer per suggestion, within a cap per address. A flood from one
viewer is refused at the first limit it passes, before the moderation or the store is asked,
so it costs the others nothing. ``Pace`` says when the director takes the top-voted one: at
once when none has been taken for a while, then at most one suggested scene per ``every_s``.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from webtv.core.errors import ConfigError, GateUnavailable, ToolError
from webtv.core.settings import Settings
from webtv.inspection import moderation
from webtv.state.rows import Suggestion
from webtv.state.store import Store

NAME_LIMIT = 24  # characters of a viewer's name as the credits say it


class TooMany(ToolError):
    """A rate limit: the viewer (or the address) asked too often; later, they may again."""


@dataclass(frozen=True)
class Limits:
    """``[suggestions]`` in webtv.toml: lengths, rate limits and the pace."""

    min_chars: int = 3
    max_chars: int = 200
    per_viewer_s: float = 30.0  # one suggestion per viewer in this many seconds
    per_viewer_hour: int = 6  # suggestions per viewer in any hour
    per_address_hour: int = 30  # suggestions from one address in any hour (the page)
    votes_per_address_hour: int = 60  # votes from one address in any hour
    every_s: float = 300.0  # at most one suggested scene this often
    listed: int = 20  # open suggestions shown

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> Limits:
        table = dict(config.get("suggestions", {}))
        known = set(cls.__dataclass_fields__)
        unknown = set(table) - known
        if unknown:
            raise ConfigError(f"unknown key(s) in [suggestions]: {', '.join(sorted(unknown))} "
                              f"(known: {', '.join(sorted(known))})")
        limits = cls(**table)
        if not 1 <= limits.min_chars <= limits.max_chars <= 300 or limits.every_s < 0:
            raise ConfigError("[suggestions]: 1 <= min_chars <= max_chars <= 300, every_s >= 0")
        return limits


def tidied(text: str) -> str:
    """One line, no control characters."""
    return " ".join("".join(c for c in str(text) if unicodedata.category(c)[0] != "C"
                            or c in " \t\n").split())


def moderator(settings: Settings | None) -> Any:
    """The channel's moderation, as the settings choose it (a page served alone: the local
    word list)."""
    return moderation.chosen(settings or Settings())


class Intake:
    def __init__(self, store: Store, moderator: Any, limits: Limits | None = None) -> None:
        self.store, self.moderator, self.limits = store, moderator, limits or Limits()

    def suggest(self, text: str, viewer: str, name: str, source: str,
                address: str) -> Suggestion:
        """A viewer's suggestion, listed; ToolError says why one is not (the viewer sees it)."""
        limits, store = self.limits, self.store
        text = tidied(text)
        if store.suggestions.muted(viewer):
            raise ToolError("your suggestions are not taken on this channel")
        if len(text) < limits.min_chars:
            raise ToolError("say what the channel should show next")
        if len(text) > limits.max_chars:
            raise ToolError(f"a suggestion is at most {limits.max_chars} characters "
                            f"(this one has {len(text)})")
        self._within_limits(viewer, address)
        name = tidied(name)[:NAME_LIMIT] or "a viewer"
        verdict = self._moderated(f"{name}: {text}")
        if verdict is not None:
            store.suggestions.add(text, viewer, name, source, address, "refused", verdict)
            raise ToolError("this suggestion cannot air on this channel")
        return store.suggestions.add(text, viewer, name, source, address)

    def vote(self, suggestion_id: int, viewer: str, address: str) -> int:
        if self.store.suggestions.muted(viewer):
            raise ToolError("your votes are not taken on this channel")
        if self.store.suggestions.count_since(3600, address=address, votes=True) \
                >= self.limits.votes_per_address_hour:
            raise TooMany("too many votes from here this hour; try again later")
        return self.store.suggestions.vote(suggestion_id, viewer, address)

    def _within_limits(self, viewer: str, address: str) -> None:
        limits, counted = self.limits, self.store.suggestions.count_since
        if counted(limits.per_viewer_s, viewer=viewer):
            raise TooMany(f"one suggestion every {limits.per_viewer_s:.0f} s, please")
        if counted(3600, viewer=viewer) >= limits.per_viewer_hour:
            raise TooMany(f"{limits.per_viewer_hour} suggestions an hour, please")
        if counted(3600, address=address) >= limits.per_address_hour:
            raise TooMany("too many suggestions from here this hour; try again later")

    def _moderated(self, text: str) -> str | None:
        """Why the moderation refuses the words, or None. A moderation that cannot answer
        lists nothing: the viewer is told to try again."""
        try:
            verdict = self.moderator.check(text)
        except GateUnavailable as exc:
            raise ToolError("suggestions cannot be checked just now; try again soon") from exc
        return (verdict.reason or "flagged") if verdict.flagged else None


class Pace:
    """When the director takes a suggestion: the top-voted open one, at once when none was
    taken within ``every_s``; otherwise when ``every_s`` has passed since the last."""

    def __init__(self, limits: Limits | None = None) -> None:
        self.limits = limits or Limits()

    def due(self, store: Store) -> Suggestion | None:
        listed = store.suggestions.listed(1)
        if not listed:
            return None
        last = store.suggestions.last_taken_at()
        if last is not None and (datetime.now(UTC) - datetime.fromisoformat(last)
                                 ).total_seconds() < self.limits.every_s:
            return None
        return listed[0]
