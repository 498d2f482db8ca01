"""Continuity through reruns: after "make the llama's apron red from now on", do the reruns of
the show agree with the bible?

A show is made with the offline director and the local backends (its takes premiere), the
continuity change is said in the chat, more takes are made and premiere, and then the channel
airs reruns only (the programme's choice, block after block, each aired take logged). Counted:
the rerun takes whose prompt gives the changed part the old colour. Once with the programme
consulting the bible (reading.colours.agreement, as `webtv run` does) and once without (as
before it did).

    python bench/reruns.py [--before 8] [--after 8] [--blocks 40]
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.table import print_table  # noqa: E402
from webtv.core.clock import now  # noqa: E402
from webtv.director.loop import Conversation  # noqa: E402
from webtv.director.offline import OfflineDirector  # noqa: E402
from webtv.director.requests import chat_request, produce_request, theme_request  # noqa: E402
from webtv.director.turn import carry_out  # noqa: E402
from webtv.playout.programme import Programme  # noqa: E402
from webtv.reading.colours import agreement  # noqa: E402
from webtv.state.datadir import DataDir  # noqa: E402
from webtv.state.store import Store  # noqa: E402
from webtv.tools.context import ToolContext  # noqa: E402

THEME = "a llama who runs a night-time noodle stand"
CHANGE = "make the llama's apron red from now on"


def make(ctx: ToolContext, takes: int) -> None:
    """Produce requests until ``takes`` more takes are on the schedule, then air them all."""
    model, wanted = OfflineDirector(), ctx.store.db["schedule"].count + takes
    while ctx.store.db["schedule"].count < wanted:
        segment = ctx.store.programme.current_segment()
        carry_out(model, ctx, Conversation("s"), produce_request(ctx, segment, 4))
    for entry in ctx.store.air.upcoming(100):
        ctx.store.air.claim(entry["schedule_id"])
        ctx.store.air.finish_entry(entry["schedule_id"], "aired")
        ctx.store.air.log_air(session="premieres", channel="main", kind="take",
                              take_id=entry["id"], stream_start=0.0, stream_end=3.0,
                              started_at=now(), ended_at=now())


def reruns(store: Store, programme: Programme, blocks: int) -> list[dict]:
    """The takes of ``blocks`` rerun blocks, each logged as aired."""
    aired = []
    for i in range(blocks):
        for take in programme.next_block(store).takes:
            store.air.log_air(session="reruns", channel="main", kind="replay",
                              take_id=take["id"], stream_start=float(i), stream_end=i + 3.0,
                              started_at=now(), ended_at=now())
            aired.append(take)
    return aired


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--before", type=int, default=8, help="takes made before the change")
    parser.add_argument("--after", type=int, default=8, help="takes made after it")
    parser.add_argument("--blocks", type=int, default=40, help="rerun blocks aired")
    args = parser.parse_args()
    home = Path(tempfile.mkdtemp(prefix="webtv-bench-reruns-"))
    store = Store(DataDir(home))
    ctx = ToolContext.open(store=store, data=DataDir(home))
    carry_out(OfflineDirector(), ctx, Conversation("s"), theme_request(THEME))
    make(ctx, args.before)
    carry_out(OfflineDirector(), ctx, Conversation("s"), chat_request(ctx, CHANGE))
    apron = store.show.entity("Llama")["colours"]["apron"]
    make(ctx, args.after)
    rows = []
    for label, programme in (("with the bible (webtv run)", Programme(agreement=agreement)),
                             ("without (before)", Programme())):
        aired = reruns(store, programme, args.blocks)
        old = [t for t in aired if "apron" in t["prompt"] and f"{apron} apron" not in t["prompt"]]
        rows.append((f"{label}: rerun takes contradicting the change",
                     f"{len(old)} of {len(aired)} ({len(old) / max(1, len(aired)):.0%})"))
    rows.append(("takes made before / after the change", f"{args.before} / {args.after}"))
    store.close()
    shutil.rmtree(home, ignore_errors=True)
    print_table(rows)


if __name__ == "__main__":
    main()
