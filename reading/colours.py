"""Colour words: the names people and models use for colours, as hex and RGB, and the colours a
description gives each part ("grey fur, red scarf"), read leniently from whatever a model
sends, so the bible can keep them per part and repeat them in every prompt."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from webtv.core.errors import ToolError

NAMED = {
    "red": "#c8232c", "crimson": "#a3142a", "scarlet": "#e0301e", "maroon": "#6e1423",
    "orange": "#e8741c", "amber": "#f0a202", "gold": "#d4a017", "yellow": "#f2d338",
    "cream": "#f3e9c6", "beige": "#d9c8a0", "brown": "#7a4a25", "tan": "#c19a6b",
    "olive": "#6b7a2a", "lime": "#8fd13a", "green": "#2f9e44", "emerald": "#12805c",
    "teal": "#138086", "turquoise": "#2ec4b6", "cyan": "#3cc8e0", "sky": "#7cc4f0",
    "blue": "#2563c9", "navy": "#1b2a5c", "indigo": "#3a2a8c", "violet": "#7b4bc4",
    "purple": "#6a2c91", "magenta": "#c2188a", "pink": "#f28cb1", "white": "#f4f4f0",
    "silver": "#b8bcc2", "grey": "#7d8188", "gray": "#7d8188", "charcoal": "#33363b",
    "black": "#141416",
}
_HEX = re.compile(r"^#[0-9a-fA-F]{6}$")


def to_hex(colour: str) -> str:
    """A colour word or hex string as #rrggbb; ValueError for anything else."""
    colour = colour.strip().lower()
    if _HEX.match(colour):
        return colour
    for word in reversed(re.findall(r"[a-z]+", colour)):  # "dark green" -> green
        if word in NAMED:
            return NAMED[word]
    raise ValueError(f"unknown colour {colour!r}: use a colour word or #rrggbb")


def name_in(text: str) -> str | None:
    """The first colour word in a piece of text, if any."""
    for word in re.findall(r"[a-z]+", text.lower()):
        if word in NAMED:
            return word
    return None


def rgb(colour: str) -> tuple[int, int, int]:
    h = to_hex(colour)
    return int(h[1:3], 16), int(h[3:5], 16), int(h[5:7], 16)


COLOUR = rf"(?:(?:light|dark|pale|bright|deep) )?(?:{'|'.join(NAMED)}|#[0-9a-f]{{6}})"
# "red scarf", "dark green coat", "red-and-white scarf" (the first colour is kept)
COLOUR_PART = re.compile(rf"\b({COLOUR})(?:(?:-| and |-and-|/){COLOUR})?[- ]+([a-z]+)\b", re.I)
NOT_PARTS = {"and", "with", "in", "on", "a", "the", "or", "of", "color", "colour", "colored",
             "coloured", "one", "ones", "to", "from", "now", "is", "as"}


def colours_in(value: Any) -> dict[str, str]:
    """Colours by part from anything a model might send: "grey fur, red scarf",
    {"fur": "grey"}, [{"part": "fur", "colour": "grey"}] or ["grey fur"]."""
    if value is None:
        return {}
    if isinstance(value, dict):
        pairs = list(value.items())
    elif isinstance(value, list):
        pairs = []
        for item in value:
            if isinstance(item, dict):
                pairs.append((item.get("part") or item.get("name") or "body",
                              item.get("colour") or item.get("color") or ""))
            else:
                pairs += colours_in(str(item)).items()
    else:
        pairs = [(part.lower(), colour.lower()) for colour, part in
                 COLOUR_PART.findall(str(value)) if part.lower() not in NOT_PARTS]
    found = {}
    for part, colour in pairs:
        try:
            to_hex(str(colour))
        except ValueError as exc:
            raise ToolError(f"{exc} (part {part!r})") from exc
        found[str(part).strip().lower() or "body"] = str(colour).strip().lower()
    return found


def only_colours(text: str) -> bool:
    """'blue apron' changes a colour; 'a panda chef in a blue apron' redescribes."""
    rest = COLOUR_PART.sub("", text.lower())
    return not re.sub(r"\b(and|a|an|the|now|from now on|with|in)\b|[,.;]", "", rest).strip()


def recolour(text: str | None, colours: dict[str, str]) -> str | None:
    if not text:
        return text
    for part, colour in colours.items():
        text = re.sub(rf"\b(?:{'|'.join(NAMED)})(\s+{re.escape(part)})\b", rf"{colour}\1",
                      text, flags=re.I)
    return text


def changed_colours(text: str) -> dict[str, str]:
    """The colours a change of look gives each part: "apron blue", "apron to blue", "'s scarf
    is green", and "blue apron"."""
    parts = re.findall(r"(?:'s|’s)?\s*([a-z]+)\s+(?:to\s+|is\s+|be\s+)?"
                       rf"({'|'.join(NAMED)})\b", text.lower())
    return {part: colour for part, colour in parts if part not in NOT_PARTS} \
        | colours_in(text.lower())


_COLOURS = "|".join(sorted(NAMED, key=len, reverse=True))


def agreement(entities: list[dict[str, Any]]) -> Callable[[dict[str, Any]], bool]:
    """Whether a take agrees with the bible's looks as they are now: its prompt gives no part
    of the cast a colour other than the bible's ("green apron" after "make the llama's apron
    red from now on"). A prompt that names both colours of a part (two aprons) agrees."""
    looks = [(part, colour) for entity in entities
             for part, colour in (entity.get("colours") or {}).items()]
    if not looks:
        return lambda take: True
    other = {(part, colour): re.compile(rf"\b(?!{re.escape(colour)}\b)(?:{_COLOURS}) "
                                        rf"{re.escape(part)}\b", re.I)
             for part, colour in looks}
    same = {(part, colour): re.compile(rf"\b{re.escape(colour)} {re.escape(part)}\b", re.I)
            for part, colour in looks}

    def agrees(take: dict[str, Any]) -> bool:
        prompt = take.get("prompt") or ""
        return not any(other[look].search(prompt) and not same[look].search(prompt)
                       for look in looks)

    return agrees
