"""What every tool gets besides its arguments: injected, never part of the schema."""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from state.datadir import DataDir
from state.store import Store
from tools.backends import Backends, local_backends
from tools.moderation import LocalModerator, OpenAIModerator


@dataclass
class ToolContext:
    store: Store
    data: DataDir
    backends: Backends = field(default_factory=local_backends)
    takes_per_shot: int = 3  # retake budget: a shot is dropped after this many failed takes
    parallel: int = 2  # tool calls of one reply that may run at once (make/inspect takes)
    moderator: LocalModerator | OpenAIModerator = field(default_factory=LocalModerator)

    def fork(self) -> ToolContext:
        """The same context for another thread: its own SQLite connection (close it after)."""
        return replace(self, store=Store(self.data))
