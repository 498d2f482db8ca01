"""Generation backends: the interfaces every local or remote backend implements.

The local backends (the defaults) need no GPU and no network. Remote ones (Gradio Spaces)
implement the same protocols, so the take pipeline never knows which it is talking to.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from tools.media import probe


@dataclass(frozen=True)
class Asset:
    """A media file a backend produced, with what was measured in it."""

    path: Path
    duration: float
    width: int = 0
    height: int = 0
    fps: float = 0.0
    frames: int = 0
    faults: tuple[str, ...] = ()  # injected on purpose (local backend, testing): ground truth

    @classmethod
    def measure(cls, path: Path, faults: tuple[str, ...] = ()) -> Asset:
        p = probe(path)
        return cls(path, p.duration, p.width, p.height, p.fps, p.frames, faults)


@dataclass(frozen=True)
class ShotSpec:
    """What a shot asks for, in terms a renderer can follow (the prompt says it in words)."""

    palette: list[str]  # hex colours of the location and light, most important first
    subject_colours: list[str] = field(default_factory=list)  # hex, of the main character
    camera_move: str = "static"  # static | pan | tilt | zoom
    camera_direction: str = "none"  # left | right | up | down | in | out | none
    subject_motion: str = "still"  # free words; only the direction is rendered
    subject_direction: str = "none"  # left | right | up | down | toward | away | none
    framing: str = "medium"  # wide | medium | close-up
    time_of_day: str = "day"


@dataclass(frozen=True)
class VideoRequest:
    prompt: str
    seed: int
    spec: ShotSpec
    frames: int = 24  # Zeroscope's defaults: 24 frames at 8 fps, 576x320
    fps: int = 8
    width: int = 576
    height: int = 320


class VideoBackend(Protocol):
    name: str

    def generate(self, request: VideoRequest, out_dir: Path) -> Asset: ...


class UpscaleBackend(Protocol):
    name: str

    def upscale(self, clip: Asset, prompt: str, out_dir: Path) -> Asset: ...


class InterpolateBackend(Protocol):
    name: str

    def interpolate(self, clip: Asset, fps: int, out_dir: Path) -> Asset: ...


class MusicBackend(Protocol):
    name: str

    def compose(self, mood: str, seconds: float, seed: int, out_dir: Path) -> Asset: ...


@dataclass(frozen=True)
class Backends:
    video: VideoBackend
    upscale: UpscaleBackend
    interpolate: InterpolateBackend
    music: MusicBackend

    def names(self) -> dict[str, str]:
        return {"video": self.video.name, "upscale": self.upscale.name,
                "interpolate": self.interpolate.name, "music": self.music.name}


def local_backends(fault_rate: float = 0.0) -> Backends:
    from tools.backends.local_media import FFmpegInterpolate, FFmpegUpscale, SynthMusic
    from tools.backends.local_video import ProceduralVideo

    return Backends(ProceduralVideo(fault_rate), FFmpegUpscale(), FFmpegInterpolate(),
                    SynthMusic())
