"""The offline director drives the real tools: a theme becomes a bible, shots and scheduled
takes; a continuity change reaches the next prompts; a note steers the next shot list."""

import tools
from director.loop import Conversation, run_turn
from director.offline import OfflineDirector
from tools.context import ToolContext

THEME = "a llama who runs a night-time noodle stand"


def turn(ctx: ToolContext, text: str, model=None) -> str:
    return run_turn(model or OfflineDirector(shots_per_request=2), tools.load(), ctx,
                    Conversation("system"), text)


def test_a_theme_becomes_a_show_with_scheduled_takes(ctx: ToolContext) -> None:
    answer = turn(ctx, f"theme: {THEME}")
    bible = ctx.store.bible()
    assert "Llama" in bible["title"] and bible["theme"] == THEME
    kinds = sorted(e["kind"] for e in ctx.store.entities())
    assert kinds == ["character", "location", "prop"]
    shots = ctx.store.shots()
    assert len(shots) == 2
    assert all(s["camera_move"] in {"pan", "tilt", "zoom"} for s in shots)
    assert ctx.store.take_counts()["scheduled"] == 2
    assert len(ctx.store.upcoming()) == 2
    assert "scheduled 2 takes" in answer
    take = ctx.store.take(ctx.store.upcoming()[0]["id"])
    assert "llama" in take["prompt"].lower() and "night" in take["prompt"]
    checks = {c["name"]: c for c in ctx.store.checks(take["id"])}
    assert set(checks) == {"black_frames", "frozen_frames", "flicker", "dynamic_degree",
                           "motion_direction", "palette", "vertical_lines", "burned_text",
                           "moderation"}
    assert all(c["passed"] for c in checks.values())
    assert take["contact_sheet"] and ctx.data.resolve(take["contact_sheet"]).exists()


def test_a_continuity_change_reaches_every_later_prompt(ctx: ToolContext) -> None:
    model = OfflineDirector(shots_per_request=1)
    turn(ctx, f"theme: {THEME}", model)
    llama = ctx.store.entity("Llama")
    accessory = next(part for part in llama["colours"] if part != "body")
    turn(ctx, f"make the llama's {accessory} green from now on", model)
    assert ctx.store.entity("Llama")["colours"][accessory] == "green"
    turn(ctx, "Produce 1 more shots.", model)
    latest = ctx.store.upcoming()[-1]
    assert f"green {accessory}" in latest["prompt"]


def test_a_note_steers_the_next_shot_list(ctx: ToolContext) -> None:
    model = OfflineDirector(shots_per_request=2)
    turn(ctx, f"theme: {THEME}", model)
    assert "Done" in turn(ctx, "more close-ups", model)
    assert ctx.store.notes() == ["more close-ups"]
    turn(ctx, "Produce 2 more shots.", model)
    assert "close-up" in [s["framing"] for s in ctx.store.shots()[-2:]]
