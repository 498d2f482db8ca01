"""Pictures set in motion by the shot's own camera: a pan, a tilt, a zoom or a push-in across
a painted picture, dissolving slowly into a second picture of the shot's action. What a
documentary does with a photograph, done to the frame: the window the camera sees moves over
the picture (sub-pixel, eased in and out), and each frame is resampled once from the pictures.

The camera moves as the motion check measures it: a pan to the right slides the picture left
in frame, a tilt up slides it down, a zoom in makes things grow. A static camera pushes in
slowly (a still picture held is a frozen one); a shot that asks the picture to hold still
barely breathes. Speeds are per second, so a long shot moves as slowly as a short one, up to
what the picture's margins allow.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from PIL import Image

from webtv.inspection.motion import holds_still
from webtv.production.backends.base import ShotSpec

PAN_PER_S = 0.05  # of the picture's width (height, for a tilt) a second
MOST_TRAVEL = 0.2  # the window is this much smaller than the picture, so a pan has room
ZOOM_PER_S = 0.05  # of the field of view a second
MOST_ZOOM = 0.3
PUSH_PER_S = 0.015  # a static camera's slow push-in
BREATH_PER_S = 0.005  # ... and a held one's
DISSOLVE = (0.15, 0.85)  # the share of the shot over which the first picture becomes the second


@dataclass(frozen=True)
class Window:
    """Where the camera looks at time t: its centre and its size, as shares of the picture."""

    x: float
    y: float
    scale: float  # 1: the whole picture (as much of it as the frame's aspect holds)

    def box(self, width: int, height: int, aspect: float) -> tuple[float, float, float, float]:
        """The part of a ``width`` x ``height`` picture seen, at the frame's ``aspect``."""
        w = min(width, height * aspect) * self.scale
        h = w / aspect
        left = min(max(self.x * width - w / 2, 0.0), width - w)
        top = min(max(self.y * height - h / 2, 0.0), height - h)
        return left, top, left + w, top + h


def eased(t: float) -> float:
    """0 to 1 with a gentle start and stop (a camera operator's hands)."""
    t = min(max(t, 0.0), 1.0)
    return t * t * (3 - 2 * t)


def path(spec: ShotSpec, seconds: float) -> tuple[Window, Window]:
    """The window at the start and at the end of a shot of ``seconds``."""
    move, direction = spec.camera_move, spec.camera_direction
    if move == "pan" and direction in ("left", "right"):
        travel = min(PAN_PER_S * seconds, MOST_TRAVEL)
        scale, side = 1 - MOST_TRAVEL, 1 if direction == "right" else -1
        return (Window(0.5 - side * travel / 2, 0.5, scale),
                Window(0.5 + side * travel / 2, 0.5, scale))
    if move == "tilt" and direction in ("up", "down"):
        travel = min(PAN_PER_S * seconds, MOST_TRAVEL)
        scale, side = 1 - MOST_TRAVEL, -1 if direction == "up" else 1
        return (Window(0.5, 0.5 - side * travel / 2, scale),
                Window(0.5, 0.5 + side * travel / 2, scale))
    if move == "zoom" and direction in ("in", "out"):
        wide, close = 1.0, 1 - min(ZOOM_PER_S * seconds, MOST_ZOOM)
        start, end = (wide, close) if direction == "in" else (close, wide)
        return Window(0.5, 0.5, start), Window(0.5, 0.5, end)
    held = holds_still(move, spec.subject_direction, spec.subject_motion)
    push = min((BREATH_PER_S if held else PUSH_PER_S) * seconds, MOST_ZOOM)
    return Window(0.5, 0.5, 1.0), Window(0.5, 0.5, 1 - push)


def frames(first: Image.Image, second: Image.Image | None, spec: ShotSpec, count: int,
           fps: float, size: tuple[int, int]) -> list[np.ndarray]:
    """``count`` frames at ``size`` (width, height): the camera's window over ``first``,
    dissolving into ``second`` (the same size) over the middle of the shot."""
    first = first.convert("RGB")
    second = second.convert("RGB").resize(first.size, Image.Resampling.LANCZOS) \
        if second is not None else None
    start, end = path(spec, count / fps)
    out = []
    for n in range(count):
        t = eased(n / max(count - 1, 1))
        window = Window(start.x + (end.x - start.x) * t, start.y + (end.y - start.y) * t,
                        start.scale + (end.scale - start.scale) * t)
        box = window.box(*first.size, size[0] / size[1])
        seen = np.asarray(first.resize(size, Image.Resampling.BICUBIC, box=box), np.float32)
        mix = _mix(n / max(count - 1, 1)) if second is not None else 0.0
        if mix > 0:
            other = np.asarray(second.resize(size, Image.Resampling.BICUBIC, box=box),
                               np.float32)
            seen = seen * (1 - mix) + other * mix
        out.append(np.clip(seen + 0.5, 0, 255).astype(np.uint8))
    return out


def _mix(t: float) -> float:
    """How much of the second picture shows at time t (0-1 of the shot)."""
    begin, finish = DISSOLVE
    return eased((t - begin) / (finish - begin))
