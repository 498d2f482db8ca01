"""The shot list: the director writes what happens; the code fills in the rest (who and where
by default, the time of day, the mood), then produces each shot and schedules it.

Names are matched leniently ("the panda" is "Panda Chef"), camera and motion are read from
plain words ("pan left", "walks right"), a duration is clamped, and a small model that sends
``entities``/``location`` instead of ``who``/``where`` is understood.
"""

from __future__ import annotations

import re
from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, model_validator

from webtv.core.errors import ToolError
from webtv.production.line import produce
from webtv.reading.words import tidied
from webtv.tools.context import ToolContext
from webtv.tools.registry import REGISTRY

Framing = Literal["wide", "medium", "close-up"]
Camera = Literal["static", "pan left", "pan right", "tilt up", "tilt down", "zoom in", "zoom out"]
CAMERA_SYNONYMS = [
    (r"\b(?:zoom|push|dolly|move|track)(?:s|ing)? (?:in|forward|closer)\b|\bclose in", "zoom in"),
    (r"\b(?:zoom|pull|dolly)(?:s|ing)? (?:out|back)\b|\bwiden", "zoom out"),
    (r"\b(?:pan|truck|track|follow)\w* (?:to the )?left\b", "pan left"),
    (r"\b(?:pan|truck|track|follow)\w* (?:to the )?right\b", "pan right"),
    (r"\b(?:tilt|crane|pedestal)\w* up\b", "tilt up"),
    (r"\b(?:tilt|crane|pedestal)\w* down\b", "tilt down"),
    (r"\bpan", "pan right"), (r"\btilt", "tilt up"), (r"\bzoom|\bdolly|\bpush", "zoom in"),
]
SUBJECT_DIRECTIONS = [("left", "left"), ("right", "right"), ("toward", "toward"),
                      ("towards", "toward"), ("closer", "toward"), ("away", "away"),
                      ("up", "up"), ("down", "down")]
FRAMINGS = ("wide", "medium", "close-up", "medium", "wide", "close-up")
LONGEST_S = 30.0  # a shot's seconds at most (a diffusion-forcing model makes them as one take)
DEFAULT_LONGEST_S = 8.0  # ... and for a backend that does not say what it makes
CAMERAS = ("pan right", "zoom in", "pan left", "tilt up", "zoom out", "tilt down")


def read_camera(value: Any) -> str:
    """The camera move from plain words; anything unreadable is a static camera."""
    text = str(value or "static").lower().replace("_", " ")
    if text in Camera.__args__:
        return text
    for pattern, camera in CAMERA_SYNONYMS:
        if re.search(pattern, text):
            return camera
    return "static"


def read_framing(value: Any) -> str | None:
    text = str(value or "").lower()
    if "close" in text:
        return "close-up"
    if "wide" in text or "long" in text or "establish" in text:
        return "wide"
    return "medium" if text else None


def _names(value: Any) -> Any:
    if isinstance(value, str):
        return [n.strip() for n in re.split(r",| and ", value) if n.strip()]
    return value


class ShotPlan(BaseModel):
    model_config = ConfigDict(extra="ignore")

    action: Annotated[str, BeforeValidator(tidied), Field(
        min_length=3, max_length=200, description="What happens: one short sentence")]
    who: Annotated[list[str] | None, BeforeValidator(_names),
                   Field(description="Cast in shot; null: the main character")] = None
    where: Annotated[str | None, BeforeValidator(
        lambda v: (v[0] if v else None) if isinstance(v, list) else v),
        Field(description="A place; null: the main place")] = None
    framing: Annotated[Framing | None, BeforeValidator(read_framing)] = None
    camera: Annotated[Camera | None, BeforeValidator(
        lambda v: None if v is None else read_camera(v))] = None
    motion: Annotated[str | None, Field(max_length=60,
                                        description="How the subject moves, e.g. 'walks left'")
                      ] = None
    seconds: Annotated[float, BeforeValidator(
        lambda v: min(LONGEST_S, max(1.0, float(v))) if v is not None else 3.0)] = 3.0
    prompt: Annotated[str | None, Field(max_length=600)] = None
    continues: Annotated[bool, Field(
        description="true: it carries straight on from the shot before, in the same place")
    ] = False

    @model_validator(mode="before")
    @classmethod
    def _aliases(cls, data: Any) -> Any:
        """What a model trained on other schemas sends, read the way it was meant."""
        if not isinstance(data, dict):
            return {"action": str(data)}
        data = dict(data)
        for alias, key in (("entities", "who"), ("characters", "who"), ("cast", "who"),
                           ("location", "where"), ("place", "where"), ("duration_s", "seconds"),
                           ("duration", "seconds"), ("subject_motion", "motion"),
                           ("description", "action")):
            if data.get(key) is None and data.get(alias) is not None:
                data[key] = data[alias]
        if data.get("camera") is None and data.get("camera_move"):
            data["camera"] = f"{data['camera_move']} {data.get('camera_direction') or ''}"
        if data.get("motion") and data.get("subject_direction"):
            data["motion"] = f"{data['motion']} {data['subject_direction']}"
        return data


