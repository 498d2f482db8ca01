"""The show's brief: the bible in a few lines, put inline in each request to the director."""

from __future__ import annotations

from dataclasses import dataclass

from webtv.reading.notes import framings
from webtv.reading.theme import Theme, read_theme
from webtv.tools.context import ToolContext


@dataclass(frozen=True)
class Named:
    """One of the cast as a request shows it: its name, kind and look."""

    name: str
    kind: str  # character | place | prop
    look: str


@dataclass(frozen=True)
class Brief:
    """The bible in a few lines, put inline in each request: the model needs no read call,
    and the names it may use are right in front of it. Data, rendered by the request's
    template; a director that reads no text (the offline one) reads it as it is."""

    title: str
    logline: str
    style: str
    time: str
    cast: tuple[Named, ...]
    notes: tuple[str, ...]  # the latest standing notes
    latest: tuple[str, ...]  # the actions of the latest shots, oldest first
    # read once here, for a director that reads data: the theme the show was made from (the
    # person's words, else the logline), the framing the notes ask for more of, and those
    # they ask for fewer of
    reading: Theme | None = None
    framing: str | None = None
    fewer: tuple[str, ...] = ()


def brief(ctx: ToolContext, shots: int = 4) -> Brief | None:
    """The show's brief, or None when there is no show yet."""
    bible = ctx.store.show.bible()
    if bible is None:
        return None
    cast = tuple(Named(e["name"], e["kind"], e["description"] or "")
                 for e in ctx.store.show.entities())
    notes = tuple(ctx.store.show.notes()[-5:])
    framing, fewer = framings(ctx.store.show.notes())
    return Brief(title=bible["title"], logline=bible["logline"],
                 style=bible["visual_style"] or "", time=bible.get("time_of_day") or "day",
                 cast=cast, notes=notes,
                 latest=tuple(s["action"] for s in ctx.store.takes.shots(limit=shots)),
                 reading=read_theme(bible.get("theme") or bible["logline"] or ""),
                 framing=framing, fewer=fewer)
