"""Reading a show's theme without a language model.

The offline director builds its show bible from this reading, so the reading keeps the theme's
own words: a cat astronaut stays a cat astronaut, the storm stays a storm, the busy market stays
busy. It is one left-to-right pass over the theme with word lists (prompts/theme_words.toml)
and, for English, WordNet (reading.lexicon): what each noun is (a person, an animal, a boat, a
coast, the rain), dictionary forms, nouns of two words ("mountain pass", "parking lot"). It
reads the phrasings people type as themes ("a red panda who repairs bicycles in a busy market,
cartoon style"). Emoji are read by their Unicode names. A theme it cannot read (a script it has
no word lists for) gets a neutral host whose description is the theme itself, so the theme's
words still reach the bible; it never makes a character out of a verb.

Each character has a kind: somebody alive gets a face and hands in the shots, a thing (a paper
boat, a teapot) does not, and a theme that opens with its place ("a coast at sunrise, waves on
the rocks") or an idea ("loneliness in a big city") is a landscape: a show about the place,
with nobody to follow. Otherwise the character is the noun phrase the theme opens with: in
"Waves crashing on a black sand beach" the waves are what the camera follows.

It is one module because the reading is one pass: the token type, the word tests and the
reader's rules are read together; a rule set apart from the tokens it looks at would be
harder to follow than a long file.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass, field

from webtv.core.errors import ToolError
from webtv.reading import lexicon
from webtv.reading.words import (
    PUNCT,
    content_words,
    emoji_name,
    fidelity,
    is_a,
    is_emoji,
    is_ing,
    is_latin,
    lower,
    noun_kind,
    split,
    title_case,
    word_lists,
)

__all__ = ["Character", "Theme", "content_words", "fidelity", "read_theme"]
TIMES = ("night", "dusk", "evening", "dawn")  # the order the word lists are tried in
_OF = {"of", "about", "de", "di", "von", "do", "da", "du"}
_TOWARDS = {"toward", "towards", "vers", "hacia", "verso"}
_ENGLISH_POSSESSIVES = {"her", "his", "their", "its", "my", "our", "your"}


@dataclass(frozen=True)
class Character:
    name: str  # Title Case: "Red Panda", "Grey Cat"
    noun: str  # lower case, the theme's words: "red panda", "cat"
    attributes: list[str]  # what the theme says of it: ["grey"], ["in a yellow hoodie"]
    description: str  # the theme's words, articles kept: "a girl in a yellow hoodie"
    # what it is (LIVING, THINGS or SCENERY): a paper boat has no face, waves have no hands
    kind: str = field(default="being", compare=False)

    @property
    def living(self) -> bool:
        return self.kind in LIVING


# What a character's head noun may be (reading.lexicon's kinds, folded): living things get
# faces, voices and hands; things move or are moved; scenery is what a landscape show is of.
LIVING = frozenset({"person", "animal", "creature", "machine", "being"})
THINGS = frozenset({"vehicle", "object", "plant", "clothing", "material", "body", "food"})
_SCENERY = {"event": "phenomenon", "weather": "phenomenon", "water": "phenomenon",
            "process": "phenomenon", "place": "place", "time": "time"}


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

    def content_words(self) -> list[str]:
        return content_words(self.text)

    @property
    def landscape(self) -> bool:
        """A theme with nobody and nothing to follow ("a coast at sunrise, waves on rocks"):
        a show about its place."""
        return not any(c.kind in LIVING | THINGS for c in self.characters)


# -- reading -------------------------------------------------------------------------------
@dataclass(frozen=True)
class _Token:
    text: str  # as written; an emoji's name
    low: str
    emoji: str = ""

    @property
    def punct(self) -> bool:
        return self.text in PUNCT


def _tokens(text: str) -> list[_Token]:
    tokens = []
    for piece in split(text):
        if is_emoji(piece):
            name = emoji_name(piece)
            if name:
                tokens.append(_Token(name, name, piece))
        else:
            tokens.append(_Token(piece, lower(piece)))
    return tokens


def _text(tokens: list[_Token]) -> str:
    return " ".join(t.text for t in tokens)


def _not_a_noun(tok: _Token) -> bool:
    """An English word WordNet knows, but not as a noun ("slow"): no character."""
    return is_latin(tok.low) and lexicon.available() and not lexicon.is_word(tok.low, "n") \
        and any(lexicon.is_word(tok.low, pos) for pos in ("a", "v"))


def _is_modifier(tok: _Token) -> bool:
    """A word that describes the noun after it: a look, a count, an -ing ("a dancing bear")."""
    w = word_lists()
    return tok.low in w["looks"] or tok.low in w["quantities"] or is_ing(tok.low)


def _is_verb(tok: _Token, after_creature: bool) -> bool:
    """Whether a word after a noun is the verb that ends its noun phrase. A verb that is also a
    noun ("guards", "cook") counts only after an animal or a person ("a panda cooks")."""
    w, low = word_lists(), tok.low
    if tok.emoji or tok.punct or low in w["stop"] or is_a(low, "places"):
        return False
    if is_ing(low) or low.endswith("ing") and lexicon.lemma(low, "v") not in (None, low):
        return True  # after a noun, "crossing" is what it does ("a train crossing a pass")
    if low.endswith("ly") and lexicon.is_word(low, "r"):
        return True  # "a station slowly swallowed by vines": the adverb opens what it does
    noun = is_a(low, "creatures")
    if low in w["verb_forms"] and (after_creature or not noun):
        return True
    ends_like_verb = low.endswith("s") and not low.endswith(("ss", "us", "is")) and low.isascii()
    return after_creature and not noun and (low in w["verbs"] or ends_like_verb and len(low) > 3)


def _np_end(toks: list[_Token], i: int) -> int:
    """Where the noun phrase that starts at i ends: at punctuation, a function word, a verb
    after its head, or after an emoji (an emoji is a noun phrase of its own)."""
    w, head, j = word_lists(), None, i
    while j < len(toks):
        tok = toks[j]
        if head is None and tok.low in w["ands"] and j > i and toks[j - 1].low in w["looks"] \
                and j + 1 < len(toks) and toks[j + 1].low in w["looks"]:
            j += 1  # "a red and orange canyon": one noun phrase
            continue
        if tok.punct or (tok.low in w["stop"] and tok.low not in w["dets"]):
            break
        if head is not None and (tok.emoji or tok.low in w["dress"]
                                 or _is_verb(tok, is_a(head.low, "creatures"))) \
                and not _compound(toks, j):
            break
        j += 1
        if tok.emoji:
            break
        if tok.low not in w["dets"] and not _is_modifier(tok):
            head = tok
    return j


def _compound(toks: list[_Token], j: int) -> bool:
    """Whether toks[j] and the word after it are one noun in WordNet: "parking lot", "swimming
    pool" (an -ing word that is no verb there)."""
    return j + 1 < len(toks) and is_latin(toks[j].low) and lexicon.lemma(
        f"{toks[j].low} {toks[j + 1].low}", "n") is not None


