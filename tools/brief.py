"""The show's brief: the bible in a few lines, put inline in each request to the director."""

from __future__ import annotations

from dataclasses import dataclass

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


def brief(ctx: ToolContext, shots: int = 4) -> Brief | None:
    """The show's brief, or None when there is no show yet."""
    bible = ctx.store.show.bible()
    if bible is None:
        return None
    cast = tuple(Named(e["name"], e["kind"], e["description"] or "")
                 for e in ctx.store.show.entities())
    return Brief(title=bible["title"], logline=bible["logline"],
                 style=bible["visual_style"] or "", time=bible.get("time_of_day") or "day",
                 cast=cast, notes=tuple(ctx.store.show.notes()[-5:]),
                 latest=tuple(s["action"] for s in ctx.store.takes.shots(limit=shots)))
