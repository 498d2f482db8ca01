"""The show bible and its continuity: what every shot and every prompt must agree with.

The model describes the show in words ("a grey cat in a yellow raincoat"); the code reads the
colours out of them, keeps them per part, and repeats them in every prompt. Input is taken
leniently where the meaning is clear: colours as "red scarf, cream fur", a map or a list.

Here are the tools that write the bible (set_show, update_cast, add_note) and the merge of a
look into an entry. Reading colours out of words is reading.colours'; the cast as a model
sends it, tools/cast.py; the theme's words put back into a show, tools/theme_repair.py; the
brief each request carries, tools/brief.py.
"""

from __future__ import annotations

import contextlib
import re
from typing import Annotated, Any, Literal

from pydantic import BeforeValidator, Field

from webtv.core.errors import ConfigError, ToolError
from webtv.reading.colours import changed_colours, colours_in, only_colours, recolour
from webtv.reading.theme import Theme, read_theme
from webtv.reading.words import tidied, tidied_within
from webtv.tools.cast import CAST_LIMIT, CastMember, Episode, Kind
from webtv.tools.context import ToolContext
from webtv.tools.registry import REGISTRY
from webtv.tools.theme_repair import says, with_a_place, with_the_themes_words

TimeOfDay = Literal["dawn", "day", "dusk", "evening", "night"]
EPISODE_SHOTS = 12  # two shot lists of six: an LLM's call is dear, a whole list is not


def add_to_cast(ctx: ToolContext, member: CastMember) -> dict[str, Any]:
    """Create or update one bible entry from a cast member; colours merge part by part and
    words of the old colour of a changed part are rewritten, so no prompt says both."""
    kind = member.kind
    colours = colours_in(member.look)
    try:
        existing = ctx.store.show.entity(member.name)
    except ToolError:
        existing = None
    description = member.look or None
    if existing is not None:
        if existing["kind"] != kind and member.kind == "character":
            kind = existing["kind"]  # the default kind never turns a place into a character
        if colours and not only_colours(member.look):
            description = member.look
        elif existing["description"]:
            description = recolour(existing["description"], colours)
    entity = ctx.store.show.upsert_entity(
        kind, member.name, description=description, colours=colours or None,
        wardrobe=recolour(existing["wardrobe"], colours) if existing else None,
        marks=recolour(existing["marks"], colours) if existing else None)
    return {"name": entity["name"], "kind": entity["kind"], "colours": entity["colours"]}


@REGISTRY.tool
def set_show(
    ctx: ToolContext,
    title: Annotated[str, BeforeValidator(tidied), Field(min_length=1, max_length=80)],
    logline: Annotated[str, BeforeValidator(tidied_within(300)), Field(
        max_length=300, description="One sentence: who, what, where")],
    cast: Annotated[list[CastMember], Field(
        min_length=1, max_length=CAST_LIMIT,
        description="The characters, the main place and any props")],
    style: Annotated[str, BeforeValidator(tidied_within(120)), Field(
        max_length=120, description="The look of every shot")] = "",
    time: TimeOfDay | None = None,
    mood: Annotated[str | None, Field(max_length=60, description="Music mood")] = None,
    episodes: Annotated[list[Episode], Field(max_length=4)] = [],  # noqa: B006 (pydantic copies)
) -> dict[str, Any]:
    """Create the show from the theme: title, logline, cast (characters, the main place, props:
    each with a look that names its colours), style, time of day, music mood, first episodes."""
    theme = ctx.theme
    read = read_theme(theme or logline)  # what the model left out, the theme's words say
    time = time or read.time
    with ctx.store.transaction():  # the whole show or none of it: other writers wait
        return _set_show(ctx, theme, read, title, logline, cast, style, time, mood, episodes)


