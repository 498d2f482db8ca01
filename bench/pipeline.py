"""What one take costs, stage by stage: CPU-seconds and wall time of making and inspecting it.

Takes go through real production (make, inspect, schedule) one at a time, for shows the
offline director writes, with each stage of the pipeline timed where it is called: the video
(rendered here, or fetched from a local Gradio Space with the Zeroscope API, which runs in a
process of its own so its painting is not counted: the GPU's work is elsewhere), interpolation,
upscale, music, the house encode, the file and air-gate probes, the decode for the checks, each
check, OCR, the contact sheet, moderation. CPU is this process (all threads) plus the FFmpeg and
Tesseract children it waited for. "other" is what no stage covers: the director, the store,
composing prompts.

    python bench/pipeline.py [--takes 8] [--space] [--faults 0]
"""

from __future__ import annotations

import argparse
import functools
import os
import resource
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from webtv.channel.runtime import open_context  # noqa: E402
from webtv.core.settings import Settings  # noqa: E402
from webtv.director.loop import Conversation  # noqa: E402
from webtv.director.offline import OfflineDirector  # noqa: E402
from webtv.director.requests import produce_request, theme_request  # noqa: E402
from webtv.director.turn import carry_out  # noqa: E402

THEMES = ["an otter who fixes boats at the harbor",
          "a girl in a yellow hoodie skateboarding through a neon city at night",
          "a grey cat astronaut floating through a colorful nebula"]


def cpu() -> float:
    me, kids = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(
        resource.RUSAGE_CHILDREN)
    return me.ru_utime + me.ru_stime + kids.ru_utime + kids.ru_stime


class Stages:
    """CPU and wall seconds per stage; stages are the leaves of the pipeline (never nested)."""

    def __init__(self) -> None:
        self.cpu: dict[str, float] = defaultdict(float)
        self.wall: dict[str, float] = defaultdict(float)
        self.calls: dict[str, int] = defaultdict(int)

    def wrap(self, owner: object, attr: str, stage: str | None = None) -> None:
        inner = getattr(owner, attr)
        name = stage or attr

        @functools.wraps(inner)
        def timed(*args, **kwargs):
            c, w = cpu(), time.perf_counter()
            try:
                return inner(*args, **kwargs)
            finally:
                self.cpu[name] += cpu() - c
                self.wall[name] += time.perf_counter() - w
                self.calls[name] += 1

        setattr(owner, attr, timed)


def instrument(ctx, stages: Stages) -> None:
    """Time every stage where production calls it (module attributes and backend methods)."""
    from webtv.core import house
    from webtv.inspection import checks, motion, ocr
    from webtv.production import pipeline, takes

    b = ctx.backends
    stages.wrap(b.video, "generate", "video (render or fetch)")
    stages.wrap(b.interpolate, "interpolate")
    stages.wrap(b.upscale, "upscale")
    stages.wrap(b.music, "compose", "music")
    for module, attr, name in [
        (pipeline, "refuse_bad_clip", "file check (decode the clip)"),
        (house, "normalize", "house encode"),
        (pipeline, "make_house_take", "house take (one pass)"),
        (takes, "read_frames_twice", "decode for checks"),
        (takes, "probe", "air-gate probe"),
        (ocr, "burned_text", "OCR (burned_text)"),
        (checks, "contact_sheet", "contact sheet"),
        *[(checks, n, f"check {n}") for n in (
            "black_frames", "frozen_frames", "flicker", "scene_cut", "palette", "vertical_lines")],
        *[(motion, n, f"check {n}") for n in (
            "motion", "dynamic_degree", "motion_direction", "subject_direction")],
    ]:
        if hasattr(module, attr):
            stages.wrap(module, attr, name)
    stages.wrap(ctx.production.moderator, "check", "moderation")


def start_space() -> tuple[subprocess.Popen, str]:
    """A local Zeroscope-API Space in a process of its own; its URL once it answers."""
    code = ("import sys, time; sys.path.insert(0, sys.argv[1]); from tests.spaces import Space;"
            " s = Space('zeroscope-576w'); print(s.url, flush=True); time.sleep(10**6)")
    proc = subprocess.Popen([sys.executable, "-c", code, str(ROOT)], stdout=subprocess.PIPE,
                            text=True)
    url = proc.stdout.readline().strip()
    if not url:
        raise SystemExit("the local Space did not start")
    return proc, url


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--takes", type=int, default=8, help="at least this many takes")
    parser.add_argument("--space", action="store_true", help="video from a local Gradio Space")
    parser.add_argument("--faults", type=float, default=0.0)
    args = parser.parse_args()
    home = Path(tempfile.mkdtemp(prefix="webtv-bench-pipeline-"))
    os.environ.pop("WEBTV_LLM_MODEL", None)
    space, choices = None, {}
    if args.space:
        space, url = start_space()
        (home / "webtv.toml").write_text(
            f'[[endpoints]]\nbackend = "zeroscope"\npreset = "zeroscope-576w"\nurl = "{url}"\n')
        choices = {"video": "zeroscope"}
    try:
        ctx = open_context(Settings.from_env(data_dir=home, fault_rate=args.faults,
                                             backends=choices))
        ctx = ctx.with_production(parallel=1)  # one take at a time: every CPU-second belongs to
        # the stage it is in
        stages = Stages()
        instrument(ctx, stages)
        director = OfflineDirector()
        total_cpu, total_wall, made, theme = 0.0, 0.0, 0, 0
        while made < args.takes:
            carry_out(director, ctx, Conversation("b"), theme_request(THEMES[theme % 3]))
            theme += 1
            c, w = cpu(), time.perf_counter()
            carry_out(director, ctx, Conversation("b"),
                      produce_request(ctx, ctx.store.programme.current_segment(), 6))
            total_cpu += cpu() - c
            total_wall += time.perf_counter() - w
            made = sum(ctx.store.takes.take_counts().values())
        counts = ctx.store.takes.take_counts()
    finally:
        if space is not None:
            space.kill()
    source = "a local Gradio Space (zeroscope API, its own process)" if args.space \
        else "the local backends"
    print(f"\n{made} takes made ({dict(counts)}) with {source}, one at a time; "
          f"{total_cpu:.1f} CPU-s and {total_wall:.1f} s wall for the produce turns")
    print("| stage | calls | CPU-s per take | wall s per take |\n|---|---|---|---|")
    for name in stages.cpu:
        print(f"| {name} | {stages.calls[name]} | {stages.cpu[name] / made:.2f} | "
              f"{stages.wall[name] / made:.2f} |")
    other_cpu = total_cpu - sum(stages.cpu.values())
    other_wall = total_wall - sum(stages.wall.values())
    print(f"| other (director, store, prompts) | - | {other_cpu / made:.2f} | "
          f"{other_wall / made:.2f} |")
    print(f"| **total per made-and-inspected take** | {made} | **{total_cpu / made:.2f}** | "
          f"**{total_wall / made:.2f}** |")


if __name__ == "__main__":
    main()