def _head(np: list[_Token]) -> _Token | None:
    w = word_lists()
    heads = [t for t in np if t.emoji or t.low not in w["dets"] and not _is_modifier(t)]
    return heads[-1] if heads else None


def _phrase(np: list[_Token]) -> str:
    """A noun phrase as written, without its leading articles: "busy market"."""
    dets, k = word_lists()["dets"], 0
    while k < len(np) and np[k].low in dets:
        k += 1
    return _text(np[k:])


def _when(tok: _Token) -> str | None:
    w = word_lists()
    words = {tok.low, *tok.low.replace("-", " ").split()}
    return next((time for time in TIMES if words & w[time]), None)


def _timeish(tok: _Token) -> bool:
    """A time of day or of year, in the word lists or WordNet ("midday", "summer")."""
    return bool(_when(tok)) or is_latin(tok.low) and lexicon.kind(tok.low) == "time"


def _weather(tok: _Token) -> str | None:
    words = [tok.low, *tok.low.replace("-", " ").split()]
    return next((word for word in words if word in word_lists()["weather"]), None)


def _take_style(toks: list[_Token]) -> tuple[str | None, list[_Token]]:
    """The look the theme asks for, as written, and the theme without those words."""
    w = word_lists()
    styles = sorted((tuple(lower(p) for p in split(s)) for s in w["styles"]), key=len,
                    reverse=True)
    lows = [t.low for t in toks]

    def styled(k: int) -> tuple[str | None, list[_Token]]:  # toks[k] is "style"
        if lows[k - 1] == "the" and lows[k + 1:k + 2] == ["of"]:  # "in the style of X"
            end = _np_end(toks, k + 2)
            start = k - 2 if k > 1 and lows[k - 2] == "in" else k - 1
            return _phrase(toks[k + 2:end]) or None, toks[:start] + toks[end:]
        if lows[k].endswith("-style"):
            return toks[k].text[:-6], toks[:k] + toks[k + 1:]
        known = next((s for s in styles if k >= len(s) and tuple(lows[k - len(s):k]) == s), ())
        start = k - len(known)
        while not known and start > max(0, k - 3) and _plain(toks[start - 1]):
            start -= 1  # "Wes Anderson style": the words before it, up to three
        return _text(toks[start:k]) or None, toks[:start] + toks[k + 1:]

    for k, low in enumerate(lows):
        if low == "style" and k > 0 or low.endswith("-style"):
            return styled(k)
    for k in range(len(toks)):
        for style in styles:
            if tuple(lows[k:k + len(style)]) == style:
                return _text(toks[k:k + len(style)]), toks[:k] + toks[k + len(style):]
    return None, toks


