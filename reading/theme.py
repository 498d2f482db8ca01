"""Reading a show's theme without a language model.

The offline director builds its show bible from this reading, so the reading keeps the theme's
own words: a cat astronaut stays a cat astronaut, the storm stays a storm, the busy market stays
busy. It is one left-to-right pass over the theme with word lists (prompts/theme_words.toml)
and, for English, WordNet (reading.lexicon): what each noun is (a person, an animal, a boat, a
coast, the rain), dictionary forms, nouns of two words ("mountain pass", "parking lot"). It
reads the phrasings people type as themes ("a red panda who repairs bicycles in a busy market,
cartoon style"). Emoji are read by their Unicode names. A theme in a script it has no word
lists for (Japanese, Russian, Arabic...) is read by reading.world's glossary, its words kept as
written; a long one (a pasted prompt) by its first sentence. It never makes a character out of
a verb.

Each character has a kind: somebody alive gets a face and hands in the shots, a thing (a paper
boat, a teapot) does not, and a theme that opens with its place ("a coast at sunrise, waves on
the rocks") or an idea ("loneliness in a big city") is a landscape: a show about the place,
with nobody to follow. Otherwise the character is the noun phrase the theme opens with: in
"Waves crashing on a black sand beach" the waves are what the camera follows.

The reading is three parts: the tokens and the tests asked of them (reading.phrases), the
clauses after the subject (reading.clauses), and here the one pass that opens on the subject
and adds what each clause found to the reading.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass, field, replace

from webtv.core.errors import ToolError
from webtv.reading import clauses, world
from webtv.reading.clauses import SCENERY, THINGS, Found
from webtv.reading.phrases import (
    Token,
    head_of,
    in_pair,
    is_modifier,
    is_verb,
    not_a_noun,
    np_end,
    parts,
    phrase,
    take_style,
    text_of,
    timeish,
    tokens,
    weather_noun,
    weather_word,
    weather_words,
    when,
)
from webtv.reading.words import (
    content_words,
    fidelity,
    is_a,
    is_latin,
    noun_kind,
    title_case,
    word_lists,
)

__all__ = ["LIVING", "THINGS", "Character", "Theme", "content_words", "fidelity",
           "read_theme", "weather_noun", "weather_words"]
_ENGLISH_POSSESSIVES = {"her", "his", "their", "its", "my", "our", "your"}


@dataclass(frozen=True)
class Character:
    name: str  # Title Case: "Red Panda", "Grey Cat"
    noun: str  # lower case, the theme's words: "red panda", "cat"
    attributes: list[str]  # what the theme says of it: ["grey"], ["in a yellow hoodie"]
    description: str  # the theme's words, articles kept: "a girl in a yellow hoodie"
    # what it is (LIVING, THINGS or SCENERY): a paper boat has no face, waves have no hands
    kind: str = field(default="being", compare=False)
    gloss: str = field(default="", compare=False)  # the English word, where the theme's is not

    @property
    def living(self) -> bool:
        return self.kind in LIVING


# What a character's head noun may be (reading.lexicon's kinds, folded): living things get
# faces, voices and hands; things move or are moved; scenery is what a landscape show is of.
LIVING = frozenset({"person", "animal", "creature", "machine", "being"})


@dataclass(frozen=True)
class Theme:
    text: str
    characters: list[Character]
    place: str | None
    time: str  # "dawn", "day", "dusk", "evening" or "night"
    weather: str | None
    style: str | None
    activity: str | None
    objects: list[str]
    # the English word for each of the theme's words in another script: {"屋台": "stall"}
    glosses: dict[str, str] = field(default_factory=dict, compare=False)
    # what a long, prompt-like theme says after its first sentence: kept for the look
    details: str = field(default="", compare=False)
    line: str = field(default="", compare=False)  # that theme's first sentence

    @property
    def first_line(self) -> str:
        """The theme, or a long one's first sentence: what a logline can say."""
        return self.line or self.text

    def content_words(self) -> list[str]:
        return content_words(self.text)

    @property
    def landscape(self) -> bool:
        """A theme with nobody and nothing to follow ("a coast at sunrise, waves on rocks"):
        a show about its place."""
        return not any(c.kind in LIVING | THINGS for c in self.characters)


