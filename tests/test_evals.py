"""The eval harness: metrics on hand-made examples, reports that parse, and runs that replay
to the same numbers (the offline director, and an LLM's traffic from a recorded cassette).

The cassette was recorded from the local llama.cpp server described in test_openai_client.py
(Qwen2.5-Coder-1.5B-Instruct):
    WEBTV_RECORD_LLM_URL=http://127.0.0.1:8765/v1 pytest tests/test_evals.py
"""

from __future__ import annotations

import csv
import json
import os
from pathlib import Path

import pytest
import vcr
from PIL import Image

from webtv.director.llm import OpenAIChat
from webtv.director.offline import OfflineDirector
from webtv.evals import metrics
from webtv.evals.harness import cases, run_eval, strategies
from webtv.evals.report import METRICS, mean_ci, score, write

FOX = {"name": "Fox", "colours": {"fur": "orange", "scarf": "green"}}
CASSETTES = Path(__file__).parent / "cassettes" / "test_evals"
RECORD_URL = os.environ.get("WEBTV_RECORD_LLM_URL")
TIMING = {"wall_s_per_aired_minute", "sample_sheet"}  # differ run to run by nature


def test_retention_counts_each_detail_once() -> None:
    assert metrics.retention("a small fox with orange fur and a green scarf", FOX) == 1.0
    assert metrics.retention("a fox (orange fur), running", FOX) == 0.5
    assert metrics.retention("a fox running", FOX) == 0.0
    pairs = [("orange fur, green scarf", FOX), ("a fox", FOX)]
    assert metrics.continuity_retention(pairs) == 0.5


def test_prompt_rates() -> None:
    texts = ["a cat, camera pans left", "a cat shot on Canon EOS in 4k", "cat " * 80]
    assert metrics.overflow_rate(texts) == pytest.approx(1 / 3)
    assert metrics.risky_rate(texts) == pytest.approx(1 / 3)
    assert metrics.motion_specified_rate(texts) == pytest.approx(1 / 3)


def test_mean_and_interval() -> None:
    assert mean_ci([1.0]) == (1.0, 0.0)
    mean, half = mean_ci([1.0, 2.0, 3.0])
    assert mean == 2.0 and half == pytest.approx(1.96 * 1.0 / 3 ** 0.5)


def test_the_shipped_strategies_and_cases() -> None:
    assert [s.name for s in strategies(["raw", "guide", "bible", "critic"])] == [
        "raw", "guide", "bible", "critic"]
    shipped = cases()
    assert len(shipped) >= 12
    assert len({c["kind"] for _, c in shipped}) >= 5  # characters, animals, landscapes, ...


def offline(strategy, seed):
    return OfflineDirector(shots_per_request=1, seed=seed,
                           strategy=strategy.offline if strategy.writes_prompts else None)


def test_an_offline_eval_ranks_and_reports_the_same_twice(tmp_path: Path) -> None:
    runs = [run_eval(["raw", "bible"], tmp_path / name, offline, themes=1, shots=1)
            for name in ("a", "b")]
    strip = [[{k: v for k, v in row.items() if k not in TIMING} for row in rows]
             for rows in runs]
    assert json.dumps(strip[0]) == json.dumps(strip[1])  # NaN-safe equality
    raw, bible = runs[0]
    assert bible["continuity_retention"] == 1.0 and raw["continuity_retention"] == 0.0
    assert raw["risky_word_rate"] == 1.0 and bible["risky_word_rate"] == 0.0
    report = write(runs[0], tmp_path / "a", with_html=True)
    text = report.read_text()
    assert text.index("| 1 | bible |") < text.index("| 2 | raw |")
    with (tmp_path / "a" / "results.csv").open() as handle:
        assert [r["strategy"] for r in csv.DictReader(handle)] == ["raw", "bible"]
    for png in (tmp_path / "a" / "plots").glob("*.png"):
        assert Image.open(png).size == (640, 360)
    assert "data:image/png;base64" in (tmp_path / "a" / "report.html").read_text()
    again = run_eval(["raw", "bible"], tmp_path / "a", offline, themes=1, shots=1)
    assert again == runs[0]  # resumed from results.jsonl: nothing ran twice


def test_an_llm_eval_replays_to_identical_numbers(tmp_path: Path) -> None:
    name = "bible-balloon-fox-0.yaml"
    if RECORD_URL:
        (CASSETTES / name).unlink(missing_ok=True)
    recorder = vcr.VCR(cassette_library_dir=str(CASSETTES),
                       record_mode="all" if RECORD_URL else "none",
                       filter_headers=["authorization"], match_on=["method", "path"])

    def model_for(strategy, seed):
        return OpenAIChat(RECORD_URL or "http://127.0.0.1:8765/v1",
                          "qwen2.5-coder-1.5b-instruct", None, timeout=300)

    runs = []
    for out in ("first", "second"):
        rows = run_eval(["bible"], tmp_path / out, model_for, themes=1, shots=1,
                        cassettes=recorder.use_cassette)
        runs.append([{k: v for k, v in r.items() if k not in TIMING} for r in rows])
        if RECORD_URL:  # the second run replays what the first recorded
            recorder = vcr.VCR(cassette_library_dir=str(CASSETTES), record_mode="none",
                               filter_headers=["authorization"], match_on=["method", "path"])
    assert json.dumps(runs[0]) == json.dumps(runs[1])  # NaN-safe equality
    row = runs[0][0]
    assert row["finished"] is True and row["aired"] >= 1  # the 1.5B model made a show and a shot
    assert row["tool_call_validity"] == 1.0 and row["theme_fidelity"] >= 0.8
    # one call for the show, one for the shot list: the turns end when their work is done
    assert (CASSETTES / name).read_text().count("uri: http://127.0.0.1:8765/v1/chat/completions") \
        == 2


def test_a_run_that_aired_nothing_is_a_failure_not_perfect(store) -> None:
    from webtv.evals.harness import measure

    row = measure(store, 12.0, "a fox who delivers mail by balloon")
    assert row["aired"] == 0 and row["aired_share"] == 0.0 and row["theme_fidelity"] == 0.0
    assert row["continuity_retention"] == 0.0 and row["token_overflow_rate"] == 1.0
    assert row["risky_word_rate"] == 1.0 and row["check_pass_rate"] == 0.0
    summary = {m: (row[m], 0.0) for m, _ in METRICS if isinstance(row.get(m), float)}
    assert score(summary) == 0.0


def test_an_eval_of_nothing_is_an_error_not_an_empty_report(tmp_path: Path,
                                                             monkeypatch) -> None:
    """A wheel that shipped without its cases reported "0 strategies, 0 runs" and exit 0."""
    from webtv.core.errors import ConfigError
    from webtv.evals import harness

    monkeypatch.setattr(harness, "CASES", tmp_path / "cases")
    with pytest.raises(ConfigError, match="no eval cases"):
        harness.run_eval(["raw"], tmp_path / "out", lambda strategy, seed: None)
    with pytest.raises(ConfigError, match="no strategy 'nonesuch'"):
        harness.strategies(["nonesuch"])
