"""Takes: make one (generate -> interpolate -> upscale -> music -> house format), inspect it,
put it on the schedule. A take that failed a check or cannot be read never reaches the air.

These are steps of production, run by code (production/line.py), not tools the model calls:
there is one right way to make, inspect and schedule a take, and a small model should not have
to copy take ids between three calls to do it."""

from __future__ import annotations

import hashlib
import shutil
from typing import Any

from webtv.core import house
from webtv.core.errors import BackendError, ConfigError, MediaError, ToolError
from webtv.core.media import probe, read_frames_twice
from webtv.inspection import checks, motion, ocr
from webtv.production import costs
from webtv.production.compose import compose, spec_for, visible_colours
from webtv.production.context import Production
from webtv.production.continuity import reference_stills, start_picture
from webtv.production.pipeline import make_media
from webtv.reading.colours import rgb


def seed_for(shot_id: int, attempt: int, salt: int = 0) -> int:
    """A seed of its own for every attempt at a shot, the same after a restart."""
    key = f"{shot_id}:{attempt}" + (f":{salt}" if salt else "")
    digest = hashlib.sha256(key.encode()).digest()
    return int.from_bytes(digest[:4], "big") % 1_000_000


def make_take(ctx: Production, shot_id: int, seed: int, emphasis: str | None = None,
              prompt: str | None = None) -> dict[str, Any]:
    """Make a take of a shot with this seed: compose the prompt from the bible (or take the
    director's own), generate the clip, interpolate to the house frame rate, upscale, add
    music, and store it. ``emphasis``: words to put first on a retake, for what the last take
    got wrong. The same seed and prompt again return the take already made."""
    store = ctx.store
    shot, bible = store.takes.shot(shot_id), store.show.bible()
    entities = {e["name"]: e for e in store.show.entities()}
    if prompt is None and shot.get("prompt"):
        prompt = shot["prompt"]  # written by the director itself (a prompt strategy)
    if prompt is None:
        prompt = compose(shot, entities, bible, emphasis)
    elif emphasis:
        prompt = f"{emphasis}, {prompt}"
    cached = store.takes.find_take(shot_id, seed, prompt)
    if cached is not None:
        return {"take_id": cached["id"], "shot_id": shot_id, "status": cached["status"],
                "prompt": prompt, "seed": seed, "cached": True}
    _, seconds = costs.thrift(ctx, shot["duration_s"])  # shorter when spend runs high
    work = ctx.data.workspace()
    try:
        with costs.attempt(ctx, shot_id, seconds) as bill:  # BudgetSpent: nothing starts
            try:
                start, started_from = start_picture(ctx, shot, work)
                out, faults = make_media(
                    ctx, prompt, seed, spec_for(shot, entities, bible), seconds,
                    shot["mood"] or bible["music_mood"] or "calm", work, start, bill,
                    references=reference_stills(ctx, shot))
                media = ctx.data.keep(out, ".mp4")
            except ConfigError as exc:  # the backend cannot make this take (no start picture)
                raise BackendError(str(exc)) from exc
            take = store.takes.add_take(
                shot_id=shot_id, seed=seed, prompt=prompt, backends=ctx.backends.names(),
                media=media, duration_s=house.frames_for(seconds) / house.FPS,
                faults=list(faults), start=started_from)
            bill.take_id = take["id"]
    finally:
        shutil.rmtree(work, ignore_errors=True)
    store.takes.set_shot_status(shot_id, "made")
    return {"take_id": take["id"], "shot_id": shot_id, "status": "made", "prompt": prompt,
            "seed": seed, "duration_s": take["duration_s"],
            **({"started_from": started_from} if started_from else {})}


