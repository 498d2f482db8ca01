"""What every tool gets besides its arguments: injected, never part of the schema."""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any

from webtv.state.datadir import DataDir
from webtv.state.store import Store
from webtv.tools.backends import Backends, local_backends
from webtv.tools.moderation import LocalModerator, OpenAIModerator


@dataclass
class ToolContext:
    store: Store
    data: DataDir
    backends: Backends = field(default_factory=local_backends)
    takes_per_shot: int = 3  # retake budget: a shot is dropped after this many failed takes
    parallel: int = 2  # shots made at once by production (two endpoints make two takes)
    seed: int = 0  # varies every take's seed (evals run each theme with several)
    moderator: LocalModerator | OpenAIModerator = field(default_factory=LocalModerator)
    # The request being carried out: set by whoever starts a turn, read by the tools, so the
    # model never has to copy them into a call.
    theme: str | None = None  # a theme turn: the theme the new show is made from
    segment_id: int | None = None  # a produce turn: the segment new shots go into
    conversation: str = ""  # the call log's conversation id, for steps the code runs
    on_event: Callable[[str, dict[str, Any]], None] | None = None  # progress for a REPL/page
    # What the backends delivered ("files": a clip came back, good or bad), shared by forks:
    # the autopilot tells shots that failed on their content from backends that are down.
    answers: Counter = field(default_factory=Counter)
    stop: threading.Event | None = None  # set when the channel stops: no new take is begun

    def fork(self) -> ToolContext:
        """The same context for another thread: its own SQLite connection (close it after)."""
        return replace(self, store=Store(self.data))
