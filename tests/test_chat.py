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