def inspect_take(ctx: Production, take_id: int) -> dict[str, Any]:
    """Inspect a take: a contact sheet of its frames and measured checks, each a number against
    a threshold: black and frozen frames (one frame repeated, not a quiet live picture),
    flicker, a scene cut, how much the camera moves (of a shot whose camera moves), motion
    direction against the shot (from the main character's track where the scene is too
    plain), the way a held camera's character walks, palette against the bible, vertical-line
    artifacts, and legible text (burned in, a watermark, a caption), read whatever else failed.
    Motion that cannot be measured passes.
    A take that fails any check is rejected; make a new take of its shot instead."""
    take = ctx.store.takes.take(take_id)
    shot = ctx.store.takes.shot(take["shot_id"])
    path = ctx.data.resolve(take["media"])
    try:
        frames, full = read_frames_twice(path, width=384, every=12)
    except MediaError as exc:
        ctx.store.takes.set_take_status(take_id, "rejected", str(exc))
        raise
    moved = motion.motion(frames)  # one measurement for both motion checks
    track = _main_character_track(ctx, shot, frames)
    results = [checks.black_frames(frames), checks.frozen_frames(frames),
               checks.flicker(frames), checks.scene_cut(frames),
               motion.dynamic_degree(frames, measured=moved,
                                     camera_move=shot["camera_move"] or ""),
               motion.motion_direction(frames, shot["camera_move"], shot["camera_direction"],
                                       measured=moved, track=track,
                                       subject_direction=shot["subject_direction"]),
               motion.subject_direction(track, shot["subject_direction"], shot["camera_move"]),
               checks.palette(frames, _shot_colours(ctx, shot))]
    results.append(checks.vertical_lines(full))  # full size: thin lines survive
    text = ""
    # reading text is the dearest check, so it comes last, but it is never skipped where it
    # can reject: under a gate that holds takes only to "playable" the other failures keep
    # nothing off the air, and a watermark must not air because a colour was off
    if ctx.gate is None or "burned_text" in ctx.gate:
        text_check, text = ocr.burned_text(full, take["prompt"])
        results.append(text_check)
    work = ctx.data.workspace()
    sheet = ctx.data.keep(checks.contact_sheet(frames, work / "sheet.jpg"), ".jpg")
    shutil.rmtree(work, ignore_errors=True)
    failed = [c for c in results if not c.passed and (ctx.gate is None or c.name in ctx.gate)]
    reason = "; ".join(f"{c.name} {c.value:.2f} (limit {c.threshold:.2f})" for c in failed)
    with ctx.store.transaction():  # the sheet, the checks and the verdict land together
        ctx.store.takes.set_contact_sheet(take_id, sheet, text.strip())
        ctx.store.takes.record_checks(take_id, [c.as_row() for c in results])
        ctx.store.takes.set_take_status(take_id, "rejected" if failed else "accepted", reason)
    return {
        "take_id": take_id, "verdict": "rejected" if failed else "accepted",
        "checks": [{"name": c.name, "value": round(c.value, 3), "threshold": c.threshold,
                    "passed": c.passed, "detail": c.detail} for c in results],
        "text_in_picture": text.strip()[:200], "contact_sheet": sheet, "_image": sheet,
    }


def _main_character_track(ctx: Production, shot: dict[str, Any],
                          frames: list) -> dict[str, float] | None:
    """How the shot's main character moves on screen, tracked by its main colour."""
    entities = {e["name"]: e for e in ctx.store.show.entities()}
    spec = spec_for(shot, entities, ctx.store.show.bible())
    if not spec.subject_colours:
        return None
    return motion.subject_track(frames, rgb(spec.subject_colours[0]))


def _shot_colours(ctx: Production, shot: dict[str, Any]) -> list[tuple[str, float]]:
    """The bible colours the picture must show, with the share of the picture each should
    cover: the place's fill the scene, the characters' are details."""
    wanted: dict[str, float] = {}
    for name in [shot["place"], *shot["entities"]]:
        try:
            entity = ctx.store.show.entity(name)
        except ToolError:
            continue
        # a character's scarf is a few hundred pixels in a wide shot, thousands in a close-up
        detail = checks.DETAIL_SHARE * {"wide": 0.25, "medium": 0.6}.get(shot["framing"], 1.0)
        share = {"place": checks.SCENE_SHARE, "character": detail}.get(entity["kind"])
        shown = (entity["colours"] or {}).values() if entity["kind"] == "place" \
            else visible_colours(entity)
        for colour in shown if share else ():
            wanted[colour] = max(wanted.get(colour, 0.0), share)
    return list(wanted.items())


def schedule_take(ctx: Production, take_id: int) -> dict[str, Any]:
    """Put an accepted take on the schedule, after everything already queued. The prompt and
    any text read in the picture pass a moderation gate first."""
    take = ctx.store.takes.take(take_id)
    if take["status"] != "accepted":
        hint = f" ({take['reason']})" if take["reason"] else ""
        raise ToolError(f"take {take_id} is {take['status']}{hint}; only an accepted take "
                        "(inspect_take) can be scheduled")
    found = probe(ctx.data.resolve(take["media"]))  # the air gate: the file must still be good
    if (found.width, found.height, found.audio_codec) != (house.WIDTH, house.HEIGHT, "aac"):
        ctx.store.takes.set_take_status(take_id, "rejected", "not in the house format")
        raise ToolError(f"take {take_id} is not in the house format; make a new take")
    verdict = ctx.moderator.check(f"{take['prompt']}\n{take['ocr_text'] or ''}")
    ctx.store.takes.record_checks(take_id, [{
        "name": "moderation", "value": float(verdict.flagged), "threshold": 0.0,
        "passed": not verdict.flagged, "detail": verdict.reason or f"clear ({verdict.source})"}],
        replace=False)
    if verdict.flagged:
        ctx.store.takes.set_take_status(take_id, "rejected", f"moderation: {verdict.reason}")
        raise ToolError(f"take {take_id} did not pass moderation ({verdict.source}): "
                        f"{verdict.reason}; it will not air")
    entry = ctx.store.air.schedule_take(take_id)
    return {"ok": True, "schedule_id": entry["id"],
            "queued_seconds": round(ctx.store.air.queued_seconds(), 1)}
