"""Measured checks on a take: each a number against a threshold, and a contact sheet."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
from PIL import Image

BLACK_LUMA = 16.0  # mean luma (0-255) under which a frame counts as black
# A step (one model frame) of a live picture, however quiet, changes in a way a repeated frame
# does not (frozen_frames):
MOVED_LEVEL = 2.0  # luma change (0-255) of a 4x4-pixel block's mean: a thing moved, light changed
MOVED_SHARE = 0.001  # of the picture's blocks: a leaf, a hand, a blink is enough
FRESH_LEVEL = 1.0  # luma change of a pixel: under it, the codec's rounding of the same pixel
FRESH_SHARE = 0.2  # of the pixels changed at all: drawn anew (strong grain, a model's shimmer)


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


def frozen_frames(frames: list[np.ndarray], limit: float = 0.5, stride: int = 3) -> Check:
    """The share of steps (frames ``stride`` apart: one model frame; interpolated frames in
    between change little) in which the picture is held: the same frame repeated.

    Judged by the kind of change, not its size: a quiet live picture (a held camera, a
    character standing still) changes as little on average as a frozen one. A repeated frame,
    however often re-encoded, comes back bit-identical wherever an encoder predicted it (every
    skipped block), and a few levels off, pixel by pixel and zero-mean, where one refreshed or
    refined it (a keyframe; x264 sharpening a held picture over its first second touches up to
    a tenth of it). A live picture changes at every step in a way a repeat does not: something
    moved or the light changed (averaged over 4x4-pixel blocks, where zero-mean rounding
    cancels, MOVED_SHARE of the blocks change by more than MOVED_LEVEL: a breath, a leaf, a
    blink is enough), or it was drawn anew over more of it than an encoder refines (strong
    grain, a model's shimmer: FRESH_SHARE of the pixels change by FRESH_LEVEL or more). A step
    with neither is held. The same noise on every frame is a held frame, and so is faint grain
    on a still picture, which the codecs leave at a level or two over a tenth of it: nothing
    there a viewer sees move."""
    stride = max(1, min(stride, len(frames) - 1))
    if len(frames) < 2:
        return Check("frozen_frames", 1.0, limit, False, "fewer than two frames")
    lumas = [luma(f.astype(np.float32)) for f in frames]
    held = [not _live(b - a) for a, b in zip(lumas, lumas[stride:], strict=False)]
    share = float(np.mean(held))
    return Check("frozen_frames", share, limit, share <= limit,
                 f"{share:.0%} of steps of {stride} frames repeat the picture (nothing moved, "
                 f"no light changed, under {FRESH_SHARE:.0%} of it drawn anew)")


def _live(change: np.ndarray) -> bool:
    """Whether a step's luma change (frame minus frame) shows a live picture, not a repeat."""
    h, w = change.shape[0] // 4 * 4, change.shape[1] // 4 * 4
    blocks = change[:h, :w].reshape(h // 4, 4, w // 4, 4).mean(axis=(1, 3))
    return bool((np.abs(blocks) > MOVED_LEVEL).mean() >= MOVED_SHARE
                or (np.abs(change) >= FRESH_LEVEL).mean() >= FRESH_SHARE)


def contact_sheet(frames: list[np.ndarray], out: Path, columns: int = 3, rows: int = 2,
                  width: int = 320) -> Path:
    """A grid of evenly spaced frames, for models (and people) that look at pictures."""
    picks = np.linspace(0, len(frames) - 1, columns * rows).round().astype(int)
    h = round(frames[0].shape[0] * width / frames[0].shape[1])
    sheet = Image.new("RGB", (columns * width, rows * h), (0, 0, 0))
    for slot, index in enumerate(picks):
        tile = Image.fromarray(frames[index]).resize((width, h))
        sheet.paste(tile, ((slot % columns) * width, (slot // columns) * h))
    sheet.save(out, quality=85)  # JPEG (by the name): a third of PNG's time and size
    return out


# -- checks that need the shot ---------------------------------------------------------------
def flicker(frames: list[np.ndarray], limit: float = 0.03, stride: int = 3) -> Check:
    """Flicker: the exposure pumping from one model frame to the next. For each frame, how far
    its mean brightness is from the middle of its neighbours ``stride`` frames before and
    after (a relative second difference: a steady fade or a tilt to the sky is a straight
    line, not flicker); the value is the 75th percentile over the clip, so a flicker through
    a quarter of it counts and one flash does not."""
    means = np.array([luma(f.astype(np.float32)).mean() for f in frames])
    if len(means) < 2 * stride + 1:
        return Check("flicker", 0.0, limit, True, "too few frames to measure flicker")
    level = max(float(means.mean()), 1.0)
    bumps = np.abs(means[stride:-stride] - (means[:-2 * stride] + means[2 * stride:]) / 2)
    value = float(np.percentile(bumps / level, 75))
    return Check("flicker", value, limit, value <= limit,
                 f"brightness jumps {value:.1%} between model frames (steady: under "
                 f"{limit:.0%})")


def scene_cut(frames: list[np.ndarray], limit: float = 1.0, stride: int = 3) -> Check:
    """A hard cut: one step between frames (``stride`` apart: one model frame, over which an
    interpolator spreads a cut) that changes the picture far more than the clip's own motion
    does. On small grey thumbnails, the change of each step; the value is how far the largest
    stands above the clip's typical step, relative to it. One cut is a fault in a 3 s shot."""
    if len(frames) <= stride + 2:
        return Check("scene_cut", 0.0, limit, True, "too few frames to look for a cut")
    thumbs = [np.asarray(Image.fromarray(f).convert("L").resize((48, 27),
                                                             Image.Resampling.BILINEAR),
                         dtype=np.float32) / 255 for f in frames]
    steps = np.array([float(np.abs(b - a).mean())
                      for a, b in zip(thumbs, thumbs[stride:], strict=False)])
    typical = float(np.median(steps))
    value = float((steps.max() - typical) / (typical + 0.01))
    at = int(steps.argmax())
    return Check("scene_cut", value, limit, value <= limit,
                 f"the largest change (frames {at}-{at + stride}) is {value:.1f}x the clip's "
                 f"typical change above it")


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

# Which failed checks keep a take off the air. "all": every check. "playable": only those that
# make a take unwatchable whatever was asked (black or frozen pictures, text burned in); the
# others still run and are recorded, for the operator. "auto" (the default): "all" where a take
# costs seconds (the local renderer, a Space), "playable" where it costs minutes of the owner's
# GPU or the owner's money (an in-process model, a hosted service: a retake for a colour off by
# a few units would cost more air, or dollars, than it saves). A model with random weights (a
# test's) makes noise the other checks reject.
GATES = {"all": None, "playable": frozenset({"black_frames", "frozen_frames", "burned_text"})}


def gate(name: str, costly: bool = False) -> frozenset[str] | None:
    """The checks that reject under gate ``name`` (None: all of them); ``costly``: whether
    the video backend's takes cost minutes of a GPU or money (it says so itself), for
    "auto"."""
    if name == "auto":
        name = "playable" if costly else "all"
    if name not in GATES:
        from webtv.core.errors import ConfigError

        raise ConfigError(f"unknown inspection gate {name!r} (known: auto, "
                          f"{', '.join(GATES)})")
    return GATES[name]


def palette(frames: list[np.ndarray], colours: list[tuple[str, float]],
            limit: float = 17.0) -> Check:
    """The bible's colours are in the picture: each (colour, share of the picture it should
    cover: SCENE_SHARE for a place's sky and ground, DETAIL_SHARE for a scarf)."""
    from webtv.inspection.colours import palette_match

    if not colours:
        return Check("palette", 0.0, limit, True, "no bible colours in this shot")
    value = palette_match(frames, colours)
    return Check("palette", value, limit, value <= limit,
                 f"worst bible colour is {value:.1f} CIEDE2000 from the picture "
                 f"({len(colours)} colours)")