def _match(name: str, entities: list[dict[str, Any]]) -> dict[str, Any] | None:
    """A bible entry by name, leniently: case, articles and a part of the name ("the panda"
    is "Panda Chef") are all understood."""
    wanted = re.sub(r"^(the|a|an)\s+", "", name.strip().lower())
    for test in (lambda e: e["name"].lower() == wanted,
                 lambda e: wanted in e["name"].lower().split()
                 or e["name"].lower() in wanted,
                 lambda e: any(w in e["name"].lower().split() for w in wanted.split()
                               if len(w) > 2)):
        found = [e for e in entities if test(e)]
        if found:
            return found[0]
    return None


def shot_row(ctx: ToolContext, i: int, plan: ShotPlan, position: int) -> dict[str, Any]:
    """One shot as the store keeps it: the plan with every default filled in."""
    bible = ctx.store.show.bible()
    entities = ctx.store.show.entities()
    cast_names = [e["name"] for e in entities if e["kind"] != "place"]
    places = [e for e in entities if e["kind"] == "place"]
    who = []
    for name in plan.who if plan.who is not None else cast_names[:1]:
        found = _match(name, [e for e in entities if e["kind"] != "place"])
        if found is None:
            raise ToolError(f"shot {i}: {name!r} is not in the cast; use one of: "
                            f"{', '.join(cast_names) or 'none'} (or add it with update_cast)")
        who.append(found["name"])
    place = _match(plan.where, places) if plan.where else (places[0] if places else None)
    if place is None and plan.where and _match(plan.where, entities) is None:
        # the story moves somewhere new ("the post office"): a new place of the show
        place = ctx.store.show.upsert_entity("place", plan.where.strip().title()[:60],
                                             description=plan.where.strip())
    thing = None if place or not plan.where else _match(plan.where, [
        e for e in entities if e["kind"] != "place"])
    if thing is not None and places:  # "where": the balloon -> the balloon is in the shot
        who.append(thing["name"])
        place = places[0]
    if place is None:
        raise ToolError(f"shot {i}: {plan.where!r} is not a place of the show; use one of: "
                        f"{', '.join(p['name'] for p in places) or 'none'}")
    notes = " ".join(ctx.store.show.notes()).lower()
    framing = plan.framing or ("close-up" if "close" in notes and position % 2 else
                               FRAMINGS[position % len(FRAMINGS)])
    move, _, direction = (plan.camera or CAMERAS[position % len(CAMERAS)]).partition(" ")
    motion = (plan.motion or "moves gently").lower()
    subject_direction = next((d for word, d in SUBJECT_DIRECTIONS
                              if re.search(rf"\b{word}\b", motion)), "none")
    # the direction is said by the composer ("walks to the left"): not twice
    motion = re.sub(r"\s*\b(?:to(?:ward)?s?\s+the\s+)?(?:left|right|toward|towards|closer|away|"
                    r"up|down)\b(?:\s+(?:from\s+)?the\s+camera)?", "", motion).strip() or "moves"
    return {"action": plan.action, "entities": list(dict.fromkeys(who)),
            "place": place["name"], "framing": framing, "camera_move": move,
            "camera_direction": direction or "none", "subject_motion": motion,
            "subject_direction": subject_direction,
            "time_of_day": bible.get("time_of_day") or "day",
            "mood": bible["music_mood"] or "calm",
            "duration_s": min(plan.seconds, longest_take(ctx)),
            "prompt": plan.prompt, "continues": int(plan.continues)}


def longest_take(ctx: ToolContext) -> float:
    """The longest shot the video backend makes as one take: a diffusion-forcing model's
    30 s, a model's frames at its rate (Wan 2.1: 5 s), else 8 s; a longer shot is cut to it
    rather than padded with a frozen picture."""
    video = getattr(getattr(ctx, "backends", None), "video", None)
    return float(getattr(video, "longest_s", None) or DEFAULT_LONGEST_S)


