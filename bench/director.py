"""How well a director directs: the offline planner, the embedded 1.5B model, or any --model.

For each theme, in a fresh data dir with the local backends: the theme request, then produce
requests until --takes takes are scheduled (or --turns requests have run). No playout: a take
on the schedule is what airs next. Prints one row per director with
  first take  seconds from the theme to the first take scheduled
  calls/take  the model's tool calls per scheduled take (production steps are the code's)
  valid       share of the model's tool calls that worked
  llm/take    model calls (completions) per scheduled take
  tok/take    prompt + completion tokens per scheduled take
  idle turns  requests that scheduled nothing (and made no show or plan)
  model's own share of the theme's content words in what the model itself wrote: its logged
              tool-call arguments, before the code repaired or composed anything
  bible       the same share in the bible and the take prompts, after the code's repairs
  on screen   the same share in the prompts of the scheduled takes alone
  cast named  share of the characters the theme names (labelled by hand) that the model's own
              cast names
A director "none" is the baseline: it contributes no word of the theme (a cast of "Zed, blue
hat", no place, no style, actions like "Zed stands"), so its bible and on-screen figures are
what the code's repairs make by themselves.

    python bench/director.py [--director offline] [--director gguf:qwen2.5-coder-1.5b]
                             [--director MODEL --base-url URL] [--themes 8] [--takes 6]
                             [--theme "a theme of your own" ...]
    python bench/director.py --run-dir DATA_DIR   # the same figures for a `webtv run`, aired
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import openai  # noqa: E402

from webtv.core.errors import WebTVError  # noqa: E402
from webtv.core.settings import Settings  # noqa: E402
from webtv.director.llm import Reply, ToolCall  # noqa: E402
from webtv.director.loop import Conversation  # noqa: E402
from webtv.director.models import chat_model
from webtv.director.requests import plan_request, produce_request, theme_request  # noqa: E402
from webtv.director.turn import carry_out, system_prompt  # noqa: E402
from webtv.evals.metrics import made_texts  # noqa: E402
from webtv.reading.theme import fidelity  # noqa: E402
from webtv.state.datadir import DataDir  # noqa: E402
from webtv.state.store import Store  # noqa: E402
from webtv.tools.context import ToolContext  # noqa: E402

THEMES = [  # photoreal, animal, landscape, several characters, other languages and scripts
    "A panda chef cooking dumplings in a tiny kitchen, cartoon style",
    "A cat astronaut floating through a colorful nebula",
    "a lighthouse keeper and her grey cat in a storm",
    "a red panda who repairs bicycles in a busy market",
    "Waves crashing on a black sand beach at sunset, photoreal",
    "Two old fishermen mending nets in a rainy harbour at dawn, Studio Ghibli style",
    "Un chat astronaute dans une nébuleuse colorée",
    "🐼🍜 في مطبخ صغير",
    "a girl in a yellow hoodie skateboarding through a neon city at night",
    "A knight and a dragon sharing tea in a misty forest, watercolor",
]


# The characters each theme names, labelled by hand: "cast named" is scored against these, not
# against reading.theme (the reader that writes the offline director's cast would score it
# against itself). Themes of bench/themes.toml and themes_heldout.toml carry their own labels.
NAMED = {
    THEMES[0]: ["panda chef"], THEMES[1]: ["cat astronaut"],
    THEMES[2]: ["lighthouse keeper", "cat"], THEMES[3]: ["red panda"], THEMES[4]: [],
    THEMES[5]: ["fishermen"], THEMES[6]: ["chat astronaute"], THEMES[7]: ["🐼"],
    THEMES[8]: ["girl"], THEMES[9]: ["knight", "dragon"],
}


def named_in(theme: str) -> list[str] | None:
    """The characters a theme names, from the hand labels; None for a theme with none."""
    if theme in NAMED:
        return NAMED[theme]
    import tomllib

    for name in ("themes.toml", "themes_heldout.toml"):
        labelled = tomllib.loads((Path(__file__).with_name(name)).read_text())["theme"]
        for case in labelled:
            if case["text"] == theme:
                return [c.split(":")[0] for c in case["cast"] if not c.endswith(":none")]
    return None


class NoModel:
    """The baseline: valid calls that say nothing of the theme, through the same tools."""

    name = "none"
    sees_images = False
    MOVES = ["stands", "walks", "turns", "waits", "looks up", "sits", "nods", "leaves",
             "returns", "kneels", "points", "smiles"]

    def __init__(self) -> None:
        self.count = 0

    def complete(self, messages, tools, *, require_tool=False, turn=None) -> Reply:
        offered = {t["function"]["name"]: t["function"] for t in tools}
        if "set_show" in offered:
            call = ("set_show", {"title": "Show", "logline": "A show.",
                                 "cast": [{"name": "Zed", "look": "Zed, blue hat"}]})
        elif "plan_episodes" in offered:
            call = ("plan_episodes", {"episodes": [{"title": f"Part {i}"} for i in (1, 2, 3)]})
        elif "write_shots" in offered:
            shots = offered["write_shots"]["parameters"]["properties"]["shots"]
            moves = []
            for _ in range(shots.get("minItems") or 2):
                self.count += 1
                moves.append({"action": f"Zed {self.MOVES[self.count % len(self.MOVES)]} "
                                        f"{'again ' * (self.count // len(self.MOVES))}".strip()})
            call = ("write_shots", {"shots": moves})
        else:
            return Reply("Done.")
        return Reply("", [ToolCall(f"call_{self.count}", call[0], json.dumps(call[1]))])


def one_theme(settings: Settings, model, theme: str, takes: int, turns: int) -> dict:
    home = Path(tempfile.mkdtemp(prefix="webtv-bench-director-"))
    data = DataDir(home)
    store = Store(data)
    ctx = ToolContext.open(store=store, data=data)
    system = system_prompt(settings)
    started = time.monotonic()
    first_take = None
    idle = 0
    for turn in range(turns):
        before = (store.db["schedule"].count, bool(store.show.bible()),
                  len(store.programme.segments()))
        if store.show.bible() is None:
            request = theme_request(theme)
        elif store.programme.current_segment() is None:
            request = plan_request(ctx)
        else:
            segment = store.programme.current_segment()
            request = produce_request(ctx, segment, max(1, min(
                6, segment["shots"] - segment["written"])))
        try:
            carry_out(model, ctx, Conversation(system), request)
        except (WebTVError, openai.OpenAIError) as exc:
            print(f"    turn {turn + 1} failed: {str(exc)[:160]}", flush=True)
        after = (store.db["schedule"].count, bool(store.show.bible()),
                 len(store.programme.segments()))
        idle += after == before
        if first_take is None and store.db["schedule"].count:
            first_take = time.monotonic() - started
        if store.db["schedule"].count >= takes:
            break
    row = measure(store, theme)
    row.update(first_take_s=first_take, idle_turns=idle, turns=turn + 1,
               wall_s=time.monotonic() - started)
    store.close()
    shutil.rmtree(home, ignore_errors=True)
    return row


def measure(store: Store, theme: str) -> dict:
    scheduled = store.db["schedule"].count
    calls = list(store.db.query("select ok from tool_calls where made_by = 'model'"))
    llm = next(store.db.query("select count(*) as n, coalesce(sum(prompt_tokens), 0) as p, "
                              "coalesce(sum(completion_tokens), 0) as c from llm_calls"))
    own = [t for c in store.db.query("select arguments from tool_calls where made_by = 'model'")
           for t in _strings(c["arguments"])]
    cast = [t for c in store.db.query("select arguments from tool_calls where made_by = 'model' "
                                      "and name = 'set_show' and ok = 1")
            for member in (_loaded(c["arguments"]).get("cast") or [])
            for t in _strings(json.dumps(member))]
    named = named_in(theme)
    return {"scheduled": scheduled, "calls": len(calls), "valid": sum(c["ok"] for c in calls),
            "llm_calls": llm["n"], "prompt_tokens": llm["p"], "completion_tokens": llm["c"],
            "model_fidelity": fidelity(theme, own),
            "cast_named": None if named is None else sum(fidelity(n, cast) for n in named)
            / len(named) if named else 1.0,
            "fidelity": fidelity(theme, made_texts(store)),
            "screen_fidelity": fidelity(theme, [r["prompt"] for r in store.db.query(
                "select prompt from takes where status in ('scheduled', 'aired')")]),
            "cast": [e["name"] for e in store.show.entities()]}


def _loaded(arguments: str) -> dict:
    try:
        value = json.loads(arguments or "{}")
    except json.JSONDecodeError:
        return {}
    return value if isinstance(value, dict) else {}


def _strings(arguments: str) -> list[str]:
    """Every string in a call's arguments as the model wrote them (broken JSON: the text)."""
    try:
        value = json.loads(arguments or "{}")
    except json.JSONDecodeError:
        return [arguments]

    def walk(node):
        if isinstance(node, str):
            yield node
        elif isinstance(node, dict):
            for v in node.values():
                yield from walk(v)
        elif isinstance(node, list):
            for v in node:
                yield from walk(v)

    return list(walk(value))


