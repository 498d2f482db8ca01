"""`webtv chat`: a person's lines go to the director; each tool call and result is shown."""

from __future__ import annotations

from pathlib import Path

from webtv.channel.chat import repl
from webtv.core.settings import Settings
from webtv.state.datadir import DataDir
from webtv.state.store import Store


def test_a_chat_session_changes_the_bible(tmp_path: Path, capsys) -> None:
    lines = iter(["theme: a fox who delivers mail by balloon",
                  "make the fox's scarf green from now on", "more close-ups", "/status"])
    out: list[str] = []

    def read(prompt: str) -> str:
        try:
            return next(lines)
        except StopIteration:
            raise EOFError from None

    settings = Settings(data_dir=tmp_path / "home")
    assert repl(settings, read=read, write=out.append) == 0
    printed = capsys.readouterr().out
    assert "-> set_show(" in printed and "<- ok set_show" in printed
    assert "-> make_take(" in printed and "<- ok inspect_take" in printed
    assert "-> update_cast(" in printed and '"scarf": "green"' in printed
    answers = [line for line in printed.splitlines() if line.startswith("director: ")]
    assert any(a.startswith("director: Fox looks like this from now on:") and "scarf green"
               in a for a in answers), answers
    assert 'director: Noted: "more close-ups".' in answers
    assert not any("{" in a for a in answers), answers  # sentences, not a tool's JSON
    store = Store(DataDir(tmp_path / "home"))
    fox = store.show.entity("Fox")
    assert fox["colours"]["scarf"] == "green"
    assert store.show.notes() == ["more close-ups"]
    assert any("Show:" in o and "Fox" in o for o in out)  # /status
    store.close()


def test_questions_the_store_knows_are_answered_from_it_with_any_director(
        tmp_path: Path, capsys) -> None:
    """The offline director cannot read "what is on air?": the chat answers it (and what is
    next, why a take failed, a shot's prompt) from the store; a creative line still goes to
    the director."""
    from webtv.channel.answers import store_answer

    lines = iter(["theme: a fox who delivers mail by balloon", "why did that take fail?"])

    def read(prompt: str) -> str:
        try:
            return next(lines)
        except StopIteration:
            raise EOFError from None

    assert repl(Settings(data_dir=tmp_path / "home"), read=read, write=lambda s: None) == 0
    printed = capsys.readouterr().out  # the REPL's line answered, not a canned hint
    assert "director: No take has failed its checks." in printed
    store = Store(DataDir(tmp_path / "home"))
    try:
        assert "Nothing is on air yet" in store_answer(store, "what is on air?")
        take = store.air.upcoming(1)[0]
        assert f"take {take['id']}" in store_answer(store, "What's next?")
        entry = store.air.claim(take["schedule_id"])
        store.air.log_air(session="s", channel="main", kind="take", take_id=take["id"],
                          stream_start=0.0, stream_end=3.0, started_at="2026-12-07T00:00:00")
        assert entry and f"the premiere of take {take['id']}" in store_answer(
            store, "what's on air right now?")
        assert take["prompt"] in store_answer(store, "what was the prompt?")
        assert take["prompt"] in store_answer(store, f"prompt of shot {take['shot_id']}?")
        store.takes.record_checks(take["id"], [{"name": "motion_direction", "passed": False,
                                                "value": -0.2, "threshold": 0.0,
                                                "detail": "the fox moves the other way"}])
        store.takes.set_take_status(take["id"], "rejected", "motion_direction -0.20")
        said = store_answer(store, "why did that take fail?")
        assert f"Take {take['id']}" in said and "the fox moves the other way" in said
        assert "No rejected take 999" in store_answer(store, "why was take 999 rejected?")
        for asked in ("whats on now?", "what are we watching?", "what is this?",
                      "up next?", "what comes next", "show me the prompt for take 1",
                      "why did shot 1 fail", "what went wrong with take 1?",
                      "can you tell me what is on air?", "is anything on air?",
                      "what is on the schedule?"):
            assert store_answer(store, asked) is not None, asked
        for creative in ("make the fox's scarf green", "more close-ups next time",
                         "theme: a paper boat", "make the next scene more playful",
                         "what if the fox had a hat?", "why not add a dragon",
                         "the prompt should mention rain", "next show: a paper boat",
                         "tell me a story about a fox"):
            assert store_answer(store, creative) is None, creative
    finally:
        store.close()
