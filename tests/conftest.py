"""Shared fixtures. Tests reach only 127.0.0.1: an autouse guard fails anything else."""

from __future__ import annotations

import ipaddress
import os
import socket
import tempfile
from pathlib import Path

# Gradio test apps: no analytics, no Hub, files in a temp dir of their own.
os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("GRADIO_TEMP_DIR", tempfile.mkdtemp(prefix="webtv-gradio-"))

import pytest

from webtv.core import house
from webtv.core.media import run_ffmpeg
from webtv.state.datadir import DataDir
from webtv.state.store import Store
from webtv.tools.context import ToolContext

_real_connect = socket.socket.connect


def _is_local(address: object) -> bool:
    if isinstance(address, (str, bytes)):  # AF_UNIX
        return True
    host = address[0] if isinstance(address, tuple) else address
    if host in ("localhost",):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


@pytest.fixture(autouse=True)
def only_localhost(monkeypatch: pytest.MonkeyPatch) -> None:
    def guarded(self: socket.socket, address: object) -> object:
        if not _is_local(address):
            pytest.fail(f"test tried to reach a non-local address: {address!r}")
        return _real_connect(self, address)

    monkeypatch.setattr(socket.socket, "connect", guarded)


@pytest.fixture
def data(tmp_path: Path) -> DataDir:
    return DataDir(tmp_path / "webtv-data")


@pytest.fixture
def store(data: DataDir):
    s = Store(data)
    yield s
    s.close()


@pytest.fixture
def ctx(store: Store, data: DataDir) -> ToolContext:
    return ToolContext.open(store=store, data=data)


def make_house_clip(out: Path, colour: str, seconds: float, tone: int | None = 440) -> Path:
    """A house-format clip from FFmpeg's lavfi sources (test media is generated, not committed)."""
    raw = out.with_suffix(".raw.mp4")
    audio = ["-f", "lavfi", "-i", f"sine=f={tone}:d={seconds}"] if tone else []
    run_ffmpeg(["-f", "lavfi", "-i", f"testsrc2=s=576x320:r=24:d={seconds}",
                "-f", "lavfi", "-i", f"color=c={colour}:s=576x320:r=24:d={seconds}", *audio,
                "-filter_complex", "[0:v][1:v]blend=all_mode=average[v]", "-map", "[v]",
                *(["-map", "2:a"] if tone else []), "-c:v", "libx264", "-preset", "ultrafast",
                *(["-c:a", "aac"] if tone else []), str(raw)])
    house.normalize(raw, raw if tone else None, out, seconds)
    raw.unlink()
    return out


def need(present: bool, variable: str, missing: str) -> None:
    """A program a test needs: skip without it, or fail where ``variable`` (WEBTV_REQUIRE_...,
    set in CI) says it is required. ``missing``: what is missing and how to install it."""
    if present:
        return
    if os.environ.get(variable) == "1":
        pytest.fail(f"{variable}=1 but {missing}")
    pytest.skip(missing)
