"""The prompt composer: one model prompt from a shot, its bible entries and the show's style.

Continuity details come first (models weigh the start of a prompt most), then action, camera and
motion with explicit directions, then style. Words the models burn into the picture or turn into
objects (prompts/avoid_words.txt) are removed. The same prompt goes to generation and upscaling.
"""

from __future__ import annotations

import functools
import re
from typing import Any

from webtv import prompts
from webtv.production.backends.base import ShotSpec
from webtv.reading.colours import to_hex
from webtv.reading.words import cut_short
from webtv.reading.world import unspaced

# Zeroscope's text encoder is CLIP's: 77 tokens, two of them the start and end markers. Counted
# with instant-clip-tokenizer, a port of OpenAI CLIP's BPE tokenizer that ships its vocabulary.
TOKEN_BUDGET = 75


@functools.cache
def _tokenizer():
    import instant_clip_tokenizer

    return instant_clip_tokenizer.Tokenizer()


def clip_tokens(text: str) -> int:
    """CLIP BPE tokens in ``text`` (without the start and end markers)."""
    return len(_tokenizer().encode(text))

CAMERA_WORDS = {
    ("pan", "left"): "camera pans left", ("pan", "right"): "camera pans right",
    ("tilt", "up"): "camera tilts up", ("tilt", "down"): "camera tilts down",
    ("zoom", "in"): "slow zoom in", ("zoom", "out"): "slow zoom out",
}
SUBJECT_WORDS = {
    "left": "to the left", "right": "to the right", "up": "upward", "down": "downward",
    "toward": "toward the camera", "away": "away from the camera",
}


def describe(entity: dict[str, Any], details: int = 3) -> str:
    """An entity as a prompt says it: who or what it is, then up to ``details`` short visual
    attributes ("a small fox (orange fur, green scarf)"): its colours, then the short phrases of
    its description, wardrobe and marks, each said once. What a model wrote as sentences ("The
    panda is a fluffy white bear with a red nose. It has ...") stays in the bible; the prompt
    takes its phrases ("panda (fluffy white bear, red nose)"), never a sentence cut short."""
    subject, attributes = look(entity)
    return f"{subject} ({', '.join(attributes[:details])})" if details and attributes \
        else subject


_CLAUSE = re.compile(r"[.;,:!?()]+|\s+(?:with|wearing)\s+|\s+in\s+(?=(?:a|an|the|his|her|its|"
                     r"their)\s)", re.I)
_SENTENCE = re.compile(r"\b(?:is|are|was|were|has|have|had|looks?|seems?|that|which|who|"
                       r"like)\b", re.I)
_LEAD = re.compile(r"^(?:(?:it|he|she|they|its|his|her|their|this)\s+(?:is|are|has|have)\s+)",
                   re.I)
_ARTICLE = re.compile(r"^(?:a|an|the)\s+", re.I)
LOOK_WORDS = 6  # the longest phrase a look keeps: a phrase, not a sentence


def look(entity: dict[str, Any]) -> tuple[str, list[str]]:
    """(who or what it is, its short visual attributes), from the bible's words."""
    name = entity["name"]
    text = " ".join((entity["description"] or "").split())
    phrases = []
    for sentence in re.split(r"(?<=[.!?;])\s+", text):
        names_it = re.match(rf"^(?:(?:the|a|an)\s+)?{re.escape(name)}\s+(?:is|are|has|have)\s+",
                            sentence, re.I)
        sentence = sentence[names_it.end():] if names_it else _LEAD.sub("", sentence)
        for piece in (p for clause in _CLAUSE.split(sentence) for p in _ands(clause)):
            piece = piece.strip(" -")
            if 2 <= len(piece.split()) <= LOOK_WORDS and not _SENTENCE.search(piece) \
                    and not cut_short(piece) or _their_own(piece, name):
                phrases.append(piece)  # a phrase: "red nose", not "round"
    said = _said(name, text)
    if phrases and not said or phrases and (_words(name) & _words(phrases[0])
                                            or _their_own(phrases[0], name)):
        subject, phrases = phrases[0], phrases[1:]  # "a small fox": the bible's own words
        if not _words(name) & _words(subject) and said and not _said(name, subject):
            subject = f"{said.group(0)}, {_ARTICLE.sub('', subject)}"
    else:
        subject = said.group(0) if said else name
    colours = [f"{colour} {part}" for part, colour in (entity["colours"] or {}).items()]
    extras = [e for e in (entity.get("wardrobe"), entity.get("marks")) if e]
    attributes: list[str] = []
    seen = _words(subject)
    for phrase in [*colours, *phrases, *extras]:
        phrase = _ARTICLE.sub("", phrase.strip())
        words = _words(phrase)
        if words and not words <= seen and len(phrase.split()) <= LOOK_WORDS + 2:
            attributes.append(phrase)
            seen |= words
    return subject, attributes