def _plain(tok: _Token) -> bool:
    """A word that may describe what follows it: not a function word, place, animal or verb."""
    w = word_lists()
    return not (tok.punct or tok.emoji or tok.low in w["stop"] or is_a(tok.low, "places")
                or is_a(tok.low, "creatures") or is_ing(tok.low))


class _Reader:
    """One pass over the theme: who, what they do, where, and what else is named."""

    def __init__(self, toks: list[_Token]) -> None:
        self.toks, self.w = toks, word_lists()
        self.cast: list[tuple[list[_Token], list[str]]] = []  # noun phrase, attire
        self.place: str | None = None
        self.activity: str | None = None
        self.objects: list[str] = []
        self.way = ""  # where the activity heads: "towards the morning sun"
        self.scenery = False  # the theme opens with its place: "a bamboo forest swaying"

    def read(self) -> None:
        i = self._subject_start()
        end = _np_end(self.toks, i)
        head = _head(self.toks[i:end])
        if head is None or _timeish(head) or _weather(head):  # "Floating through space"
            end = i  # no subject: its words are read as the rest
        elif noun_kind(head.low) == "place" and not head.emoji:
            self.place = _phrase(self.toks[i:end])  # "A coast at sunrise": the show's place
            self.scenery = True
        elif _not_a_noun(head):
            end = i  # "the slow passing of time": no one to follow
        else:
            self.cast.append((self.toks[i:end], []))
        self._rest(end)
        if self.place is None:
            found = self._place_anywhere()
            self.place = None if found and found in self.way else found
        if len(self.cast) > 1 and is_a(_head(self.cast[0][0]).low, "places"):
            subject = _phrase(self.cast.pop(0)[0])  # "A busy market where a red panda ..."
            self.place = subject if self.place in (None, subject) else self.place

    def _subject_start(self) -> int:
        """Past "The adventures of", "A day in the life of", "A story about"."""
        i, toks = 0, self.toks
        while (head := _head(toks[i:_np_end(toks, i)])) and head.low in self.w["frames"]:
            of = next((k for k in range(i, min(i + 8, len(toks))) if toks[k].low in _OF), None)
            if of is None:
                break
            i = of + 1
        return i

    def _rest(self, i: int) -> None:
        toks, w, wants_verb = self.toks, self.w, False
        while i < len(toks):
            tok = toks[i]
            after_creature = i > 0 and is_a(toks[i - 1].low, "creatures")
            if tok.punct:
                i += 1
            elif tok.low in w["dress"]:  # before verbs: "wearing" is attire, not an activity
                i = self._dress(i) or i + 1
            elif tok.low in w["relatives"] or tok.low in w["auxiliaries"]:
                i, wants_verb = i + 1, True
            elif self.activity is None and (wants_verb and tok.low not in w["stop"]
                                            or _is_verb(tok, after_creature)):
                i = self._activity(i)
            else:
                i = self._dress(i) or self._companion(i) or self._setting(i) or self._other(i)

    def _dress(self, i: int) -> int | None:
        """ "in a yellow hoodie", "wearing a red scarf": the attire of the last character."""
        low, w = self.toks[i].low, self.w
        start = i + 1
        if low in w["dress"] and start < len(self.toks) and self.toks[start].low in {"as", "in"}:
            start += 1  # "dressed as a pirate"
        end = _np_end(self.toks, start)
        head = _head(self.toks[start:end])
        worn = low in w["dress"] or (low in w["withs"] or low in {"in", "en"}) and head \
            and is_a(head.low, "clothing")
        if not worn or head is None:
            return None
        attire = _text(self.toks[i:end])
        if self.cast:
            self.cast[-1][1].append(attire)
        else:
            self.objects.append(attire)
        return end

    def _companion(self, i: int) -> int | None:
        """ "and her grey cat", "with a dog": another character; "with a basket": an object."""
        low, w = self.toks[i].low, self.w
        if low not in w["ands"] and low not in w["withs"]:
            return None
        end = _np_end(self.toks, i + 1)
        np, head = self.toks[i + 1:end], _head(self.toks[i + 1:end])
        if head is None:
            return i + 1
        owned = np[0].low in w["possessives"] and not is_a(head.low, "places")
        if is_a(head.low, "creatures") or owned:
            self.cast.append((np, []))
        elif low in w["withs"]:
            self.objects.append(_phrase(np))
        return end

    def _setting(self, i: int) -> int | None:
        """ "in a busy market" is the place; "in a storm", "at night" are weather and time."""
        w = self.w
        if self.toks[i].low not in w["static_prepositions"] | w["motion_prepositions"]:
            return None
        end = _np_end(self.toks, i + 1)
        head = _head(self.toks[i + 1:end])
        if head and not _timeish(head) and not _weather(head) and self.place is None:
            self.place = _phrase(self.toks[i + 1:end])
        return max(end, i + 1)

    def _other(self, i: int) -> int:
        end = _np_end(self.toks, i)
        head = _head(self.toks[i:end])
        if head and is_a(head.low, "creatures"):
            self.cast.append((self.toks[i:end], []))
        elif head and head.emoji:
            self.objects.append(head.text)
        elif head and _SCENERY.get(noun_kind(head.low) or "") == "phenomenon" \
                or head and noun_kind(head.low) in THINGS:
            self.objects.append(_phrase(self.toks[i:end]))  # "waves" on the coast
        return max(end, i + 1)

    def _activity(self, i: int) -> int:
        """The verb at i with its objects and where it goes: "floating through a nebula"."""
        toks, w, j = self.toks, self.w, i + 1
        while j < len(toks) and not toks[j].punct and toks[j].low not in w["relatives"]:
            low = toks[j].low
            if low in w["motion_prepositions"]:
                end = _np_end(toks, j + 1)
                head = _head(toks[j + 1:end])
                if head is None or _timeish(head) or _weather(head):
                    break
                if low in _TOWARDS:  # "turning towards the sun": a way, not a where
                    self.way = _phrase(toks[j + 1:end])
                else:
                    self.place = self.place or _phrase(toks[j + 1:end])
            elif low in w["ands"] and j + 1 < len(toks) and _is_verb(toks[j + 1], True):
                end = j + 2  # "repairs bicycles and sells tea"
            elif low in w["static_prepositions"] and self._carried(j):
                end = _np_end(toks, j + 1)  # "navigating down a river in a small boat"
                self.objects.append(_phrase(toks[j + 1:end]))
            elif low in w["stop"] and low not in w["dets"]:
                break
            else:
                end = _np_end(toks, j)
                if end == j:
                    break
                head = _head(toks[j:end])
                phrase = _phrase(toks[j:end])
                if self.place is None and head and not head.emoji and is_a(phrase, "places"):
                    self.place = phrase  # "crossing a snowy mountain pass"
                elif head and (head.emoji or not lexicon.available() or not is_latin(head.low)
                               or lexicon.is_word(head.low, "n")):
                    self.objects.append(phrase)  # a noun: not "alive" in "comes alive"
            j = end
        self.activity = _text(toks[i:j])
        return j

    def _carried(self, j: int) -> bool:
        """Whether the preposition at j opens a vehicle the activity is done in ("in a small
        boat", "on a bicycle"): part of the activity, not the place."""
        end = _np_end(self.toks, j + 1)
        head = _head(self.toks[j + 1:end])
        return bool(head) and not head.emoji and noun_kind(head.low) == "vehicle"

    def _place_anywhere(self) -> str | None:
        """A place word anywhere ("a lighthouse keeper"), with the words that describe it."""
        toks = self.toks
        for k, tok in enumerate(toks):
            if tok.emoji or not is_a(tok.low, "places") or _in_pair(toks, k):
                continue
            start, end = k, k + 1
            while start > 0 and (_plain(toks[start - 1]) or is_a(toks[start - 1].low, "places")
                                 and not toks[start - 1].emoji):
                start -= 1
            while end < len(toks) and is_a(toks[end].low, "places") and not toks[end].emoji:
                end += 1
            return _text(toks[start:end])
        return None


