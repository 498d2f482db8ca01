"""How many channels one machine sustains when the video comes from elsewhere.

Starts a local Gradio Space with the Zeroscope API in a process of its own (it stands in for
GPUs on another machine: it paints cheap procedural clips, and its CPU is reported apart), then
runs 1, 2, ... `webtv run` channels side by side on this machine, each with its own data dir,
director (offline), take pipeline (interpolate, upscale, music, checks, house encode) and
playout (HLS), all fetching video from that Space. For each count: how the air of each channel
was shared after the warm-up (new takes, replays, slate) and the CPU the channels used. A count
is sustained when every channel kept new takes on at least --fresh of its air.

    python bench/hosting.py [--channels 1 2 3] [--seconds 180] [--warmup 60] [--fresh 0.95]
"""

from __future__ import annotations

import argparse
import os
import resource
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.channel import air_after, free_port  # noqa: E402
from bench.pipeline import start_space  # noqa: E402

THEMES = ["a llama who runs a night-time noodle stand", "an otter who fixes boats at the harbor",
          "a robot who tends a rooftop garden at dusk", "a red panda who repairs bicycles",
          "a lighthouse keeper and her dog in a storm at night"]


def children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def process_cpu(pid: int) -> float:
    """CPU seconds a live process has used so far (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def run_channels(count: int, url: str, seconds: float, warmup: float) -> tuple[list, float]:
    """``count`` channels for ``seconds``: each one's air share after ``warmup``, and the CPU
    seconds all of them used (with their FFmpegs)."""
    homes, procs = [], []
    cpu_before = children_cpu()
    for i in range(count):
        home = Path(tempfile.mkdtemp(prefix=f"webtv-bench-host-{i}-"))
        (home / "webtv.toml").write_text(
            f'[backends]\nvideo = "zeroscope"\n\n[[endpoints]]\nbackend = "zeroscope"\n'
            f'preset = "zeroscope-576w"\nurl = "{url}"\n')
        env = {**os.environ, "WEBTV_HOME": str(home)}
        env.pop("WEBTV_LLM_MODEL", None)
        procs.append(subprocess.Popen(
            [sys.executable, "-m", "webtv.app.cli", "run", "--theme", THEMES[i % len(THEMES)],
             "--port", str(free_port())], env=env, cwd=ROOT,
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
        homes.append(home)
    time.sleep(seconds)
    for proc in procs:
        proc.send_signal(signal.SIGTERM)
    for proc in procs:
        proc.wait(timeout=120)
    shares = [air_after(home / "webtv.db", warmup) for home in homes]
    return shares, children_cpu() - cpu_before


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--channels", type=int, nargs="+", default=[1, 2, 3])
    parser.add_argument("--seconds", type=float, default=180)
    parser.add_argument("--warmup", type=float, default=60)
    parser.add_argument("--fresh", type=float, default=0.95)
    args = parser.parse_args()
    space, url = start_space()
    rows, sustained = [], 0
    try:
        for count in args.channels:
            space_cpu = process_cpu(space.pid)
            shares, cpu = run_channels(count, url, args.seconds, args.warmup)
            space_cpu = process_cpu(space.pid) - space_cpu
            fresh = [s.get("take", 0) / max(sum(s.values()), 1) for s in shares]
            ok = all(f >= args.fresh for f in fresh)
            sustained = count if ok and count > sustained else sustained
            rows.append((count, fresh, cpu / args.seconds * 60, space_cpu / args.seconds * 60,
                         ok))
            print(f"  {count} channel(s): new takes {[f'{f:.0%}' for f in fresh]}", flush=True)
    finally:
        space.kill()
    print(f"\n{os.cpu_count()} cores; each count ran {args.seconds:.0f} s, shares after "
          f"{args.warmup:.0f} s; video from a local Space in its own process\n")
    print("| channels | new takes on air, each channel | CPU-s per minute, all channels "
          "(of 60 per core) | the Space's CPU-s per minute | sustained |")
    print("|---|---|---|---|---|")
    for count, fresh, cpu, space_cpu, ok in rows:
        print(f"| {count} | {', '.join(f'{f:.0%}' for f in fresh)} | {cpu:.0f} | "
              f"{space_cpu:.0f} | {'yes' if ok else 'no'} |")
    print(f"\nchannels this machine sustains at >= {args.fresh:.0%} new takes: {sustained}")


if __name__ == "__main__":
    main()