def _their_own(piece: str, name: str) -> bool:
    """A theme's own words in another language ("夜の屋台でラーメンを作る猫", "con mèo nấu mì"):
    kept whole where they name the entity (or are one word of an unspaced script), up to a
    line: the English rules of a phrase do not apply to them."""
    if not piece or len(piece) > 200:
        return False
    if not any(ch.isascii() and ch.isalpha() for ch in piece):
        return name.lower() in piece.lower() or unspaced(piece) and " " not in piece
    # a theme in Latin letters the reader kept whole ("con mèo nấu mì trong quầy hàng đêm"):
    # it names the entity and reads as no English sentence
    return name.lower() in piece.lower().split() and len(piece.split()) <= 16 \
        and not _SENTENCE.search(piece) and not re.match(r"(?i)(?:a|an|the)\s", piece)


def _said(name: str, text: str) -> re.Match | None:
    """Where the description names the entity: as a word, or, in an unspaced script, anywhere."""
    # a script with combining marks (Devanagari) has no word boundaries regexes know
    pattern = re.escape(name) if not name.isascii() else rf"\b{re.escape(name)}\b"
    return re.search(pattern, text, re.I)


def _ands(clause: str) -> list[str]:
    """ "a red nose and black ears" is two phrases; "brown and white fur" is one."""
    from webtv.reading.colours import name_in

    pieces = re.split(r"\s+and\s+", clause)
    joined = [pieces[0]]
    for piece in pieces[1:]:
        if name_in(joined[-1].split()[-1] if joined[-1].split() else "") or \
                len(joined[-1].split()) < 2:
            joined[-1] = f"{joined[-1]} and {piece}"
        else:
            joined.append(piece)
    return joined


def _words(text: str) -> set[str]:
    return set(re.findall(r"[\w'-]+", text.lower())) - {"a", "an", "the", "its", "his", "her",
                                                        "their", "and", "with", "of", "in"}


def strip_avoided(text: str) -> str:
    before = text
    for phrase in sorted(prompts.word_list("avoid_words.txt"), key=len, reverse=True):
        text = re.sub(rf"(?i)\b{re.escape(phrase)}\b", "", text)
    if text == before:
        return text
    text = re.sub(r"\s+([,.;)])", r"\1", re.sub(r"\s{2,}", " ", text))
    text = re.sub(r"(,\s*){2,}", ", ", text).strip(" ,")
    # "shot on Canon EOS in IMAX" leaves "shot on in": drop the words left dangling
    return re.sub(r"(\s+\b(?:in|on|with|by|shot|using|at)\b)+\s*$", "", text, flags=re.I)


def compose(shot: dict[str, Any], entities: dict[str, dict[str, Any]],
            bible: dict[str, Any], emphasis: str | None = None) -> str:
    """The shot's prompt: its main subject and the action first, then everyone and everything
    else in the shot (each by name and look: none is left out), motion and camera, the place,
    the time, the framing and the style. Looks lose attributes before anything is dropped;
    then the least important parts go whole, from the end: no clause is cut mid-way."""
    members = [entities[n] for n in shot["entities"] if n in entities]
    place = entities.get(shot["place"])
    camera = CAMERA_WORDS.get((shot["camera_move"], shot["camera_direction"]), "static camera")
    motion = shot["subject_motion"] or ""
    if shot["subject_direction"] in SUBJECT_WORDS:
        motion = f"{motion} {SUBJECT_WORDS[shot['subject_direction']]}".strip()
    prompt = ""
    for details in (3, 2, 1, 0):
        cast = [describe(m, details if k == 0 else min(details, 2)) for k, m in enumerate(members)]
        where = f"at {describe(place, min(details, 2))}" if place else ""
        needed = [emphasis or "", *cast[:1], shot["action"], *cast[1:]]
        if cast and clip_tokens(cast[0]) > LEAD_TOKENS and _said(members[0]["name"],
                                                                 shot["action"]):
            # a long look (a theme in another script, as its own words): the action, which
            # names the lead, before it, so a model that reads 77 tokens still gets the action
            needed = [emphasis or "", shot["action"], *cast]
        wanted = [motion, camera, where, shot["time_of_day"], f"{shot['framing']} shot",
                  bible.get("visual_style") or ""]
        needed, wanted = _plain(needed), _plain(wanted)
        prompt = fit(needed, wanted)
        if clip_tokens(", ".join(needed)) <= TOKEN_BUDGET:
            break
    return prompt


def _plain(parts: list[str]) -> list[str]:
    """The parts without the words models turn into objects or burn in, and without the
    commas a removal leaves."""
    return [p for p in (strip_avoided(part).strip(" ,") for part in parts if part) if p]


