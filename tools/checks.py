"""Measured checks on a take: each a number against a threshold, and a contact sheet."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
from PIL import Image

BLACK_LUMA = 16.0  # mean luma (0-255) under which a frame counts as black
FROZEN_DIFF = 0.4  # mean absolute change (0-255) under which two frames count as identical


@dataclass(frozen=True)
class Check:
    name: str
    value: float
    threshold: float
    passed: bool
    detail: str

    def as_row(self) -> dict:
        return asdict(self)


def luma(frame: np.ndarray) -> np.ndarray:
    return frame[..., 0] * 0.299 + frame[..., 1] * 0.587 + frame[..., 2] * 0.114


def black_frames(frames: list[np.ndarray], limit: float = 0.1) -> Check:
    share = float(np.mean([luma(f).mean() < BLACK_LUMA for f in frames]))
    return Check("black_frames", share, limit, share <= limit,
                 f"{share:.0%} of frames are black (mean luma < {BLACK_LUMA:.0f})")


def frozen_frames(frames: list[np.ndarray], limit: float = 0.6) -> Check:
    if len(frames) < 2:
        return Check("frozen_frames", 1.0, limit, False, "fewer than two frames")
    lumas = [luma(f.astype(np.float32)) for f in frames]
    diffs = [float(np.abs(b - a).mean()) for a, b in zip(lumas, lumas[1:], strict=False)]
    share = float(np.mean([d < FROZEN_DIFF for d in diffs]))
    return Check("frozen_frames", share, limit, share <= limit,
                 f"{share:.0%} of frame pairs are identical (mean change < {FROZEN_DIFF})")


def global_shift(a: np.ndarray, b: np.ndarray) -> tuple[float, float]:
    """Phase correlation: how far the picture moved from ``a`` to ``b`` (dx, dy in pixels)."""
    fa, fb = np.fft.fft2(luma(a)), np.fft.fft2(luma(b))
    cross = fb * np.conj(fa)
    corr = np.fft.ifft2(cross / (np.abs(cross) + 1e-9)).real
    dy, dx = np.unravel_index(np.argmax(corr), corr.shape)
    h, w = corr.shape
    return float(dx - w if dx > w // 2 else dx), float(dy - h if dy > h // 2 else dy)


def block_shifts(a: np.ndarray, b: np.ndarray, rows: int = 3,
                 cols: int = 4) -> tuple[np.ndarray, np.ndarray]:
    """Phase-correlation shifts of each block of a grid: (dx, dy), each rows x cols."""
    h, w = a.shape[0] // rows, a.shape[1] // cols
    dx, dy = np.zeros((rows, cols)), np.zeros((rows, cols))
    for r in range(rows):
        for c in range(cols):
            block = (slice(r * h, (r + 1) * h), slice(c * w, (c + 1) * w))
            dx[r, c], dy[r, c] = global_shift(a[block], b[block])
    return dx, dy


def motion(frames: list[np.ndarray], stride: int = 6) -> dict[str, float]:
    """The camera's motion per frame: dx, dy, and the divergence (right columns minus left
    columns) that a zoom shows. Measured on a grid of blocks and taken as medians, so a
    subject crossing the frame, or a caption, does not stand in for the camera; between frames
    ``stride`` apart, because phase correlation finds whole pixels."""
    stride = max(1, min(stride, len(frames) - 1))
    dx, dy, div = [], [], []
    for a, b in zip(frames[::stride], frames[stride::stride], strict=False):
        bx, by = block_shifts(a, b)
        dx.append(np.median(bx))
        dy.append(np.median(by))
        div.append(np.median(bx[:, -1]) - np.median(bx[:, 0]))
    return {"dx": float(np.median(dx)) / stride, "dy": float(np.median(dy)) / stride,
            "divergence": float(np.median(div)) / stride}


def contact_sheet(frames: list[np.ndarray], out: Path, columns: int = 3, rows: int = 2,
                  width: int = 320) -> Path:
    """A grid of evenly spaced frames, for models (and people) that look at pictures."""
    picks = np.linspace(0, len(frames) - 1, columns * rows).round().astype(int)
    h = round(frames[0].shape[0] * width / frames[0].shape[1])
    sheet = Image.new("RGB", (columns * width, rows * h), (0, 0, 0))
    for slot, index in enumerate(picks):
        tile = Image.fromarray(frames[index]).resize((width, h))
        sheet.paste(tile, ((slot % columns) * width, (slot // columns) * h))
    sheet.save(out)
    return out


# -- checks that need the shot ---------------------------------------------------------------
MIN_MOTION = 0.2  # px/frame at the inspection width (384) along the asked direction


def expected_motion(camera_move: str, camera_direction: str) -> tuple[str, int] | None:
    """The measured axis and sign a camera move must show; None for a static camera."""
    table = {("pan", "right"): ("dx", -1), ("pan", "left"): ("dx", 1),
             ("tilt", "up"): ("dy", 1), ("tilt", "down"): ("dy", -1),
             ("zoom", "in"): ("divergence", 1), ("zoom", "out"): ("divergence", -1)}
    return table.get((camera_move, camera_direction))


def motion_direction(frames: list[np.ndarray], camera_move: str, camera_direction: str) -> Check:
    """The picture moves the way the shot asked: the sign of the global flow for pans and tilts,
    of the divergence for zooms (a reversed take moves the other way)."""
    wanted = expected_motion(camera_move, camera_direction)
    if wanted is None:
        return Check("motion_direction", 0.0, 0.0, True, "static camera: no direction to check")
    axis, sign = wanted
    measured = motion(frames)
    along = measured[axis] * sign
    return Check("motion_direction", along, MIN_MOTION, along >= MIN_MOTION,
                 f"{camera_move} {camera_direction}: {along:+.2f} px/frame along the asked "
                 f"direction ({axis} {measured[axis]:+.2f})")


def dynamic_degree(frames: list[np.ndarray], limit: float = 0.1) -> Check:
    """How much moves, px/frame: the global motion plus half the divergence (VBench's dynamic
    degree uses optical-flow magnitude; phase correlation is its cheap global part)."""
    m = motion(frames)
    value = float(np.hypot(m["dx"], m["dy"]) + abs(m["divergence"]) / 2)
    return Check("dynamic_degree", value, limit, value >= limit,
                 f"{value:.2f} px/frame of global motion")


def flicker(frames: list[np.ndarray], limit: float = 0.94) -> Check:
    """VBench temporal flickering: mean over frame pairs of (255 - MAE) / 255, after undoing
    the global motion so that a pan is not mistaken for flicker. 1.0 is steady."""
    scores = []
    for a, b in zip(frames, frames[1:], strict=False):
        dx, dy = global_shift(a, b)
        shifted = np.roll(luma(a.astype(np.float32)), (int(dy), int(dx)), axis=(0, 1))
        m = min(8 + int(max(abs(dx), abs(dy))), min(a.shape[:2]) // 4)
        diff = np.abs(luma(b.astype(np.float32)) - shifted)[m:-m, m:-m]
        scores.append((255 - float(diff.mean())) / 255)
    value = float(np.mean(scores)) if scores else 1.0
    return Check("flicker", value, limit, value >= limit,
                 f"temporal flickering score {value:.3f} (1.0 is steady)")


def vertical_lines(frames: list[np.ndarray], limit: float = 20.0) -> Check:
    """Vertical-line artifacts: thin columns brighter or darker than their neighbours, the same
    in every frame. Per frame, the column-luminance detail (profile minus its local mean); the
    per-column median over frames keeps what stays put; its spectrum shows a periodic comb as a
    sharp peak. Value: the peak over the median of the spectrum, at periods of 4-64 columns."""
    details = []
    for f in frames:
        profile = luma(f.astype(np.float32)).mean(axis=0)
        details.append(profile - np.convolve(profile, np.ones(9) / 9, mode="same"))
    detail = np.median(np.array(details), axis=0)[8:-8]
    spectrum = np.abs(np.fft.rfft(detail * np.hanning(len(detail))))
    lo, hi = len(detail) // 64, len(detail) // 4
    band = spectrum[lo:hi]
    value = float(band.max() / (np.median(band) + 1e-6))
    return Check("vertical_lines", value, limit, value <= limit,
                 f"column-luminance spectrum peak {value:.1f}x its median")


SCENE_SHARE, DETAIL_SHARE = 0.02, 0.002  # how much of the picture a colour should cover


def palette(frames: list[np.ndarray], colours: list[tuple[str, float]],
            limit: float = 17.0) -> Check:
    """The bible's colours are in the picture: each (colour, share of the picture it should
    cover: SCENE_SHARE for a location's sky and ground, DETAIL_SHARE for a scarf)."""
    from tools.colours import palette_match

    if not colours:
        return Check("palette", 0.0, limit, True, "no bible colours in this shot")
    value = palette_match(frames, colours)
    return Check("palette", value, limit, value <= limit,
                 f"worst bible colour is {value:.1f} CIEDE2000 from the picture "
                 f"({len(colours)} colours)")