def _in_pair(toks: list[_Token], k: int) -> bool:
    """Whether toks[k] is half of an animal's name: "sea" in "sea otter"."""
    lows, pairs = [t.low for t in toks], word_lists()["pairs"]
    return " ".join(lows[k:k + 2]) in pairs or k > 0 and " ".join(lows[k - 1:k + 1]) in pairs


def _character(np: list[_Token], attire: list[str]) -> Character:
    w = word_lists()
    words = [t for t in np if t.low not in w["dets"]]
    looks: list[str] = []
    noun: list[_Token] = []
    for k, tok in enumerate(words):
        if not noun and _is_modifier(tok) and not _in_pair(words, k):
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
    return Character(name=title_case(_text(words)), noun=" ".join(t.low for t in noun),
                     attributes=looks + attire, description=" ".join(described + attire),
                     kind=_SCENERY.get(found, found))


def weather_words(theme: Theme, place: str = "") -> str:
    """ " in the rain" for a theme's weather, as a noun ("rainy" -> "rain"); "" where there is
    none or ``place`` says it already ("a rainy harbour" is not "in the rain" again)."""
    if not theme.weather:
        return ""
    noun = weather_noun(theme.weather)
    said = {lower(w) for w in split(place)}
    if said & {theme.weather.lower(), noun}:
        return ""
    return f" in the {noun}"


