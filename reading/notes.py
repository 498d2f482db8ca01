"""What standing notes ask of the framing: "more close-ups" asks for close-ups, "wider shots
please" for wide ones; "no more close-ups", "fewer close-ups" ask for fewer of them. A later
note on a framing overrides an earlier one."""

from __future__ import annotations

import re

FRAMINGS = {"close-up": r"close[- ]?ups?|closer", "wide": r"wide(?:r)?(?: shots?)?|long shots?"}
AGAINST = re.compile(r"\b(?:no|not|fewer|less|never|avoid|stop|don't|without|too many)\b")


def framing_said(note: str) -> dict[str, bool]:
    """The framings a note speaks of: True, it asks for more of one; False, for fewer."""
    said = {}
    text = note.lower()
    for framing, words in FRAMINGS.items():
        found = re.search(rf"\b(?:{words})\b", text)
        if found:  # a "no" earlier in the same sentence turns it round
            said[framing] = not AGAINST.search(re.split(r"[.;!?]", text[:found.start()])[-1])
    return said


def framings(notes: list[str] | tuple[str, ...]) -> tuple[str | None, tuple[str, ...]]:
    """(the framing the notes ask for more of, those they ask for fewer of), the latest note
    on each framing deciding."""
    latest: dict[str, bool] = {}
    for note in notes:
        for framing, wanted in framing_said(note).items():
            latest.pop(framing, None)
            latest[framing] = wanted
    wanted = [f for f, more in latest.items() if more]
    return (wanted[-1] if wanted else None), tuple(f for f, more in latest.items() if not more)
