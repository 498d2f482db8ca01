"""The words of a text, in any script: how a theme is split into words, which words carry its
content, what kind of word each is (a place, an animal or person, a verb...), and how faithfully
other texts keep a theme's words. The word lists are prompts/theme_words.toml."""

from __future__ import annotations

import re
import tomllib
import unicodedata
from functools import cache

from webtv import prompts
from webtv.reading import lexicon

PUNCT = set(",.;:!?()[]\"“”«»/")
_JOINERS = "'’-"
_SKIP = {"\ufe0e", "\ufe0f", "\u20e3"}  # variation selectors, keycap: part of the emoji before
_ELISION = re.compile(r"^(?:l|d|j|m|n|s|t|c|qu)['’](?=\w)")
_FUNCTION_LISTS = ("articles", "possessives", "relatives", "auxiliaries", "ands", "withs",
                   "static_prepositions", "motion_prepositions")


@cache
def word_lists() -> dict[str, frozenset[str]]:
    raw = tomllib.loads(prompts.text("theme_words.toml"))
    lists = {key: frozenset(word.lower() for word in words) for key, words in raw.items()}
    lists["stop"] = lists["stopwords"].union(*(lists[key] for key in _FUNCTION_LISTS))
    lists["dets"] = lists["articles"] | lists["possessives"]
    lists["verb_forms"] = frozenset(_third_person(verb) for verb in lists["verbs"])
    return lists


def _third_person(verb: str) -> str:
    if verb.endswith("y") and verb[-2:-1] not in set("aeiou"):
        return verb[:-1] + "ies"
    return verb + ("es" if verb.endswith(("s", "sh", "ch", "x", "z", "o")) else "s")


def is_emoji(piece: str) -> bool:
    """One pictograph; not ©, ™ or the letters that make up a flag (which have no name to read)."""
    if len(piece) != 1 or unicodedata.category(piece) != "So":
        return False
    return ord(piece) >= 0x2300 and not 0x1F1E6 <= ord(piece) <= 0x1F1FF  # not flag letters


def emoji_name(emoji: str) -> str:
    """Its Unicode name in lower case; "panda face" reads as "panda", the animal it shows."""
    name = unicodedata.name(emoji, "").lower()
    animal = name.removesuffix(" face")
    return animal if animal != name and is_a(animal, "creatures") else name


def split(text: str) -> list[str]:
    """Words (any script, with inner apostrophes and hyphens), emoji and punctuation marks."""
    pieces, word = [], ""
    for k, ch in enumerate(text):
        if ch in _SKIP:
            continue
        after = text[k + 1:k + 2] or " "
        inner = ch in _JOINERS and word and unicodedata.category(after)[0] in "LN"
        if unicodedata.category(ch)[0] in "LMN" or inner:
            word += ch
            continue
        if word:
            pieces.append(word)
            word = ""
        if is_emoji(ch) or ch in PUNCT:
            pieces.append(ch)
    return pieces + [word] if word else pieces


def lower(piece: str) -> str:
    """Lower case, without a French elision ("l'espace") or an English possessive ("'s")."""
    low = _ELISION.sub("", piece.lower())
    return low.removesuffix("'s").removesuffix("’s")


def _forms(word: str) -> set[str]:
    """The word and the singulars it may be a plural of (fishermen, wolves, puppies, foxes):
    WordNet's for an English noun it knows ("gardener" is no plural of "garden"), else guesses."""
    if is_latin(word) and (base := lexicon.lemma(word, "n")):
        return {word, base}
    forms = {word, word[:-1], word[:-2], word[:-3] + "y", word[:-3] + "f"} if len(word) > 3 \
        else {word}
    return forms | {word[:-3] + "man"} if word.endswith("men") else forms


# The WordNet kinds (reading.lexicon) that count for a word list: a "jellyfish" or a "tram
# driver" is read as a creature though no list names it.
_LEXICON_KINDS = {"creatures": {"person", "animal", "creature", "machine"},
                  "places": {"place"}, "clothing": {"clothing"}}


def is_a(word: str, kind: str) -> bool:
    """Whether a word (or the last word of a name, "steaming bowl") is of a kind: in its word
    list, plurals included (is_a("fishermen", "creatures")), or, for English nouns, of that
    kind by its most common sense in WordNet."""
    last = word.split()[-1] if word.strip() else ""
    if _forms(last) & word_lists()[kind]:
        return True
    return bool(last) and is_latin(last) and _kind(word) in _LEXICON_KINDS.get(kind, ())


