"""The agent loop with a scripted model: tool calls run, errors go back, everything is logged."""

import json

import pytest

from webtv import tools
from webtv.core.errors import DirectorGaveUp, StepLimitExceeded
from webtv.director.llm import Reply, ToolCall
from webtv.director.loop import Conversation, run_turn
from webtv.director.protocol import Offer, Request
from webtv.tools.context import ToolContext


class ScriptedModel:
    """Replies from a script, and keeps every request it was sent."""

    name = "scripted"
    sees_images = False

    def __init__(self, replies: list[Reply]) -> None:
        self.replies = list(replies)
        self.requests: list[list[dict]] = []

    def complete(self, messages, tools_, require_tool=False, turn=None):
        self.requests.append(json.loads(json.dumps(messages)))
        return self.replies.pop(0)


def calls(*pairs: tuple[str, str]) -> Reply:
    return Reply(None, [ToolCall(f"c{i}_{name}", name, args) for i, (name, args) in
                        enumerate(pairs)])


def test_bad_calls_go_back_to_the_model_and_the_loop_goes_on(ctx: ToolContext) -> None:
    model = ScriptedModel([
        calls(("set_them", "{}")),
        calls(("add_note", '{"text": "more close-ups"')),  # truncated
        calls(("add_note", '{"text": "more close-ups"}')),
        Reply("Noted."),
    ])
    answer = run_turn(model, tools.load(), ctx, Conversation("system"), "more close-ups")
    assert answer == "Noted."
    results = [m["content"] for m in model.requests[-1] if m["role"] == "tool"]
    assert results[0].startswith("Error: there is no tool named 'set_them' here. Did you mean "
                                 "'set_show'?")
    assert results[1].startswith("Error: the arguments to add_note are not valid JSON")
    assert ctx.store.show.notes() == ["more close-ups"]
    logged = ctx.store.db.execute("select name, ok from tool_calls order by id").fetchall()
    assert logged == [("set_them", 0), ("add_note", 0), ("add_note", 1)]
    assert ctx.store.db["llm_calls"].count == 4
    first_call, second_call, *_ = ctx.store.db["llm_calls"].rows
    assert json.loads(first_call["request"])[-1] == {"role": "user", "content": "more close-ups"}
    # each call logs what it added: the reply before it and the tool results, not it all again
    added = json.loads(second_call["request"])
    assert added[0]["role"] == "assistant" and {m["role"] for m in added[1:]} == {"tool"}
    assert sum(len(json.loads(r["request"])) for r in ctx.store.db["llm_calls"].rows) == len(
        model.requests[-1])


def test_an_assistant_message_with_tool_calls_has_text_content(ctx: ToolContext) -> None:
    """content "" beside tool_calls: llama.cpp's function-calling format refuses null."""
    model = ScriptedModel([calls(("add_note", '{"text": "n"}')), Reply("ok")])
    run_turn(model, tools.load(), ctx, Conversation("system"), "note it")
    assistant = next(m for m in model.requests[-1] if m.get("tool_calls"))
    assert assistant["content"] == ""


def test_a_reply_without_a_call_when_work_was_asked_is_nudged_once(ctx: ToolContext) -> None:
    done = Offer(["add_note"], done=lambda steps: "noted" if steps else None)
    model = ScriptedModel([Reply(""), calls(("add_note", '{"text": "n"}'))])
    assert run_turn(model, tools.load(), ctx, Conversation("s"),
                    Request("chat", "note", done)) == "noted"
    assert model.requests[1][-1]["content"].startswith("You answered without calling a tool")
    assert len(model.requests) == 2  # the done condition ended the turn: no closing call
    model = ScriptedModel([Reply(""), Reply("I'd rather not.")])
    assert run_turn(model, tools.load(), ctx, Conversation("s"),
                    Request("chat", "note", done)) == \
        "I'd rather not."  # nudged once, not forever


def test_only_the_offered_tools_can_be_called(ctx: ToolContext) -> None:
    model = ScriptedModel([calls(("add_note", '{"text": "n"}')), Reply("ok")])
    run_turn(model, tools.load(), ctx, Conversation("s"),
             Request("chat", "x", Offer(["queue_show"])))
    result = [m for m in model.requests[-1] if m["role"] == "tool"][0]["content"]
    assert "no tool named 'add_note' here" in result and "Tools: queue_show." in result
    assert ctx.store.show.notes() == []


def test_calls_after_a_failed_one_in_the_same_reply_are_not_run(ctx: ToolContext) -> None:
    model = ScriptedModel([calls(("write_shots", '{"shots": [{"action": "the fox runs"}]}'),
                                 ("add_note", '{"text": "n"}')), Reply("ok")])
    run_turn(model, tools.load(), ctx, Conversation("s"), "x")
    results = [m["content"] for m in model.requests[-1] if m["role"] == "tool"]
    assert "no show yet" in results[0]
    assert results[1].startswith("Error: not run, because write_shots before it")
    assert ctx.store.show.notes() == []


def test_a_tool_that_keeps_failing_ends_the_turn(ctx: ToolContext) -> None:
    model = ScriptedModel([calls(("write_shots", '{"shots": []}'))] * 5)
    with pytest.raises(DirectorGaveUp, match="write_shots failed 3 times"):
        run_turn(model, tools.load(), ctx, Conversation("s"), "x")
    assert len(model.requests) == 3


def test_the_step_cap_raises_a_named_error(ctx: ToolContext) -> None:
    model = ScriptedModel([calls(("add_note", '{"text": "n"}'))] * 5)
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


def test_an_interrupted_reply_still_answers_every_call(ctx: ToolContext) -> None:
    """Ctrl-C in the middle of a reply's calls: each call has its result (the done one, and
    "interrupted" for the rest), logged, so the next request is one a server accepts."""
    model = ScriptedModel([calls(("add_note", '{"text": "a"}'), ("add_note", '{"text": "b"}')),
                           Reply("Glad to help.")])
    conversation = Conversation("system")
    called = []

    def ctrl_c_on_the_second_call(kind: str, data: dict) -> None:
        if kind == "call":
            called.append(data)
            if len(called) == 2:
                raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        run_turn(model, tools.load(), ctx, conversation, "two notes",
                 on_event=ctrl_c_on_the_second_call)
    asked = [c["id"] for m in conversation.messages for c in m.get("tool_calls") or []]
    answered = [m["tool_call_id"] for m in conversation.messages if m["role"] == "tool"]
    assert answered == asked == ["c0_add_note", "c1_add_note"]
    assert conversation.messages[-1]["content"].startswith("Error: interrupted")
    logged = ctx.store.db.execute("select name, ok from tool_calls order by id").fetchall()
    assert logged == [("add_note", 1), ("add_note", 0)]
    assert ctx.store.show.notes() == ["a"]
    assert run_turn(model, tools.load(), ctx, conversation, "thanks") == "Glad to help."
