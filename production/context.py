"""What production works with: the store, the data dir, the backends, the retake budget, the
moderation gate and the run's stop event, fixed for a run. What changes while it runs lives in
objects made for it (``Answers``, a lock inside); the context itself never changes: a turn or
a thread that needs another one makes a copy (``replace``, ``fork``)."""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any, Literal

from webtv.core.loudness import Loudness
from webtv.inspection.moderation import LocalModerator, OpenAIModerator
from webtv.production.backends import local_backends
from webtv.production.backends.base import Backends
from webtv.production.costs import Budget, Price, default_prices
from webtv.state.datadir import DataDir
from webtv.state.store import Store

Event = Callable[[str, dict[str, Any]], None]  # progress for a REPL or a page: (kind, data)


class Answers:
    """How many clips the backends delivered (good or bad), counted from every production
    thread: the autopilot tells shots that failed on their content from backends that are
    down."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._files = 0

    def file_came_back(self) -> None:
        with self._lock:
            self._files += 1

    @property
    def files(self) -> int:
        with self._lock:
            return self._files


@dataclass(frozen=True)
class Production:
    store: Store
    data: DataDir
    backends: Backends = field(default_factory=local_backends)
    takes_per_shot: int = 3  # retake budget: a shot is dropped after this many failed takes
    parallel: int = 2  # shots made at once (two endpoints make two takes)
    seed: int = 0  # varies every take's seed (evals run each theme with several)
    moderator: LocalModerator | OpenAIModerator = field(default_factory=LocalModerator)
    stop: threading.Event | None = None  # set when the channel stops: no new take is begun
    answers: Answers = field(default_factory=Answers)  # shared by forks
    gate: frozenset[str] | None = None  # the checks that reject a take (None: all of them)
    prices: dict[str, Price] = field(default_factory=default_prices)  # what each backend costs
    budget: Budget = Budget()  # the owner's limit on spend (none by default)
    loudness: Loudness = Loudness()  # the level every take's sound is brought to
    # a take that passed its checks, judged by sight (a model that sees): its verdict row,
    # {"verdict": keep | retake | change | unreviewed, "reason", "action"}; None: no review
    review: Callable[[Production, int], dict[str, Any]] | None = None
    # who says a shot differently when its takes failed the same check twice: "code" (the
    # offline planner's runs: production/rewrite.py) or "director" (a model: the shot is
    # dropped with why and a hint, and the model rewrites it)
    rewrites: Literal["code", "director"] = "code"
    # where the steps the code runs are logged: the call log's conversation, and progress
    conversation: str = ""
    on_event: Event | None = None

    def fork(self) -> Production:
        """The same production for another thread: its own SQLite connection (close it)."""
        return replace(self, store=Store(self.data))

    def stopping(self) -> bool:
        return self.stop is not None and self.stop.is_set()

    def emit(self, kind: str, data: dict[str, Any]) -> None:
        if self.on_event is not None:
            self.on_event(kind, data)
