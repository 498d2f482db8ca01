"""Colour science for the checks: RGB to CIELAB, CIEDE2000 distances, how far a picture is
from the colours a shot asks for."""

from __future__ import annotations

import numpy as np

from webtv.reading.colours import rgb


def rgb_to_lab(pixels: np.ndarray) -> np.ndarray:
    """sRGB (..., 3) in 0-255 to CIELAB (D65)."""
    c = np.asarray(pixels, dtype=np.float64) / 255.0
    c = np.where(c > 0.04045, ((c + 0.055) / 1.055) ** 2.4, c / 12.92)
    m = np.array([[0.4124, 0.3576, 0.1805], [0.2126, 0.7152, 0.0722], [0.0193, 0.1192, 0.9505]])
    xyz = c @ m.T / np.array([0.95047, 1.0, 1.08883])
    f = np.where(xyz > 0.008856, np.cbrt(xyz), 7.787 * xyz + 16 / 116)
    return np.stack([116 * f[..., 1] - 16, 500 * (f[..., 0] - f[..., 1]),
                     200 * (f[..., 1] - f[..., 2])], axis=-1)


def delta_e2000(lab1: np.ndarray, lab2: np.ndarray) -> np.ndarray:
    """CIEDE2000 (Sharma, Wu, Dalal 2005) between Lab colours, broadcasting like numpy."""
    lab1, lab2 = np.asarray(lab1, dtype=np.float64), np.asarray(lab2, dtype=np.float64)
    l1, a1, b1 = lab1[..., 0], lab1[..., 1], lab1[..., 2]
    l2, a2, b2 = lab2[..., 0], lab2[..., 1], lab2[..., 2]
    c_bar = (np.hypot(a1, b1) + np.hypot(a2, b2)) / 2
    g = 0.5 * (1 - np.sqrt(c_bar**7 / (c_bar**7 + 25.0**7)))
    a1p, a2p = a1 * (1 + g), a2 * (1 + g)
    c1p, c2p = np.hypot(a1p, b1), np.hypot(a2p, b2)
    h1p = np.degrees(np.arctan2(b1, a1p)) % 360
    h2p = np.degrees(np.arctan2(b2, a2p)) % 360
    dlp, dcp = l2 - l1, c2p - c1p
    dh = h2p - h1p
    dh = np.where(dh > 180, dh - 360, np.where(dh < -180, dh + 360, dh))
    dh = np.where(c1p * c2p == 0, 0, dh)
    dhp = 2 * np.sqrt(c1p * c2p) * np.sin(np.radians(dh) / 2)
    lp_bar, cp_bar = (l1 + l2) / 2, (c1p + c2p) / 2
    hsum = h1p + h2p
    hp_bar = np.where(np.abs(h1p - h2p) > 180,
                      np.where(hsum < 360, (hsum + 360) / 2, (hsum - 360) / 2), hsum / 2)
    hp_bar = np.where(c1p * c2p == 0, hsum, hp_bar)
    t = (1 - 0.17 * np.cos(np.radians(hp_bar - 30)) + 0.24 * np.cos(np.radians(2 * hp_bar))
         + 0.32 * np.cos(np.radians(3 * hp_bar + 6)) - 0.20 * np.cos(np.radians(4 * hp_bar - 63)))
    d_theta = 30 * np.exp(-(((hp_bar - 275) / 25) ** 2))
    rc = 2 * np.sqrt(cp_bar**7 / (cp_bar**7 + 25.0**7))
    sl = 1 + 0.015 * (lp_bar - 50) ** 2 / np.sqrt(20 + (lp_bar - 50) ** 2)
    sc, sh = 1 + 0.045 * cp_bar, 1 + 0.015 * cp_bar * t
    rt = -np.sin(np.radians(2 * d_theta)) * rc
    return np.sqrt((dlp / sl) ** 2 + (dcp / sc) ** 2 + (dhp / sh) ** 2
                   + rt * (dcp / sc) * (dhp / sh))


def _binned(pixels: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Pixels (N x 3, 0-255) counted in bins of 4 levels a channel (under 1 CIEDE2000 apart):
    the bins present, in Lab; each pixel's bin; how many pixels each holds. Distances are then
    computed once per bin, not once per pixel."""
    q = pixels.astype(np.int32) >> 2
    keys, where, counts = np.unique((q[:, 0] << 12) | (q[:, 1] << 6) | q[:, 2],
                                    return_inverse=True, return_counts=True)
    centres = np.stack([keys >> 12, (keys >> 6) & 63, keys & 63], axis=1) * 4 + 1.5
    return rgb_to_lab(centres), where.ravel(), counts


def palette_match(frames: list[np.ndarray], wanted: list[tuple[str, float]]) -> float:
    """How far the picture is from each wanted colour: for each (colour, share), the CIEDE2000
    distance within which that share of the pixels lie (a sky should fill a few percent of the
    picture, a scarf a fraction of one); the worst over the colours."""
    pixels = np.concatenate([f[::2, ::2].reshape(-1, 3) for f in frames[::3]])
    lab, _, weights = _binned(pixels)
    worst = 0.0
    for colour, share in wanted:
        distances = delta_e2000(lab, rgb_to_lab(np.array(rgb(colour), dtype=np.float64)))
        order = np.argsort(distances)
        within = np.searchsorted(np.cumsum(weights[order]), share * len(pixels))
        worst = max(worst, float(distances[order][min(within, len(order) - 1)]))
    return worst


def near(pixels: np.ndarray, colour: tuple[int, int, int], tolerance: float) -> np.ndarray:
    """Which of the pixels (N x 3, 0-255) lie within ``tolerance`` CIEDE2000 of ``colour``."""
    lab, where, _ = _binned(pixels)
    close = delta_e2000(lab, rgb_to_lab(np.array(colour, dtype=np.float64)))
    return (close < tolerance)[where]
