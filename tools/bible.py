"""The show bible and its continuity: what every shot and every prompt must agree with.

The model describes the show in words ("a grey cat in a yellow raincoat"); the code reads the
colours out of them, keeps them per part, and repeats them in every prompt. Input is taken
leniently where the meaning is clear: colours as "red scarf, cream fur", a map or a list.

It is one module because the tools that write the bible (set_show, update_cast, add_note)
share its reading and merging of colours; apart, the merge rules would sit away from the tools
that apply them.
"""

from __future__ import annotations

import contextlib
import re
from dataclasses import dataclass
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field, model_validator

from webtv.core.errors import ConfigError, ToolError
from webtv.reading.colours import NAMED, to_hex
from webtv.reading.theme import LIVING, THINGS, Theme, read_theme, weather_words
from webtv.reading.words import (
    fidelity,
    noun_kind,
    shorten,
    tidied,
    title_case,
    whole_clauses,
    with_article,
)
from webtv.tools.context import ToolContext
from webtv.tools.registry import REGISTRY

Kind = Literal["character", "place", "prop"]
TimeOfDay = Literal["dawn", "day", "dusk", "evening", "night"]
KINDS = {"character": "character", "person": "character", "animal": "character",
         "place": "location", "location": "location", "setting": "location", "prop": "prop",
         "object": "prop", "item": "prop"}
COLOUR = rf"(?:(?:light|dark|pale|bright|deep) )?(?:{'|'.join(NAMED)}|#[0-9a-f]{{6}})"
# "red scarf", "dark green coat", "red-and-white scarf" (the first colour is kept)
COLOUR_PART = re.compile(rf"\b({COLOUR})(?:(?:-| and |-and-|/){COLOUR})?[- ]+([a-z]+)\b", re.I)
CAST_LIMIT = 6  # characters, places and props of one show
EPISODE_SHOTS = 12  # two shot lists of six: an LLM's call is dear, a whole list is not
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


def _text(value: Any) -> Any:
    """A list of words where one text was meant: join it."""
    return ", ".join(map(str, value)) if isinstance(value, list) else value


class CastMember(BaseModel):
    model_config = ConfigDict(extra="ignore")

    name: Annotated[str, BeforeValidator(tidied), Field(min_length=1, max_length=60)]
    kind: Annotated[Kind, BeforeValidator(
        lambda v: {"location": "place", "setting": "place", "person": "character",
                   "animal": "character", "object": "prop"}.get(str(v).lower(), str(v).lower())
        if v else "character")] = "character"
    # a look a bounded grammar string cut short loses the cut clause ("..., with a soft")
    look: Annotated[str, AfterValidator(whole_clauses), BeforeValidator(tidied),
                    BeforeValidator(_text), Field(
        max_length=300, description="What it is and looks like, with its colours")] = ""

    @model_validator(mode="before")
    @classmethod
    def _aliases(cls, data: Any) -> Any:
        if isinstance(data, str):
            return {"name": data}
        if isinstance(data, dict) and not data.get("look"):
            words = [data.get(k) for k in ("description", "appearance", "wardrobe")
                     if isinstance(data.get(k), str)]
            for key in ("colours", "colors"):
                if isinstance(data.get(key), str):
                    words.append(data[key])
                elif data.get(key):
                    words += [f"{c} {p}" for p, c in colours_in(data[key]).items()]
            return {**data, "look": ", ".join(words)}
        return data


class Episode(BaseModel):
    model_config = ConfigDict(extra="ignore")

    title: Annotated[str, BeforeValidator(tidied), Field(min_length=1, max_length=80)]
    synopsis: Annotated[str, BeforeValidator(tidied), Field(max_length=300)] = ""


def add_to_cast(ctx: ToolContext, member: CastMember) -> dict[str, Any]:
    """Create or update one bible entry from a cast member; colours merge part by part and
    words of the old colour of a changed part are rewritten, so no prompt says both."""
    kind = KINDS[member.kind]
    colours = colours_in(member.look)
    try:
        existing = ctx.store.show.entity(member.name)
    except ToolError:
        existing = None
    description = member.look or None
    if existing is not None:
        if existing["kind"] != kind and member.kind == "character":
            kind = existing["kind"]  # the default kind never turns a place into a character
        if colours and not _only_colours(member.look):
            description = member.look
        elif existing["description"]:
            description = recolour(existing["description"], colours)
    entity = ctx.store.show.upsert_entity(
        kind, member.name, description=description, colours=colours or None,
        wardrobe=recolour(existing["wardrobe"], colours) if existing else None,
        marks=recolour(existing["marks"], colours) if existing else None)
    return {"name": entity["name"], "kind": entity["kind"], "colours": entity["colours"]}


