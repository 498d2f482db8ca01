"""Takes per minute through 1 vs 2 remote endpoints that each take ~2 s per job.

Local Gradio apps with the Zeroscope API (tests/spaces.py) stand in for two duplicated Spaces;
each sleeps 2 s per job, as a GPU would take its time. Jobs are video generations through the
pool (retries, failover and the file probe included). With two endpoints the pool should keep
both busy: close to twice the takes per minute.

    python bench/remote_throughput.py [--jobs 12] [--delay 2]
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
os.environ.setdefault("HF_HUB_OFFLINE", "1")

from tests.spaces import Space  # noqa: E402
from webtv.production.backends import config as backend_config  # noqa: E402
from webtv.production.backends.base import ShotSpec, VideoRequest  # noqa: E402
from webtv.state.datadir import DataDir  # noqa: E402
from webtv.state.store import CallJournal  # noqa: E402


def run(urls: list[str], jobs: int, data: DataDir) -> float:
    config = {"endpoints": [{"backend": "zeroscope", "preset": "zeroscope-576w", "url": url,
                             "name": f"endpoint-{i + 1}"} for i, url in enumerate(urls)]}
    video = backend_config.build(config, {"video": "zeroscope"}, data.root / "work",
                                 CallJournal(data)).video
    spec = ShotSpec(palette=["#203060", "#c08040", "#304020"])
    video.generate(VideoRequest("warm-up", 0, spec), data.workspace())  # connect first

    def one(i: int) -> None:
        video.generate(VideoRequest(f"shot {i}", i, spec), data.workspace())

    started = time.monotonic()
    with ThreadPoolExecutor(max_workers=len(urls) * 2) as pool:
        list(pool.map(one, range(jobs)))
    return jobs / (time.monotonic() - started) * 60


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--jobs", type=int, default=12)
    parser.add_argument("--delay", type=float, default=2.0)
    args = parser.parse_args()
    spaces = [Space("zeroscope-576w") for _ in range(2)]
    for space in spaces:
        space.behaviour.delay = args.delay
    try:
        data = DataDir(Path(tempfile.mkdtemp(prefix="webtv-remote-")))
        one = run([spaces[0].url], args.jobs, data)
        two = run([s.url for s in spaces], args.jobs, data)
    finally:
        for space in spaces:
            space.close()
    ideal = 60 / args.delay
    print(f"{args.jobs} jobs per row; each endpoint takes {args.delay:.1f} s per job "
          f"(at most {ideal:.0f} takes/min per endpoint)")
    print("| endpoints | takes per minute | speed-up |\n|---|---|---|")
    print(f"| 1 | {one:.1f} | 1.00x |")
    print(f"| 2 | {two:.1f} | {two / one:.2f}x |")


if __name__ == "__main__":
    main()
