"""How well inspection keeps faults off the air, measured against injected ground truth.

The local video backend injects a known fault (reversed motion, wrong palette, burned-in text,
frozen, black, vertical lines) into a share of takes. Shots go through real production: make a
take, inspect it, retake within the budget, schedule what passes. Prints the share of scheduled
(aired) takes that carry a fault, retakes per aired take, and each check's precision and recall
against the ground truth, over every take made.

    python bench/inspection.py [--takes 200] [--faults 0.3] [--workers 2]
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from director.autopilot import carry_out  # noqa: E402
from director.loop import Conversation  # noqa: E402
from director.offline import OfflineDirector  # noqa: E402
from director.requests import produce_request, theme_request  # noqa: E402
from state.datadir import DataDir  # noqa: E402
from state.store import Store  # noqa: E402
from tools.backends import local_backends  # noqa: E402
from tools.context import ToolContext  # noqa: E402

CATCHES = {"reversed": "motion_direction", "wrong_palette": "palette", "text": "burned_text",
           "frozen": "frozen_frames", "black": "black_frames", "vertical_lines": "vertical_lines"}
THEMES = ["a llama who runs a night-time noodle stand", "a fox who delivers mail at dawn",
          "an otter who fixes boats at the harbor", "a robot who tends a rooftop garden at dusk"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--takes", type=int, default=200, help="at least this many takes")
    parser.add_argument("--faults", type=float, default=0.3)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    data = DataDir(Path(tempfile.mkdtemp(prefix="webtv-inspect-")))
    store = Store(data)
    ctx = ToolContext(store=store, data=data, backends=local_backends(args.faults),
                      parallel=args.workers)
    started = time.monotonic()
    theme, director = 0, OfflineDirector()
    while store.db["takes"].count < args.takes:
        # A show from the offline director, then 8 shots made by production (the real steps:
        # make, inspect, retake within the budget, schedule), args.workers at a time.
        carry_out(director, ctx, Conversation("s"), theme_request(THEMES[theme % len(THEMES)]))
        theme += 1
        carry_out(director, ctx, Conversation("s"),
                  produce_request(ctx, store.current_segment(), 8))
        print(f"  {store.db['takes'].count} takes ...", flush=True)
    report(store, time.monotonic() - started)


def report(store: Store, seconds: float) -> None:
    takes = list(store.db.query("select id, status, faults from takes"))
    fired: dict[int, set[str]] = {}
    for row in store.db.query("select take_id, name from checks where passed = 0"):
        fired.setdefault(row["take_id"], set()).add(row["name"])
    faulty = {t["id"]: (json.loads(t["faults"] or "[]") or [None])[0] for t in takes}
    aired = [t for t in takes if t["status"] in ("scheduled", "aired")]
    aired_faulty = [t for t in aired if faulty[t["id"]]]
    made_for_aired = len(takes) / max(1, len(aired))
    print(f"\n{len(takes)} takes in {seconds:.0f} s; "
          f"{sum(1 for f in faulty.values() if f)} with an injected fault "
          f"({sum(1 for f in faulty.values() if f) / len(takes):.0%})")
    print("| measure | value |\n|---|---|")
    print(f"| scheduled (aired) takes | {len(aired)} |")
    print(f"| share of aired takes carrying a fault | {len(aired_faulty) / max(1, len(aired)):.1%}"
          f" ({len(aired_faulty)}) |")
    print(f"| retakes per aired take | {made_for_aired - 1:.2f} |")
    print(f"| clean takes rejected (false alarms) | "
          f"{sum(1 for t in takes if not faulty[t['id']] and fired.get(t['id']))} of "
          f"{sum(1 for f in faulty.values() if not f)} |")
    print("\n| check | catches | precision | recall | fired | true positives |")
    print("|---|---|---|---|---|---|")
    for fault, check in CATCHES.items():
        hits = {t for t, names in fired.items() if check in names}
        truth = {t for t, f in faulty.items() if f == fault}
        tp = len(hits & truth)
        precision = tp / len(hits) if hits else float("nan")
        recall = tp / len(truth) if truth else float("nan")
        print(f"| {check} | {fault} | {precision:.2f} | {recall:.2f} | {len(hits)} | {tp} of "
              f"{len(truth)} |")
    for t in aired_faulty:  # what got through, and what the checks measured
        values = {r["name"]: round(r["value"], 2) for r in store.db.query(
            "select name, value from checks where take_id = ?", [t["id"]])}
        print(f"  got through: take {t['id']} ({faulty[t['id']]}): {values}")
    for check in ("flicker", "dynamic_degree"):
        hits = {t for t, names in fired.items() if check in names}
        print(f"| {check} | (no injected fault) | - | - | {len(hits)} | - |")


if __name__ == "__main__":
    main()