def _only_colours(text: str) -> bool:
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


@REGISTRY.tool
def set_show(
    ctx: ToolContext,
    title: Annotated[str, BeforeValidator(tidied), Field(min_length=1, max_length=80)],
    logline: Annotated[str, BeforeValidator(tidied), Field(
        max_length=300, description="One sentence: who, what, where")],
    cast: Annotated[list[CastMember], Field(
        min_length=1, max_length=CAST_LIMIT,
        description="The characters, the main place and any props")],
    style: Annotated[str, BeforeValidator(tidied), Field(
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
    if not any(m.kind == "place" for m in cast):  # every shot needs a place
        place = read.place or "setting"
        weather = weather_words(read, place)
        name = place.title()
        if name.lower() in {m.name.lower() for m in cast}:  # "the balloon" is a prop already
            name = f"{name} Scene"
        cast = [*cast, CastMember(name=name, kind="place",
                                  look=f"{with_article(place)}{weather}" if read.place
                                  else logline)]
    cast = with_the_themes_words(cast, read)
    if read.style and not _says(style, read.style):
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


def _says(text: str, words: str) -> bool:
    """Every content word of ``words`` is in ``text`` (as written, or by a simple stem)."""
    return fidelity(words, [text]) >= 1.0


def with_the_themes_words(cast: list[CastMember], read: Theme) -> list[CastMember]:
    """The theme's own words reach the screen, whatever the model named the cast: a model that
    calls the cat astronaut "Whiskers" and describes only its fur loses "cat astronaut" from
    every prompt. Each character of the theme goes into the look of the member that is it (by
    its noun), else of the next character the model made, else joins the cast (a cast named in
    the theme is the cast: "panda and black cat" is two, whatever the model made); the
    things the theme names (a small boat) join as props; the theme's place goes into the main
    place's look. Looks that say it already are left as they are."""
    cast = list(cast)
    characters = [i for i, m in enumerate(cast) if m.kind == "character"]
    taken: set[int] = set()
    for who in (c for c in read.characters if c.kind in LIVING | THINGS):
        found = next((i for i in characters if i not in taken
                      and _says(f"{cast[i].name} {cast[i].look}", who.noun)), None)
        if found is None:
            found = next((i for i in characters if i not in taken), None)
        if found is None and len(cast) < CAST_LIMIT:
            cast.append(CastMember(name=who.name[:60], kind="character", look=who.description))
            continue
        if found is None:
            break
        taken.add(found)
        member = cast[found]
        if not _says(f"{member.name} {member.look}", who.description):
            cast[found] = member.model_copy(update={
                "look": shorten(f"{who.description}, {member.look}".strip(", "), 300)})
    said = " ".join(f"{m.name} {m.look}" for m in cast)
    for thing in read.objects:
        if len(cast) < CAST_LIMIT and noun_kind(thing) in THINGS and not _says(said, thing):
            cast.append(CastMember(name=title_case(thing)[:60], kind="prop", look=thing))
    place = next((i for i, m in enumerate(cast) if m.kind == "place"), None)
    if place is not None and read.place:
        where = read.place + weather_words(read, read.place)
        member = cast[place]
        if not _says(f"{member.name} {member.look}", where):
            cast[place] = member.model_copy(update={
                "look": shorten(f"{with_article(where)}, {member.look}".strip(", "), 300)})
    return cast


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
        after = lowered.split(owner, 1)[1]
        parts = re.findall(r"(?:'s|’s)?\s*([a-z]+)\s+(?:to\s+|is\s+|be\s+)?"
                           rf"({'|'.join(NAMED)})\b", after)
        colours = {part: colour for part, colour in parts if part not in NOT_PARTS}
        colours |= colours_in(after)
        if colours:
            look = ", ".join(f"{c} {p}" for p, c in colours.items())
            kind = {"location": "place"}.get(entity["kind"], entity["kind"])
            return CastMember(name=entity["name"], kind=kind, look=look)
    return None


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
    cast = tuple(Named(e["name"], {"location": "place"}.get(e["kind"], e["kind"]),
                       e["description"] or "") for e in ctx.store.show.entities())
    return Brief(title=bible["title"], logline=bible["logline"],
                 style=bible["visual_style"] or "", time=bible.get("time_of_day") or "day",
                 cast=cast, notes=tuple(ctx.store.show.notes()[-5:]),
                 latest=tuple(s["action"] for s in ctx.store.takes.shots(limit=shots)))
