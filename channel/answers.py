"""Questions the store answers, whatever the director: what is on air, what comes next, why a
take failed, what a shot's prompt was. The channel knows these exactly; a small model would
guess and the offline planner cannot read them, so the chat answers them itself and hands
every other line (a theme, a change, a note) to the director as before."""

from __future__ import annotations

import re
from collections.abc import Callable

from webtv.core.errors import NotFound
from webtv.state.store import Store

_ASK = r"^\W*(?:so\s+|and\s+|ok\s+|hey\s+|please\s+)?(?:(?:can|could)\s+you\s+tell\s+me\s+|" \
       r"do\s+you\s+know\s+|tell\s+me\s+)?"
_WHAT = _ASK + r"(?:what|which|who)(?:'s|’s|s)?\b"
_NUMBER = re.compile(r"\b(take|shot)\s*#?\s*(\d+)\b", re.I)


def _on_air(store: Store, line: str) -> str:
    airing = store.air.on_air("main")
    if airing is None:
        last = store.air.air_log(store.air.latest_session("main"), limit=1) \
            if store.air.latest_session("main") else []
        if not last:
            return "Nothing is on air yet: the channel has not aired a take."
        return f"Nothing is on air now (the channel is stopped). Last aired: {_said(last[0])}."
    show = (store.show.bible() or {}).get("title") or "the channel"
    return f"On air in {show}: {_said(airing)}."


def _said(airing: dict) -> str:
    if airing["kind"] == "slate":  # the slate airs only when nothing else can
        return "the slate: no take was ready and the library had none to rerun"
    kind = "a rerun of" if airing["kind"] == "replay" else "the premiere of"
    credit = f", suggested by {airing['suggested_by']}" if airing.get("suggested_by") else ""
    return f"{kind} take {airing['take_id']}, \"{airing['action']}\"{credit}"


def _next(store: Store, line: str) -> str:
    upcoming = store.air.upcoming(3)
    premiere = store.air.next_premiere()
    parts = [f"take {u['id']}, \"{u['action']}\"" for u in upcoming]
    said = "Next on the schedule: " + "; ".join(parts) + "." if parts else \
        "No new take is on the schedule: reruns from the library air until one is made."
    if premiere and not upcoming:
        said += f" In the making: \"{premiere['action']}\" ({premiere['shots']} shot(s))."
    return said


def _why(store: Store, line: str) -> str:
    asked = _NUMBER.search(line)
    rejected = store.takes.rejected_takes(200)
    if asked:
        number = int(asked.group(2))
        rejected = [t for t in rejected if (t["id"] if asked.group(1).lower() == "take"
                                            else t["shot_id"]) == number]
    failed = None if asked else store.takes.last_failed()
    if failed and (not rejected or failed["id"] > rejected[0]["id"]):  # the latest trouble
        return f"Take {failed['id']} (shot {failed['shot_id']}) could not be made: " \
               f"{failed['reason']}."
    if not rejected:
        return f"No rejected {asked.group(0)} on record." if asked else \
            "No take has failed its checks."
    take = rejected[0]
    checks = "; ".join(f"{c['name']}: {c['detail'] or c['value']}"
                       for c in take["failed_checks"][:3])
    return (f"Take {take['id']} (shot {take['shot_id']}, \"{take['action']}\") was rejected: "
            f"{take['reason'] or checks}" + (f". The checks said: {checks}" if checks
                                              and take["reason"] != checks else "") + ".")


def _prompt(store: Store, line: str) -> str:
    asked = _NUMBER.search(line)
    try:
        if asked and asked.group(1).lower() == "take":
            take = store.takes.take(int(asked.group(2)))
        elif asked:
            takes = store.takes.takes_for_shot(int(asked.group(2)))
            if not takes:
                return f"Shot {asked.group(2)} has no take yet."
            take = takes[-1]
        else:
            airing = store.air.on_air("main")
            if airing is None or airing["take_id"] is None:
                return "Nothing is on air to give the prompt of; ask for a take or a shot."
            take = store.takes.take(airing["take_id"])
    except NotFound as exc:
        return str(exc)
    return f"Take {take['id']} (shot {take['shot_id']}) was made from: {take['prompt']}"


QUESTIONS: list[tuple[re.Pattern, Callable[[Store, str], str]]] = [
    (re.compile(r"\bprompt\b.*\?|\bprompt (?:of|for)\b|^\W*(?:show|give|tell)\b.*\bprompt\b",
                re.I), _prompt),
    (re.compile(r"^\W*why\b.*\b(?:fail|failed|fails|reject|rejected|dropped|retake|retaken|"
                rf"wrong)\b|{_WHAT}\s+(?:went\s+wrong|happened\s+to)\b", re.I), _why),
    (re.compile(rf"{_WHAT}.*\b(?:on air|on now|airing|playing|showing|on screen|watching)\b"
                rf"|{_WHAT}(?:\s+is)?\s+(?:on|this)\s*\??\s*$"
                r"|^\W*(?:is|isn't)\s+(?:anything|something|it)\s+on\s+air\b"
                r"|^\W*why\b.*\bslate\b", re.I), _on_air),
    (re.compile(rf"{_WHAT}.*\b(?:next|coming up|up next|on the schedule|scheduled)\b\s*\??\s*$"
                r"|^\W*(?:up\s+)?next\??\s*$", re.I), _next),
]


def store_answer(store: Store, line: str) -> str | None:
    """The answer to a question the store knows, or None for the director to take the line."""
    for pattern, answer in QUESTIONS:
        if pattern.search(line):
            return answer(store, line)
    return None
