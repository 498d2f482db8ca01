"""The director's loop: ask the model, run the tools it calls, repeat until it answers.

Each step ends in one of three outcomes: a final answer (return it), tool calls that finish the
work the request asked for (return what they did, without another model call), or tool calls
to run before going again. A reply with no tool call when work was asked is answered with one
nudge; a tool that keeps failing ends the turn (DirectorGaveUp); a step cap raises
StepLimitExceeded. Every model call and tool call is logged.
"""

from __future__ import annotations

import base64
import json
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from webtv.core.errors import DirectorGaveUp, StepLimitExceeded, Stopped
from webtv.director.llm import Reply, ToolCall, request_log
from webtv.director.protocol import ChatModel, Request, Step, Turn
from webtv.tools.context import ToolContext
from webtv.tools.registry import Registry, ToolResult

Event = Callable[[str, dict[str, Any]], None]


@dataclass
class Conversation:
    system: str
    messages: list[dict[str, Any]] = field(default_factory=list)
    id: str = field(default_factory=lambda: uuid.uuid4().hex[:12])
    keep: int = 80  # messages kept besides the system prompt, cut at a user message
    logged: int = -1  # messages already in the call log (-1: not even the system prompt)

    def request(self) -> list[dict[str, Any]]:
        return [{"role": "system", "content": self.system}, *self.messages]

    def unlogged(self) -> list[dict[str, Any]]:
        """The messages the call log does not have yet, marked as logged: each call stores
        what it adds, so weeks of calls stay small and a conversation still reads whole."""
        new = self.request() if self.logged < 0 else self.messages[self.logged:]
        self.logged = len(self.messages)
        return new

    def trim(self) -> None:
        if len(self.messages) <= self.keep:
            return
        users = [i for i, m in enumerate(self.messages)
                 if m["role"] == "user" and i >= len(self.messages) - self.keep]
        if users:
            del self.messages[:users[0]]
            self.logged = max(0, self.logged - users[0])


STOPPED = "Stopped before finishing."
NUDGE = ("You answered without calling a tool, and nothing is done yet. Call {tools} now, "
         "with its arguments as JSON.")


def run_turn(model: ChatModel, registry: Registry, ctx: ToolContext, conversation: Conversation,
             request: Request | str, *, max_steps: int = 12, on_event: Event | None = None,
             stop: threading.Event | None = None) -> str:
    """One request from a person or the autopilot, carried out to a final answer. A bare
    string is words with every tool on offer."""
    if isinstance(request, str):
        request = Request("chat", request, said=request)
    emit = on_event or (lambda kind, data: None)
    offer = request.offer
    user_text = request.text
    names = offer.tools or list(registry.tools)
    schemas = registry.schemas(names, strict=getattr(model, "strict_tools", False),
                               choices=offer.choices, hide=offer.hide, counts=offer.counts)
    ctx = ctx.for_turn(conversation.id, emit)  # the code's steps are logged in this turn
    conversation.trim()
    conversation.messages.append(_user_message(ctx, user_text, request.images
                                               if model.sees_images else ()))
    steps: list[Step] = []
    nudged = False
    for _ in range(max_steps):
        asked = _ask(model, ctx, conversation, schemas, Turn(request, tuple(steps), stop),
                     require_tool=offer.done is not None and not steps, emit=emit)
        if asked is None:
            return STOPPED
        reply, llm_call_id = asked
        conversation.messages.append(reply.as_message())
        if not reply.tool_calls:
            if offer.done is not None and not steps and not nudged:
                nudged = True  # an empty or tool-less reply when work was asked: ask once more
                conversation.messages.append(
                    {"role": "user", "content": NUDGE.format(tools=" or ".join(names))})
                continue
            emit("answer", {"text": reply.content or ""})
            return reply.content or ""
        images = []
        answered: set[str] = set()
        try:
            for call, result in _run_calls(registry, ctx, conversation, llm_call_id,
                                           reply.tool_calls, names, emit):
                conversation.messages.append(
                    {"role": "tool", "tool_call_id": call.id, "content": result.content})
                answered.add(call.id)
                steps.append(Step(call.name, result.ok, _parsed(result)))
                if result.image and model.sees_images:
                    images.append(result.image)
        finally:  # Ctrl-C or a stop mid-reply: every call still gets its result, or the next
            # request is refused by OpenAI-compatible servers for the rest of the conversation
            for call in reply.tool_calls:
                if call.id not in answered:
                    _interrupted(ctx, conversation, llm_call_id, call)
        if images:
            conversation.messages.append(_picture_message(ctx, images))
        finished = offer.done(steps) if offer.done else None
        if finished is not None:
            emit("answer", {"text": finished})
            return finished
        _check_budget(steps, offer.tool_budget)
        if stop is not None and stop.is_set():
            return STOPPED
    raise StepLimitExceeded(f"the director used {max_steps} steps without finishing")


