"""Programming for weeks of air: a show in segments planned ahead, themes queued for the next
shows, and a restart that finishes interrupted work instead of making it again."""

from __future__ import annotations

import json
import threading

import httpx
import openai

from webtv.channel.autopilot import FINISH, Autopilot
from webtv.channel.chat import command
from webtv.core.settings import Settings
from webtv.director.loop import Conversation
from webtv.director.offline import OfflineDirector
from webtv.director.requests import chat_request, produce_request, theme_request
from webtv.director.turn import carry_out
from webtv.production import takes
from webtv.tools.context import ToolContext

THEME = "a llama who runs a night-time noodle stand"
NEXT = "a fox who delivers mail by balloon"


def turn(ctx: ToolContext, request) -> str:
    return carry_out(OfflineDirector(), ctx, Conversation("system"), request)


def autopilot(ctx: ToolContext) -> Autopilot:
    return Autopilot(Settings.from_env(data_dir=ctx.data.root), buffer_seconds=600,
                     shots_per_turn=1)


def test_the_autopilot_asks_for_what_comes_next_in_order(ctx: ToolContext) -> None:
    pilot = autopilot(ctx)
    assert pilot.next_request(ctx) is None  # no show, no theme: nothing to ask
    pilot.pending_theme = THEME
    request = pilot.next_request(ctx)
    assert (request.kind, request.offer.tools) == ("theme", ["set_show"])
    turn(ctx, request)
    pilot.pending_theme = None
    segment = ctx.store.programme.current_segment()  # a show starts with two segments planned
    assert (segment["title"], segment["written"]) == ("Llama Begins", 0)
    assert [s["position"] for s in ctx.store.programme.segments()] == [1, 2]
    request = pilot.next_request(ctx)
    assert request.kind == "produce" and request.segment_id == segment["id"]
    assert "Write the next 1 shots" in request.text and "Cast: Llama." in request.text
    assert request.offer.choices == {"who": ["Llama"], "where": ["Night-Time Noodle Stand"]}
    turn(ctx, request)
    assert ctx.store.programme.segment(segment["id"])["written"] == 1

    # a shot written but never made (a crash, a stop, a failing backend) is finished first
    shot = dict(ctx.store.takes.shots()[-1], action="the llama stirs the pot")
    for key in ("id", "status", "created_at", "position", "sequence"):
        shot.pop(key)
    left = ctx.store.takes.add_shots(9, [shot])[0]
    assert pilot.next_request(ctx) is FINISH

    ctx.store.takes.set_shot_status(left["id"], "dropped")
    for s in ctx.store.programme.segments():
        ctx.store.programme.set_segment_status(s["id"], "done")
    request = pilot.next_request(ctx)
    assert request.kind == "plan" and request.offer.tools == ["plan_episodes"]
    assert "Planned:" in turn(ctx, request)
    planned = ctx.store.programme.segments("planned")
    assert len(planned) == 3 and all(s["synopsis"] for s in planned)  # PLAN_AHEAD
    assert pilot.next_request(ctx).kind == "produce"

    assert turn(ctx, chat_request(ctx, f"queue: {NEXT}")).startswith(f"Queued \"{NEXT}\"")
    for s in planned:  # the show's planned segments are made: the queued theme is next
        ctx.store.programme.set_segment_status(s["id"], "done")
    request = pilot.next_request(ctx)
    assert (request.kind, request.theme) == ("theme", NEXT)

    ctx.store.db["schedule"].insert({"take_id": 1, "status": "queued"})
    ctx.store.db["takes"].update(1, {"duration_s": 600.0})
    assert pilot.next_request(ctx) is None  # the buffer is full: nothing to do


def test_a_new_theme_archives_the_old_show_and_keeps_the_notes(ctx: ToolContext) -> None:
    turn(ctx, theme_request(THEME))
    turn(ctx, chat_request(ctx, "more close-ups"))
    turn(ctx, chat_request(ctx, f"theme: {NEXT}"))
    names = {e["name"] for e in ctx.store.show.entities()}
    assert "Fox" in names and "Llama" not in names
    shows = ctx.store.programme.shows()
    assert [s["theme"] for s in shows] == [THEME, NEXT]
    assert shows[0]["ended_at"] and not shows[1]["ended_at"]
    archived = json.loads(ctx.store.db["shows"].get(shows[0]["id"])["bible"])
    assert "Llama" in archived["title"] and {e["name"] for e in archived["entities"]} >= {"Llama"}
    assert ctx.store.show.notes() == ["more close-ups"]
    assert ctx.store.programme.current_segment()["show_id"] == shows[1]["id"]


