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

from webtv.core.errors import ToolError
from webtv.tools.context import ToolContext
from webtv.tools.schemas import (
    hidden,
    inline_refs,
    lean_schema,
    restricted_to,
    strict_schema,
    with_counts,
)


@dataclass(frozen=True)
class Tool:
    name: str
    description: str
    fn: Callable[..., Any]
    arguments: type[BaseModel]
    context: str | None = None  # the parameter the ToolContext goes into (found by its type)

    def schema(self, strict: bool = False, choices: dict[str, list[str]] | None = None,
               hide: frozenset[str] = frozenset(),
               counts: dict[str, int] | None = None) -> dict[str, Any]:
        """The tool as the model sees it. Lean by default (optional arguments may be left out:
        fewer tokens to read and to write); ``strict`` for OpenAI's strict mode. ``choices``:
        the values a property may take in this request (the cast's names for ``who``);
        ``hide``: optional properties this request does not offer (a prompt of its own);
        ``counts``: how many items a list property must have in this request (the shots
        asked for; a grammar-constrained model then writes exactly that many)."""
        schema = hidden(inline_refs(self.arguments.model_json_schema()), hide)
        schema = strict_schema(schema) if strict else lean_schema(schema)
        if choices:
            restricted_to(schema, choices)
        if counts and not strict:  # OpenAI's strict mode takes no item counts
            with_counts(schema, counts)
        return {"type": "function", "function": {
            "name": self.name, "description": self.description, "parameters": schema,
            **({"strict": True} if strict else {})}}


@dataclass(frozen=True)
class ToolResult:
    name: str
    ok: bool
    content: str  # what goes back to the model, as the tool message's content
    duration_ms: float
    image: str | None = None  # data dir path of a picture for models that see (contact sheet)


def _moderated(ctx: ToolContext, raw: dict[str, Any]) -> str | None:
    """What a call writes (a logline, a synopsis, an action, a look, a note) goes on air or on
    the page: it passes the moderation gate first, with the request's theme or chat line. The
    reason it did not, or None."""
    moderator = ctx.production.moderator
    texts = [t for t in _strings(raw) if t.strip()]
    if ctx.theme:
        texts.append(ctx.theme)
    if not texts:
        return None
    try:
        verdict = moderator.check("\n".join(texts))
    except ToolError as exc:  # the gate is down: nothing unchecked is written
        return str(exc)
    if not verdict.flagged:
        return None
    return (f"not for the channel ({verdict.source}: {verdict.reason}); nothing was written. "
            "Write it differently.")


def _strings(node: Any) -> list[str]:
    if isinstance(node, str):
        return [node]
    if isinstance(node, dict):
        return [t for v in node.values() for t in _strings(v)]
    if isinstance(node, list):
        return [t for v in node for t in _strings(v)]
    return []


def nearest(name: str, names: list[str]) -> str | None:
    import difflib

    found = difflib.get_close_matches(name, names, n=1, cutoff=0.4)
    return found[0] if found else None


def _description(fn: Callable[..., Any]) -> str:
    doc = inspect.getdoc(fn) or ""
    return doc.split("\n\n")[0].replace("\n", " ").strip()


def _context_parameter(fn: Callable[..., Any]) -> str | None:
    """The parameter annotated ``ToolContext`` (injected, not in the schema), wherever it is."""
    hints = get_type_hints(fn)
    found = [name for name in inspect.signature(fn).parameters if hints.get(name) is ToolContext]
    if len(found) > 1:
        raise TypeError(f"tool {fn.__name__} takes more than one ToolContext: {found}")
    return found[0] if found else None


def _arguments_model(fn: Callable[..., Any]) -> type[BaseModel]:
    hints = get_type_hints(fn, include_extras=True)
    context = _context_parameter(fn)
    fields: dict[str, Any] = {}
    for name, param in inspect.signature(fn).parameters.items():
        if name == context:
            continue
        if name not in hints:
            raise TypeError(f"tool {fn.__name__}: argument {name!r} has no type")
        default = ... if param.default is inspect.Parameter.empty else param.default
        fields[name] = (hints[name], default)
    model_name = "".join(part.title() for part in fn.__name__.split("_")) + "Arguments"
    # Arguments the schema does not have are ignored, not refused: a small model that adds a
    # field has still said what it meant.
    return create_model(model_name, __config__=ConfigDict(extra="ignore"), **fields)