def summary(name: str, rows: list[dict]) -> str:
    takes = sum(r["scheduled"] for r in rows) or float("nan")
    calls = sum(r["calls"] for r in rows)
    firsts = sorted(r["first_take_s"] for r in rows if r["first_take_s"] is not None)
    median = f"{firsts[len(firsts) // 2]:.0f}" if firsts else "-"
    return (f"| {name} | {len(rows)} | {sum(r['scheduled'] for r in rows)} | {median} | "
            f"{calls / takes:.2f} | {sum(r['valid'] for r in rows) / max(1, calls):.2f} | "
            f"{sum(r['llm_calls'] for r in rows) / takes:.2f} | "
            f"{sum(r['prompt_tokens'] for r in rows) / takes:.0f} + "
            f"{sum(r['completion_tokens'] for r in rows) / takes:.0f} | "
            f"{sum(r['idle_turns'] for r in rows)} | "
            f"{sum(r['model_fidelity'] for r in rows) / len(rows):.2f} | "
            f"{sum(r['fidelity'] for r in rows) / len(rows):.2f} | "
            f"{sum(r['screen_fidelity'] for r in rows) / len(rows):.2f} | "
            f"{_mean([r['cast_named'] for r in rows])} |")


def _mean(values: list[float | None]) -> str:
    """The mean of the labelled themes' figures ("-" where none is labelled)."""
    known = [v for v in values if v is not None]
    return f"{sum(known) / len(known):.2f}" if known else "-"


