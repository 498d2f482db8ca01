"""Channels per host when they share one library: the director's fresh channel plus 0, 2, 4 ...
library channels (replays of the takes it made, by policy) from one `webtv run`.

Each configuration runs for --seconds with the local backends; after --warmup it reports each
channel's air (takes against slate: a library channel airs the slate only while its library is
empty), the new takes on the fresh channel, the takes it made a minute, and the CPU the whole
run used (its FFmpegs included). A library channel adds one copy-only HLS muxer and a pick per
take, so the cost of a channel is small beside making takes.

    python bench/network.py [--library 0 2 4] [--seconds 150] [--warmup 60] [--buffer 600]
"""

from __future__ import annotations

import argparse
import os
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.channel import free_port  # noqa: E402
from bench.hosting import children_cpu  # noqa: E402

THEME = "a llama who runs a night-time noodle stand"
POLICIES = ["best", "tag", "recent", "random", "favourites"]


def air_by_channel(db_path: Path, warmup: float) -> dict[str, dict[str, float]]:
    """Per channel, seconds of each kind on air after the first ``warmup`` seconds of the run."""
    with sqlite3.connect(db_path) as db:
        start = db.execute("select min(started_at) from air_log").fetchone()[0]
        rows = db.execute(
            "select channel, kind, sum(stream_end - stream_start) from air_log where "
            "julianday(started_at) >= julianday(?) + ? / 86400.0 and stream_end is not null "
            "group by channel, kind", (start, warmup)).fetchall()
        made = db.execute("select count(*) from takes").fetchone()[0]
    shares: dict[str, dict[str, float]] = {}
    for channel, kind, seconds in rows:
        shares.setdefault(channel, {})[kind] = seconds or 0.0
    shares["_made"] = {"takes": made}
    return shares


def one_run(library: int, seconds: float, warmup: float, buffer: float) -> dict:
    home = Path(tempfile.mkdtemp(prefix=f"webtv-bench-net-{library}-"))
    tables = []
    for i in range(library):
        policy = POLICIES[i % len(POLICIES)]
        tag = '\ntag = "night"' if policy == "tag" else ""
        tables.append(f'[[channels]]\nname = "{policy}-{i}"\npolicy = "{policy}"{tag}\n'
                      f"repeat_after_s = 600\n")
    (home / "webtv.toml").write_text("\n".join(tables))
    env = {**os.environ, "WEBTV_HOME": str(home)}
    env.pop("WEBTV_LLM_MODEL", None)
    before = children_cpu()
    proc = subprocess.Popen([sys.executable, "-m", "webtv.app.cli", "run", "--theme", THEME,
                             "--port", str(free_port()), "--buffer", str(buffer)], env=env,
                            cwd=ROOT,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    time.sleep(seconds)
    proc.send_signal(signal.SIGTERM)
    proc.wait(timeout=120)
    cpu = children_cpu() - before
    shares = air_by_channel(home / "webtv.db", warmup)
    return {"library": library, "cpu_per_min": cpu / seconds * 60,
            "made_per_min": shares.pop("_made")["takes"] / seconds * 60, "shares": shares}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--library", type=int, nargs="+", default=[0, 2, 4])
    parser.add_argument("--seconds", type=float, default=150)
    parser.add_argument("--warmup", type=float, default=60)
    parser.add_argument("--buffer", type=float, default=600,
                        help="the fresh channel's schedule buffer; a small one (30) lets "
                             "production rest once it is full, so the channels' own cost shows")
    args = parser.parse_args()
    rows = []
    for n in args.library:
        rows.append(one_run(n, args.seconds, args.warmup, args.buffer))
        print(f"  fresh + {n} library channel(s) done", flush=True)
    print(f"\n{os.cpu_count()} cores; each run {args.seconds:.0f} s, air measured after "
          f"{args.warmup:.0f} s; local backends; buffer {args.buffer:g} s\n")
    print("| channels | new takes on the fresh channel | library channels: takes on air "
          "(each) | takes made a minute | CPU-s a minute, whole run (of 60 per core) |")
    print("|---|---|---|---|---|")
    for r in rows:
        shares = r["shares"]
        main_air = shares.get("main", {})
        fresh = main_air.get("take", 0) / max(sum(main_air.values()), 1)
        library = [f"{name} {s.get('take', 0) / max(sum(s.values()), 1):.0%}"
                   for name, s in sorted(shares.items()) if name != "main"]
        print(f"| 1 + {r['library']} | {fresh:.0%} | {', '.join(library) or '-'} | "
              f"{r['made_per_min']:.1f} | {r['cpu_per_min']:.0f} |")


if __name__ == "__main__":
    main()
