"""Chat models the director can talk to: any OpenAI-compatible endpoint, or the offline one.

Both speak the same tool-call protocol (OpenAI chat-completions messages), so the loop, the
tools and the logs cannot tell them apart.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any, Protocol

from tools.errors import ConfigError


@dataclass(frozen=True)
class ToolCall:
    id: str
    name: str
    arguments: str  # raw JSON text, exactly as the model wrote it (it may be broken)


@dataclass(frozen=True)
class Reply:
    content: str | None
    tool_calls: list[ToolCall] = field(default_factory=list)
    prompt_tokens: int = 0
    completion_tokens: int = 0

    def as_message(self) -> dict[str, Any]:
        message: dict[str, Any] = {"role": "assistant", "content": self.content}
        if self.tool_calls:
            message["tool_calls"] = [
                {"id": c.id, "type": "function",
                 "function": {"name": c.name, "arguments": c.arguments}}
                for c in self.tool_calls]
        return message


class ChatModel(Protocol):
    name: str
    sees_images: bool

    def complete(self, messages: list[dict[str, Any]], tools: list[dict[str, Any]]) -> Reply: ...


class OpenAIChat:
    """Any OpenAI-compatible chat-completions endpoint: OpenAI, vLLM, Ollama, llama.cpp."""

    def __init__(self, base_url: str | None, model: str, api_key: str | None,
                 sees_images: bool = False, timeout: float = 120) -> None:
        from openai import OpenAI

        if not model:
            raise ConfigError("an LLM endpoint needs a model name (WEBTV_LLM_MODEL or --model)")
        # Local servers ignore the key, but the client insists on one being set.
        self._client = OpenAI(base_url=base_url, api_key=api_key or "not-needed",
                              timeout=timeout, max_retries=3)
        self.name = model
        self.sees_images = sees_images

    def complete(self, messages: list[dict[str, Any]], tools: list[dict[str, Any]]) -> Reply:
        response = self._client.chat.completions.create(
            model=self.name, messages=messages, tools=tools, tool_choice="auto")
        message = response.choices[0].message
        calls = [ToolCall(c.id or f"call_{i}", c.function.name, c.function.arguments or "")
                 for i, c in enumerate(message.tool_calls or [])]
        usage = response.usage
        return Reply(message.content, calls,
                     usage.prompt_tokens if usage else 0, usage.completion_tokens if usage else 0)


def request_log(messages: list[dict[str, Any]]) -> str:
    """What is stored of a request: the messages, minus inline images (they are files already)."""
    def slim(message: dict[str, Any]) -> dict[str, Any]:
        if isinstance(message.get("content"), list):
            parts = [p if p.get("type") != "image_url" else {"type": "image_url", "url": "…"}
                     for p in message["content"]]
            return {**message, "content": parts}
        return message

    return json.dumps([slim(m) for m in messages], ensure_ascii=False)
