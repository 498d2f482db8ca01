"""What every tool gets besides its arguments: injected, never part of the schema.

A context is immutable. It carries production (the store, the data dir, the backends: fixed for
a run) and what the request being carried out says (the theme of a theme request, the segment
new shots go into), so the model never has to copy them into a call. Whoever starts a request
or a turn makes the context for it (``for_request``, ``for_turn``); nothing is set on a shared
context and cleared later.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

from webtv.production.backends.base import Backends
from webtv.production.context import Event, Production
from webtv.state.datadir import DataDir
from webtv.state.store import Store


@dataclass(frozen=True)
class ToolContext:
    production: Production
    theme: str | None = None  # a theme request: the theme the new show is made from
    segment_id: int | None = None  # a produce request: the segment new shots go into
    suggestion_id: int | None = None  # a produce request: the viewer's suggestion it writes
    review: tuple[int, str] | None = None  # a review request: the take, the reviewing model

    @classmethod
    def open(cls, store: Store, data: DataDir, **production: Any) -> ToolContext:
        """A context over this store and data dir; ``production``: Production's fields."""
        return cls(Production(store=store, data=data, **production))

    @property
    def store(self) -> Store:
        return self.production.store

    @property
    def data(self) -> DataDir:
        return self.production.data

    @property
    def backends(self) -> Backends:
        return self.production.backends

    def for_request(self, theme: str | None, segment_id: int | None,
                    suggestion_id: int | None = None) -> ToolContext:
        return replace(self, theme=theme, segment_id=segment_id, suggestion_id=suggestion_id)

    def for_review(self, take_id: int, model: str) -> ToolContext:
        return replace(self, review=(take_id, model))

    def for_turn(self, conversation: str, on_event: Event | None) -> ToolContext:
        """Steps the code runs in this turn are logged in its conversation, shown by its
        REPL or page."""
        return self.with_production(conversation=conversation, on_event=on_event)

    def with_production(self, **changes: Any) -> ToolContext:
        return replace(self, production=replace(self.production, **changes))