def report_run(home: Path) -> None:
    """A channel's data dir after `webtv run`: what the director's takes did on air."""
    store = Store(DataDir(home))
    theme = (store.show.bible() or {}).get("theme") or ""
    row = measure(store, theme)
    first_air = next(store.db.query("select min(started_at) as t from air_log"))["t"]
    first_take = next(store.db.query(
        "select min(started_at) as t from air_log where kind = 'take'"))["t"]
    aired = next(store.db.query(
        "select count(distinct take_id) as n from air_log where kind = 'take'"))["n"]
    from datetime import datetime

    def at(text):
        return datetime.fromisoformat(text) if text else None

    wait = (at(first_take) - at(first_air)).total_seconds() if first_take else float("nan")
    print(f"| theme | {theme} |\n|---|---|")
    print(f"| first take on air | {wait:.0f} s after the channel went on air |")
    print(f"| takes aired | {aired} (scheduled {row['scheduled']}) |")
    print(f"| model tool calls valid | {row['valid']} of {row['calls']} "
          f"({row['valid'] / max(1, row['calls']):.1%}) |")
    print(f"| model calls per aired take | {row['llm_calls'] / max(1, aired):.2f} |")
    print(f"| LLM tokens per aired take | {row['prompt_tokens'] / max(1, aired):.0f} prompt + "
          f"{row['completion_tokens'] / max(1, aired):.0f} completion |")
    print(f"| the model's own words | {row['model_fidelity']:.2f} of the theme's, its cast "
          f"{_mean([row['cast_named']])} of the characters the theme names (hand labels) |")
    print(f"| fidelity | {row['fidelity']:.2f} (on screen: {row['screen_fidelity']:.2f}) |\n"
          f"| cast | {', '.join(row['cast'])} |")
    store.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--director", action="append",
                        help="offline, none (the baseline), gguf:NAME|PATH, or a model at "
                             "--base-url (repeatable)")
    parser.add_argument("--base-url")
    parser.add_argument("--themes", type=int, default=8)
    parser.add_argument("--theme", action="append", default=[],
                        help="a theme of your own instead of the first --themes (repeatable)")
    parser.add_argument("--takes", type=int, default=6, help="stop a theme at this many takes")
    parser.add_argument("--turns", type=int, default=4, help="at most this many requests")
    parser.add_argument("--json", type=Path, help="also write every row here")
    parser.add_argument("--run-dir", type=Path, help="report on a `webtv run` data dir instead")
    args = parser.parse_args()
    if args.run_dir:
        return report_run(args.run_dir)
    table = ["| director | themes | takes | first take s (median) | calls/take | valid | "
             "llm calls/take | tokens/take (prompt + completion) | idle turns | model's own | "
             "bible | on screen | cast named |", "|---|---|---|---|---|---|---|---|---|---|---|---|"
             "---|"]
    every = {}
    for name in args.director or ["offline"]:
        settings = Settings.from_env(llm_model=None if name == "offline" else name,
                                     llm_base_url=args.base_url,
                                     data_dir=Path(tempfile.mkdtemp(prefix="webtv-models-")))
        model = NoModel() if name == "none" else chat_model(settings)
        rows = []
        for theme in args.theme or THEMES[:args.themes]:
            row = one_theme(settings, model, theme, args.takes, args.turns)
            print(f"  {name}: {theme[:50]!r}: {row['scheduled']} takes, first "
                  f"{row['first_take_s'] or 0:.0f} s, {row['valid']}/{row['calls']} valid, "
                  f"own {row['model_fidelity']:.2f}, fidelity {row['fidelity']:.2f} "
                  f"({row['screen_fidelity']:.2f} on screen), cast named "
                  f"{_mean([row['cast_named']])}, cast "
                  f"{row['cast']}", flush=True)
            rows.append(row)
        table.append(summary(name, rows))
        every[name] = rows
    print("\n" + "\n".join(table))
    if args.json:
        args.json.write_text(json.dumps(every, indent=1, ensure_ascii=False, default=str))


if __name__ == "__main__":
    main()
