"""The words of a theme in a script the English reader has no word lists for.

Japanese, Chinese and Thai are written without spaces, so a word is found inside the theme
("夜の屋台でラーメンを作る猫" holds 夜, 屋台, ラーメン and 猫); Russian, Greek, Arabic, Hebrew,
Hindi and Korean put spaces between words and change their endings, so a word is found at the
start of one ("кошка", "кошку" and "кошкой" are all "кошк"). The words are those of
prompts/world_words.toml, each under the English word for what it names, so the reader knows a
cat from a stall, and night from rain. Where two words overlap the longer is the one meant
(夜明け is dawn, not night; 風船 a balloon, not the wind).

What it finds is the theme's own words, as written: they are what reach the prompts, because the
open video models read these scripts (Wan's UMT5, LTX-2's and HunyuanVideo's encoders). The
English word rides beside them for a model that reads English alone.
"""

from __future__ import annotations

import tomllib
import unicodedata
from dataclasses import dataclass
from functools import cache

from webtv import prompts
from webtv.reading import lexicon
from webtv.reading.words import word_lists

# Scripts written without spaces between words: a word is looked for inside the text.
_UNSPACED = ("CJK", "HIRAGANA", "KATAKANA", "THAI", "LAO", "KHMER", "MYANMAR")


@dataclass(frozen=True)
class Word:
    text: str  # as the theme writes it: "猫", "кошка"
    gloss: str  # the English word for it: "cat"
    group: str  # "beings", "places", "objects", "times" or "weather"
    at: int  # where it starts in the theme


@cache
def _glossary() -> dict[str, dict[str, tuple[str, ...]]]:
    raw = tomllib.loads(prompts.text("world_words.toml"))
    return {group: {gloss: tuple(words) for gloss, words in entries.items()}
            for group, entries in raw.items()}


def unspaced(text: str) -> bool:
    """Whether text is in a script written without spaces between words."""
    return not text.isascii() and any(unicodedata.name(ch, "").startswith(_UNSPACED) for ch in text)


def words_in(text: str) -> list[Word]:
    """The glossary's words in a theme, in the theme's order; of two that overlap, the longer."""
    found: list[tuple[int, int, Word]] = []  # (start, end, word)
    folded = text.lower()
    for group, entries in _glossary().items():
        for gloss, stems in entries.items():
            for stem in stems:
                found += [(start, end, Word(text[start:end], gloss, group, start))
                          for start, end in _spans(folded, stem.lower())]
    taken: list[tuple[int, int, Word]] = []
    for start, end, word in sorted(found, key=lambda f: (f[0] - f[1], f[0])):
        if all(end <= s or start >= e for s, e, _ in taken):
            taken.append((start, end, word))
    return [word for _, _, word in sorted(taken, key=lambda t: t[0])]


def _spans(folded: str, stem: str) -> list[tuple[int, int]]:
    """Where a word is in the folded theme: anywhere for a word of an unspaced script or of
    two words, else at the start of one of the theme's words, which it may end with a few
    letters more (an inflection; at most one after a stem of three letters or fewer, so
    "кит" is not "китай")."""
    spans = []
    start = folded.find(stem)
    while start >= 0:
        end = start + len(stem)
        if unspaced(stem) or " " in stem:
            spans.append((start, end))
        elif start == 0 or not _letter(folded[start - 1]):
            word_end = end
            while word_end < len(folded) and _letter(folded[word_end]):
                word_end += 1
            if _hangul(stem) and word_end - end <= 4:  # the particles are not the word
                spans.append((start, end))
            elif word_end - end <= (1 if len(stem) <= 3 else 4):
                spans.append((start, word_end))
        start = folded.find(stem, start + 1)
    return spans


def _hangul(text: str) -> bool:
    """Korean: a word takes its particles after it ("해변에서" is "해변" and "에서")."""
    return any(unicodedata.name(ch, "").startswith("HANGUL") for ch in text)


def _letter(ch: str) -> bool:
    return unicodedata.category(ch)[0] in "LM"


def first_words(text: str) -> str:
    """What a theme the glossary finds nothing in is called: its words up to the first
    punctuation, at most three words (or 12 characters of an unspaced script)."""
    head = ""
    for ch in text.strip():
        if unicodedata.category(ch)[0] == "P":
            break
        head += ch
    head = head.strip() or text.strip()
    return head[:12] if unspaced(head) and " " not in head else " ".join(head.split()[:3])


def foreign(words: list[str]) -> bool:
    """Whether a theme in Latin letters is in a language the English reader has no lists for
    (Vietnamese, Turkish, Polish...): fewer than FUNCTION of its words are function words of
    the languages it reads (English, French, Spanish, German, Italian, Portuguese: "un", "et",
    "la" are a fifth of a line or more), and fewer than FOREIGN are English words WordNet
    knows."""
    lists = word_lists()
    letters = [w for w in words if w.isalpha()]
    if not letters or sum(w in lists["stop"] for w in letters) >= FUNCTION * len(letters):
        return False
    known = sum(any(lexicon.is_word(w, pos) for pos in "nvar") for w in letters)
    return lexicon.available() and known < FOREIGN * len(letters)


FOREIGN = 0.4  # the share of English words under which a Latin-letter theme is foreign
FUNCTION = 0.2  # the share of function words from which it is one the reader reads
