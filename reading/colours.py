"""Colour words: the names people and models use for colours, as hex and RGB."""

from __future__ import annotations

import re

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
