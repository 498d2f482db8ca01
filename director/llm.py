"""Chat models the director can talk to: any OpenAI-compatible endpoint, or the offline one.

Both speak the same tool-call protocol (OpenAI chat-completions messages), so the loop, the
tools and the logs cannot tell them apart.
"""

from __future__ import annotations

import base64
import json
import re
import threading
from dataclasses import dataclass, field
from typing import Any

from webtv.core.errors import ConfigError, Stopped


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
        # "" rather than null beside tool calls: every OpenAI-compatible server accepts it, and
        # llama.cpp's function-calling chat format refuses null.
        message: dict[str, Any] = {"role": "assistant", "content": self.content or ""}
        if self.tool_calls:
            message["tool_calls"] = [
                {"id": c.id, "type": "function",
                 "function": {"name": c.name, "arguments": c.arguments}}
                for c in self.tool_calls]
        return message


RETRY_TEMPERATURE = 0.8  # after a failed call: the same prompt at a low temperature repeats it


def temperature_for(messages: list[dict[str, Any]], temperature: float) -> float:
    """The request's temperature: higher when the model's last call failed, so the retry is a
    new attempt rather than the same call again (a small model copies what it just sent)."""
    last = messages[-1] if messages else {}
    failed = last.get("role") == "tool" and str(last.get("content", "")).startswith("Error")
    return max(temperature, RETRY_TEMPERATURE) if failed else temperature


class OpenAIChat:
    """Any OpenAI-compatible chat-completions endpoint: OpenAI, vLLM, Ollama, llama.cpp.

    A low temperature (a director follows its bible), a timeout long enough for a small model
    on a CPU and no blind retries: a retried request would queue behind the abandoned one on a
    one-slot local server. Tool calls a server leaves in the text are parsed from it."""

    def __init__(self, base_url: str | None, model: str, api_key: str | None,
                 sees_images: bool = False, timeout: float = 600,
                 temperature: float = 0.2) -> None:
        from openai import OpenAI

        if not model:
            raise ConfigError("an LLM endpoint needs a model name (WEBTV_LLM_MODEL or --model)")
        # Local servers ignore the key, but the client insists on one being set.
        self._client = OpenAI(base_url=base_url, api_key=api_key or "not-needed",
                              timeout=timeout, max_retries=0)
        self.name = model
        self.sees_images = sees_images
        self.temperature = temperature
        self.strict_tools = base_url is None  # OpenAI's own API: strict schemas

    def complete(self, messages: list[dict[str, Any]], tools: list[dict[str, Any]], *,
                 require_tool: bool = False, turn: object = None) -> Reply:
        """The request is in the messages, as the model reads it; of ``turn`` only the run's
        stop is used: a stop ends the wait at once (Stopped), and the reply, whenever the
        server sends it, is dropped with the abandoned request's thread."""
        response = self._answer(dict(
            model=self.name, messages=messages, tools=tools, tool_choice="auto",
            temperature=temperature_for(messages, self.temperature)),
            getattr(turn, "stop", None))
        message = response.choices[0].message
        calls = [ToolCall(c.id or f"call_{i}", c.function.name, c.function.arguments or "")
                 for i, c in enumerate(message.tool_calls or [])]
        content = message.content
        if not calls and content:
            calls, content = calls_in_text(content, {t["function"]["name"] for t in tools})
        usage = response.usage
        return Reply(content, calls,
                     usage.prompt_tokens if usage else 0, usage.completion_tokens if usage else 0)


    def ask_about(self, question: str, png: bytes) -> str:
        """One question about one picture, no tools: the sight check (director.sight)."""
        url = "data:image/png;base64," + base64.b64encode(png).decode()
        response = self._client.chat.completions.create(
            model=self.name, temperature=0, messages=[{"role": "user", "content": [
                {"type": "text", "text": question},
                {"type": "image_url", "image_url": {"url": url}}]}])
        return response.choices[0].message.content or ""

    def _answer(self, request: dict[str, Any], stop: threading.Event | None) -> Any:
        if stop is None:
            return self._client.chat.completions.create(**request)
        got: dict[str, Any] = {}

        def ask() -> None:
            try:
                got["answer"] = self._client.chat.completions.create(**request)
            except Exception as exc:  # noqa: BLE001 (handed to the waiting thread as it is)
                got["error"] = exc

        asking = threading.Thread(target=ask, name="llm-request", daemon=True)
        asking.start()
        asking.join(0.2)
        while asking.is_alive():
            if stop.is_set():
                raise Stopped(f"{self.name}: the channel stops; its answer is not awaited")
            asking.join(0.2)
        if "error" in got:
            raise got["error"]
        return got["answer"]


TOOL_CALL_BLOCK = re.compile(r"<tool_call>\s*(.*?)\s*(?:</tool_call>|$)", re.S)
FENCE = re.compile(r"```(?:json)?\s*(.*?)```", re.S)


def calls_in_text(text: str, names: set[str]) -> tuple[list[ToolCall], str | None]:
    """Tool calls a server left in the reply's text: Hermes/Qwen ``<tool_call>`` blocks, or a
    bare (or fenced) JSON object ``{"name": ..., "arguments": {...}}`` naming an offered tool.
    Returns the calls and whatever text is left."""
    blocks = TOOL_CALL_BLOCK.findall(text)
    candidates = blocks or FENCE.findall(text) or [text]
    calls = []
    for candidate in candidates:
        for obj in _json_objects(candidate):
            function = obj.get("function") if isinstance(obj.get("function"), dict) else {}
            name = obj.get("name") or function.get("name")
            arguments = obj.get("arguments", obj.get("parameters", function.get("arguments")))
            # in a <tool_call> block an unknown name is still a call (its error names the
            # nearest tool); a bare object must name an offered tool to be one
            if not isinstance(name, str) or (name not in names and not blocks):
                continue
            if not isinstance(arguments, str):
                arguments = json.dumps(arguments if arguments is not None else {})
            calls.append(ToolCall(f"call_text_{len(calls)}", name, arguments))
    if not calls:
        return [], text
    left = TOOL_CALL_BLOCK.sub("", text).strip() if blocks else ""
    return calls, left or None


def _json_objects(text: str) -> list[dict[str, Any]]:
    """Every top-level JSON object in a piece of text (a list of objects counts too)."""
    decoder, found, i = json.JSONDecoder(), [], 0
    while True:
        starts = [p for p in (text.find("{", i), text.find("[", i)) if p != -1]
        if not starts:
            return found
        start = min(starts)
        try:
            value, end = decoder.raw_decode(text, start)
        except json.JSONDecodeError:
            i = start + 1
            continue
        found += [v for v in (value if isinstance(value, list) else [value])
                  if isinstance(v, dict)]
        i = end


def request_log(messages: list[dict[str, Any]]) -> str:
    """What is stored of a request: the messages, minus inline images (they are files already)."""
    def slim(message: dict[str, Any]) -> dict[str, Any]:
        if isinstance(message.get("content"), list):
            parts = [p if p.get("type") != "image_url" else {"type": "image_url", "url": "…"}
                     for p in message["content"]]
            return {**message, "content": parts}
        return message

    return json.dumps([slim(m) for m in messages], ensure_ascii=False)
