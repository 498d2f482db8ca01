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


def frozen_frames(frames: list[np.ndarray], limit: float = 0.5) -> Check:
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


def motion(frames: list[np.ndarray]) -> dict[str, float]:
    """Mean global motion per frame and the divergence (left half vs right half) for zooms."""
    dx, dy, div = [], [], []
    for a, b in zip(frames, frames[1:], strict=False):
        x, y = global_shift(a, b)
        dx.append(x)
        dy.append(y)
        half = a.shape[1] // 2
        left, _ = global_shift(a[:, :half], b[:, :half])
        right, _ = global_shift(a[:, half:], b[:, half:])
        div.append(right - left)
    return {"dx": float(np.median(dx)), "dy": float(np.median(dy)),
            "divergence": float(np.median(div))}


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
