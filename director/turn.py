"""One turn of the director: a request in, tool calls out, with the system prompt it is
given. The channel's loop, the chat, the eval harness and the benches all run a turn
through here."""

from __future__ import annotations

import threading

from webtv import prompts, tools
from webtv.core.settings import Settings
from webtv.director.loop import Conversation, Event, run_turn
from webtv.director.protocol import ChatModel, Request
from webtv.director.requests import context_for
from webtv.tools.context import ToolContext


def system_prompt(settings: Settings) -> str:
    return prompts.render("system.md.j2", channel=settings.channel)


def carry_out(model: ChatModel, ctx: ToolContext, conversation: Conversation, request: Request,
              *, on_event: Event | None = None, stop: threading.Event | None = None) -> str:
    """One request through the loop, with what the request offers and tells the tools."""
    return run_turn(model, tools.load(), context_for(request, ctx), conversation, request,
                    on_event=on_event, stop=stop)
