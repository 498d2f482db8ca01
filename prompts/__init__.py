"""The director's words: system prompt, shot-writing guide, word lists. Text files, not Python.

Templates are rendered with Jinja in strict mode: an undefined variable is an error.
"""

from __future__ import annotations

from functools import cache
from importlib import resources

from jinja2 import Environment, StrictUndefined

_env = Environment(undefined=StrictUndefined, keep_trailing_newline=True, autoescape=False)


def text(name: str) -> str:
    return resources.files(__package__).joinpath(name).read_text(encoding="utf-8")


def render(name: str, **values: object) -> str:
    return _env.from_string(text(name)).render(**values)


@cache
def word_list(name: str) -> tuple[str, ...]:
    lines = (line.strip().lower() for line in text(name).splitlines())
    return tuple(line for line in lines if line and not line.startswith("#"))
