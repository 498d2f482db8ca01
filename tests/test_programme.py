"""Programming for weeks of air: a show in segments planned ahead, themes queued for the next
shows, and a restart that finishes interrupted work instead of making it again."""

from __future__ import annotations

import json

import tools
from director.autopilot import Autopilot
from director.chat import command
from director.config import Settings
from director.loop import Conversation, run_turn
from director.offline import OfflineDirector
from tools.context import ToolContext

THEME = "a llama who runs a night-time noodle stand"
NEXT = "a fox who delivers mail by balloon"


def turn(ctx: ToolContext, text: str) -> str:
    return run_turn(OfflineDirector(shots_per_request=1), tools.load(), ctx,
                    Conversation("system"), text)


def autopilot(ctx: ToolContext) -> Autopilot:
    return Autopilot(Settings.from_env(data_dir=ctx.data.root), buffer_seconds=600)


def test_the_autopilot_asks_for_what_comes_next_in_order(ctx: ToolContext) -> None:
    turn(ctx, f"theme: {THEME}")
    pilot = autopilot(ctx)
    segment = ctx.store.current_segment()  # a show starts with two segments planned
    assert (segment["title"], segment["written"], segment["shots"]) == ("Llama Opens Up", 1, 2)
    assert [s["position"] for s in ctx.store.segments()] == [1, 2]
    ctx.store.set_segment_status(ctx.store.segments()[1]["id"], "done")
    request = pilot.next_request(ctx.store)
    assert request.kind == "produce" and f"segment_id {segment['id']}" in request.text

    # a shot written but never made (a crash, a stop, a failing backend) is finished first
    shot = dict(ctx.store.shots()[-1], action="the llama stirs the pot")
    for key in ("id", "status", "created_at", "position", "sequence"):
        shot.pop(key)
    left = ctx.store.add_shots(9, [shot])[0]
    request = pilot.next_request(ctx.store)
    assert request.kind == "finish" and f"shots {left['id']}" in request.text

    ctx.store.set_shot_status(left["id"], "dropped")
    ctx.store.set_segment_status(segment["id"], "done")
    assert pilot.next_request(ctx.store).kind == "plan"
    assert "Planned:" in turn(ctx, pilot.next_request(ctx.store).text)
    planned = ctx.store.segments("planned")
    assert len(planned) == 2 and all(s["synopsis"] and s["shots"] == 2 for s in planned)
    assert pilot.next_request(ctx.store).kind == "produce"

    assert "Done" in turn(ctx, f"queue: {NEXT}")
    for s in planned:  # the show's planned segments are made: the queued theme is next
        ctx.store.set_segment_status(s["id"], "done")
    request = pilot.next_request(ctx.store)
    assert (request.kind, request.text) == ("theme", f"theme: {NEXT}")

    ctx.store.db["schedule"].insert({"take_id": 1, "status": "queued"})
    ctx.store.db["takes"].update(1, {"duration_s": 600.0})
    assert pilot.next_request(ctx.store) is None  # the buffer is full: nothing to do


def test_a_new_theme_archives_the_old_show_and_keeps_the_notes(ctx: ToolContext) -> None:
    turn(ctx, f"theme: {THEME}")
    turn(ctx, "more close-ups")
    turn(ctx, f"theme: {NEXT}")
    names = {e["name"] for e in ctx.store.entities()}
    assert "Fox" in names and "Llama" not in names
    shows = ctx.store.shows()
    assert [s["theme"] for s in shows] == [THEME, NEXT]
    assert shows[0]["ended_at"] and not shows[1]["ended_at"]
    archived = json.loads(ctx.store.db["shows"].get(shows[0]["id"])["bible"])
    assert "Llama" in archived["title"] and {e["name"] for e in archived["entities"]} >= {"Llama"}
    assert ctx.store.notes() == ["more close-ups"]
    assert ctx.store.current_segment()["show_id"] == shows[1]["id"]


def test_a_take_made_before_a_crash_is_finished_not_made_again(ctx: ToolContext) -> None:
    turn(ctx, f"theme: {THEME}")
    shot = dict(ctx.store.shots()[-1])
    for key in ("id", "status", "created_at", "position", "sequence"):
        shot.pop(key)
    left = ctx.store.add_shots(9, [shot])[0]
    registry = tools.load()
    made = json.loads(registry.dispatch(ctx, "make_take", json.dumps(
        {"shot_id": left["id"], "seed": None, "emphasis": None})).content)
    takes_before = ctx.store.db["takes"].count
    # ... the channel is killed here; on restart the autopilot asks to finish the shot
    request = autopilot(ctx).next_request(ctx.store)
    assert request.kind == "finish"
    answer = turn(ctx, request.text)
    assert "Finished 1 shots; scheduled 1 takes" in answer
    assert ctx.store.db["takes"].count == takes_before  # nothing generated twice
    assert ctx.store.take(made["take_id"])["status"] == "scheduled"
    assert ctx.store.shot(left["id"])["status"] == "scheduled"
    assert ctx.store.unfinished_shots() == []


def test_the_repl_queues_themes_and_keeps_favourites(ctx: ToolContext) -> None:
    assert command(ctx.store, "/queue") == "No themes queued."
    assert command(ctx.store, f"/queue {NEXT}") == f"Queued: {NEXT}"
    assert command(ctx.store, "/favourite 99") == "no take with id 99"
    assert command(ctx.store, "/favourite x") == "usage: /favourite TAKE_ID"
