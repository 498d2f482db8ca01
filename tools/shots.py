"""The shot list: every shot states who is in it, where, and how camera and subject move."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from tools import REGISTRY
from tools.context import ToolContext
from tools.errors import ToolError

CameraMove = Literal["static", "pan", "tilt", "zoom"]
CameraDirection = Literal["left", "right", "up", "down", "in", "out", "none"]
SubjectDirection = Literal["left", "right", "up", "down", "toward", "away", "none"]
VALID_DIRECTIONS = {"static": {"none"}, "pan": {"left", "right"}, "tilt": {"up", "down"},
                    "zoom": {"in", "out"}}


class ShotPlan(BaseModel):
    model_config = ConfigDict(extra="forbid")

    action: Annotated[str, Field(min_length=3, max_length=200,
                                 description="What happens, in present tense")]
    entities: Annotated[list[str], Field(description="Names of bible characters/props in shot")]
    location: Annotated[str, Field(description="Name of a bible location")]
    framing: Literal["wide", "medium", "close-up"]
    camera_move: CameraMove
    camera_direction: CameraDirection
    subject_motion: Annotated[str, Field(description="How the subject moves, e.g. 'walks'")]
    subject_direction: SubjectDirection
    time_of_day: Literal["dawn", "day", "dusk", "evening", "night"]
    mood: Annotated[str, Field(description="Music and light mood, e.g. cozy")]
    duration_s: Annotated[float, Field(ge=1.0, le=8.0, description="Seconds on air")] = 3.0


@REGISTRY.tool
def write_shots(
    ctx: ToolContext,
    shots: Annotated[list[ShotPlan], Field(min_length=1, max_length=12)],
    sequence: Annotated[int | None, Field(description="Sequence to extend; null: a new one")]
    = None,
    segment_id: Annotated[int | None, Field(
        description="The segment these shots belong to; null: the current one")] = None,
) -> dict[str, Any]:
    """Write or extend the shot list. Every entity and location must already be in the bible;
    every camera move needs a matching direction (pan: left/right, tilt: up/down, zoom: in/out)."""
    if ctx.store.bible() is None:
        raise ToolError("there is no show yet: call set_show first")
    segment = _segment(ctx, segment_id)
    known = {e["name"].lower(): e for e in ctx.store.entities()}
    rows = []
    for i, shot in enumerate(shots, 1):
        missing = [n for n in [*shot.entities, shot.location] if n.lower() not in known]
        if missing:
            raise ToolError(f"shot {i}: not in the bible: {', '.join(missing)}; add them with "
                            "set_entity first")
        if shot.camera_direction not in VALID_DIRECTIONS[shot.camera_move]:
            allowed = "/".join(sorted(VALID_DIRECTIONS[shot.camera_move]))
            raise ToolError(f"shot {i}: a {shot.camera_move} needs direction {allowed}, "
                            f"not {shot.camera_direction!r}")
        if known[shot.location.lower()]["kind"] != "location":
            raise ToolError(f"shot {i}: {shot.location!r} is not a location")
        rows.append({**shot.model_dump(),
                     "entities": [known[n.lower()]["name"] for n in shot.entities],
                     "location": known[shot.location.lower()]["name"]})
    made = ctx.store.add_shots(sequence or ctx.store.next_sequence(),
                               [{**row, "segment_id": segment["id"]} for row in rows])
    segment = ctx.store.segment(segment["id"])
    ctx.store.set_segment_status(segment["id"], "done" if segment["written"] >= segment["shots"]
                                 else "producing")
    return {"ok": True, "segment": {"id": segment["id"], "title": segment["title"],
                                    "shots_written": segment["written"],
                                    "shots_planned": segment["shots"]},
            "shots": [{"id": s["id"], "sequence": s["sequence"], "position": s["position"],
                       "action": s["action"]} for s in made]}


def _segment(ctx: ToolContext, segment_id: int | None) -> dict[str, Any]:
    """The segment new shots go into; a show with none planned gets a first one."""
    if segment_id is not None:
        segment = ctx.store.segment(segment_id)
        if segment["show_id"] != ctx.store.current_show_id():
            raise ToolError(f"segment {segment_id} belongs to an earlier show")
        return segment
    current = ctx.store.current_segment()
    if current is not None:
        return current
    position = len(ctx.store.segments()) + 1
    return ctx.store.add_segments([{"title": f"Segment {position}", "synopsis": "",
                                    "shots": 8}])[0]


@REGISTRY.tool
def list_shots(
    ctx: ToolContext,
    status: Literal["planned", "made", "scheduled", "dropped"] | None = None,
) -> dict[str, Any]:
    """List shots (newest 50), optionally only those with a given status."""
    return {"shots": [{k: s[k] for k in ("id", "sequence", "position", "action", "framing",
                                         "camera_move", "camera_direction", "status")}
                      for s in ctx.store.shots(status, limit=50)]}
