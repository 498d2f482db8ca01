"""Accelerated soak of the whole channel: a day of channel time, as fast as this machine goes.

The autopilot (offline director, local backends with injected faults, every check), the
retention policy and the playout (real FFmpeg HLS output) run together in one process, as
`webtv run` runs them; the playout's clock runs ``--speed`` times faster than the wall clock,
and the retention policy counts hours on that clock. Generation runs at its real speed, so at a
high speed most of the air is replays: the point is a day's worth of channel clock, airings,
sweeps and log rows against memory and disk. Prints a row per ``--every`` channel hours and a
summary: takes made, aired and rejected, RSS at the start and the end, disk against the limit.

    python bench/soak_channel.py [--hours 24] [--speed 120] [--keep-hours 2] [--keep-gb 0.1]
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.soak_playout import rss_kib  # noqa: E402
from webtv.channel.autopilot import Autopilot  # noqa: E402
from webtv.channel.runtime import Runtime  # noqa: E402
from webtv.core.settings import Settings  # noqa: E402
from webtv.playout.playout import Playout  # noqa: E402
from webtv.state.retention import Policy  # noqa: E402
from webtv.state.store import Store  # noqa: E402

THEME = "a llama who runs a night-time noodle stand"


def folder_bytes(folder: Path) -> int:
    return sum(f.stat().st_size for f in folder.rglob("*") if f.is_file())


def sample(store: Store, playout: Playout, home: Path, started: float) -> dict:
    tx = playout.transmitter
    counts = store.takes.take_counts()
    hls = next((o for o in tx.outputs if o.name == "hls"), None)
    proc = getattr(hls, "_proc", None)
    return {
        "channel_h": float(tx.clock) / 3600, "wall_s": time.monotonic() - started,
        "made": sum(counts.values()), "aired": counts["aired"], "rejected": counts["rejected"],
        "purged": store.db.execute("select count(*) from takes where purged_at is not null")
        .fetchone()[0],
        "air": store.programme.air_share(playout.session, 3600.0),
        "rss_py": rss_kib() / 1024, "rss_ffmpeg": rss_kib(str(proc.pid)) / 1024 if proc else 0,
        "media_mb": folder_bytes(home / "media") / 1e6,
        "db_mb": sum(f.stat().st_size for f in home.glob("webtv.db*")) / 1e6,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--hours", type=float, default=24.0, help="channel hours to simulate")
    parser.add_argument("--speed", type=float, default=120.0,
                        help="channel seconds per wall second")
    parser.add_argument("--keep-hours", type=float, default=2.0)
    parser.add_argument("--keep-gb", type=float, default=0.1)
    parser.add_argument("--faults", type=float, default=0.2)
    parser.add_argument("--every", type=float, default=2.0, help="a row per this many hours")
    args = parser.parse_args()

    home = Path(tempfile.mkdtemp(prefix="webtv-soak-channel-"))
    os.environ.pop("WEBTV_LLM_MODEL", None)
    settings = Settings.from_env(data_dir=home, fault_rate=args.faults)
    run = Runtime(settings, exclusive=False)  # the threads, and the stop event that ends them
    ctx = run.context
    ctx.data.clean_work()
    policy = Policy(keep_hours=args.keep_hours, keep_gb=args.keep_gb)
    playout = Playout(ctx.data, speed=args.speed, stop=run.stop)
    pilot = Autopilot(settings, policy=policy, sweep_every=300.0 / args.speed)
    started = time.monotonic()
    run.start("playout", playout.run)
    run.start("autopilot", lambda: pilot.run(ctx, run.stop, THEME))
    store = Store(ctx.data)
    while playout.transmitter is None or not playout.transmitter.outputs:
        time.sleep(0.1)
    rows, next_row = [sample(store, playout, home, started)], args.every
    peak_media, window = 0.0, {"rss_py": 0.0, "rss_ffmpeg": 0.0}
    print(f"data dir {home}; {args.hours:g} channel hours at {args.speed:g}x; retention "
          f"{args.keep_hours:g} h / {args.keep_gb * 1000:g} MB", flush=True)
    while float(playout.transmitter.clock) < args.hours * 3600 and "playout" not in run.errors:
        time.sleep(1.0)
        now = sample(store, playout, home, started)
        peak_media = max(peak_media, now["media_mb"])
        for key in window:  # a row reports the peak of its window, sampled every second
            window[key] = max(window[key], now[key])
        if now["channel_h"] >= next_row:
            rows.append({**now, **window})
            window = {key: 0.0 for key in window}
            next_row += args.every
            print(f"  {now['channel_h']:5.1f} h on the channel after {now['wall_s']:6.0f} s",
                  flush=True)
    run.close(timeout=120)
    end = sample(store, playout, home, started)
    ok = store.db.execute("pragma integrity_check").fetchone()[0]
    report(rows + [end], args, policy, peak_media, ok, run.errors.get("playout"))
    store.close()


def report(rows: list[dict], args, policy: Policy, peak_media: float, integrity: str,
           error) -> None:
    print()
    print("| channel h | wall s | takes made | aired | rejected | purged | last hour: take/replay/"
          "slate s | peak RSS py MiB | peak RSS ffmpeg MiB | media MB | db MB |")
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    for r in rows:
        air = "/".join(f"{r['air'].get(k, 0):.0f}" for k in ("take", "replay", "slate"))
        print(f"| {r['channel_h']:.1f} | {r['wall_s']:.0f} | {r['made']} | {r['aired']} | "
              f"{r['rejected']} | {r['purged']} | {air} | {r['rss_py']:.0f} | "
              f"{r['rss_ffmpeg']:.0f} | {r['media_mb']:.1f} | {r['db_mb']:.1f} |")
    first, last = rows[1] if len(rows) > 1 else rows[0], rows[-1]
    running = rows[-2] if len(rows) > 2 else last  # the end row is taken after FFmpeg exits
    print()
    print(f"channel time {last['channel_h']:.2f} h in {last['wall_s']:.0f} s wall "
          f"({last['channel_h'] * 3600 / last['wall_s']:.0f}x)")
    print(f"takes: {last['made']} made, {last['aired']} aired, {last['rejected']} rejected, "
          f"{last['purged']} purged by retention")
    print(f"peak RSS python: {first['rss_py']:.0f} MiB in the first {args.every:g} h, "
          f"{running['rss_py']:.0f} MiB in the last; ffmpeg HLS output "
          f"{first['rss_ffmpeg']:.0f} -> {running['rss_ffmpeg']:.0f} MiB")
    print(f"media: peak {peak_media:.1f} MB, end {last['media_mb']:.1f} MB, retention limit "
          f"{policy.keep_gb * 1000:.0f} MB (checked every {300:g} channel s); database "
          f"{last['db_mb']:.1f} MB; integrity_check: {integrity}"
          + (f"; playout error: {error}" if error else ""))


if __name__ == "__main__":
    main()
