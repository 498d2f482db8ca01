"""What a model that sees calls when it is shown a take: the take's contact sheet beside the
shot it was asked for, after the take passed every measured check. Each call records one
verdict (keep, retake, change the shot) with its reason; production acts on it."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import BeforeValidator, Field

from webtv.core.errors import ToolError
from webtv.reading.words import tidied
from webtv.tools.context import ToolContext
from webtv.tools.registry import REGISTRY

Reason = Annotated[str, BeforeValidator(tidied), Field(
    min_length=3, max_length=300, description="What in the picture decides it")]


@REGISTRY.tool
def keep_take(ctx: ToolContext, reason: Reason) -> dict[str, Any]:
    """The picture shows the shot as it was asked for: keep the take (it goes on air)."""
    return _verdict(ctx, "keep", reason)


@REGISTRY.tool
def retake(ctx: ToolContext, reason: Reason) -> dict[str, Any]:
    """The picture is wrong in a way another seed may fix (a smeared face, a missing
    character, the wrong colours): make the take again."""
    return _verdict(ctx, "retake", reason)


@REGISTRY.tool
def change_shot(
    ctx: ToolContext,
    action: Annotated[str, BeforeValidator(tidied), Field(
        min_length=3, max_length=200, description="The shot's new action: one short sentence")],
    reason: Reason,
) -> dict[str, Any]:
    """The shot as written does not come out right (the video model draws something else
    from these words): say what happens differently; the shot is made again from the new
    words."""
    return _verdict(ctx, "change", reason, action)


def _verdict(ctx: ToolContext, verdict: str, reason: str,
             action: str | None = None) -> dict[str, Any]:
    if ctx.review is None:
        raise ToolError("there is no take to review in this request")
    take_id, model = ctx.review
    if ctx.store.reviews.of_take(take_id) is not None:
        raise ToolError(f"take {take_id} already has its verdict")
    ctx.store.reviews.add(take_id, verdict, reason, model, action)
    return {"ok": True, "take": take_id, "verdict": verdict}
