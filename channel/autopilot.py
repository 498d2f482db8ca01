"""The autopilot: keeps the schedule a buffer ahead of the air by asking the director for more,
for weeks, unattended.

Each turn is one request in a fresh conversation (the context stays small however long the
channel runs), chosen from the state in SQLite, so a restart after a crash carries on where
the last run stopped: first the shots a crash interrupted, then the current segment's next
shots, then more segments, and when the show's planned segments are made, the next queued
theme. When turns stop scheduling takes (every endpoint failing) it backs off and says so in
the channel state `webtv status` reads (the playout airs reruns meanwhile); when the owner's
budget has no room it waits (mode "budget") until the next day (or hour) makes room.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from dataclasses import dataclass

import openai

from webtv.channel import suggestions
from webtv.core.clock import now
from webtv.core.errors import StepLimitExceeded, WebTVError
from webtv.core.settings import Settings
from webtv.director.loop import Conversation, Event
from webtv.director.models import chat_model
from webtv.director.offline import OfflineDirector
from webtv.director.protocol import Request
from webtv.director.requests import (
    PLAN_AHEAD,
    plan_request,
    produce_request,
    theme_request,
)
from webtv.director.review import seeing_reviewer
from webtv.director.turn import carry_out, system_prompt
from webtv.production import costs
from webtv.production import line as production
from webtv.production.backends.device import making_now
from webtv.state.retention import Policy, sweep
from webtv.state.store import Store
from webtv.tools.context import ToolContext

log = logging.getLogger("webtv.autopilot")
MAX_BACKOFF = 300.0


@dataclass(frozen=True)
class Finish:
    """What the loop does instead of asking the director: make the shots a stop left unmade
    (the code finishes them; no model is asked)."""

    kind: str = "finish"


FINISH = Finish()


def task(request: Request) -> str:
    """What a request asks the director to write, as `webtv status` and the slate say it."""
    if request.kind == "theme":
        return f"the show for {_short(request.theme or '')!r}"
    if request.kind == "produce":
        return f"the shot list for {_short((request.segment or {}).get('title') or '')!r}"
    if request.kind == "plan":
        return f"the next {request.count} episodes"
    return "a reply"


def _short(text: str, limit: int = 40) -> str:
    return text if len(text) <= limit else text[:limit - 3].rstrip() + "..."


class Autopilot:
    def __init__(self, settings: Settings, *, buffer_seconds: float = 600.0,
                 shots_per_turn: int | None = None, segments_ahead: int = PLAN_AHEAD,
                 policy: Policy | None = None, sweep_every: float = 300.0,
                 on_event: Event | None = None) -> None:
        self.settings = settings
        self.buffer_seconds = buffer_seconds
        self.model = chat_model(settings)
        # an LLM's call costs more than a take: more shots per call (offline: two at a time)
        self.shots_per_turn = shots_per_turn or (4 if isinstance(self.model, OfflineDirector)
                                                 else 6)
        self.segments_ahead = segments_ahead
        self.policy = policy or Policy()
        self.sweep_every = sweep_every
        self.on_event = on_event
        self.state = {"mode": "starting", "reason": "", "since": now()}
        self.doing: dict[str, str] | None = None  # what the director does now, and since when
        self.failures = 0
        self.pending_theme: str | None = None  # a theme whose show is not made yet
        self.budget = costs.Budget()  # the run's, once it starts
        self.pace = suggestions.Pace(suggestions.Limits.from_config(settings.config()))
        self.reviewing = False  # takes are reviewed by sight (a model passed the check)

    def run(self, ctx: ToolContext, stop: threading.Event, theme: str | None = None) -> None:
        ctx = ctx.with_production(stop=stop)  # production begins no new take once it stops
        # takes that pass their checks are shown to a model that named the test picture
        reviewer = seeing_reviewer(self.settings, self.model, ctx.store,
                                   system_prompt(self.settings))
        self.reviewing = reviewer is not None
        if reviewer is not None:
            ctx = ctx.with_production(review=reviewer)
        self.budget = ctx.production.budget
        ended = threading.Event()  # the heartbeat beats until the last turn has ended
        beat = threading.Thread(target=self._heartbeat, args=(ctx, ended), name="heartbeat",
                                daemon=True)
        beat.start()
        bible = ctx.store.show.bible()
        if theme and not (bible and (bible.get("theme") or "").strip().lower()
                          == theme.strip().lower()):
            self.pending_theme = theme  # made like any request: retried with backoff
        try:
            while not stop.is_set():
                request = self.next_request(ctx)
                if request is not None and not self._budget_allows(ctx):
                    stop.wait(5.0)  # the library airs meanwhile; fresh takes wait for room
                    continue
                if request is None:
                    self._set_mode("ahead" if ctx.store.show.bible() else "no show")
                    stop.wait(1.0)
                    continue
                self._work(ctx, request, stop)
        finally:
            stop.set()
            ended.set()
            beat.join(timeout=10)
            self._publish(ctx.store, stopped=True)  # the last word, after the last turn

    def next_request(self, ctx: ToolContext) -> Request | Finish | None:
        """What to do next, read from the store: a request for the director, FINISH for
        shots the code finishes by itself, or None when nothing is needed."""
        store = ctx.store
        if self.pending_theme:
            return theme_request(self.pending_theme)
        if store.show.bible() is None:
            return None
        suggestion = self.pace.due(store)  # a viewer's scene is written whatever is queued
        if suggestion is None and store.air.queued_seconds() >= self.buffer_seconds:
            return None
        if store.programme.unfinished_shots():
            return FINISH
        segment = store.programme.current_segment()
        if segment is None:
            queued = store.programme.queued_themes()
            if queued and store.programme.segments():  # the show's planned segments are made
                return theme_request(queued[0]["theme"], queued[0]["id"])
            return plan_request(ctx, self.segments_ahead)
        count = max(1, min(self.shots_per_turn, segment["shots"] - segment["written"]))
        return produce_request(ctx, segment, count, suggestion=suggestion)

    def _work(self, ctx: ToolContext, request: Request | Finish, stop: threading.Event) -> None:
        scheduled_before = ctx.store.air.scheduled_count()
        answered_before = ctx.production.answers.files
        error = None
        try:
            if isinstance(request, Finish):  # interrupted production: the code finishes it
                self._set_doing("making the takes a stop left unmade")
                production.produce(ctx.production,
                                   [s["id"] for s in ctx.store.programme.unfinished_shots()])
            else:
                if request.queue_id is not None:
                    ctx.store.programme.start_queued_theme(request.queue_id)
                    log.info("next show from the queue: %s", request.theme)
                self._turn(ctx, request, stop)
        except (StepLimitExceeded, WebTVError, openai.OpenAIError) as exc:
            error = f"the director's turn failed: {exc}"
            log.warning("%s", error)
        except Exception as exc:  # noqa: BLE001 - a 24/7 channel does not go off air for it
            error = f"the director's turn failed unexpectedly: {type(exc).__name__}: {exc}"
            log.exception("%s", error)
        finally:
            self._set_doing(None)
        kind = request.kind
        progressed = ctx.store.air.scheduled_count() > scheduled_before or (
            error is None and self._made(ctx, request))
        if progressed:
            if kind == "theme":
                self.pending_theme = None
            self.failures = 0
            self._set_mode("filling")
            return
        if stop.is_set():  # a stop cut the turn short: not a failure of the backends
            return
        if error is None and ctx.production.answers.files > answered_before:
            # the backends answered and every take failed on its content (its checks, a bad
            # file): new shots are the cure, not waiting; the channel is not degraded for it
            log.info("no take of this turn passed (%s); writing new shots",
                     self._last_tool_error(ctx.store) or "inspection")
            self.failures = 0
            return
        if not self._budget_allows(ctx):  # the budget ran out in this turn: not a failure
            return
        self.failures += 1
        reason = error or self._last_tool_error(ctx.store) or "no take passed inspection"
        self._set_mode("degraded", reason)
        wait = min(MAX_BACKOFF, 5.0 * 2 ** (self.failures - 1))
        log.warning("nothing scheduled in %d turn(s) (%s); trying again in %.0f s",
                    self.failures, reason, wait)
        stop.wait(wait)

    def _budget_allows(self, ctx: ToolContext) -> bool:
        """Whether the owner's budget has room for a take now; when it has not, the channel
        says so (mode "budget": the playout airs the library) until it has."""
        if not ctx.production.budget.limited:
            return True
        shot = ctx.store.programme.unfinished_shots()[:1]
        seconds = shot[0]["duration_s"] if shot else 4.0
        if costs.room(ctx.production, seconds):
            if self.state["mode"] == "budget":
                self._set_mode("filling")
            return True
        self._set_mode("budget", costs.budget_line(ctx.store, ctx.production.budget))
        return False

    @staticmethod
    def _made(ctx: ToolContext, request: Request | Finish) -> bool:
        """Did a request that schedules nothing by itself do its part?"""
        if isinstance(request, Finish):
            return False
        if request.kind == "theme":
            bible = ctx.store.show.bible()
            return bool(bible) and (bible.get("theme") or "").strip().lower() == (
                request.theme or "").lower()
        return request.kind == "plan" and ctx.store.programme.current_segment() is not None

    def _turn(self, ctx: ToolContext, request: Request, stop: threading.Event) -> str:
        writing = f"writing {task(request)}"

        def heard(kind: str, data: dict) -> None:
            """The turn's events, told as what the director does now."""
            if kind == "asking":
                self._set_doing(writing)
            elif kind == "call":
                self._set_doing("making the takes" if data.get("by") == "code"
                                else f"running {data['name']}")
            if self.on_event is not None:
                self.on_event(kind, data)

        # a fresh conversation each time keeps the context small for weeks of air
        return carry_out(self.model, ctx, Conversation(system_prompt(self.settings)), request,
                         on_event=heard, stop=stop)

    def _set_doing(self, what: str | None) -> None:  # what the director writes, and since
        if what is None or (self.doing or {}).get("what") != what:
            self.doing = what and {"what": what, "since": now()}

    @staticmethod
    def _last_tool_error(store: Store) -> str:
        return next((c["result"][:300] for c in store.calls.tool_calls(limit=10)
                     if not c["ok"]), "")

    def _set_mode(self, mode: str, reason: str = "") -> None:
        same = mode == self.state["mode"]  # a mode keeps its "since" while its reason changes
        self.state = {**self.state, "reason": reason} if same else {
            "mode": mode, "reason": reason, "since": now()}

    # -- the heartbeat thread: channel state and retention, even while a turn runs -------
    def _heartbeat(self, ctx: ToolContext, ended: threading.Event) -> None:
        store, last_sweep = Store(ctx.data), 0.0
        try:
            while True:
                if time.monotonic() - last_sweep >= self.sweep_every:
                    last_sweep = time.monotonic()
                    self._sweep(store, ctx)
                if ended.is_set():
                    return
                self._publish(store, stopped=False)
                store.suggestions.mark_premiered()  # the chat and the page credit them
                ended.wait(5.0)
        finally:
            store.close()

    def _publish(self, store: Store, stopped: bool) -> None:
        store.programme.set_channel(pid=os.getpid(), heartbeat=now(), **self.state,
                                    buffer_target_s=self.buffer_seconds,
                                    scheduled_s=round(store.air.queued_seconds(), 1),
                                    failures=self.failures, director=self.model.name,
                                    sees_images=self.reviewing,
                                    policy=self.policy.__dict__, stopped=stopped,
                                    doing=None if stopped else self.doing,
                                    budget={**self.budget.describe(),
                                            "spent": self.state["mode"] == "budget"},
                                    making=[] if stopped else making_now())

    def _sweep(self, store: Store, ctx: ToolContext) -> None:
        try:
            done = sweep(store, ctx.data, self.policy)
        except (OSError, WebTVError) as exc:  # retention must never take the channel down
            log.warning("retention sweep failed: %s", exc)
            return
        if done.purged_takes or done.pruned_log_rows:
            log.info("retention: %d take(s) purged, %.1f MB freed, media %.1f of %.1f MB",
                     done.purged_takes, done.freed_bytes / 1e6, done.media_bytes / 1e6,
                     done.limit_bytes / 1e6)
        store.programme.set_channel(last_sweep={**done.as_dict(), "at": now()})