def _kind(name: str) -> str | None:
    """WordNet's kind of a name's head: its last two words where WordNet has them as one noun
    ("mountain pass" is a place, a "pass" alone a moment), else its last word."""
    words = name.lower().split()
    if len(words) > 1 and (pair := lexicon.kind(" ".join(words[-2:]))):
        return pair
    return lexicon.kind(words[-1]) if words else None


def noun_kind(word: str) -> str | None:
    """What a name's head noun is (reading.lexicon.kind), with the word lists where WordNet has
    no such noun: "animal" for a listed creature, "place" for a listed place."""
    last = word.split()[-1] if word.strip() else ""
    if not last:
        return None
    found = _kind(word) if is_latin(last) else None
    if found is None and _forms(last) & word_lists()["creatures"]:
        return "animal"
    if found is None and _forms(last) & word_lists()["places"]:
        return "place"
    return found


def is_ing(low: str) -> bool:
    """An -ing word that is no noun: "floating", not "building" or "evening"."""
    return len(low) > 4 and low.endswith("ing") and low not in word_lists()["ing_nouns"] \
        or len(low) > 6 and low.endswith(("ando", "iendo"))  # flotando, corriendo


def title_case(text: str) -> str:
    """ "night-time noodle stand" -> "Night-Time Noodle Stand"; the rest of each word as written."""
    return " ".join("-".join(p[:1].upper() + p[1:] for p in word.split("-"))
                    for word in text.split())


def content_words(text: str) -> list[str]:
    """The lower-case words of a text that carry its content: no stopwords, no punctuation.
    Words of any script are kept; an emoji is a word."""
    stop = word_lists()["stop"]
    words = (lower(piece) for piece in split(text) if piece not in PUNCT)
    return [word for word in words if word and word not in stop]


def is_latin(word: str) -> bool:
    return all(ch in _JOINERS or ch.isdigit() or unicodedata.category(ch)[0] == "M"
               or unicodedata.name(ch, "").startswith("LATIN") for ch in word)


def _stem(word: str) -> str:
    """A crude English stem, the same for "rainy" and "rain", "colourful" and "colorful",
    "bicycles" and "bicycle", "cooking" and "cook"."""
    w = re.sub(r"(?<=\w\w)our", "or", word.lower()).replace("grey", "gray")
    if len(w) > 4 and w.endswith("ies"):
        w = w[:-3] + "y"
    elif len(w) > 4 and w.endswith(("sses", "xes", "ches", "shes", "zes", "oes")):
        w = w[:-2]
    elif len(w) > 3 and w.endswith("s") and not w.endswith(("ss", "us", "is")):
        w = w[:-1]
    for suffix, shortest in (("ing", 6), ("ed", 5), ("y", 5)):
        if len(w) >= shortest and w.endswith(suffix):
            w = w[:-len(suffix)]
            if len(w) > 2 and w[-1] == w[-2] and w[-1] not in "lsz":
                w = w[:-1]  # running -> run, foggy -> fog
            break
    return w[:-1] if len(w) > 4 and w.endswith("e") else w


def fidelity(theme_text: str, texts: list[str]) -> float:
    """The share of the theme's content words that the texts keep (0..1): as written, as a
    simple stem ("stormy" is kept by "storm"), an emoji as itself or by its name."""
    words = list(dict.fromkeys(content_words(theme_text)))
    if not words:
        return 1.0
    joined = " ".join(texts)
    folded = joined.lower()
    known: set[str] = set()
    for piece in split(joined):
        low = lower(piece)
        for word in {low, *low.split("-")}:
            known |= {word, _stem(word)}

    def kept(word: str) -> bool:
        if is_emoji(word):
            names = {unicodedata.name(word, "").lower(), emoji_name(word)} - {""}
            return word in joined or any(
                re.search(rf"(?<!\w){re.escape(name)}(?!\w)", folded) for name in names)
        if not is_latin(word):
            return word in folded  # no word boundaries to go by in CJK, nor stems elsewhere
        # "night-time" is kept by "night time", "noir-style" by "noir"
        parts = [p for p in word.split("-") if p and p not in word_lists()["stop"]]
        return any(all(p in known or _stem(p) in known for p in ps) for ps in ([word], parts))

    return sum(kept(word) for word in words) / len(words)