def _check_budget(steps: list[Step], budget: int) -> None:
    for name in {s.name for s in steps}:
        failed = [s for s in steps if s.name == name and not s.ok]
        if len(failed) >= budget and not any(s.ok for s in steps if s.name == name):
            raise DirectorGaveUp(f"{name} failed {len(failed)} times: {failed[-1].result}")


def _parsed(result: ToolResult) -> Any:
    if not result.ok:
        return result.content
    try:
        return json.loads(result.content)
    except json.JSONDecodeError:
        return result.content


def _ask(model: ChatModel, ctx: ToolContext, conversation: Conversation,
         schemas: list[dict[str, Any]], turn: Turn, require_tool: bool,
         emit: Event) -> tuple[Reply, int] | None:
    """The model's reply and its row in the call log; None when the run stopped while the
    model wrote (nothing of the reply was said)."""
    emit("asking", {"model": model.name})  # the model writes: minutes, for a small one
    started = time.perf_counter()
    request = conversation.request()
    try:
        reply = model.complete(request, schemas, require_tool=require_tool, turn=turn)
    except Stopped:
        return None
    llm_call_id = ctx.store.calls.log_llm_call(
        conversation=conversation.id, model=model.name,
        request=request_log(conversation.unlogged()),
        response=json.dumps(reply.as_message(), ensure_ascii=False),
        prompt_tokens=reply.prompt_tokens, completion_tokens=reply.completion_tokens,
        duration_ms=(time.perf_counter() - started) * 1000)
    return reply, llm_call_id


SKIPPED = ("Error: not run, because {name} before it in the same reply failed; send it again "
           "once that is fixed.")


INTERRUPTED = "Error: interrupted before it finished; nothing more of it will happen."


def _interrupted(ctx: ToolContext, conversation: Conversation, llm_call_id: int,
                 call: ToolCall) -> None:
    conversation.messages.append(
        {"role": "tool", "tool_call_id": call.id, "content": INTERRUPTED})
    ctx.store.calls.log_tool_call(conversation=conversation.id, llm_call_id=llm_call_id,
                                  name=call.name, arguments=call.arguments, result=INTERRUPTED,
                                  ok=False, duration_ms=0.0)


def _run_calls(registry: Registry, ctx: ToolContext, conversation: Conversation,
               llm_call_id: int, calls: list[ToolCall], offered: list[str],
               emit: Event) -> Iterator[tuple[ToolCall, ToolResult]]:
    """The calls of one reply, in order, each result as soon as it is in: a later call may
    depend on an earlier one (the show before its shots), so after a failure the rest are
    answered as skipped, not run."""
    failed = None
    for call in calls:
        if failed is not None:
            result = ToolResult(call.name, False, SKIPPED.format(name=failed), 0.0)
        else:
            result = _call_tool(registry, ctx, conversation, llm_call_id, call, offered, emit)
            failed = None if result.ok else call.name
        yield call, result


def _call_tool(registry: Registry, ctx: ToolContext, conversation: Conversation,
               llm_call_id: int, call: ToolCall, offered: list[str], emit: Event) -> ToolResult:
    emit("call", {"name": call.name, "arguments": call.arguments})
    result = registry.dispatch(ctx, call.name, call.arguments, offered)
    ctx.store.calls.log_tool_call(conversation=conversation.id, llm_call_id=llm_call_id,
                                  name=call.name, arguments=call.arguments,
                                  result=result.content, ok=result.ok,
                                  duration_ms=result.duration_ms)
    emit("result", {"name": call.name, "ok": result.ok, "content": result.content,
                    "duration_ms": result.duration_ms})
    return result


def _picture_message(ctx: ToolContext, images: list[str]) -> dict[str, Any]:
    """Contact sheets for models that see: one user message with the pictures inline."""
    return _user_message(ctx, "Contact sheets of the takes above:", images)


def _user_message(ctx: ToolContext, text: str, images: tuple[str, ...] | list[str]
                  ) -> dict[str, Any]:
    """Words, with pictures inline (data dir paths) for a model that sees."""
    if not images:
        return {"role": "user", "content": text}
    parts: list[dict[str, Any]] = [{"type": "text", "text": text}]
    for relative in images:
        data = base64.b64encode(ctx.data.resolve(relative).read_bytes()).decode()
        kind = "png" if relative.endswith(".png") else "jpeg"
        parts.append({"type": "image_url",
                      "image_url": {"url": f"data:image/{kind};base64,{data}"}})
    return {"role": "user", "content": parts}
