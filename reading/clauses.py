"""The clauses of a theme after its subject, each read on its own: what the subject wears ("in a
yellow hoodie"), who or what is with it ("and her grey cat", "with a basket"), where it is
("in a busy market"), what it does ("repairs bicycles"), and anything else it names.

Each reader looks at the tokens from where the last one stopped and says what it found and
where the next clause starts (a ``Found``); it changes nothing. The theme's pass
(reading.theme) decides what each finding adds to the reading.
"""

from __future__ import annotations

from dataclasses import dataclass

from webtv.reading import lexicon
from webtv.reading.phrases import (
    Token,
    head_of,
    in_pair,
    is_verb,
    np_end,
    phrase,
    plain,
    text_of,
    timeish,
    weather_word,
)
from webtv.reading.words import is_a, is_latin, noun_kind, word_lists

OF = {"of", "about", "de", "di", "von", "do", "da", "du"}
TOWARDS = {"toward", "towards", "vers", "hacia", "verso"}
# What a noun's kind is in a landscape show: what happens there, or the place itself
SCENERY = {"event": "phenomenon", "weather": "phenomenon", "water": "phenomenon",
           "process": "phenomenon", "place": "place", "time": "time"}
THINGS = frozenset({"vehicle", "object", "plant", "clothing", "material", "body", "food"})


@dataclass(frozen=True)
class Found:
    """What one clause says, and where the next starts (``end``)."""

    end: int
    member: tuple[Token, ...] = ()  # a character's noun phrase: "her grey cat"
    attire: str = ""  # worn by the last character named (by nobody: an object)
    objects: tuple[str, ...] = ()  # things named: "a basket", "waves"
    place: str | None = None  # where it happens, if the clause says
    activity: str = ""  # what the subject does: "floating through a nebula"
    way: str = ""  # where the activity heads: "towards the morning sun"


def subject_start(toks: list[Token]) -> int:
    """Past "The adventures of", "A day in the life of", "A story about"."""
    i, frames = 0, word_lists()["frames"]
    while (head := head_of(toks[i:np_end(toks, i)])) and head.low in frames:
        of = next((k for k in range(i, min(i + 8, len(toks))) if toks[k].low in OF), None)
        if of is None:
            break
        i = of + 1
    return i


def dress(toks: list[Token], i: int) -> Found | None:
    """ "in a yellow hoodie", "wearing a red scarf", "dressed as a pirate": attire."""
    low, w = toks[i].low, word_lists()
    start = i + 1
    if low in w["dress"] and start < len(toks) and toks[start].low in {"as", "in"}:
        start += 1  # "dressed as a pirate"
    end = np_end(toks, start)
    head = head_of(toks[start:end])
    worn = low in w["dress"] or (low in w["withs"] or low in {"in", "en"}) and head \
        and is_a(head.low, "clothing")
    if not worn or head is None:
        return None
    return Found(end, attire=text_of(toks[i:end]))


def companion(toks: list[Token], i: int) -> Found | None:
    """ "and her grey cat", "with a dog": another character; "with a basket": an object."""
    low, w = toks[i].low, word_lists()
    if low not in w["ands"] and low not in w["withs"]:
        return None
    end = np_end(toks, i + 1)
    np, head = toks[i + 1:end], head_of(toks[i + 1:end])
    if head is None:
        return Found(i + 1)
    owned = np[0].low in w["possessives"] and not is_a(head.low, "places")
    if is_a(head.low, "creatures") or owned:
        return Found(end, member=tuple(np))
    if low in w["withs"]:
        return Found(end, objects=(phrase(np),))
    return Found(end)


def setting(toks: list[Token], i: int) -> Found | None:
    """ "in a busy market" is a place; "in a storm", "at night" are weather and time."""
    w = word_lists()
    if toks[i].low not in w["static_prepositions"] | w["motion_prepositions"]:
        return None
    end = np_end(toks, i + 1)
    if end + 1 < len(toks) and toks[end].low in OF and toks[end + 1].text[:1].isupper():
        end = np_end(toks, end + 1)  # "the coast of California"
    head = head_of(toks[i + 1:end])
    place = phrase(toks[i + 1:end]) if head and not timeish(head) and not weather_word(head) \
        else None
    return Found(max(end, i + 1), place=place)


