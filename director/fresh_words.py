"""Fresh words from the embedded director: a logits processor that keeps a small model from
looping over what it wrote before, inside the strings that say what happens (an action, a
synopsis), without ever making it misspell a word to get round the ban.
"""

from __future__ import annotations

import json
import re
from typing import Any

FRESH_KEYS = ("action", "synopsis")  # what happens: never copied from what was written before
NGRAM = 4  # tokens: "The panda chef adds" once; "The panda chef" as often as it takes
PUSH_DOWN = 30.0  # logits: out of reach of sampling, yet still taken if the grammar allows no other
FRESH_SPAN = re.compile(r'"(?:' + "|".join(FRESH_KEYS) + r')"\s*:\s*"')


def word_starts(llm: Any) -> Any:
    """Which tokens of the vocabulary begin a new word: a space, then a letter or digit."""
    import numpy as np

    pieces = (llm.detokenize([t]).decode("utf-8", "ignore") for t in range(llm.n_vocab()))
    return np.fromiter((p[:1] == " " and p[1:2].isalnum() for p in pieces), dtype=bool,
                       count=llm.n_vocab())


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
    synopsis) it cannot begin a word that makes a run of NGRAM tokens it has written before,
    in an earlier action of this reply or in ``before`` (its last call, the latest shots). A
    1.5B model asked for six shots otherwise alternates two.

    It acts only where a new word begins (``word_starts``: the tokens that begin one), never
    inside a word: the copied word is pushed far down, and with it every token that would not
    begin a word of its own, so the model says another word instead of gluing the same one to
    the last ("andBlack", "and.black"): these words go to the video model."""

    def __init__(self, llm: Any, before: list[str], word_starts: Any) -> None:
        self._llm = llm
        self._starts = word_starts
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
            banned = [t for t in self._next.get(tuple(open_span[-(NGRAM - 1):]), ())
                      if self._starts[t]]
            if banned:  # a new word, not this one: no glued or punctuated copy of it either
                scores[~self._starts] -= PUSH_DOWN
                scores[banned] -= PUSH_DOWN
        return scores


def _closing_quote(text: str, start: int) -> int | None:
    i = start
    while (i := text.find('"', i)) != -1:
        if text[i - 1] != "\\":
            return i
        i += 1
    return None
