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


def describe(entity: dict[str, Any]) -> str:
    """An entity as the prompt says it: its description, then whatever of its colours, wardrobe
    and marks the description does not already say (each detail said once)."""
    text = entity["description"] or entity["name"]
    said = text.lower()
    colours = ", ".join(f"{colour} {part}" for part, colour in (entity["colours"] or {}).items()
                        if f"{colour} {part}".lower() not in said)
    details = [colours] if colours else []
    named = set(colours.lower().replace(",", " ").split()) | set(said.replace(",", " ").split())
    for extra in (entity.get("wardrobe"), entity.get("marks")):
        words = set((extra or "").lower().replace(",", " ").split()) - {"a", "an", "the"}
        if words and not words <= named:
            details.append(extra)  # said once: a wardrobe the colours already name is dropped
    return f"{text} ({'; '.join(details)})" if details else text


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
    cast = [describe(entities[n]) for n in shot["entities"] if n in entities]
    place = describe(entities[shot["location"]]) if shot["location"] in entities else ""
    camera = CAMERA_WORDS.get((shot["camera_move"], shot["camera_direction"]), "static camera")
    motion = shot["subject_motion"] or ""
    if shot["subject_direction"] in SUBJECT_WORDS:
        motion = f"{motion} {SUBJECT_WORDS[shot['subject_direction']]}".strip()
    # In order of importance: what goes over the budget is dropped from the end.
    parts = [emphasis or "", *cast, shot["action"], motion, camera, f"at {place}" if place else "",
             f"{shot['time_of_day']}", f"{shot['framing']} shot", bible.get("visual_style") or ""]
    return fit(strip_avoided(p) for p in parts if p)


def fit(parts, budget: int = TOKEN_BUDGET) -> str:
    """Join parts with commas while they fit the CLIP budget; a part that does not fit is cut
    word by word, and whatever follows it is left out."""
    prompt = ""
    for part in parts:
        if not part:
            continue
        candidate = f"{prompt}, {part}" if prompt else part
        if clip_tokens(candidate) <= budget:
            prompt = candidate
            continue
        words = part.split()
        while words and clip_tokens(f"{prompt}, {' '.join(words)}" if prompt else
                                    " ".join(words)) > budget:
            words.pop()
        if words:
            prompt = f"{prompt}, {' '.join(words)}" if prompt else " ".join(words)
        break
    return prompt.rstrip(",")


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
    if shot["location"] in entities:
        palette += [to_hex(c) for c in (entities[shot["location"]]["colours"] or {}).values()]
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
