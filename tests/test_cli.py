"""What a newcomer meets on the command line (issue 29): help that says what --model takes and
the page's defaults, a busy port said before anything is made, the queue saying when each show
starts, --data-dir after an action, and no director options on commands that run no director."""

import socket
from pathlib import Path

import pytest

from webtv.app.cli import main, parser
from webtv.director.loop import Conversation
from webtv.director.offline import OfflineDirector
from webtv.director.requests import produce_request, theme_request
from webtv.director.turn import carry_out
from webtv.state.datadir import DataDir
from webtv.state.store import Store
from webtv.tools.context import ToolContext


def help_of(*command: str) -> None:
    with pytest.raises(SystemExit):
        parser().parse_args([*command, "--help"])


def test_run_help_names_the_embedded_director_and_the_pages_defaults(capsys) -> None:
    help_of("run")
    said = " ".join(capsys.readouterr().out.split())
    assert "gguf:qwen2.5-coder-1.5b" in said and "gguf:/path/to/model.gguf" in said
    assert "default 8080" in said and "default 127.0.0.1" in said


def test_library_commands_offer_only_what_they_use(capsys) -> None:
    for command in (["channel"], ["channel", "add"], ["tag"], ["queue"], ["status"]):
        help_of(*command)
        said = capsys.readouterr().out
        assert "--data-dir" in said
        for option in ("--model", "--video", "--faults", "--budget"):
            assert option not in said, (command, option)


def test_data_dir_after_the_action(tmp_path: Path, capsys) -> None:
    home = tmp_path / "home"
    Store(DataDir(home, create=True)).close()
    assert main(["channel", "add", "late", "--policy", "recent", "--data-dir", str(home)]) == 0
    assert main(["channel", "list", "--data-dir", str(home)]) == 0
    assert main(["channel", "--data-dir", str(home), "remove", "late"]) == 0
    said = capsys.readouterr().out.splitlines()
    assert said[0].startswith("channel late: plays recent")
    assert said[1].startswith("late: plays recent") and said[2] == "channel late removed"


def test_a_busy_port_is_said_before_the_data_dir_is_made(tmp_path: Path, capsys) -> None:
    home = tmp_path / "new-channel"
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        code = main(["run", "--data-dir", str(home), "--port", str(port), "--theme", "a fox"])
    assert code == 2
    assert f"127.0.0.1:{port}" in capsys.readouterr().err
    assert not home.exists()  # nothing made for a run that could not start


def test_the_queue_says_when_each_show_starts(tmp_path: Path, capsys) -> None:
    data = DataDir(tmp_path / "home", create=True)
    with Store(data) as store:
        ctx = ToolContext.open(store=store, data=data)
        model = OfflineDirector()
        carry_out(model, ctx, Conversation("s"), theme_request("a fox who keeps a lighthouse"))
        carry_out(model, ctx, Conversation("s"),
                  produce_request(ctx, store.programme.current_segment(), 2))
    assert main(["queue", "a paper boat in the rain", "--data-dir", str(data.root)]) == 0
    assert main(["queue", "an owl at night", "--data-dir", str(data.root)]) == 0
    lines = capsys.readouterr().out.strip().splitlines()[-2:]
    # two episodes of 12 shots planned, 2 made: 22 left; the second show waits for 24 more
    assert lines[0].startswith("1. a paper boat in the rain (starts after 22 more shots: in "
                               "about ")
    assert lines[1].startswith("2. an owl at night (starts after 46 more shots: in about ")
    assert " s a take)" in lines[1]
