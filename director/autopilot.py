"""The autopilot: keeps the schedule a buffer ahead of the air by asking the director for more."""

from __future__ import annotations

import logging
import threading

import openai

import prompts
import tools
from director.config import Settings
from director.loop import Conversation, Event, run_turn
from state.store import CallJournal, Store
from tools import moderation
from tools.backends import config as backend_config
from tools.context import ToolContext
from tools.errors import StepLimitExceeded, WebTVError

log = logging.getLogger("webtv.autopilot")


def system_prompt(settings: Settings) -> str:
    return prompts.render("system.md.j2", channel=settings.channel)


class Autopilot:
    def __init__(self, settings: Settings, *, buffer_seconds: float = 120.0,
                 shots_per_turn: int = 4, on_event: Event | None = None) -> None:
        self.settings = settings
        self.buffer_seconds = buffer_seconds
        self.shots_per_turn = shots_per_turn
        self.on_event = on_event
        self.model = settings.model()
        self.registry = tools.load()

    def start_show(self, ctx: ToolContext, theme: str, stop: threading.Event) -> str:
        """Build the bible and the first shots from a theme (unless this show already exists)."""
        bible = ctx.store.bible()
        if bible and (bible.get("theme") or "").strip().lower() == theme.strip().lower():
            return "The show already exists; carrying on."
        conversation = Conversation(system_prompt(self.settings))
        return run_turn(self.model, self.registry, ctx, conversation, f"theme: {theme}",
                        on_event=self.on_event, stop=stop)

    def run(self, ctx: ToolContext, stop: threading.Event, theme: str | None = None) -> None:
        if theme:
            self.start_show(ctx, theme, stop)
        while not stop.is_set():
            queued = ctx.store.queued_seconds()
            if queued >= self.buffer_seconds or ctx.store.bible() is None:
                stop.wait(1.0)
                continue
            request = prompts.render("autopilot.md.j2", queued_seconds=queued,
                                     target_seconds=self.buffer_seconds,
                                     shots=self.shots_per_turn)
            try:  # a fresh conversation each time keeps the context small for weeks of air
                run_turn(self.model, self.registry, ctx, Conversation(system_prompt(
                    self.settings)), request, on_event=self.on_event, stop=stop)
            except (StepLimitExceeded, WebTVError, openai.OpenAIError) as exc:
                log.warning("the director's turn failed: %s", exc)
                stop.wait(5.0)


def open_context(settings: Settings) -> ToolContext:
    """The store, the data dir and the backends that the flags and webtv.toml choose."""
    data = settings.data()
    backends = backend_config.build(settings.config(data), settings.backends,
                                    data.root / "work", CallJournal(data), settings.fault_rate)
    return ToolContext(store=Store(data), data=data, backends=backends,
                       moderator=moderation.from_env())
