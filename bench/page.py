"""How soon a viewer sees the channel: page load to first frame, in headless Chromium.

Starts `webtv run` in a temp data dir, waits for the first take on air, then opens the page N
times, each in a fresh browser context (nothing cached), and reads the page's own marks: time
from navigation start to the first video frame (requestVideoFrameCallback) and to the first
words about what is on screen. The same is measured through `webtv serve` on the same data dir
with hls.js hidden, so the page falls back to its own MediaSource loader.

    python bench/page.py [--runs 5]
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.browser.chromium import Browser, missing  # noqa: E402
from tests.channel import free_port  # noqa: E402

THEME = "a llama who runs a night-time noodle stand"


def take_on_air(base: str, timeout: float = 180) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"{base}/api/now", timeout=5) as response:
                if any(e["kind"] == "take" for e in json.loads(response.read())["on_air"]):
                    return
        except OSError:
            pass
        time.sleep(0.5)
    raise SystemExit("no take went on air")


def measure(browser: Browser, url: str) -> tuple[float, float, str]:
    browser.open(url)
    browser.wait("webtv.firstFrameMs !== null && webtv.firstWordsMs !== null", 60)
    return (browser.eval("webtv.firstFrameMs"), browser.eval("webtv.firstWordsMs"),
            browser.eval("webtv.mode"))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    if reason := missing():
        raise SystemExit(f"cannot run: {reason}")
    home = Path(tempfile.mkdtemp(prefix="webtv-bench-page-"))
    env = {**os.environ, "WEBTV_HOME": str(home)}
    env.pop("WEBTV_LLM_MODEL", None)
    run_port, serve_port = free_port(), free_port()
    channel = subprocess.Popen(
        [sys.executable, "-m", "webtv.app.cli", "run", "--theme", THEME, "--port", str(run_port),
         "--buffer", "9"], env=env, cwd=ROOT, stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL)
    page_only = subprocess.Popen(
        [sys.executable, "-m", "webtv.app.cli", "serve", "--port", str(serve_port)],
        env={**env, "WEBTV_HLSJS": str(home / "no-hls.js")}, cwd=ROOT,
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    results: dict[str, list[tuple[float, float]]] = {}
    try:
        take_on_air(f"http://127.0.0.1:{run_port}")
        with Browser() as browser:
            for _ in range(args.runs):
                for port in (run_port, serve_port):
                    frame, words, mode = measure(browser, f"http://127.0.0.1:{port}/")
                    results.setdefault(mode, []).append((frame, words))
    finally:
        for proc in (page_only, channel):
            proc.send_signal(signal.SIGTERM)
            proc.wait(timeout=60)
    rows = []
    for mode, values in results.items():
        frames, words = [v[0] for v in values], [v[1] for v in values]
        rows.append((f"{mode}: first frame (ms)", frames))
        rows.append((f"{mode}: first words about the shot (ms)", words))
    width = max(len(name) for name, _ in rows)
    heads = ["measure".ljust(width), *(f"run {i + 1}" for i in range(args.runs)), "median",
             "  max"]
    print(f"Chromium {browser.version}, page load (navigation start) to ...\n")
    print("| " + " | ".join(heads) + " |")
    print("|" + "|".join("-" * (len(h) + 2) for h in heads) + "|")
    for name, values in rows:
        cells = [name.ljust(width), *(f"{v:.0f}" for v in values),
                 f"{statistics.median(values):.0f}", f"{max(values):.0f}"]
        print("| " + " | ".join(c.rjust(len(h)) for c, h in zip(cells, heads, strict=True))
              + " |")

if __name__ == "__main__":
    main()