def test_a_take_made_before_a_crash_is_finished_not_made_again(ctx: ToolContext) -> None:
    turn(ctx, theme_request(THEME))
    turn(ctx, produce_request(ctx, ctx.store.programme.current_segment(), 1))
    shot = dict(ctx.store.takes.shots()[-1])
    for key in ("id", "status", "created_at", "position", "sequence"):
        shot.pop(key)
    left = ctx.store.takes.add_shots(9, [shot])[0]
    made = takes.make_take(ctx.production, left["id"], seed=5)
    takes_before = ctx.store.db["takes"].count
    calls_before = ctx.store.db["llm_calls"].count
    # ... the channel is killed here; on restart the autopilot finishes the shot by itself
    pilot = autopilot(ctx)
    assert pilot.next_request(ctx) is FINISH
    pilot._work(ctx, FINISH, threading.Event())
    assert ctx.store.db["takes"].count == takes_before  # nothing generated twice
    assert ctx.store.db["llm_calls"].count == calls_before  # and no model asked
    assert ctx.store.takes.take(made["take_id"])["status"] == "scheduled"
    assert ctx.store.takes.shot(left["id"])["status"] == "scheduled"
    assert ctx.store.programme.unfinished_shots() == []


class Broken:
    """A model whose every call fails, then one that answers."""

    name, sees_images, strict_tools = "broken", False, False

    def __init__(self) -> None:
        self.calls = 0

    def complete(self, messages, tools_, require_tool=False, turn=None):
        self.calls += 1
        if self.calls <= 2:
            raise openai.APIConnectionError(request=httpx.Request("POST", "http://127.0.0.1"))
        return OfflineDirector().complete(messages, tools_, require_tool=require_tool, turn=turn)


def test_a_failed_theme_turn_is_retried_until_the_show_exists(ctx: ToolContext,
                                                              monkeypatch) -> None:
    pilot = autopilot(ctx)
    pilot.model = Broken()
    waits = []
    stop = threading.Event()
    monkeypatch.setattr(stop, "wait", lambda seconds: waits.append(seconds))
    pilot.pending_theme = THEME
    for _ in range(3):
        pilot._work(ctx, pilot.next_request(ctx), stop)
    assert waits == [5.0, 10.0]  # backoff, and the channel said why
    assert ctx.store.show.bible()["theme"] == THEME and pilot.pending_theme is None
    assert pilot.next_request(ctx).kind == "produce"


def test_the_repl_queues_themes_and_keeps_favourites(ctx: ToolContext) -> None:
    assert command(ctx.store, "/queue") == "No themes queued."
    assert command(ctx.store, f"/queue {NEXT}") == f"Queued: {NEXT}"
    assert command(ctx.store, "/favourite 99") == "no take with id 99"
    assert command(ctx.store, "/favourite x") == "usage: /favourite TAKE_ID [off]"


def test_every_way_to_keep_a_take_says_the_same(ctx: ToolContext) -> None:
    """The tool, the REPL (and the operator page's chat) and `webtv favourite` share one rule
    and one sentence."""
    from webtv import tools

    shot = ctx.store.takes.add_shots(None, [{"action": "a fox naps"}])[0]
    take = ctx.store.takes.add_take(shot_id=shot["id"], seed=1, prompt="a fox", duration_s=3.0)
    said = command(ctx.store, f"/favourite {take['id']}")
    assert said == f"take {take['id']} is a favourite: retention keeps it"
    assert ctx.store.takes.take(take["id"])["favourite"] == 1
    result = tools.load().dispatch(ctx, "mark_favourite", json.dumps(
        {"take_id": take["id"], "favourite": False}))
    assert json.loads(result.content)["said"] == command(ctx.store, f"/favourite {take['id']} off")
    assert ctx.store.takes.take(take["id"])["favourite"] == 0
