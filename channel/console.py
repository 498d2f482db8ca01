"""The operator's chat with the director, for the channel page.

The chat is `webtv chat` over HTTP: each operator session keeps its own conversation, and every
turn runs through one ToolContext of the console's own (its own SQLite connection, its own
backends), one turn at a time. It steers a running channel the way the REPL does: through the
bible, the notes and the schedule in the shared data directory.
"""

from __future__ import annotations

import collections
import logging
import threading
from collections.abc import Callable
from typing import Any

import openai

from webtv.channel.chat import command, is_command, talk
from webtv.channel.runtime import open_context
from webtv.core.errors import StepLimitExceeded, WebTVError
from webtv.core.settings import Settings
from webtv.director.loop import Conversation
from webtv.director.models import chat_model
from webtv.director.turn import system_prompt
from webtv.tools.context import ToolContext

log = logging.getLogger("webtv.console")
Emit = Callable[[str, dict[str, Any]], None]


class Busy(WebTVError):
    """Another operator's turn is running; the director does one thing at a time."""


class Console:
    """Chat sessions with the director for the operator page."""

    def __init__(self, settings: Settings, sessions: int = 16) -> None:
        self.settings = settings
        self.stop = threading.Event()
        self._lock = threading.Lock()  # one turn at a time through the one context
        self._ctx: ToolContext | None = None
        self._model = None
        self._conversations: collections.OrderedDict[str, Conversation] = (
            collections.OrderedDict())
        self._sessions = sessions

    def describe(self) -> str:
        return self.settings.describe_model()

    @property
    def busy(self) -> bool:
        return self._lock.locked()

    def turn(self, session: str, text: str, emit: Emit) -> None:
        """Run one operator request to its end, reporting calls, results and the answer.

        Raises Busy at once when another turn is running."""
        if not self._lock.acquire(blocking=False):
            raise Busy("the director is busy with another request; try again when it answers")
        try:
            ctx = self._context()
            line = text.strip()
            if is_command(line):  # the REPL's own commands
                emit("answer", {"text": command(ctx.store, line)})
                return
            try:
                talk(self._model, ctx, self._conversation(session), line, emit,
                     attached=True, stop=self.stop)
            except StepLimitExceeded as exc:
                emit("error", {"text": f"stopped: {exc}"})
            except (WebTVError, openai.OpenAIError) as exc:
                log.warning("operator turn failed: %s", exc)
                emit("error", {"text": f"the director's turn failed: {exc}"})
        finally:
            self._lock.release()

    def _context(self) -> ToolContext:
        if self._ctx is None:  # opened on first use: a page without chats needs no backends
            self._ctx = open_context(self.settings)
            self._model = chat_model(self.settings)
        return self._ctx

    def _conversation(self, session: str) -> Conversation:
        conversation = self._conversations.get(session)
        if conversation is None:
            conversation = Conversation(system_prompt(self.settings))
            self._conversations[session] = conversation
            while len(self._conversations) > self._sessions:
                self._conversations.popitem(last=False)
        self._conversations.move_to_end(session)
        return conversation

    def close(self) -> None:
        self.stop.set()  # a running turn ends at its next step
        if not self._lock.acquire(timeout=20):
            return  # still mid-step: the process is going away, and the turn with it
        try:
            if self._ctx is not None:
                self._ctx.store.close()
                self._ctx = None
        finally:
            self._lock.release()