def other(toks: list[Token], i: int) -> Found:
    """Any other noun phrase: an animal is a character, an emoji, a thing or what happens in
    a landscape ("waves" on the coast) an object."""
    end = np_end(toks, i)
    head = head_of(toks[i:end])
    after = max(end, i + 1)
    if head and is_a(head.low, "creatures"):
        return Found(after, member=tuple(toks[i:end]))
    if head and head.emoji:
        return Found(after, objects=(head.text,))
    if head and (SCENERY.get(noun_kind(head.low) or "") == "phenomenon"
                 or noun_kind(head.low) in THINGS):
        return Found(after, objects=(phrase(toks[i:end]),))
    return Found(after)


def activity(toks: list[Token], i: int, place: str | None) -> Found:
    """The verb at i with its objects and where it goes: "floating through a nebula".
    ``place``: the theme's place so far; the found ``place`` is the one after the clause."""
    w, j = word_lists(), i + 1
    objects: list[str] = []
    way = ""
    while j < len(toks) and not toks[j].punct and toks[j].low not in w["relatives"]:
        low = toks[j].low
        if low in w["motion_prepositions"]:
            end = np_end(toks, j + 1)
            head = head_of(toks[j + 1:end])
            if head is None or timeish(head) or weather_word(head):
                break
            if low in TOWARDS:  # "turning towards the sun": a way, not a where
                way = phrase(toks[j + 1:end])
            else:
                place = place or phrase(toks[j + 1:end])
        elif low in w["ands"] and j + 1 < len(toks) and is_verb(toks[j + 1], True):
            end = j + 2  # "repairs bicycles and sells tea"
        elif low in w["static_prepositions"] and _carried(toks, j):
            end = np_end(toks, j + 1)  # "navigating down a river in a small boat"
            objects.append(phrase(toks[j + 1:end]))
        elif low in w["stop"] and low not in w["dets"]:
            break
        else:
            end = np_end(toks, j)
            if end == j:
                break
            place, named = _object(toks[j:end], place)
            objects += named
        j = end
    return Found(j, objects=tuple(objects), place=place, activity=text_of(toks[i:j]), way=way)


def _object(np: list[Token], place: str | None) -> tuple[str | None, list[str]]:
    """What an activity does something to: the place ("crossing a snowy mountain pass") when
    there is none yet, else a noun (not "alive" in "comes alive")."""
    head, said = head_of(np), phrase(np)
    if place is None and head and not head.emoji and is_a(said, "places"):
        return said, []
    if head and (head.emoji or not lexicon.available() or not is_latin(head.low)
                 or lexicon.is_word(head.low, "n")):
        return place, [said]
    return place, []


def _carried(toks: list[Token], j: int) -> bool:
    """Whether the preposition at j opens a vehicle the activity is done in ("in a small
    boat", "on a bicycle"): part of the activity, not the place."""
    end = np_end(toks, j + 1)
    head = head_of(toks[j + 1:end])
    return bool(head) and not head.emoji and noun_kind(head.low) == "vehicle"


def place_anywhere(toks: list[Token]) -> str | None:
    """A place word anywhere ("a lighthouse keeper"), with the words that describe it."""
    for k, tok in enumerate(toks):
        if tok.emoji or not is_a(tok.low, "places") or in_pair(toks, k):
            continue
        start, end = k, k + 1
        while start > 0 and (plain(toks[start - 1]) or is_a(toks[start - 1].low, "places")
                             and not toks[start - 1].emoji):
            start -= 1
        while end < len(toks) and is_a(toks[end].low, "places") and not toks[end].emoji:
            end += 1
        return text_of(toks[start:end])
    return None
