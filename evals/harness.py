"""`webtv eval`: prompt strategies x themes x seeds, each run in a data dir of its own, measured
from its store. Results go to results.jsonl as they come, so an interrupted eval resumes."""

from __future__ import annotations

import contextlib
import json
import shutil
import sys
import time
import tomllib
from collections.abc import Callable
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

import openai

from webtv import prompts
from webtv.core.errors import ConfigError, DirectorGaveUp, WebTVError
from webtv.director.loop import Conversation
from webtv.director.protocol import ChatModel
from webtv.director.requests import produce_request, theme_request
from webtv.director.turn import carry_out
from webtv.evals import metrics
from webtv.production.backends import local_backends
from webtv.state.datadir import DataDir
from webtv.state.store import Store
from webtv.tools.context import ToolContext

CASES = Path(__file__).parent / "cases"


@dataclass(frozen=True)
class Strategy:
    name: str
    description: str
    writes_prompts: bool
    system: str
    offline: dict[str, Any]


def strategies(names: list[str]) -> list[Strategy]:
    found = []
    for name in names:
        item = resources.files("webtv.prompts").joinpath("strategies", f"{name}.toml")
        if not item.is_file():
            raise ConfigError(f"no strategy {name!r} in prompts/strategies/")
        data = tomllib.loads(item.read_text("utf-8"))
        found.append(Strategy(data["name"], data["description"], data["writes_prompts"],
                              data["system"].strip(), data.get("offline", {})))
    return found


def cases(limit: int | None = None) -> list[tuple[str, dict[str, Any]]]:
    found = sorted((p.stem, tomllib.loads(p.read_text("utf-8"))) for p in CASES.glob("*.toml"))
    if not found:  # an eval of nothing would report "0 runs" and pass
        raise ConfigError(f"no eval cases (*.toml) in {CASES}: the install is missing its data")
    return found[:limit] if limit else found


ModelFor = Callable[[Strategy, int], ChatModel]


def run_one(strategy: Strategy, case: dict[str, Any], seed: int, home: Path,
            model_for: ModelFor, shots: int, fault_rate: float,
            cassette: Any = None) -> dict[str, Any]:
    """One strategy on one theme with one seed: the director builds the show and makes,
    inspects and schedules its shots; then everything is measured."""
    shutil.rmtree(home, ignore_errors=True)  # a run that was cut off starts again clean
    data = DataDir(home)
    store = Store(data)
    ctx = ToolContext.open(store=store, data=data, backends=local_backends(fault_rate), seed=seed)
    system = prompts.render("system.md.j2", channel="AI WebTV") + "\n\n" + strategy.system
    model = model_for(strategy, seed)
    started = time.monotonic()
    try:
        with cassette or contextlib.nullcontext():  # an LLM's traffic is recorded or replayed
            carry_out(model, ctx, Conversation(system), theme_request(case["theme"]))
            segment = store.programme.current_segment()
            if segment is None:
                raise DirectorGaveUp("the director made no show")
            carry_out(model, ctx, Conversation(system), produce_request(
                ctx, segment, shots, writes_prompts=strategy.writes_prompts))
        finished = True
    except (WebTVError, openai.OpenAIError) as exc:  # scored as far as it got
        finished = False
        store.show.add_note(f"eval run stopped: {type(exc).__name__}: {str(exc)[:200]}")
    wall = time.monotonic() - started
    row = measure(store, wall, case["theme"])
    row["finished"] = finished
    store.close()
    return row


def measure(store: Store, wall: float, theme: str = "") -> dict[str, Any]:
    entities = {e["name"]: e for e in store.show.entities()}
    takes = store.takes.takes_with_their_shots()
    texts = [t["prompt"] for t in takes]
    pairs = [(t["prompt"], entities[name]) for t in takes
             for name in t["shot_entities"] or [] if name in entities]
    first = {}
    for t in takes:  # the first take of each shot: did it pass inspection?
        first.setdefault(t["shot_id"], t)
    inspected = [t for t in first.values() if t["status"] != "made"]
    aired = [t for t in takes if t["status"] in ("scheduled", "aired")]
    minutes = sum(t["duration_s"] for t in aired) / 60
    calls = store.calls.tool_call_outcomes(made_by="model")
    tokens = store.calls.llm_tokens()
    row = {
        "theme_fidelity": metrics.theme_fidelity(store, theme),
        "aired_share": len({t["shot_id"] for t in aired}) / max(1, len(first)) if aired else 0.0,
        "continuity_retention": metrics.continuity_retention(pairs),
        "token_overflow_rate": metrics.overflow_rate(texts),
        "risky_word_rate": metrics.risky_rate(texts),
        "motion_specified_rate": metrics.motion_specified_rate(texts),
        "check_pass_rate": (sum(1 for t in inspected if t["status"] != "rejected")
                            / len(inspected) if inspected else 0.0),
        "retakes_per_aired_take": len(takes) / len(aired) - 1 if aired else float("nan"),
        "tool_call_validity": sum(calls) / len(calls) if calls else 0.0,
        "llm_tokens_per_aired_minute": tokens / minutes if minutes else float("nan"),
        "wall_s_per_aired_minute": wall / minutes if minutes else float("nan"),
        "takes": len(takes), "aired": len(aired),
        "sample_sheet": next((t["contact_sheet"] for t in aired if t["contact_sheet"]), None),
    }
    if not aired:  # a run that aired nothing failed: nothing about it is perfect
        row.update(continuity_retention=0.0, token_overflow_rate=1.0, risky_word_rate=1.0,
                   motion_specified_rate=0.0, check_pass_rate=0.0)
    return row


def run_eval(names: list[str], out: Path, model_for: ModelFor, *, themes: int | None = None,
             seeds: int = 1, shots: int = 3, fault_rate: float = 0.3, cassettes=None,
             progress=sys.stderr) -> list[dict[str, Any]]:
    """Every strategy x case x seed; resumes from results.jsonl."""
    out.mkdir(parents=True, exist_ok=True)
    results_file = out / "results.jsonl"
    done = {}
    if results_file.exists():
        for line in results_file.read_text().splitlines():
            row = json.loads(line)
            done[(row["strategy"], row["case"], row["seed"])] = row
    if not names:
        raise ConfigError("no strategies to compare (--strategies raw,guide,...)")
    plan = [(s, c, seed) for s in strategies(names) for c in cases(themes)
            for seed in range(seeds)]
    for i, (strategy, (case_name, case), seed) in enumerate(plan, 1):
        key = (strategy.name, case_name, seed)
        bar = "#" * (30 * i // len(plan))
        print(f"\r[{bar:<30}] {i}/{len(plan)} {strategy.name} {case_name} seed {seed}   ",
              end="", file=progress, flush=True)
        if key in done:
            continue
        home = out / "runs" / f"{strategy.name}-{case_name}-{seed}"
        cassette = cassettes(f"{strategy.name}-{case_name}-{seed}.yaml") if cassettes else None
        row = run_one(strategy, case, seed, home, model_for, shots, fault_rate, cassette)
        row.update(strategy=strategy.name, case=case_name, seed=seed,
                   sample_sheet=str(home / row["sample_sheet"]) if row["sample_sheet"] else None)
        with results_file.open("a") as handle:
            handle.write(json.dumps(row) + "\n")
        done[key] = row
    print(file=progress)
    return [done[(s.name, c, seed)] for s, (c, _), seed in plan]
