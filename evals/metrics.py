"""Metrics of one eval run, from what it left in its store. Pure functions on rows, so each
can be checked on hand-made examples."""

from __future__ import annotations

import re
from typing import Any

from webtv import prompts
from webtv.production.compose import TOKEN_BUDGET, clip_tokens

CAMERA = re.compile(r"\b(pans? (left|right)|tilts? (up|down)|zoom(s|ing)? (in|out))\b", re.I)


def details_of(entity: dict[str, Any]) -> list[str]:
    """The continuity details a prompt must repeat: 'red scarf', one per coloured part."""
    return [f"{colour} {part}".lower() for part, colour in (entity.get("colours") or {}).items()]


def retention(prompt: str, entity: dict[str, Any]) -> float:
    """Share of an entity's details (each colour word with its part) found in a prompt."""
    details = details_of(entity)
    if not details:
        return 1.0
    text = prompt.lower()
    found = 0
    for detail in details:
        colour, _, part = detail.partition(" ")
        near = re.search(rf"\b{re.escape(colour)}\b[\w ,-]{{0,20}}\b{re.escape(part)}\b", text)
        found += bool(near or detail in text)
    return found / len(details)


def continuity_retention(pairs: list[tuple[str, dict[str, Any]]]) -> float:
    """Mean retention over every (prompt, entity in that prompt's shot) pair."""
    return sum(retention(p, e) for p, e in pairs) / len(pairs) if pairs else 1.0


def overflow_rate(prompt_texts: list[str], budget: int = TOKEN_BUDGET) -> float:
    return _share(prompt_texts, lambda p: clip_tokens(p) > budget)


def risky_rate(prompt_texts: list[str]) -> float:
    words = prompts.word_list("avoid_words.txt")
    return _share(prompt_texts, lambda p: any(
        re.search(rf"(?i)\b{re.escape(w)}\b", p) for w in words))


def motion_specified_rate(prompt_texts: list[str]) -> float:
    """Share of prompts that say the camera move with its direction."""
    return _share(prompt_texts, lambda p: bool(CAMERA.search(p)))


def _share(items: list[str], test) -> float:
    return sum(1 for i in items if test(i)) / len(items) if items else 0.0


def theme_fidelity(store: Any, theme: str) -> float:
    """Share of the theme's content words found in what the director made of it: the bible
    (title, logline, style, cast) and the prompts of its takes. The stored theme itself does
    not count."""
    from webtv.reading.theme import fidelity

    if not theme:
        return float("nan")
    return fidelity(theme, made_texts(store))


def made_texts(store: Any) -> list[str]:
    bible = store.show.bible() or {}
    texts = [bible.get(k) or "" for k in ("title", "logline", "visual_style")]
    texts += [f"{e['name']} {e['description'] or ''}" for e in store.show.entities()]
    texts += store.takes.take_prompts()
    return texts
