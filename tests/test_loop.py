"""The agent loop with a scripted model: tool calls run, errors go back, everything is logged."""

import json

import pytest

import tools
from director.llm import Reply, ToolCall
from director.loop import Conversation, run_turn
from tools.context import ToolContext
from tools.errors import StepLimitExceeded


class ScriptedModel:
    """Replies from a script, and keeps every request it was sent."""

    name = "scripted"
    sees_images = False

    def __init__(self, replies: list[Reply]) -> None:
        self.replies = list(replies)
        self.requests: list[list[dict]] = []

    def complete(self, messages, tools_):
        self.requests.append(json.loads(json.dumps(messages)))
        return self.replies.pop(0)


def calls(*pairs: tuple[str, str]) -> Reply:
    return Reply(None, [ToolCall(f"c{i}_{name}", name, args) for i, (name, args) in
                        enumerate(pairs)])


def test_bad_calls_go_back_to_the_model_and_the_loop_goes_on(ctx: ToolContext) -> None:
    model = ScriptedModel([
        calls(("read_bible", "{}"), ("make_take", '{"shot_id": "x"}')),
        calls(("no_such_tool", "{}"), ("add_note", '{"text": "more close-ups"')),  # truncated
        calls(("add_note", '{"text": "more close-ups"}')),
        Reply("Noted."),
    ])
    answer = run_turn(model, tools.load(), ctx, Conversation("system"), "more close-ups")
    assert answer == "Noted."
    second_request = model.requests[1]
    results = [m["content"] for m in second_request if m["role"] == "tool"]
    assert results[0].startswith('{"bible": null')
    assert results[1].startswith("Error: invalid arguments to make_take: shot_id")
    third = [m["content"] for m in model.requests[2] if m["role"] == "tool"][2:]
    assert third[0].startswith("Error: there is no tool named 'no_such_tool'")
    assert third[1].startswith("Error: the arguments to add_note are not valid JSON")
    assert ctx.store.notes() == ["more close-ups"]
    logged = ctx.store.db.execute("select name, ok from tool_calls order by id").fetchall()
    assert logged == [("read_bible", 1), ("make_take", 0), ("no_such_tool", 0), ("add_note", 0),
                      ("add_note", 1)]
    assert ctx.store.db["llm_calls"].count == 4
    first_call, second_call, *_ = ctx.store.db["llm_calls"].rows
    assert json.loads(first_call["request"])[-1] == {"role": "user", "content": "more close-ups"}
    # each call logs what it added: the reply before it and the tool results, not it all again
    added = json.loads(second_call["request"])
    assert added[0]["role"] == "assistant" and {m["role"] for m in added[1:]} == {"tool"}
    assert sum(len(json.loads(r["request"])) for r in ctx.store.db["llm_calls"].rows) == len(
        model.requests[-1])


def test_every_tool_call_has_its_result_in_order(ctx: ToolContext) -> None:
    model = ScriptedModel([calls(("read_bible", "{}"), ("list_shots", '{"status": null}')),
                           Reply("done")])
    conversation = Conversation("system")
    run_turn(model, tools.load(), ctx, conversation, "hi")
    assistant, *replies = conversation.messages[1:4]
    assert [c["id"] for c in assistant["tool_calls"]] == [r["tool_call_id"] for r in replies]


def test_the_step_cap_raises_a_named_error(ctx: ToolContext) -> None:
    model = ScriptedModel([calls(("read_bible", "{}"))] * 5)
    with pytest.raises(StepLimitExceeded, match="3 steps"):
        run_turn(model, tools.load(), ctx, Conversation("system"), "loop", max_steps=3)


def test_a_long_chat_is_trimmed_at_a_user_message() -> None:
    conversation = Conversation("system", keep=4)
    for i in range(5):
        conversation.messages += [{"role": "user", "content": f"u{i}"},
                                  {"role": "assistant", "content": f"a{i}"}]
    conversation.trim()
    assert conversation.messages[0] == {"role": "user", "content": "u3"}
    assert conversation.request()[0]["role"] == "system"


def test_takes_in_one_reply_are_made_side_by_side_and_answered_in_order(ctx: ToolContext,
                                                                        monkeypatch) -> None:
    """make_take calls in one reply run at once (two endpoints make two takes); the results
    still come back in call order, and ordered tools (schedule_take) stay sequential."""
    import threading
    import time

    from tools import REGISTRY

    active, peak, lock = 0, 0, threading.Lock()
    original = REGISTRY.tools["list_shots"]

    def slow(ctx_, status=None):
        nonlocal active, peak
        with lock:
            active += 1
            peak = max(peak, active)
        time.sleep(0.3)
        with lock:
            active -= 1
        return {"status": status}

    monkeypatch.setitem(REGISTRY.tools, "list_shots",
                        original.__class__(original.name, original.description, slow,
                                           original.arguments, parallel=True))
    model = ScriptedModel([calls(*[("list_shots", json.dumps({"status": s}))
                                   for s in ("planned", "made", "scheduled", "dropped")]),
                           Reply("done")])
    conversation = Conversation("system")
    run_turn(model, tools.load(), ctx, conversation, "go")
    assert peak == 2  # two at a time, never more
    results = [json.loads(m["content"])["status"] for m in conversation.messages
               if m["role"] == "tool"]
    assert results == ["planned", "made", "scheduled", "dropped"]
