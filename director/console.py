"""The operator's console on the channel page: who may use it, what the director is doing, and
a chat with it.

The chat is `webtv chat` over HTTP: each operator session keeps its own conversation, and every
turn runs through one ToolContext of the console's own (its own SQLite connection, its own
backends), one turn at a time. It steers a running channel the way the REPL does: through the
bible, the notes and the schedule in the shared data directory.
"""

from __future__ import annotations

import collections
import hashlib
import hmac
import logging
import secrets
import threading
import time
from collections.abc import Callable
from typing import Any

import openai

from webtv.core.errors import StepLimitExceeded, WebTVError
from webtv.director.autopilot import system_prompt
from webtv.director.chat import command, is_command, talk
from webtv.director.config import Settings
from webtv.director.loop import Conversation
from webtv.director.runtime import open_context
from webtv.director.status import status_report
from webtv.state.store import Store
from webtv.tools.context import ToolContext

log = logging.getLogger("webtv.console")
Emit = Callable[[str, dict[str, Any]], None]
RESULT_CHARS = 2000  # a tool result shown on the page; the full text stays in the call log
SESSION_SECONDS = 7 * 24 * 3600  # an operator signs in again after a week


def _media_url(relative: str | None) -> str | None:
    return f"/{relative}" if relative else None


def overview(store: Store) -> dict[str, Any]:
    """What the operator page shows besides the chat: one read of the store."""
    calls = [{"id": c["id"], "name": c["name"], "arguments": c["arguments"], "ok": bool(c["ok"]),
              "result": (c["result"] or "")[:RESULT_CHARS], "duration_ms": c["duration_ms"],
              "at": c["created_at"]} for c in store.tool_calls(30)]
    rejected = [{"take_id": t["id"], "shot_id": t["shot_id"], "action": t["action"],
                 "prompt": t["prompt"], "reason": t["reason"], "at": t["created_at"],
                 "sheet": _media_url(t["contact_sheet"]), "failed_checks": t["failed_checks"]}
                for t in store.rejected_takes(12)]
    upcoming = [{"take_id": u["id"], "action": u["action"], "duration_s": u["duration_s"]}
                for u in store.upcoming(10)]
    return {"status": status_report(store), "tool_calls": calls, "rejected": rejected,
            "buffer": {"seconds": round(store.queued_seconds(), 1), "upcoming": upcoming},
            "endpoints": store.endpoint_health(), "aired": recent_takes(store, 12)}


def recent_takes(store: Store, limit: int = 12) -> list[dict[str, Any]]:
    """The take strip: recently aired takes with links to their files (None once purged)."""
    return [{"take_id": t["id"], "action": t["action"], "prompt": t["prompt"],
             "duration_s": t["duration_s"], "favourite": bool(t["favourite"]),
             "aired_at": t["aired_at"], "media": _media_url(t["media"]),
             "sheet": _media_url(t["contact_sheet"])} for t in store.recent_aired(limit)]


class OperatorKey:
    """The operator token, checked in constant time, and signed session cookies that never
    carry it (a cookie stays valid across restarts until the token changes or it expires)."""

    def __init__(self, token: str | None) -> None:
        token = (token or "").strip()
        self._key = token.encode() if token else None

    @property
    def enabled(self) -> bool:
        return self._key is not None

    def matches(self, candidate: str | None) -> bool:
        if self._key is None or candidate is None:
            return False
        return hmac.compare_digest(candidate.strip().encode(), self._key)

    def new_cookie(self) -> str:
        session, issued = secrets.token_hex(8), str(int(time.time()))
        return f"{session}.{issued}.{self._sign(session, issued)}"

    def session(self, cookie: str | None) -> str | None:
        """The operator session a cookie names, or None if it is not one of ours."""
        parts = (cookie or "").split(".")
        if self._key is None or len(parts) != 3 or not parts[1].isdigit():
            return None
        session, issued, mac = parts
        if not hmac.compare_digest(mac.encode(), self._sign(session, issued).encode()):
            return None
        return session if time.time() - int(issued) < SESSION_SECONDS else None

    def _sign(self, session: str, issued: str) -> str:
        message = f"operator:{session}:{issued}".encode()
        return hmac.new(self._key or b"", message, hashlib.sha256).hexdigest()


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
            self._model = self.settings.model()
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