# -- the pass ------------------------------------------------------------------------------
@dataclass
class _Reading:
    """What the pass has found so far; only ``_read`` and ``_add`` change it."""

    cast: list[tuple[list[Token], list[str]]] = field(default_factory=list)  # phrase, attire
    place: str | None = None
    activity: str | None = None
    objects: list[str] = field(default_factory=list)
    way: str = ""  # where the activity heads: "towards the morning sun"
    scenery: bool = False  # the theme opens with its place: "a bamboo forest swaying"


def _read(toks: list[Token]) -> _Reading:
    """One pass: the subject the theme opens with, then each clause after it."""
    reading = _Reading()
    end = _subject(toks, reading)
    w, wants_verb = word_lists(), False
    while end < len(toks):
        tok = toks[end]
        after_creature = end > 0 and is_a(toks[end - 1].low, "creatures")
        if tok.punct:
            end += 1
        elif tok.low in w["dress"]:  # before verbs: "wearing" is attire, not an activity
            end = _add(reading, clauses.dress(toks, end) or Found(end + 1))
        elif tok.low in w["relatives"] or tok.low in w["auxiliaries"]:
            end, wants_verb = end + 1, True
        elif reading.activity is None and (wants_verb and tok.low not in w["stop"]
                                           or is_verb(tok, after_creature)):
            end = _add(reading, clauses.activity(toks, end, reading.place))
        else:
            end = _add(reading, clauses.dress(toks, end) or clauses.companion(toks, end)
                       or clauses.setting(toks, end) or clauses.other(toks, end))
    if reading.place is None:  # not a vehicle the activity uses: "delivers mail by balloon"
        found = clauses.place_anywhere(toks)
        taken = found and (found in reading.way or found.split()[-1] in " ".join(
            reading.objects).split())
        reading.place = None if taken else found
    if len(reading.cast) > 1 and is_a(head_of(reading.cast[0][0]).low, "places"):
        subject = phrase(reading.cast.pop(0)[0])  # "A busy market where a red panda ..."
        reading.place = subject if reading.place in (None, subject) else reading.place
    return reading


def _subject(toks: list[Token], reading: _Reading) -> int:
    """The noun phrase the theme opens with: its character, or its place ("A coast at
    sunrise"), or nobody ("Floating through space"); where the clauses after it start."""
    i = clauses.subject_start(toks)
    end = np_end(toks, i)
    head = head_of(toks[i:end])
    if head is None or timeish(head) or weather_word(head):  # "Floating through space"
        return i  # no subject: its words are read as the rest
    if noun_kind(head.low) == "place" and not head.emoji:
        reading.place, reading.scenery = phrase(toks[i:end]), True
    elif not_a_noun(head):
        return i  # "the slow passing of time": no one to follow
    else:
        reading.cast.append((toks[i:end], []))
    return end


def _add(reading: _Reading, found: Found) -> int:
    """What a clause found, added to the reading: a character, attire on the last one named,
    objects, the place (the first said), the activity and its way."""
    if found.member:
        reading.cast.append((list(found.member), []))
    if found.attire:
        (reading.cast[-1][1] if reading.cast else reading.objects).append(found.attire)
    reading.objects += found.objects
    if found.activity:
        reading.activity, reading.way, reading.place = found.activity, found.way, found.place
    elif found.place is not None and reading.place is None:
        reading.place = found.place
    return found.end


def _character(np: list[Token], attire: list[str]) -> Character:
    w = word_lists()
    words = [t for t in np if t.low not in w["dets"]]
    looks: list[str] = []
    noun: list[Token] = []
    for k, tok in enumerate(words):
        if not noun and is_modifier(tok) and not in_pair(words, k):
            looks.append(tok.low)  # "grey" in "grey cat"; not "red" in "red panda"
        else:
            noun.append(tok)
    described = [t.text for t in np]
    if np[0].low in _ENGLISH_POSSESSIVES and len(np) > 1:  # "her grey cat" is "a grey cat"
        described[0] = "an" if np[1].low[:1] in "aeiou" else "a"
    elif np[0].low in w["dets"] | w["quantities"]:
        described[0] = described[0].lower()
    head = noun[-1].low if noun else ""
    found = "animal" if noun and noun[-1].emoji and is_a(head, "creatures") \
        else noun_kind(" ".join(t.low for t in noun)) or "being"  # "mountain climber"
    return Character(name=title_case(text_of(words)), noun=" ".join(t.low for t in noun),
                     attributes=looks + attire, description=" ".join(described + attire),
                     kind=SCENERY.get(found, found))


