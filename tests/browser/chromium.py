"""The Python end of driver.js: headless Chromium that tests and bench/page.py talk to, one JSON
line per command, so a test can stop and start the channel while the page stays open."""

from __future__ import annotations

import json
import os
import selectors
import shutil
import subprocess
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
DRIVER = Path(__file__).with_name("driver.js")
CHROMIUM_ENV = "WEBTV_CHROMIUM"


def chromium_path() -> str:
    return os.environ.get(CHROMIUM_ENV) or "/usr/bin/chromium"


def missing() -> str | None:
    """Why the browser tests cannot run here, or None when they can."""
    if not Path(chromium_path()).exists():
        return f"no Chromium at {chromium_path()} (apt-get install chromium, or set {CHROMIUM_ENV})"
    if shutil.which("node") is None:
        return "no node on PATH"
    if not (ROOT / "node_modules" / "playwright-core").is_dir():
        return "node_modules/playwright-core is missing (npm ci)"
    return None


class BrowserError(AssertionError):
    pass


class Browser:
    def __init__(self, timeout: float = 60.0) -> None:
        self.timeout = timeout
        self.proc = subprocess.Popen(
            ["node", str(DRIVER)], cwd=ROOT, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
            stderr=subprocess.PIPE, text=True, env={**os.environ, CHROMIUM_ENV: chromium_path()})
        self._select = selectors.DefaultSelector()
        self._select.register(self.proc.stdout, selectors.EVENT_READ)
        self.version = self._reply(self.timeout)["version"]

    def call(self, cmd: str, within: float | None = None, **args: Any) -> dict[str, Any]:
        self.proc.stdin.write(json.dumps({"cmd": cmd, **args}) + "\n")
        self.proc.stdin.flush()
        return self._reply(within or self.timeout)

    def _reply(self, timeout: float) -> dict[str, Any]:
        if not self._select.select(timeout):
            self.close()
            raise BrowserError(f"the browser did not answer in {timeout:.0f} s")
        line = self.proc.stdout.readline()
        if not line:
            raise BrowserError("the browser driver exited: " + self.proc.stderr.read()[-2000:])
        reply = json.loads(line)
        if not reply.pop("ok"):
            raise BrowserError(reply["error"])
        return reply

    def open(self, url: str, viewport: tuple[int, int] | None = None) -> dict[str, Any]:
        size = {"width": viewport[0], "height": viewport[1]} if viewport else None
        return self.call("open", url=url, viewport=size)

    def goto(self, url: str) -> dict[str, Any]:
        return self.call("goto", url=url)

    def eval(self, js: str) -> Any:
        return self.call("eval", js=js)["value"]

    def wait(self, js: str, timeout: float = 30.0) -> float:
        """Wait until ``js`` is truthy in the page; seconds it took."""
        return self.call("wait", timeout + 10, js=js, timeout=int(timeout * 1000))["ms"] / 1000

    def sample(self, js: str, seconds: float, every: float = 0.25) -> list[Any]:
        return self.call("sample", seconds + 30, js=js, seconds=seconds,
                         every=int(every * 1000))["values"]

    def click(self, selector: str) -> None:
        self.call("click", selector=selector)

    def fill(self, selector: str, text: str) -> None:
        self.call("fill", selector=selector, text=text)

    def screenshot(self, path: Path) -> Path:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.call("screenshot", path=str(path))
        return path

    def offline(self, on: bool) -> None:
        self.call("offline", on=on)

    def logs(self) -> list[str]:
        return self.call("logs")["lines"]

    def close(self) -> None:
        if self.proc.poll() is None:
            try:
                self.proc.stdin.write('{"cmd": "quit"}\n')
                self.proc.stdin.flush()
                self.proc.wait(timeout=15)
            except (OSError, subprocess.TimeoutExpired):
                self.proc.kill()
                self.proc.wait()
        self._select.close()

    def __enter__(self) -> Browser:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