def fit(needed: list[str], wanted=(), budget: int = TOKEN_BUDGET) -> str:
    """Join ``needed`` then ``wanted`` parts with commas within the CLIP budget. A wanted part
    that does not fit is left out whole (a later, shorter one may still fit); a needed one is
    cut at its last comma that fits, else its last whole word that leaves no clause cut short."""
    prompt = ""
    for k, part in enumerate([*needed, *wanted]):
        if not part:
            continue
        candidate = f"{prompt}, {part}" if prompt else part
        if clip_tokens(candidate) <= budget:
            prompt = candidate
        elif k < len(needed):
            prompt = _cut(prompt, part, budget)
    return prompt.strip(", ")


def _cut(prompt: str, part: str, budget: int) -> str:
    """The most of ``part`` that fits after ``prompt``: whole clauses first, else words, never
    ending on a word that needs another."""
    clauses = [c.strip() for c in part.split(",")]
    for n in range(len(clauses) - 1, 0, -1):
        candidate = ", ".join(filter(None, [prompt, *clauses[:n]]))
        if clip_tokens(candidate) <= budget:
            return candidate
    words = part.split()
    while words and (cut_short(" ".join(words)) or clip_tokens(
            ", ".join(filter(None, [prompt, " ".join(words)]))) > budget):
        words.pop()
    if not words and unspaced(part):  # "夜の屋台で…": a script without spaces is cut by letters
        letters = part.split(",")[0]
        while letters and clip_tokens(", ".join(filter(None, [prompt, letters]))) > budget:
            letters = letters[:-1]
        words = [letters]
    return ", ".join(filter(None, [prompt, " ".join(words)]))


ACTION_BY = 30  # CLIP tokens: the action starts within the first 40 % of the budget
LEAD_TOKENS = 24  # a lead's look longer than this goes after the action that names it


def prompt_faults(prompt: str, shot: dict[str, Any],
                  entities: dict[str, dict[str, Any]]) -> list[str]:
    """What is wrong with a prompt a video model got, for a check over aired prompts: a cast
    member of the shot missing, a look pasted as sentences, a clause cut mid-way, words glued
    together or said twice in a row, the action far from the start."""
    faults = []
    low = prompt.lower()
    for name in shot["entities"]:
        entity = entities.get(name)
        subject = look(entity)[0] if entity else name
        if name.lower() not in low and subject.lower() not in low:
            faults.append(f"{name} is not in the prompt")
    if re.search(r"[.!?]\s+[A-Z]|\b(?:it|he|she|they)\s+(?:is|has|are|have)\b", prompt, re.I):
        faults.append("a look pasted as sentences")
    if any(cut_short(part) for part in prompt.split(",")):
        faults.append("a clause cut mid-way")
    if re.search(r"\b[a-z]+[A-Z][a-z]+|[a-z]\.[a-z]", prompt):
        faults.append("words glued together")
    for part in low.split(","):
        words = [w.strip(".;:!?()\"") for w in part.split()]  # any script, marks and all
        if any(a == b and a not in ("very", "far") for a, b in zip(words, words[1:],
                                                                    strict=False)):
            faults.append("a word said twice in a row")
            break
    start = " ".join(shot["action"].lower().split()[:3])
    at = low.find(start) if start else 0
    if at < 0 or clip_tokens(prompt[:at]) > ACTION_BY:
        faults.append(f"the action is not in the first {ACTION_BY} tokens")
    return faults


SMALL_PARTS = {"eye", "eyes", "nose", "ear", "ears", "button", "buttons", "whiskers", "lips",
               "teeth", "claws", "beak", "pupils", "eyebrows", "nails", "cheeks", "string"}


def visible_colours(entity: dict[str, Any]) -> list[str]:
    """The colours a character shows at 576x320: its first two, of parts bigger than an eye
    (the body and what it wears; a model cannot be held to the colour of a nose)."""
    return [c for part, c in (entity["colours"] or {}).items()
            if part.lower() not in SMALL_PARTS][:2]


def spec_for(shot: dict[str, Any], entities: dict[str, dict[str, Any]],
             bible: dict[str, Any]) -> ShotSpec:
    """What the procedural renderer needs: the same shot in colours and directions."""
    palette = []
    if shot["place"] in entities:
        palette += [to_hex(c) for c in (entities[shot["place"]]["colours"] or {}).values()]
    palette += [to_hex(c) for c in bible.get("palette") or []]
    cast = [entities[n] for n in shot["entities"]
            if n in entities and entities[n]["kind"] == "character"]
    looks = [[to_hex(c) for c in visible_colours(member)] for member in cast]
    return ShotSpec(
        palette=list(dict.fromkeys(palette))[:6], subject_colours=looks[0] if looks else [],
        others=[look for look in looks[1:3] if look],
        camera_move=shot["camera_move"], camera_direction=shot["camera_direction"],
        subject_motion=shot["subject_motion"], subject_direction=shot["subject_direction"],
        framing=shot["framing"], time_of_day=shot["time_of_day"])