_REPEATED = re.compile(r"(\b\w[^,;.]*?\s[^,;.]*?)(?:\s+(?:and|with)\s+\1\b)+", re.I)
_CLAUSES = re.compile(r"(,\s*|;\s*|(?<=[.!?])\s+)")
_LEAD = re.compile(r"^(?:and|with|also)\s+", re.I)


def tidy(text: str) -> str:
    """What a small model wrote over and over ("a red apron and a red apron, with a red
    apron, with a red"), said once: a clause already said, or a clause cut short that an
    earlier one says, is left out, and "X and X" becomes X."""
    kept: list[str] = []
    text = re.sub(r"\s*\(\d+ of \d+ shots written\)", "", text)  # the request, copied
    for piece in _CLAUSES.split(text.strip()):
        if not piece.strip() or _CLAUSES.fullmatch(piece):
            continue
        clause = _REPEATED.sub(r"\1", piece.strip())
        key = _LEAD.sub("", clause).rstrip(".!?").strip().lower()
        if key and key in " ".join(kept).lower():
            continue
        kept.append(clause)
    joined = ""
    for clause in kept:
        joined += clause if not joined else (" " if joined.endswith((".", "!", "?"))
                                             else ", ") + clause
    return re.sub(r"(?:[\s,;]+(?:and|with|or|a|an|the|of|in))+[\s,;]*$", "", joined).strip(" ,;")


def tidied(value: object) -> object:
    """tidy() for a pydantic BeforeValidator: strings only."""
    return tidy(value) if isinstance(value, str) else value


def tidied_within(limit: int):
    """tidied(), and cut to ``limit`` characters at its last whole sentence or clause, for a
    pydantic BeforeValidator: a model that pastes a long theme as the logline means it."""
    return lambda value: shorten(tidy(value), limit) if isinstance(value, str) else value


def shorten(text: str, limit: int) -> str:
    """``text`` within ``limit`` characters, cut after its last whole sentence or clause that
    fits (never mid-way: "Its eyes are large and round, with a soft" is no look); a text with
    no such break is cut after its last whole word."""
    if len(text) <= limit:
        return text
    head = text[:limit + 1]
    for mark in (". ", "; ", ", "):
        at = head.rfind(mark)
        if at > limit // 3:
            return head[:at + (1 if mark == ". " else 0)].strip()
    return head.rsplit(" ", 1)[0].rstrip(" ,;")


def with_article(phrase: str) -> str:
    """ "a rooftop garden", "an old harbour", "lavender fields" (a plural takes none)."""
    last = phrase.split()[-1].lower() if phrase.split() else ""
    if last and not is_latin(last):  # "屋台", "рынок": another language's words take none
        return phrase
    base = lexicon.lemma(last, "n") if is_latin(last) else None
    if base and base != last and last.endswith("s"):
        return phrase
    return f"{'an' if phrase[:1].lower() in 'aeiou' else 'a'} {phrase}"


_DANGLING = {"a", "an", "the", "and", "or", "with", "of", "in", "on", "at", "to", "by", "for",
             "from", "its", "his", "her", "their", "is", "are", "has", "very", "so", "but"}


def cut_short(text: str) -> bool:
    """Whether a phrase was cut mid-way: it ends on a word that needs one after it ("with a",
    "the") or on an article and an adjective ("a soft")."""
    words = re.findall(r"[\w'-]+", text.lower())
    if not words or words[-2:] in (["zoom", "in"], ["zoom", "out"]):
        return False
    if words[-1] in _DANGLING:
        return True
    return len(words) >= 2 and words[-2] in ("a", "an", "the") and lexicon.available() \
        and lexicon.is_word(words[-1], "a") and not lexicon.is_word(words[-1], "n")


def whole_clauses(text: str) -> str:
    """``text`` without a last clause cut mid-way ("..., with a soft"): what a length limit
    or a bounded grammar string left of a model's sentence."""
    text = text.strip()
    while cut_short(text):
        at = max(text.rfind(mark) for mark in ",.;:")
        if at <= 0:
            return text
        text = text[:at + (1 if text[at] == "." else 0)].strip()
    return text
