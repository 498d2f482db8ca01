"""What passes between a request, the loop and the model: the request as data, what it offers
the model, and the steps of a turn so far.

A model that reads text gets the request rendered (``Request.text``); one that does not (the
offline planner, the embedded model's sampler) reads the same request as data. Nobody parses
the rendered words back: a template edit changes what a model reads, never what code does.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

from webtv.director.llm import Reply
from webtv.tools.brief import Brief


@dataclass(frozen=True)
class Step:
    """One tool call the model made in this turn, and how it went."""

    name: str
    ok: bool
    result: Any  # the parsed JSON result, or the error text


@dataclass(frozen=True)
class Offer:
    """What a request offers the model: which tools, the names it may use, and when the work
    is done (so the turn ends without asking the model for a closing sentence)."""

    tools: list[str] | None = None  # None: every tool
    choices: dict[str, list[str]] | None = None  # e.g. {"who": cast names, "where": places}
    hide: frozenset[str] = frozenset({"prompt"})  # optional properties left out of schemas
    done: Callable[[list[Step]], str | None] | None = None  # set: work was asked for
    tool_budget: int = 3  # failed calls of one tool before the turn gives up
    counts: dict[str, int] | None = None  # list lengths asked for, e.g. {"shots": 6}


@dataclass(frozen=True)
class Request:
    """What the director is asked: ``kind`` and what that kind carries, the words a model
    reads, and the offer."""

    kind: str  # theme | produce | plan | chat | review
    text: str  # the request rendered for a model that reads (prompts/request.md.j2)
    offer: Offer = field(default_factory=Offer)
    theme: str | None = None  # theme: the theme; chat: the person's line (for moderation)
    segment_id: int | None = None
    queue_id: int | None = None  # theme: the queued theme it starts
    brief: Brief | None = None  # produce, plan, chat: the show (None: no show yet)
    segment: dict[str, Any] | None = None  # produce: the episode (position, title, written...)
    count: int = 0  # produce: shots asked for; plan: episodes asked for
    episodes: tuple[str, ...] = ()  # plan: the titles of the episodes so far
    said: str | None = None  # chat: what the person said, as they said it
    images: tuple[str, ...] = ()  # review: pictures shown with the words (data dir paths)
    suggestion: dict[str, Any] | None = None  # produce: a viewer's suggestion (id, text, name)


class ChatModel(Protocol):
    """A director's model: given the conversation and the offered tools' schemas, a reply."""

    name: str
    sees_images: bool

    def complete(self, messages: list[dict[str, Any]], tools: list[dict[str, Any]], *,
                 require_tool: bool = False, turn: Turn | None = None) -> Reply: ...


@dataclass(frozen=True)
class Turn:
    """What a model is told besides the messages: the request it is carrying out (None for
    bare words, as in a test), the calls it has made for it so far, and the run's stop (a
    model that writes for minutes stops between tokens when it is set)."""

    request: Request | None = None
    steps: tuple[Step, ...] = ()
    stop: threading.Event | None = None
