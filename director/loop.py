"""The director's loop: ask the model, run the tools it calls, repeat until it answers.

Each step ends in one of two outcomes: a final answer (return it) or tool calls (run them and
go again). A step cap raises StepLimitExceeded. Every model call and tool call is logged.
"""

from __future__ import annotations

import base64
import json
import threading
import time
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from director.llm import ChatModel, Reply, ToolCall, request_log
from tools.context import ToolContext
from tools.errors import StepLimitExceeded
from tools.registry import Registry, ToolResult

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


def run_turn(model: ChatModel, registry: Registry, ctx: ToolContext, conversation: Conversation,
             user_text: str, *, max_steps: int = 60, on_event: Event | None = None,
             stop: threading.Event | None = None) -> str:
    """One request from a person or the autopilot, carried out to a final answer."""
    emit = on_event or (lambda kind, data: None)
    conversation.trim()
    conversation.messages.append({"role": "user", "content": user_text})
    schemas = registry.schemas()
    for _ in range(max_steps):
        reply, llm_call_id = _ask(model, ctx, conversation, schemas)
        conversation.messages.append(reply.as_message())
        if not reply.tool_calls:
            emit("answer", {"text": reply.content or ""})
            return reply.content or ""
        images = []
        results = _run_calls(registry, ctx, conversation, llm_call_id, reply.tool_calls, emit)
        for call, result in zip(reply.tool_calls, results, strict=True):
            conversation.messages.append(
                {"role": "tool", "tool_call_id": call.id, "content": result.content})
            if result.image and model.sees_images:
                images.append(result.image)
        if images:
            conversation.messages.append(_picture_message(ctx, images))
        if stop is not None and stop.is_set():
            return "Stopped before finishing."
    raise StepLimitExceeded(f"the director used {max_steps} steps without finishing")


def _ask(model: ChatModel, ctx: ToolContext, conversation: Conversation,
         schemas: list[dict[str, Any]]) -> tuple[Reply, int]:
    started = time.perf_counter()
    request = conversation.request()
    reply = model.complete(request, schemas)
    llm_call_id = ctx.store.log_llm_call(
        conversation=conversation.id, model=model.name,
        request=request_log(conversation.unlogged()),
        response=json.dumps(reply.as_message(), ensure_ascii=False),
        prompt_tokens=reply.prompt_tokens, completion_tokens=reply.completion_tokens,
        duration_ms=(time.perf_counter() - started) * 1000)
    return reply, llm_call_id


def _run_calls(registry: Registry, ctx: ToolContext, conversation: Conversation,
               llm_call_id: int, calls: list[ToolCall], emit: Event) -> list[ToolResult]:
    """Calls run in the order given, except that a run of parallel-safe calls (making and
    inspecting takes) runs at once, up to ``ctx.parallel``: two endpoints make two takes."""
    results: list[ToolResult] = []
    i = 0
    while i < len(calls):
        j = i + 1
        while (ctx.parallel > 1 and registry.parallel(calls[i].name) and j < len(calls)
               and registry.parallel(calls[j].name)):
            j += 1
        if j - i == 1:
            results.append(_call_tool(registry, ctx, conversation, llm_call_id, calls[i], emit))
        else:
            def one(call: ToolCall) -> ToolResult:
                forked = ctx.fork()  # SQLite connections are per thread
                try:
                    return _call_tool(registry, forked, conversation, llm_call_id, call, emit)
                finally:
                    forked.store.close()

            with ThreadPoolExecutor(max_workers=min(ctx.parallel, j - i)) as pool:
                results.extend(pool.map(one, calls[i:j]))
        i = j
    return results


def _call_tool(registry: Registry, ctx: ToolContext, conversation: Conversation,
               llm_call_id: int, call: ToolCall, emit: Event) -> ToolResult:
    emit("call", {"name": call.name, "arguments": call.arguments})
    result = registry.dispatch(ctx, call.name, call.arguments)
    ctx.store.log_tool_call(conversation=conversation.id, llm_call_id=llm_call_id, name=call.name,
                            arguments=call.arguments, result=result.content, ok=result.ok,
                            duration_ms=result.duration_ms)
    emit("result", {"name": call.name, "ok": result.ok, "content": result.content,
                    "duration_ms": result.duration_ms})
    return result


def _picture_message(ctx: ToolContext, images: list[str]) -> dict[str, Any]:
    """Contact sheets for models that see: one user message with the PNGs inline."""
    parts: list[dict[str, Any]] = [{"type": "text", "text": "Contact sheets of the takes above:"}]
    for relative in images:
        data = base64.b64encode(ctx.data.resolve(relative).read_bytes()).decode()
        parts.append({"type": "image_url", "image_url": {"url": f"data:image/png;base64,{data}"}})
    return {"role": "user", "content": parts}
