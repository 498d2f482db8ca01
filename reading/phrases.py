"""A theme's words as tokens, and the tests the reader asks of them: where a noun phrase ends
and what its head is, whether a word is a verb, a look, a time or the weather, and the style
a theme asks for. Word lists from prompts/theme_words.toml and, for English, WordNet
(reading.lexicon)."""

from __future__ import annotations

import re
from dataclasses import dataclass

from webtv.reading import lexicon
from webtv.reading.words import (
    PUNCT,
    emoji_name,
    is_a,
    is_emoji,
    is_ing,
    is_latin,
    lower,
    split,
    word_lists,
)

TIMES = ("night", "dusk", "evening", "dawn")  # the order the word lists are tried in


@dataclass(frozen=True)
class Token:
    text: str  # as written; an emoji's name
    low: str
    emoji: str = ""

    @property
    def punct(self) -> bool:
        return self.text in PUNCT


def tokens(text: str) -> list[Token]:
    tokens = []
    for piece in split(text):
        if is_emoji(piece):
            name = emoji_name(piece)
            if name:
                tokens.append(Token(name, name, piece))
        else:
            tokens.append(Token(piece, lower(piece)))
    return tokens


def text_of(tokens: list[Token]) -> str:
    return " ".join(t.text for t in tokens)


def not_a_noun(tok: Token) -> bool:
    """An English word WordNet knows, but not as a noun ("slow"): no character."""
    return is_latin(tok.low) and lexicon.available() and not lexicon.is_word(tok.low, "n") \
        and any(lexicon.is_word(tok.low, pos) for pos in ("a", "v"))


def is_modifier(tok: Token) -> bool:
    """A word that describes the noun after it: a look, a count, an -ing ("a dancing bear")."""
    w = word_lists()
    return tok.low in w["looks"] or tok.low in w["quantities"] or is_ing(tok.low)


def is_verb(tok: Token, after_creature: bool) -> bool:
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


def np_end(toks: list[Token], i: int) -> int:
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
                                 or is_verb(tok, is_a(head.low, "creatures"))) \
                and not compound(toks, j):
            break
        j += 1
        if tok.emoji:
            break
        if tok.low not in w["dets"] and not is_modifier(tok):
            head = tok
    return j


def compound(toks: list[Token], j: int) -> bool:
    """Whether toks[j] and the word after it are one noun in WordNet: "parking lot", "swimming
    pool" (an -ing word that is no verb there)."""
    return j + 1 < len(toks) and is_latin(toks[j].low) and lexicon.lemma(
        f"{toks[j].low} {toks[j + 1].low}", "n") is not None


def head_of(np: list[Token]) -> Token | None:
    w = word_lists()
    heads = [t for t in np if t.emoji or t.low not in w["dets"] and not is_modifier(t)]
    return heads[-1] if heads else None


def phrase(np: list[Token]) -> str:
    """A noun phrase as written, without its leading articles: "busy market"."""
    dets, k = word_lists()["dets"], 0
    while k < len(np) and np[k].low in dets:
        k += 1
    return text_of(np[k:])


def when(tok: Token) -> str | None:
    w = word_lists()
    words = {tok.low, *tok.low.replace("-", " ").split()}
    return next((time for time in TIMES if words & w[time]), None)


def timeish(tok: Token) -> bool:
    """A time of day or of year, in the word lists or WordNet ("midday", "summer")."""
    return bool(when(tok)) or is_latin(tok.low) and lexicon.kind(tok.low) == "time"


def weather_word(tok: Token) -> str | None:
    words = [tok.low, *tok.low.replace("-", " ").split()]
    return next((word for word in words if word in word_lists()["weather"]), None)


def take_style(toks: list[Token]) -> tuple[str | None, list[Token]]:
    """The look the theme asks for, as written, and the theme without those words."""
    w = word_lists()
    styles = sorted((tuple(lower(p) for p in split(s)) for s in w["styles"]), key=len,
                    reverse=True)
    lows = [t.low for t in toks]

    def styled(k: int) -> tuple[str | None, list[Token]]:  # toks[k] is "style"
        if lows[k - 1] == "the" and lows[k + 1:k + 2] == ["of"]:  # "in the style of X"
            end = np_end(toks, k + 2)
            start = k - 2 if k > 1 and lows[k - 2] == "in" else k - 1
            return phrase(toks[k + 2:end]) or None, toks[:start] + toks[end:]
        if lows[k].endswith("-style"):
            return toks[k].text[:-6], toks[:k] + toks[k + 1:]
        known = next((s for s in styles if k >= len(s) and tuple(lows[k - len(s):k]) == s), ())
        start = k - len(known)
        while not known and start > max(0, k - 3) and plain(toks[start - 1]):
            start -= 1  # "Wes Anderson style": the words before it, up to three
        return text_of(toks[start:k]) or None, toks[:start] + toks[k + 1:]

    for k, low in enumerate(lows):
        if low == "style" and k > 0 or low.endswith("-style"):
            return styled(k)
    for k in range(len(toks)):
        for style in styles:
            if tuple(lows[k:k + len(style)]) == style:
                return text_of(toks[k:k + len(style)]), toks[:k] + toks[k + len(style):]
    return None, toks


def plain(tok: Token) -> bool:
    """A word that may describe what follows it: not a function word, place, animal or verb."""
    w = word_lists()
    return not (tok.punct or tok.emoji or tok.low in w["stop"] or is_a(tok.low, "places")
                or is_a(tok.low, "creatures") or is_ing(tok.low))


def in_pair(toks: list[Token], k: int) -> bool:
    """Whether toks[k] is half of an animal's name: "sea" in "sea otter"."""
    lows, pairs = [t.low for t in toks], word_lists()["pairs"]
    return " ".join(lows[k:k + 2]) in pairs or k > 0 and " ".join(lows[k - 1:k + 1]) in pairs


def parts(text: str) -> tuple[str, str, str]:
    """(the first sentence, the sentences after it, a closing list of style tags) of a theme
    longer than a line; (the theme, "", "") for one that is a line."""
    sentences = [s for s in _SENTENCE_END.split(text) if s.strip()]
    if len(text) <= LINE or len(sentences) < 2:
        return text, "", ""
    tags = ""
    pieces = [p.strip() for p in sentences[-1].rstrip(".!").split(",")]
    if len(pieces) > 1 and all(0 < len(p.split()) <= 3 for p in pieces):
        tags, sentences = ", ".join(pieces), sentences[:-1]  # "Film grain, cinematic, movie"
    return sentences[0].strip(), " ".join(s.strip() for s in sentences[1:]), tags


LINE = 200  # characters: a longer theme is read by its first sentence
_SENTENCE_END = re.compile(r"(?<=[.!?。！？])\s+|(?<=[。！？])")


def weather_words(theme, place: str = "") -> str:
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
