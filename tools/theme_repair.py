"""The theme's own words, put back where a model's show lost them: a model that calls the cat
astronaut "Whiskers" and describes only its fur loses "cat astronaut" from every prompt."""

from __future__ import annotations

from webtv.reading.theme import LIVING, THINGS, Theme, weather_words
from webtv.reading.words import fidelity, noun_kind, shorten, title_case, with_article
from webtv.tools.cast import CAST_LIMIT, CastMember


def says(text: str, words: str) -> bool:
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
                      and says(f"{cast[i].name} {cast[i].look}", who.noun)), None)
        if found is None:
            found = next((i for i in characters if i not in taken), None)
        if found is None and len(cast) < CAST_LIMIT:
            cast.append(CastMember(name=who.name[:60], kind="character", look=who.description))
            continue
        if found is None:
            break
        taken.add(found)
        member = cast[found]
        if not says(f"{member.name} {member.look}", who.description):
            cast[found] = member.model_copy(update={
                "look": shorten(f"{who.description}, {member.look}".strip(", "), 300)})
    said = " ".join(f"{m.name} {m.look}" for m in cast)
    for thing in read.objects:
        if len(cast) < CAST_LIMIT and noun_kind(thing) in THINGS and not says(said, thing):
            cast.append(CastMember(name=title_case(thing)[:60], kind="prop", look=thing))
    place = next((i for i, m in enumerate(cast) if m.kind == "place"), None)
    if place is not None and read.place:
        where = read.place + weather_words(read, read.place)
        member = cast[place]
        if not says(f"{member.name} {member.look}", where):
            cast[place] = member.model_copy(update={
                "look": shorten(f"{with_article(where)}, {member.look}".strip(", "), 300)})
    return cast


def with_a_place(cast: list[CastMember], read: Theme, logline: str) -> list[CastMember]:
    """Every shot needs a place: a cast without one gets the theme's (with its weather), else
    a setting described by the logline."""
    if any(m.kind == "place" for m in cast):
        return cast
    place = read.place or "setting"
    name = place.title()
    if name.lower() in {m.name.lower() for m in cast}:  # "the balloon" is a prop already
        name = f"{name} Scene"
    look = f"{with_article(place)}{weather_words(read, place)}" if read.place else logline
    return [*cast, CastMember(name=name, kind="place", look=look)]