def _validate(model: type[BaseModel], raw: dict[str, Any]) -> BaseModel:
    """Validate; a text that is only too long is cut at a word and validated again (what it
    means is clear; refusing it would cost a small model a whole retry)."""
    try:
        return model.model_validate(raw)
    except ValidationError as exc:
        long = [e for e in exc.errors() if e["type"] in ("string_too_long", "too_long")
                and isinstance(e["input"], str)]
        if not long or len(long) < len(exc.errors()):
            raise
        for error in long:
            *path, key = error["loc"]
            node = raw
            for step in path:
                node = node[step]
            limit = error["ctx"]["max_length"]
            node[key] = node[key][:limit].rsplit(" ", 1)[0].rstrip(" ,;") or node[key][:limit]
        return model.model_validate(raw)


def _problem(error: dict[str, Any]) -> str:
    """One validation error as an instruction: where, what was wrong, what is allowed."""
    where = ".".join(map(str, error["loc"])) or "arguments"
    allowed = (error.get("ctx") or {}).get("expected")
    if allowed:
        return f"{where}: must be one of {allowed}"
    return f"{where}: {error['msg']}"


class Registry:
    def __init__(self) -> None:
        self.tools: dict[str, Tool] = {}

    def tool(self, fn: Callable[..., Any]) -> Callable[..., Any]:
        """Decorator: register ``fn`` as a tool; its parameter typed ``ToolContext`` (if any)
        gets the context, every other one is an argument in the schema."""
        self.tools[fn.__name__] = Tool(fn.__name__, _description(fn), fn, _arguments_model(fn),
                                       _context_parameter(fn))
        return fn

    def schemas(self, names: list[str] | None = None, *, strict: bool = False,
                choices: dict[str, list[str]] | None = None,
                hide: frozenset[str] = frozenset(),
                counts: dict[str, int] | None = None) -> list[dict[str, Any]]:
        return [self.tools[n].schema(strict, choices, hide, counts) for n in names or self.tools]

    def dispatch(self, ctx: ToolContext, name: str, arguments: str | None,
                 offered: list[str] | None = None) -> ToolResult:
        started = time.perf_counter()

        def result(ok: bool, content: str, image: str | None = None) -> ToolResult:
            ms = (time.perf_counter() - started) * 1000
            return ToolResult(name, ok, content, ms, image)

        names = offered or list(self.tools)
        tool = self.tools.get(name) if name in names else None
        if tool is None:
            guess = nearest(name, names)
            hint = f" Did you mean {guess!r}?" if guess else ""
            return result(False, f"Error: there is no tool named {name!r} here.{hint} "
                                 f"Tools: {', '.join(names)}.")
        try:
            raw = json.loads(arguments or "{}")
        except json.JSONDecodeError as exc:
            return result(False, f"Error: the arguments to {name} are not valid JSON ({exc.msg} "
                                 f"at position {exc.pos}); send one complete JSON object.")
        if not isinstance(raw, dict):
            return result(False, f"Error: the arguments to {name} must be a JSON object.")
        try:
            args = _validate(tool.arguments, raw)
        except ValidationError as exc:
            problems = "; ".join(_problem(e) for e in exc.errors())
            return result(False, f"Error: invalid arguments to {name}: {problems}.")
        refused = _moderated(ctx, raw)
        if refused:
            return result(False, f"Error: {refused}")
        try:
            injected = {tool.context: ctx} if tool.context else {}
            value = tool.fn(**dict(args), **injected)
        except ToolError as exc:
            return result(False, f"Error: {exc}")
        image = value.pop("_image", None) if isinstance(value, dict) else None
        text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
        return result(True, text, image)


REGISTRY = Registry()  # the tools register here as their modules are imported (tools.load)
