"""Programming: the show in segments planned ahead, the themes queued for the next shows, and
the takes the people running the channel want kept."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field

from webtv.core.errors import ToolError
from webtv.reading.theme import THEME_LIMIT, checked_theme
from webtv.state.store import Store
from webtv.tools.context import ToolContext
from webtv.tools.registry import REGISTRY


class SegmentPlan(BaseModel):
    model_config = ConfigDict(extra="ignore")

    title: Annotated[str, Field(min_length=1, max_length=80)]
    synopsis: Annotated[str, Field(max_length=300, description="What happens in it")] = ""
    shots: Annotated[int, BeforeValidator(lambda v: min(24, max(2, int(v or 12))))] = 12


@REGISTRY.tool
def plan_episodes(
    ctx: ToolContext,
    episodes: Annotated[list[SegmentPlan], Field(min_length=1, max_length=6)],
) -> dict[str, Any]:
    """Plan the next episodes of the show, each a title and what happens, continuing the
    story; their shots are written later, in order."""
    if ctx.store.show.bible() is None:
        raise ToolError("there is no show yet: a theme comes first")
    made = ctx.store.programme.add_segments([s.model_dump() for s in episodes])
    return {"ok": True, "episodes": [s["title"] for s in made]}


@REGISTRY.tool
def queue_show(
    ctx: ToolContext,
    theme: Annotated[str, Field(min_length=3, max_length=THEME_LIMIT)],
) -> dict[str, Any]:
    """Queue a theme for a later show: it starts when the current show's planned segments
    have been made (the current show carries on until then)."""
    entry = ctx.store.programme.queue_theme(checked_theme(theme))
    return {"ok": True, "queued": entry["theme"],
            "position": len(ctx.store.programme.queued_themes())}


def favourite_take(store: Store, take_id: int, on: bool = True) -> tuple[dict[str, Any], str]:
    """Keep a take forever, or let the retention policy have it again: the one way the tool,
    the REPL, the command line and the operator page all do it; the take and what to say."""
    take = store.takes.set_favourite(take_id, on)  # NotFound for an unknown take
    if take["favourite"]:
        return take, f"take {take_id} is a favourite: retention keeps it"
    return take, f"take {take_id} is not a favourite any more: retention may remove it when old"


@REGISTRY.tool
def mark_favourite(
    ctx: ToolContext,
    take_id: int,
    favourite: bool = True,
) -> dict[str, Any]:
    """Mark a take as a favourite (or not): favourites are never deleted by the retention
    policy, however old."""
    take, said = favourite_take(ctx.store, take_id, favourite)
    return {"ok": True, "take_id": take_id, "favourite": bool(take["favourite"]), "said": said}
