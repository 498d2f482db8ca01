"""Takes per minute through a cluster: 1, 2 and 4 `webtv worker` processes sharing two
endpoints through a real Redis, each endpoint with concurrency 1.

Two local Gradio Spaces with the Zeroscope API stand in for two GPUs (each answer takes
--gpu-s seconds, as a model's would); a redis-server on 127.0.0.1 holds the jobs; the asking
side is two pools (two channel hosts) asking for --takes different clips at once. For each
worker count: clips a minute, the most jobs either Space ever had at once (the limit says 1),
and the wall time. The ceiling is two endpoints x one job / --gpu-s.

    python bench/cluster.py [--workers 1 2 4] [--takes 24] [--gpu-s 1.5]
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests import redis_server  # noqa: E402
from tests.spaces import Space  # noqa: E402
from tests.test_cluster import overlap, request  # noqa: E402
from webtv.production.backends.cluster import ClusterPool, connect  # noqa: E402
from webtv.production.backends.config import endpoint_config, presets  # noqa: E402
from webtv.production.backends.remote import RemoteVideo  # noqa: E402


def one_count(workers: int, url: str, spaces: list[Space], takes: int, round_: int) -> dict:
    connect(url).flushdb()
    for space in spaces:
        space.behaviour.spans.clear()
        space.behaviour.calls = 0
    procs = [subprocess.Popen([sys.executable, "-m", "webtv.app.cli", "worker", "--redis", url,
                               "--name", f"bench-{round_}-{i}"], cwd=ROOT,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
             for i in range(workers)]
    configs = [endpoint_config({"preset": "zeroscope-576w", "url": s.url, "concurrency": 1,
                                "name": f"gpu-{i}"}, presets(), i) for i, s in enumerate(spaces)]
    hosts = [RemoteVideo(ClusterPool("zeroscope", configs, url, lambda **f: None, 600),
                         configs[0].expect) for _ in range(2)]
    time.sleep(2.0)  # the workers connect (not counted)
    out = Path(tempfile.mkdtemp(prefix="webtv-bench-cluster-"))
    failed: list[str] = []

    def ask(i: int) -> None:
        try:
            (out / str(i)).mkdir()
            hosts[i % 2].generate(request(f"bench clip {round_} {i}", i), out / str(i))
        except Exception as exc:  # noqa: BLE001 - counted
            failed.append(str(exc))

    started = time.monotonic()
    threads = [threading.Thread(target=ask, args=(i,)) for i in range(takes)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    wall = time.monotonic() - started
    for p in procs:
        p.terminate()
    for p in procs:
        p.wait(timeout=30)
    shutil.rmtree(out, ignore_errors=True)
    return {"workers": workers, "takes": takes - len(failed), "failed": len(failed),
            "wall_s": wall, "per_min": (takes - len(failed)) / wall * 60,
            "most_at_once": max(overlap(s.behaviour.spans) for s in spaces)}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--workers", type=int, nargs="+", default=[1, 2, 4])
    ap.add_argument("--takes", type=int, default=24)
    ap.add_argument("--gpu-s", type=float, default=1.5)
    args = ap.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="webtv-bench-redis-"))
    redis, url = redis_server.start(folder)
    spaces = [Space("zeroscope-576w"), Space("zeroscope-576w")]
    for space in spaces:
        space.behaviour.delay = args.gpu_s
    try:
        rows = [one_count(n, url, spaces, args.takes, r) for r, n in enumerate(args.workers)]
    finally:
        for space in spaces:
            space.close()
        redis.terminate()
        redis.wait()
    ceiling = 2 * 60 / args.gpu_s
    print(f"\n{args.takes} different clips asked by two hosts at once; two endpoints, "
          f"concurrency 1 each, {args.gpu_s:g} s a clip (ceiling {ceiling:.0f} a minute)")
    print("| workers | clips made | failed | wall s | clips a minute | most jobs on one "
          "endpoint at once |")
    print("|---|---|---|---|---|---|")
    for r in rows:
        print(f"| {r['workers']} | {r['takes']} | {r['failed']} | {r['wall_s']:.1f} | "
              f"{r['per_min']:.1f} | {r['most_at_once']} |")


if __name__ == "__main__":
    main()