# characters: a pasted prompt (the original AI WebTV's ran to 336) is taken; pages are not
THEME_LIMIT = 1000


def checked_theme(text: str) -> str:
    """A theme as a person typed it, tidied; one with no words, or longer than THEME_LIMIT, is
    refused with what to do (it would become a show of nothing, or a logline of pages)."""
    theme = " ".join(text.split())
    if not any(c.isalnum() or unicodedata.category(c) == "So" for c in theme):
        raise ToolError("a theme needs words: what the show is about, e.g. "
                        "\"a lighthouse keeper and her grey cat in a storm\"")
    if len(theme) > THEME_LIMIT:
        raise ToolError(f"a theme is at most {THEME_LIMIT} characters (this one has "
                        f"{len(theme)}): say who, where and the style in a few lines")
    return theme


def read_theme(text: str) -> Theme:
    """What a show's theme is about, in the theme's own words. A long theme (a prompt someone
    pasted: "Aerial footage of a quiet morning at the coast of California, with waves ...
    Film grain, cinematic") is read by its first sentence; the time, weather and style from
    all of it, and the rest is kept as its ``details``."""
    text = text.strip()
    first, details, tags = parts(text)
    theme = _read_line(text, first)
    if first == text:
        return theme
    styles = [p.strip() for s in (theme.style, tags) if s for p in s.split(",")]
    style = ", ".join({p.lower(): p for p in reversed(styles)}.values().__reversed__()) or None
    return replace(theme, style=style, details=details, line=first)


def _read_line(text: str, line: str) -> Theme:
    """A theme read from one line of it (``line``); time and weather from all of ``text``."""
    style, toks = take_style(tokens(line))
    if style is None:
        style, _ = take_style(tokens(text))
    every = tokens(text)
    time = next((time for time in map(when, toks) if time), None) \
        or next((time for time in map(when, every) if time), "day")
    weather = next((found for k, tok in enumerate(every)
                    if (found := weather_word(tok)) and not in_pair(every, k)), None)
    if not any(ch.isalpha() and is_latin(ch) for ch in text) or world.foreign(
            [t.low for t in toks]):
        return _unread(text, toks, time, weather, style)
    reader = _read(toks)
    cast = [_character(np, attire) for np, attire in reader.cast]
    if not cast and (reader.place is None or reader.activity and not reader.objects
                     and not reader.scenery):
        # "Floating through space": somebody must do it, a host the theme describes
        cast = [Character(name="Host", noun="host", attributes=[], description=line)]
    objects = [o for o in dict.fromkeys(reader.objects) if o and o != reader.place]
    return Theme(text, cast, reader.place, time, weather, style, reader.activity, objects)


def _unread(text: str, toks: list[Token], time: str, weather: str | None,
            style: str | None) -> Theme:
    """A theme in a script without the English reader's word lists (Japanese, Russian, Arabic,
    ...): the words reading.world knows (beings, places, things, the time, the weather), each
    kept as the theme writes it. Its beings and emoji animals are the cast, the first described
    by the whole theme; a theme with none is a scene of its own words."""
    found = world.words_in(text)
    beings = [(w.text, w.gloss) for w in found if w.group == "beings"]
    beings += [(t.text, "") for t in toks if t.emoji and is_a(t.low, "creatures")]
    cast = [Character(title_case(said), said.lower(), [], text if k == 0 else said,
                      kind=_kind_of(gloss or said), gloss=gloss)
            for k, (said, gloss) in enumerate(beings)]
    if not cast:  # a scene: the theme's words are what the camera shows
        said = world.first_words(text)
        cast = [Character(title_case(said), said.lower(), [], text, kind="phenomenon")]
    place = next((w.text for w in found if w.group == "places"), None)
    time = next((w.gloss for w in found if w.group == "times"), time)
    weather = weather or next((w.gloss for w in found if w.group == "weather"), None)
    objects = [w.text for w in found if w.group == "objects"]
    objects += [t.text for t in toks if t.emoji and not is_a(t.low, "creatures")]
    glosses = {w.text: w.gloss for w in found if w.group in ("beings", "places", "objects")}
    return Theme(text, cast, place, time, weather, style, None, objects, glosses)


def _kind_of(noun: str) -> str:
    found = "animal" if is_a(noun, "creatures") and noun_kind(noun) is None \
        else noun_kind(noun) or "being"
    return SCENERY.get(found, found)