@REGISTRY.tool
def write_shots(
    ctx: ToolContext,
    shots: Annotated[list[ShotPlan], Field(min_length=1, max_length=12)],
) -> dict[str, Any]:
    """Write the next shots of the current episode; each is then made, checked and scheduled
    for you. Only the action is required."""
    if ctx.store.show.bible() is None:
        raise ToolError("there is no show yet: a theme comes first")
    with ctx.store.transaction():  # one state change: the list, its new places, the episode
        segment = _segment(ctx)
        shots, repeats = _new_only(ctx, shots)
        start = len(ctx.store.takes.shots(limit=10_000))
        rows = [{**shot_row(ctx, i, plan, start + i), "segment_id": segment["id"],
                 "suggestion_id": ctx.suggestion_id} for i, plan in enumerate(shots, 1)]
        made = ctx.store.takes.add_shots(None, rows)
        if ctx.suggestion_id is not None:  # a viewer's suggestion: its scene is written
            ctx.store.suggestions.take(ctx.suggestion_id)
        segment = ctx.store.programme.segment(segment["id"])
        ctx.store.programme.set_segment_status(segment["id"], "done" if segment["written"] >=
                                               segment["shots"] else "producing")
    report = produce(ctx.production, [s["id"] for s in made])
    skipped = {"repeats_skipped": repeats} if repeats else {}
    return {"ok": True, "written": len(made), **skipped, **report.summary(ctx.store)}


def _key(action: str) -> str:
    return " ".join(re.findall(r"[a-z]+", action.lower().removeprefix("the ")))


def _new_only(ctx: ToolContext, shots: list[ShotPlan]) -> tuple[list[ShotPlan], int]:
    """The shots whose action is not one the show has just had: a small model copies the
    latest shots it was shown, and the air would loop. All repeats is an error to rewrite."""
    recent = ctx.store.takes.shots(limit=24)
    seen = {_key(s["action"]) for s in recent}
    fresh = []
    for plan in shots:
        key = _key(plan.action)
        if key not in seen:
            seen.add(key)
            fresh.append(plan)
    if not fresh:
        raise ToolError("every shot repeats one the show has just had (the latest: "
                        f"{recent[-1]['action']!r}); write what happens after it, each shot a "
                        "new action")
    return fresh, len(shots) - len(fresh)


@REGISTRY.tool
def rewrite_shot(
    ctx: ToolContext,
    shot: Annotated[int, Field(ge=1, description="Its number in the latest shot list")],
    action: Annotated[str, Field(min_length=3, max_length=200)],
    camera: Camera | None = None,
    prompt: Annotated[str | None, Field(max_length=600)] = None,
) -> dict[str, Any]:
    """Rewrite a shot that was dropped (its takes failed their checks) and make it again."""
    old = ctx.store.takes.latest_shot(shot)
    if old is None:
        raise ToolError(f"there is no shot {shot} in the latest shot list")
    if old["status"] == "scheduled":
        raise ToolError(f"shot {shot} is already scheduled; write a new shot instead")
    plan = ShotPlan(action=action, who=old["entities"], where=old["place"],
                    framing=old["framing"], camera=camera or
                    f"{old['camera_move']} {old['camera_direction']}".replace(" none", ""),
                    motion=old["subject_motion"], seconds=old["duration_s"], prompt=prompt)
    with ctx.store.transaction():
        row = {**shot_row(ctx, 1, plan, old["position"]), "segment_id": old["segment_id"]}
        if old["status"] != "dropped":
            ctx.store.takes.set_shot_status(old["id"], "dropped", "rewritten")
        made = ctx.store.takes.add_shots(old["sequence"], [row])
    return {"ok": True, **produce(ctx.production, [made[0]["id"]]).summary(ctx.store)}


def _segment(ctx: ToolContext) -> dict[str, Any]:
    """The segment new shots go into: the request's, else the current one, else a first."""
    if ctx.segment_id is not None:
        return ctx.store.programme.segment(ctx.segment_id)
    current = ctx.store.programme.current_segment()
    if current is not None:
        return current
    position = len(ctx.store.programme.segments()) + 1
    return ctx.store.programme.add_segments([{"title": f"Episode {position}", "synopsis": "",
                                              "shots": 12}])[0]
