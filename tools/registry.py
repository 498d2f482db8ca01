"""Typed Python functions become OpenAI tools: the pydantic model of a function's parameters is
the JSON schema the model sees, its docstring's first paragraph the description.

The dispatcher turns every way a tool call can go wrong (unknown tool, invalid or truncated JSON,
arguments of the wrong type, a ToolError inside the tool) into an ``Error: ...`` result the model
can read and react to. A bug (any other exception) propagates.
"""

from __future__ import annotations

import inspect
import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, get_type_hints

from pydantic import BaseModel, ConfigDict, ValidationError, create_model

from tools.errors import ToolError


@dataclass(frozen=True)
class Tool:
    name: str
    description: str
    fn: Callable[..., Any]
    arguments: type[BaseModel]
    parallel: bool = False  # may run at the same time as its neighbours in one reply

    def schema(self) -> dict[str, Any]:
        return {"type": "function", "function": {
            "name": self.name, "description": self.description,
            "parameters": strict_schema(self.arguments.model_json_schema()), "strict": True}}


@dataclass(frozen=True)
class ToolResult:
    name: str
    ok: bool
    content: str  # what goes back to the model, as the tool message's content
    duration_ms: float
    image: str | None = None  # data dir path of a picture for models that see (contact sheet)


def strict_schema(schema: dict[str, Any]) -> dict[str, Any]:
    """OpenAI strict mode: every property required, optional ones nullable, no extras."""
    schema = json.loads(json.dumps(schema))

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            node.pop("title", None)
            node.pop("default", None)
            if node.get("type") == "object" and "properties" in node:
                node["required"] = list(node["properties"])
                node["additionalProperties"] = False
            for key, value in node.items():
                if key in ("properties", "$defs"):  # names, not keywords: keep them all
                    for child in value.values():
                        walk(child)
                else:
                    walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(schema)
    if schema.get("type") == "object" and "properties" not in schema:
        schema.update(properties={}, required=[], additionalProperties=False)
    return schema


def _description(fn: Callable[..., Any]) -> str:
    doc = inspect.getdoc(fn) or ""
    return doc.split("\n\n")[0].replace("\n", " ").strip()


def _arguments_model(fn: Callable[..., Any]) -> type[BaseModel]:
    hints = get_type_hints(fn, include_extras=True)
    fields: dict[str, Any] = {}
    for name, param in list(inspect.signature(fn).parameters.items())[1:]:  # skip ctx
        default = ... if param.default is inspect.Parameter.empty else param.default
        fields[name] = (hints[name], default)
    model_name = "".join(part.title() for part in fn.__name__.split("_")) + "Arguments"
    return create_model(model_name, __config__=ConfigDict(extra="forbid"), **fields)


class Registry:
    def __init__(self) -> None:
        self.tools: dict[str, Tool] = {}

    def tool(self, fn: Callable[..., Any] | None = None, *, parallel: bool = False) -> Any:
        """Decorator: register ``fn(ctx, ...)`` as a tool. ``parallel=True`` for slow tools
        whose calls do not depend on each other's order (making and inspecting takes)."""

        def register(f: Callable[..., Any]) -> Callable[..., Any]:
            self.tools[f.__name__] = Tool(f.__name__, _description(f), f, _arguments_model(f),
                                          parallel)
            return f

        return register(fn) if fn is not None else register

    def parallel(self, name: str) -> bool:
        tool = self.tools.get(name)
        return tool is not None and tool.parallel

    def schemas(self) -> list[dict[str, Any]]:
        return [t.schema() for t in self.tools.values()]

    def dispatch(self, ctx: Any, name: str, arguments: str | None) -> ToolResult:
        started = time.perf_counter()

        def result(ok: bool, content: str, image: str | None = None) -> ToolResult:
            ms = (time.perf_counter() - started) * 1000
            return ToolResult(name, ok, content, ms, image)

        tool = self.tools.get(name)
        if tool is None:
            return result(False, f"Error: there is no tool named {name!r}. "
                                 f"Tools: {', '.join(self.tools)}.")
        try:
            raw = json.loads(arguments or "{}")
        except json.JSONDecodeError as exc:
            return result(False, f"Error: the arguments to {name} are not valid JSON ({exc.msg} "
                                 f"at position {exc.pos}); send one complete JSON object.")
        if not isinstance(raw, dict):
            return result(False, f"Error: the arguments to {name} must be a JSON object.")
        try:
            args = tool.arguments.model_validate(raw)
        except ValidationError as exc:
            problems = "; ".join(
                f"{'.'.join(map(str, e['loc'])) or 'arguments'}: {e['msg']}"
                for e in exc.errors())
            return result(False, f"Error: invalid arguments to {name}: {problems}.")
        try:
            value = tool.fn(ctx, **dict(args))
        except ToolError as exc:
            return result(False, f"Error: {exc}")
        image = value.pop("_image", None) if isinstance(value, dict) else None
        text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
        return result(True, text, image)
