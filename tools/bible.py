"""The show bible and its continuity: what every shot and every prompt must agree with."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from tools import REGISTRY
from tools.colours import to_hex
from tools.context import ToolContext
from tools.errors import ToolError

Kind = Literal["character", "location", "prop"]


class Colour(BaseModel):
    """One coloured part of an entity (a list of these, not a free-form map: strict schemas)."""

    model_config = ConfigDict(extra="forbid")
    part: Annotated[str, Field(min_length=1, description="e.g. fur, scarf, awning, sky")]
    colour: Annotated[str, Field(description="A colour word or #rrggbb")]


def _check_colours(colours: dict[str, str] | list[str]) -> None:
    for colour in colours.values() if isinstance(colours, dict) else colours:
        try:
            to_hex(colour)
        except ValueError as exc:
            raise ToolError(str(exc)) from exc


@REGISTRY.tool
def read_bible(ctx: ToolContext) -> dict[str, Any]:
    """Read the show bible: the show, its characters, locations and props with their continuity
    details, the standing notes from the people running the channel, and the latest shots."""
    bible = ctx.store.bible()
    if bible is None:
        return {"bible": None, "hint": "No show yet: create one with set_show."}
    shots = ctx.store.shots(limit=8)
    return {
        "show": {k: bible[k] for k in ("title", "logline", "visual_style", "palette",
                                       "music_mood", "theme")},
        "entities": [{k: e[k] for k in ("kind", "name", "description", "colours", "wardrobe",
                                         "marks")} for e in ctx.store.entities()],
        "notes": ctx.store.notes(),
        "latest_shots": [{k: s[k] for k in ("id", "sequence", "position", "action", "status")}
                         for s in shots],
        "next_sequence": ctx.store.next_sequence(),
        "segments": [{k: s[k] for k in ("id", "position", "title", "synopsis", "shots",
                                         "written", "status")}
                     for s in ctx.store.segments() if s["status"] != "done"][:4],
        "queued_themes": [q["theme"] for q in ctx.store.queued_themes()],
        "takes": ctx.store.take_counts(),
        "scheduled_seconds": ctx.store.queued_seconds(),
    }


@REGISTRY.tool
def set_show(
    ctx: ToolContext,
    title: Annotated[str, Field(min_length=1, max_length=80)],
    logline: Annotated[str, Field(description="One sentence: who wants what, where.")],
    visual_style: Annotated[str, Field(description="Look of every shot, e.g. 'warm 35mm film'")],
    palette: Annotated[list[str], Field(min_length=2, max_length=6,
                                        description="Colour words or #rrggbb, main first")],
    music_mood: Annotated[str, Field(description="e.g. cozy, upbeat, mysterious")],
    theme: Annotated[str | None, Field(description="The theme the show was made from")] = None,
) -> dict[str, Any]:
    """Create or replace the show: title, logline, visual style, palette and music mood."""
    _check_colours(palette)
    current = ctx.store.bible()
    if current is None or (theme and (current.get("theme") or "").strip().lower()
                           != theme.strip().lower()):
        ctx.store.begin_show(theme, title)  # a new show: the old one's entities are archived
    bible = ctx.store.set_bible(title=title, logline=logline, visual_style=visual_style,
                                palette=palette, music_mood=music_mood,
                                **({"theme": theme} if theme else {}))
    return {"ok": True, "show": {k: bible[k] for k in ("title", "logline", "palette")}}


@REGISTRY.tool
def set_entity(
    ctx: ToolContext,
    kind: Kind,
    name: Annotated[str, Field(min_length=1, max_length=60)],
    description: Annotated[str | None, Field(description="What it is and looks like")] = None,
    colours: Annotated[list[Colour] | None, Field(
        description="Coloured parts, e.g. fur cream, scarf red; merged into existing colours")]
    = None,
    wardrobe: str | None = None,
    marks: Annotated[str | None, Field(description="Distinguishing marks")] = None,
) -> dict[str, Any]:
    """Create or update a character, location or prop and its continuity details. Later shots and
    prompts follow the change ("from now on the fox's scarf is green")."""
    by_part = {c.part.lower(): c.colour.lower() for c in colours or []}
    _check_colours(by_part)
    entity = ctx.store.upsert_entity(kind, name, description=description,
                                     colours=by_part or None,
                                     wardrobe=wardrobe, marks=marks)
    return {"ok": True, "entity": {k: entity[k] for k in ("kind", "name", "colours", "wardrobe",
                                                           "marks")}}


@REGISTRY.tool
def add_note(
    ctx: ToolContext,
    text: Annotated[str, Field(min_length=1, max_length=300)],
) -> dict[str, Any]:
    """Record a standing note from the people running the channel (e.g. "more close-ups"); every
    later shot list must follow it."""
    return {"ok": True, "note": ctx.store.add_note(text)}