def _set_show(ctx: ToolContext, theme: str | None, read: Theme, title: str, logline: str,
              cast: list[CastMember], style: str, time: str | None, mood: str | None,
              episodes: list[Episode]) -> dict[str, Any]:
    current = ctx.store.show.bible()
    if current is None or (theme and (current.get("theme") or "").strip().lower()
                           != theme.strip().lower()):
        # a new show: the old one's entities are archived
        ctx.store.programme.begin_show(theme, title)
    cast = with_the_themes_words(with_a_place(cast, read, logline), read)
    if read.style and not says(style, read.style):
        style = f"{read.style}, {style}".strip(", ")[:120]
    places = [m for m in cast if m.kind == "place"]
    palette = list(dict.fromkeys(c for m in places for c in colours_in(m.look).values()))
    bible = ctx.store.show.set_bible(
        title=title, logline=logline, visual_style=style or read.style or "", time_of_day=time,
        music_mood=mood or {"night": "cozy", "dusk": "warm", "dawn": "calm"}.get(time, "playful"),
        palette=palette or _default_palette(time), **({"theme": theme} if theme else {}))
    made = [add_to_cast(ctx, m) for m in cast]
    show_id = ctx.store.programme.current_show_id()
    for tag in dict.fromkeys(t for t in (time, read.weather, read.style) if t):
        with contextlib.suppress(ConfigError):  # a tag channel finds the show by these
            ctx.store.network.tag(tag, show_id=show_id)
    segments = ctx.store.programme.add_segments(
        [{"title": e.title, "synopsis": e.synopsis, "shots": EPISODE_SHOTS} for e in episodes]
        or [{"title": "Episode 1", "synopsis": logline, "shots": EPISODE_SHOTS}])
    return {"ok": True, "show": bible["title"], "cast": [m["name"] for m in made],
            "episodes": [s["title"] for s in segments]}


def _default_palette(time: str) -> list[str]:
    return {"night": ["navy", "indigo", "amber"], "dusk": ["purple", "orange", "gold"],
            "dawn": ["pink", "sky", "cream"], "evening": ["indigo", "orange", "teal"]
            }.get(time, ["sky", "cream", "green"])


@REGISTRY.tool
def update_cast(
    ctx: ToolContext,
    name: Annotated[str, Field(min_length=1, max_length=60, description="Who or what")],
    look: Annotated[str, Field(max_length=300, description="e.g. 'blue apron'")],
    kind: Kind = "character",
) -> dict[str, Any]:
    """Add a character, place or prop, or change how one looks from now on (e.g. name 'Panda',
    look 'blue apron'): every later prompt repeats it."""
    if ctx.store.show.bible() is None:
        raise ToolError("there is no show yet: a theme comes first")
    return {"ok": True, **add_to_cast(ctx, CastMember(name=name, kind=kind, look=look))}


@REGISTRY.tool
def add_note(
    ctx: ToolContext,
    text: Annotated[str, Field(min_length=1, max_length=300)],
) -> dict[str, Any]:
    """Record a standing note from the people running the channel (e.g. "more close-ups");
    every later shot list follows it."""
    note = ctx.store.show.add_note(text)
    change = continuity_change(ctx, text)
    if change is None:
        return {"ok": True, "note": note["text"]}
    return {"ok": True, "note": note["text"], "changed": add_to_cast(ctx, change)}


def continuity_change(ctx: ToolContext, text: str) -> CastMember | None:
    """A note that changes how a cast member looks ("make the panda's apron blue from now on")
    is a bible change, so it reaches every later prompt, not only the note list."""
    lowered = text.lower()
    for entity in ctx.store.show.entities():
        names = {entity["name"].lower(), *entity["name"].lower().split()} - {"the", "a"}
        owner = next((n for n in sorted(names, key=len, reverse=True)
                      if re.search(rf"\b{re.escape(n)}\b", lowered)), None)
        if owner is None:
            continue
        colours = changed_colours(lowered.split(owner, 1)[1])
        if colours:
            look = ", ".join(f"{c} {p}" for p, c in colours.items())
            return CastMember(name=entity["name"], kind=entity["kind"], look=look)
    return None


