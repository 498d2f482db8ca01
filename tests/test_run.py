"""`webtv run` as a person runs it: a theme in, the channel on air as HLS with its page, and a
clean exit on SIGTERM with nothing half written."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.channel import THEME, free_port, get, query, start, wait_for, webtv
from webtv.core.errors import ConfigError


def test_run_puts_a_theme_on_air_and_stops_cleanly(tmp_path: Path) -> None:
    home, port = tmp_path / "home", free_port()
    proc = start(home, "--theme", THEME, "--port", str(port), "--buffer", "9")
    base = f"http://127.0.0.1:{port}"
    try:
        def a_take_on_air():
            now = json.loads(get(f"{base}/api/now"))
            return now if any(e["kind"] == "take" for e in now["on_air"]) else None

        now = wait_for(a_take_on_air, 120, "the first take on air")
        assert "Llama" in now["title"]
        take = next(e for e in now["on_air"] if e["kind"] == "take")
        assert "llama" in take["prompt"].lower()
        page = get(f"{base}/").decode()
        assert "player.js" in page and "<video" in page
        playlist = get(f"{base}/hls/live.m3u8").decode()
        assert "#EXT-X-MAP" in playlist and ".m4s" in playlist
        assert get(f"{base}/hls/init.mp4")[4:8] == b"ftyp"
        assert b"mdat" in get(f"{base}/hls/" + playlist.strip().splitlines()[-1])
        time.sleep(4)  # mid-work: the director is making the next takes
    finally:
        proc.send_signal(signal.SIGTERM)
        output = proc.communicate(timeout=60)[0].decode()
    assert proc.returncode == 0, output
    assert "Off air after" in output
    # a quiet terminal: each call is in the log, the database and the operator page (-v: here);
    # what it says is what is on air and what went wrong
    assert "-> set_show(" not in output and "<- ok" not in output
    assert "Show: " in output and "Llama" in output.split("Show: ")[1].splitlines()[0]

    db = sqlite3.connect(home / "webtv.db")
    assert db.execute("pragma integrity_check").fetchone()[0] == "ok"
    assert db.execute("select count(*) from air_log where ended_at is null").fetchone()[0] == 0
    aired = db.execute("select count(*) from takes where status = 'aired'").fetchone()[0]
    assert aired >= 1
    assert db.execute("select count(*) from schedule where status = 'airing'").fetchone()[0] == 0
    assert db.execute("select count(*) from tool_calls where ok = 1").fetchone()[0] >= 8
    # one model call per request: the show, then each shot list (their work ends the turn)
    assert db.execute("select count(*) from llm_calls").fetchone()[0] >= 2
    assert list((home / "work").iterdir()) == []  # no half-written files left behind
    for (media,) in db.execute("select media from takes"):
        assert (home / media).is_file()

    status = webtv(home, "status")
    assert "Llama" in status and f"{aired} aired" in status
    # stopped: its outputs are not "up", and no programme is said to be on now
    assert "up for" not in status and "Guide:" not in status
    report = json.loads(webtv(home, "status", "--json"))
    assert report["channel"]["stopped"] and not report["channel"]["running"]
    assert report["guide"] == []
    assert report["channel"]["buffer_target_s"] == 9

    # the terminal's air line, read from the same state: what airs, how much was new
    from webtv.channel.ticker import Ticker
    from webtv.state.datadir import DataDir
    from webtv.state.store import Store

    ticker = Ticker(DataDir(home, create=False), print)
    with Store(DataDir(home, create=False), read_only=True) as store:
        said = ticker.news(store, air=True)
        assert said[0].startswith("Show: ") and said[-1].startswith("On air: "), said
        assert "% new" in said[-1] and "s scheduled ahead" in said[-1]
        assert ticker.news(store, air=False) == []  # nothing new: nothing said


def _refused(proc, timeout: float = 60) -> str:
    output = proc.communicate(timeout=timeout)[0].decode()
    assert proc.returncode == 2, output
    assert "Traceback" not in output and len(output.strip().splitlines()) == 1, output
    return output


def test_a_second_run_on_the_same_data_dir_is_refused_before_it_touches_anything(
        tmp_path: Path) -> None:
    from webtv.state.datadir import DataDir

    home = tmp_path / "home"
    data = DataDir(home)
    held = data.hold_run_lock()  # the first run, as far as the data dir can tell
    try:
        scratch = home / "work" / "take-in-the-making.mp4"
        scratch.write_bytes(b"half")
        output = _refused(start(home, "--theme", "another show", "--port", "0"))
        assert "on air already (pid" in output and "--data-dir" in output
        assert scratch.exists() and not (home / "webtv.db").exists()
    finally:
        held.close()


def test_a_port_in_use_is_one_clear_line_and_the_air_is_left_alone(tmp_path: Path) -> None:
    import socket

    home = tmp_path / "home"
    (home / "hls").mkdir(parents=True)
    (home / "hls" / "live.m3u8").write_text("#EXTM3U\n")  # another process is serving it
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        output = _refused(start(home, "--theme", THEME, "--port", str(port)))
    assert f"127.0.0.1:{port}" in output and "--port" in output
    assert (home / "hls" / "live.m3u8").read_text() == "#EXTM3U\n"


def test_ctrl_c_to_the_whole_process_group_stops_the_channel_in_order(tmp_path: Path) -> None:
    """A terminal's Ctrl-C signals the whole foreground process group: FFmpeg children run in
    their own groups, so the signal reaches webtv alone, which stops them in order."""
    home = tmp_path / "home"
    proc = start(home, "--theme", THEME, "--port", "0", "--buffer", "9",
                 start_new_session=True)  # a group of its own, as a terminal's job has
    try:
        wait_for(lambda: query(home, "select count(*) from air_log where kind = 'take'")[0][0],
                 120, "the first take on air")
        children = [int(p) for p in os.listdir("/proc") if p.isdigit()
                    and _parent_and_name(int(p))[0] == proc.pid]
        ffmpegs = [p for p in children if "ffmpeg" in _parent_and_name(p)[1]]
        assert ffmpegs, "the transmitter's FFmpeg is running"
        assert all(os.getpgid(p) != proc.pid for p in ffmpegs)
    finally:
        os.killpg(proc.pid, signal.SIGINT)
        output = proc.communicate(timeout=60)[0].decode()
    assert proc.returncode == 0 and "Off air after" in output, output
    assert "playout failed" not in output and "exited with 255" not in output, output
    assert query(home, "select count(*) from air_log where ended_at is null")[0][0] == 0


def _parent_and_name(pid: int) -> tuple[int, str]:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return 0, ""
    name = stat[stat.index("(") + 1:stat.rindex(")")]
    return int(stat[stat.rindex(")") + 2:].split()[1]), name


def test_a_theme_with_no_words_or_pages_of_them_is_refused_in_one_line(tmp_path: Path) -> None:
    home = tmp_path / "home"
    output = _refused(start(home, "--theme", "   ", "--port", "0"))
    assert "a theme needs words" in output and not home.exists()
    output = _refused(start(home, "--theme", "a fox " * 1000, "--port", "0"))
    assert "at most 1000 characters (this one has 5999)" in output
    queued = subprocess.run([sys.executable, "-m", "webtv.app.cli", "queue", " \t "],
                            env={**os.environ, "WEBTV_HOME": str(home)}, capture_output=True,
                            text=True)
    assert queued.returncode == 2 and "a theme needs words" in queued.stderr


def _webtv(cwd: Path, *args: str, home: Path | None = None) -> subprocess.CompletedProcess:
    environment = {k: v for k, v in os.environ.items() if k not in ("WEBTV_HOME",
                                                                    "WEBTV_LLM_MODEL")}
    if home is not None:
        environment["WEBTV_HOME"] = str(home)
    return subprocess.run([sys.executable, "-m", "webtv.app.cli", *args], cwd=cwd,
                          env={**environment, "PYTHONPATH": str(Path(__file__).parents[1])},
                          capture_output=True, text=True, timeout=120)


def test_commands_pointed_at_no_channel_say_so_and_create_nothing(tmp_path: Path) -> None:
    for args in (["status"], ["status", "--json"], ["queue", "a fox"], ["favourite", "3"]):
        done = _webtv(tmp_path, *args)
        assert done.returncode == 2 and "no channel at" in done.stderr, (args, done.stderr)
        assert "Traceback" not in done.stderr and done.stdout == ""
    assert list(tmp_path.iterdir()) == []  # no ./webtv-data made on the way


def test_a_data_dir_that_cannot_be_used_is_one_clear_line(tmp_path: Path) -> None:
    in_the_way = tmp_path / "home"
    in_the_way.write_text("a file where the data dir should be")
    done = _webtv(tmp_path, "run", "--theme", THEME, "--port", "0", home=in_the_way)
    assert done.returncode == 2 and "cannot use" in done.stderr and "Traceback" not in done.stderr
    home = tmp_path / "garbled"
    home.mkdir()
    (home / "webtv.db").write_bytes(b"not a database at all" * 100)
    done = _webtv(tmp_path, "status", home=home)
    assert done.returncode == 2 and "not a usable database" in done.stderr, done.stderr
    assert "Traceback" not in done.stderr


def test_configuration_mistakes_are_errors_not_silent_defaults(tmp_path: Path) -> None:
    home = tmp_path / "home"
    done = _webtv(tmp_path, "run", "--theme", THEME, "--port", "0", "--config",
                  str(tmp_path / "missing.toml"), home=home)
    assert done.returncode == 2 and "no configuration file at" in done.stderr, done.stderr
    for text, said in (('[backends]\nvidoe = "zeroscope"\n', "did you mean 'video'?"),
                       ('[[endpoint]]\nbackend = "zeroscope"\n', "did you mean 'endpoints'?")):
        (tmp_path / "webtv.toml").write_text(text)
        done = _webtv(tmp_path, "run", "--theme", THEME, "--port", "0", "--config",
                      str(tmp_path / "webtv.toml"), home=home)
        assert done.returncode == 2 and said in done.stderr, done.stderr


def test_a_failed_thread_stops_the_run_and_everything_closes_in_order(tmp_path: Path) -> None:
    """The runtime owns a run's threads and its stop event: one thread failing stops the
    others, the failure is kept by name, and what was opened closes after the threads end,
    the run lock last (a second run may start the moment it is released)."""
    from webtv.channel.runtime import Runtime
    from webtv.core.settings import Settings

    settings = Settings.from_env(data_dir=tmp_path / "home")
    closed: list[str] = []
    with Runtime(settings) as run:
        with pytest.raises(ConfigError, match="already"):  # the lock is held
            Runtime(settings).__enter__()
        run.on_close(lambda: closed.append("store"), lambda: closed.append("page"))
        run.start("worker", lambda: (run.stop.wait(), closed.append("worker")))
        run.start("playout", lambda: 1 / 0)
        assert run.stop.wait(5)
    assert isinstance(run.errors["playout"], ZeroDivisionError)
    assert closed == ["worker", "page", "store"]
    with Runtime(settings):  # released
        pass


def test_a_kept_thread_starts_again_and_five_quick_failures_end_the_run(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The main playout is kept: a failure starts it again (and says so); failing five times
    in a row, each soon after it started, it is not going to work, and the run stops."""
    from webtv.channel import runtime
    from webtv.channel.runtime import Runtime
    from webtv.core.settings import Settings

    monkeypatch.setattr(runtime, "MAX_BACKOFF", 0.05)
    monkeypatch.setattr(runtime, "STEADY_S", 0.2)
    settings = Settings.from_env(data_dir=tmp_path / "home")
    reports: list[dict] = []
    runs = []

    def flaky() -> None:
        runs.append(1)
        if len(runs) == 2:  # the second start runs steadily for a while: the count restarts
            time.sleep(0.3)
        raise OSError(f"no space left (run {len(runs)})")

    with Runtime(settings) as run:
        run.keep("playout", flaky, report=reports.append, give_up_after=5)
        assert run.stop.wait(10)
    assert len(runs) == 6 and isinstance(run.errors["playout"], OSError)
    assert [r["state"] for r in reports[:2]] == ["restarting", "on air"]
    assert reports[-1] == {**reports[-1], "state": "restarting", "restarts": 6,
                           "last_error": "OSError: no space left (run 6)"}
