"""What `webtv run` says on its terminal without -v: what is on air and what went wrong, a line
at a time. It reads the channel's state from the store, as `webtv status` does: a new show, a
line a minute on the air (what airs now, how much of the last minute was new, how far ahead
the schedule is), the director waiting (backing off, out of budget) and an output that is
down. Every tool call is kept in the database and on the operator page (-v prints them)."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from webtv.channel.status import channel_health
from webtv.state.datadir import DataDir
from webtv.state.store import Store

WAITING = {"backing off", "budget", "no show"}  # modes a person running the channel must see


class Ticker:
    def __init__(self, data: DataDir, say: Callable[[str], None], every_s: float = 60.0,
                 look_s: float = 5.0) -> None:
        """``every_s``: how often the air line is said; ``look_s``: how often the state is
        read for news (a new show, a mode, an output)."""
        self.data, self.say, self.every_s, self.look_s = data, say, every_s, look_s
        self._said: dict[str, Any] = {}

    def run(self, stop: threading.Event) -> None:
        with Store(self.data, read_only=True) as store:  # this thread's own connection
            waited = self.every_s - self.look_s * 2  # the first air line soon after start
            while not stop.wait(self.look_s):
                waited += self.look_s
                for line in self.news(store, air=waited >= self.every_s):
                    self.say(line)
                if waited >= self.every_s:
                    waited = 0.0

    def news(self, store: Store, air: bool) -> list[str]:
        """The lines worth saying now: what changed since the last look, and with ``air`` the
        air line."""
        lines = []
        bible = store.show.bible() or {}
        if bible.get("title") and bible["title"] != self._said.get("show"):
            lines.append(f"Show: {bible['title']}")
        self._said["show"] = bible.get("title")
        health = channel_health(store)
        mode = health.get("mode")
        if mode != self._said.get("mode") and mode in WAITING:
            lines.append(f"Director: {mode}" + (f" ({health['reason']})"
                                                 if health.get("reason") else ""))
        self._said["mode"] = mode
        for output in health.get("outputs") or []:
            state, key = output.get("state"), f"output:{output.get('name')}"
            if state != self._said.get(key) and (state != "up" or key in self._said):
                lines.append(f"Output {output.get('name')}: {state}" + (
                    f" ({output['last_error']})" if state != "up" and output.get("last_error")
                    else ""))
            self._said[key] = state
        if air:
            line = self.air_line(store)
            if line:
                lines.append(line)
        return lines

    def air_line(self, store: Store) -> str | None:
        session = store.air.latest_session()
        if session is None:
            return None
        recent = store.air.air_log(session, limit=1)
        share = store.programme.air_share(session, self.every_s)
        total = sum(share.values())
        if not recent or total <= 0:
            return None
        now = recent[0]
        what = now["action"] if now["kind"] != "slate" else "the slate"
        parts = [f"{round(100 * share.get(kind, 0) / total)}% {word}" for kind, word in
                 (("take", "new"), ("replay", "reruns"), ("slate", "slate"))
                 if share.get(kind)]
        return (f"On air: {what[:80]} | last {self.every_s:.0f} s: {', '.join(parts)} | "
                f"{store.air.queued_seconds():.0f} s scheduled ahead")
