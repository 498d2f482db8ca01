"""How a shot's words change between its takes. After a failed check, the retake's prompt
says first what the take got wrong (``emphasis_for``). After the same check failed twice, the
shot is said differently before another take: another seed with the same words fails the same
way, and on a paid service every take costs.

Who says it differently is the production context's ``rewrites``: "director" when a model
directs (how to rewrite a shot is its judgement: the shot goes back to it, dropped, with why
and what to change), "code" for the offline planner. The code rewrites only where a check
measures a demand of the shot that can be dropped or made plainer: a camera move the model
does not make or makes backwards (the camera is held), a character that goes the wrong way (it
stays in place), a picture that froze (visible motion is asked for: a slow push-in, a subject
that moves). For the other checks it knows no better words, and hands the shot back too.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from webtv.core.errors import ToolError
from webtv.inspection.motion import holds_still
from webtv.production.compose import CAMERA_WORDS
from webtv.production.context import Production

TWICE = 2  # failures of one check, with the same words, before the shot is said differently
HINTS = {  # what a rewrite should change, for the director, by the check that failed twice
    "frozen_frames": "ask for visible motion (a slow push-in, a character who moves)",
    "dynamic_degree": "hold the camera still, or ask for another move",
    "motion_direction": "hold the camera still, or ask for another move",
    "subject_direction": "let the character stay in place, or go another way",
    "palette": "name the place's and the cast's colours plainly, first",
    "burned_text": "leave out what a model writes into the picture (signs, letters, titles)",
    "flicker": "ask for steady, even light",
    "scene_cut": "one continuous view of one place",
    "black_frames": "a brighter scene",
    "vertical_lines": "a plainer background",
}


def emphasis_for(failed: set[str], shot: dict[str, Any],
                 entities: dict[str, dict[str, Any]]) -> str | None:
    """What to say first in a retake's prompt, from the checks the last take failed and the
    shot's own fields: its camera move when the motion went the wrong way, the colours of the
    first of its cast (else its place) when the palette was off."""
    words = []
    if "motion_direction" in failed:
        move = CAMERA_WORDS.get((shot["camera_move"], shot["camera_direction"]))
        words += [move] if move else []
    if "palette" in failed:
        coloured = [entities[name]["colours"] for name in [*shot["entities"], shot["place"]]
                    if name in entities and entities[name]["colours"]]
        words += [", ".join(f"{colour} {part}" for part, colour in coloured[0].items())] \
            if coloured else []
    return ", ".join(words)[:120] or None


def say_differently(ctx: Production, shot: dict[str, Any], twice: list[str], take_id: int,
                    step: Callable[..., dict[str, Any] | ToolError],
                    budget_left: bool) -> tuple[bool, str]:
    """After ``twice`` (checks failed twice, the last time on ``take_id``): (True, why) when the
    code said the shot differently, run by ``step`` as its logged rewrite_shot step; (False,
    why) when the shot goes back to the director (a model directs, the code knows no better
    words, or no attempt is left to try them)."""
    check = next((name for name in twice if plainer(shot, name) is not None), None)
    if ctx.rewrites == "code" and check is not None and budget_left:
        done = step(ctx, "rewrite_shot", rewrite_shot, shot_id=shot["id"], check=check,
                    take_id=take_id)
        if not isinstance(done, ToolError):
            return True, done["why"]
    detail = next(c["detail"] for c in ctx.store.takes.checks(take_id) if c["name"] == twice[0])
    return False, (f"failed {twice[0]} twice ({detail}); the same words fail it whatever the "
                   f"seed: rewrite the shot ({HINTS.get(twice[0], 'say it differently')})")


def plainer(shot: dict[str, Any], check: str) -> dict[str, str] | None:
    """The shot's camera and motion without the demand ``check`` could not see met twice, as
    changed fields; None when the code knows no such words for it."""
    held = (shot["camera_move"] or "static") == "static"
    if check in ("dynamic_degree", "motion_direction") and not held:
        return {"camera_move": "static", "camera_direction": "none"}
    if check == "subject_direction" and (shot["subject_direction"] or "none") != "none":
        return {"subject_direction": "none"}
    if check == "frozen_frames":
        changes = {}
        if held:  # a slow push-in: the camera moves, whatever the subject does
            changes.update(camera_move="zoom", camera_direction="in")
        if holds_still("static", shot["subject_direction"], shot["subject_motion"]):
            changes["subject_motion"] = "moves gently"
        return changes or None
    return None


def rewrite_shot(ctx: Production, shot_id: int, check: str, take_id: int) -> dict[str, Any]:
    """Say the shot differently after ``check`` failed twice (the last time on ``take_id``):
    its next take is composed from the new fields; the take's reason says why."""
    shot = ctx.store.takes.shot(shot_id)
    changes = plainer(shot, check)
    assert changes is not None, check
    said = "; ".join(f"{key.replace('_', ' ')} {shot[key] or 'none'} -> {value}"
                     for key, value in changes.items())
    why = f"{check} failed twice with the same words: the shot rewritten ({said})"
    with ctx.store.transaction():
        ctx.store.takes.rewrite_shot(shot_id, changes)
        reason = ctx.store.takes.take(take_id)["reason"]
        ctx.store.takes.set_take_status(take_id, "rejected", f"{reason}; {why}")
    return {"ok": True, "shot": shot["position"], "check": check, "changed": changes,
            "why": why}
