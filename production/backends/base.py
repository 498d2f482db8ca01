"""What every backend, local or remote, takes and gives: assets, requests, the protocols."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from webtv.core.errors import BadMedia, MediaError
from webtv.core.media import decodable_frames, probe

MISSING_FRAMES = 2  # a clip may lack this many of the frames asked for, no more
SHAPE_TOLERANCE = 0.03  # relative difference of aspect ratio


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
    made_frames: int = 0  # a backend that made fewer frames than asked, on purpose, says so
    # (an out-of-memory retry at half the rate: the same seconds)
    sound: bool = False  # the clip's own sound track is the take's sound (LTX-2): the music
    # goes under it

    @classmethod
    def measure(cls, path: Path, faults: tuple[str, ...] = ()) -> Asset:
        p = probe(path)
        return cls(path, p.duration, p.width, p.height, p.fps, p.frames, faults)


@dataclass(frozen=True)
class ShotSpec:
    """What a shot asks for, in terms a renderer can follow (the prompt says it in words)."""

    palette: list[str]  # hex colours of the place and light, most important first
    subject_colours: list[str] = field(default_factory=list)  # hex, of the main character
    others: list[list[str]] = field(default_factory=list)  # hex, of each other character shown
    camera_move: str = "static"  # static | pan | tilt | zoom
    camera_direction: str = "none"  # left | right | up | down | in | out | none
    subject_motion: str = "still"  # free words: its direction, and whether it holds still
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
    seconds: float = 0.0  # the shot's length (a model backend plans its own frames from it)
    image: Path | None = None  # where the picture starts: the last frame of the shot this one
    # continues, or a cast member's reference frame (image-to-video backends only)
    references: tuple[Path, ...] = ()  # the reference stills of the cast in the shot (for a
    # service that takes reference images)


class VideoBackend(Protocol):
    name: str

    def generate(self, request: VideoRequest, out_dir: Path) -> Asset: ...


def refuse_bad_clip(path: Path, frames: int, width: int, height: int) -> Asset:
    """The clip measured, or BadMedia saying what is wrong with it: unreadable, fewer frames
    than asked (a partial clip, a single frame: the house step would freeze the rest), or
    another shape than asked (a portrait clip for a landscape channel)."""
    try:
        asset = Asset.measure(path)
    except MediaError as exc:
        raise BadMedia(f"not a readable video: {exc}") from exc
    decoded = decodable_frames(path)
    if decoded < frames - MISSING_FRAMES:
        raise BadMedia(f"a partial clip: {decoded} of the {frames} frames asked for decode"
                       + (f" (its index claims {asset.frames})" if asset.frames > decoded else ""))
    if width and height and asset.height:
        asked, got = width / height, asset.width / asset.height
        if abs(got - asked) > SHAPE_TOLERANCE * asked:
            raise BadMedia(f"{asset.width}x{asset.height}, not the shape asked for "
                           f"({width}x{height})")
    return asset


class UpscaleBackend(Protocol):
    name: str

    def upscale(self, clip: Asset, prompt: str, out_dir: Path) -> Asset: ...


class InterpolateBackend(Protocol):
    name: str

    def interpolate(self, clip: Asset, fps: int, out_dir: Path) -> Asset: ...


class MusicBackend(Protocol):
    name: str

    def compose(self, mood: str, seconds: float, seed: int, out_dir: Path) -> Asset: ...


class StillBackend(Protocol):
    """Text-to-image: a cast member's reference still, made once."""

    name: str

    def draw(self, prompt: str, seed: int, out_dir: Path) -> Path: ...


@dataclass(frozen=True)
class Backends:
    video: VideoBackend
    upscale: UpscaleBackend
    interpolate: InterpolateBackend
    music: MusicBackend
    stills: StillBackend | None = None  # only image-to-video models need one

    def names(self) -> dict[str, str]:
        return {"video": self.video.name, "upscale": self.upscale.name,
                "interpolate": self.interpolate.name, "music": self.music.name,
                **({"stills": self.stills.name} if self.stills else {})}