def weather_noun(word: str) -> str:
    """The weather a word names, as a noun: "rainy" -> "rain", "foggy" -> "fog", "hazy" ->
    "haze", "snowing" -> "snow"; the word itself where WordNet has no such noun."""
    low = word.lower()
    if low.endswith("ing"):
        stems = [low[:-3], low[:-4]]
    elif low.endswith("y"):
        stems = [low[:-1], low[:-1] + "e", low[:-2]]
    else:
        return low
    return next((stem for stem in stems if len(stem) > 2 and lexicon.lemma(stem, "n") == stem),
                low)


def _host(text: str) -> Character:
    """A neutral character for a theme without one: the theme itself describes it."""
    return Character(name="Host", noun="host", attributes=[], description=text)


THEME_LIMIT = 300  # characters: a theme is a line, not a script


def checked_theme(text: str) -> str:
    """A theme as a person typed it, tidied; one with no words, or longer than THEME_LIMIT, is
    refused with what to do (it would become a show of nothing, or a logline of pages)."""
    theme = " ".join(text.split())
    if not any(c.isalnum() or unicodedata.category(c) == "So" for c in theme):
        raise ToolError("a theme needs words: what the show is about, e.g. "
                        "\"a lighthouse keeper and her grey cat in a storm\"")
    if len(theme) > THEME_LIMIT:
        raise ToolError(f"a theme is at most {THEME_LIMIT} characters (this one has "
                        f"{len(theme)}): say who, where and the style in a line")
    return theme


def read_theme(text: str) -> Theme:
    """What a show's theme is about, in the theme's own words."""
    text = text.strip()
    style, toks = _take_style(_tokens(text))
    time = next((time for time in map(_when, toks) if time), "day")
    weather = next((found for k, tok in enumerate(toks)
                    if (found := _weather(tok)) and not _in_pair(toks, k)), None)
    if not any(ch.isalpha() and is_latin(ch) for ch in text):
        return _unread(text, toks, time, weather, style)
    reader = _Reader(toks)
    reader.read()
    cast = [_character(np, attire) for np, attire in reader.cast]
    if not cast and (reader.place is None or reader.activity and not reader.objects
                     and not reader.scenery):
        cast = [_host(text)]  # "Floating through space": somebody must do it
    objects = [o for o in dict.fromkeys(reader.objects) if o and o != reader.place]
    return Theme(text, cast, reader.place, time, weather, style, reader.activity, objects)


def _unread(text: str, toks: list[_Token], time: str, weather: str | None,
            style: str | None) -> Theme:
    """A theme in a script without word lists (Arabic, CJK, ...): its emoji animals and people
    are the characters, described by the theme itself; without any, a host is."""
    animals = [t for t in toks if t.emoji and is_a(t.low, "creatures")]
    cast = [Character(title_case(t.text), t.low, [], text if k == 0 else t.text)
            for k, t in enumerate(animals)] or [_host(text)]
    objects = [t.text for t in toks if t.emoji and t not in animals]
    return Theme(text, cast, None, time, weather, style, None, objects)
