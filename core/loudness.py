"""Loudness: the level every take and the slate are brought to when they are accepted, and how
a file or the aired stream is measured (ITU-R BS.1770 as FFmpeg's loudnorm and ebur128 filters
implement it).

A take's sound is measured first (audio only: a tenth of a second), then the gain is applied
in the one FFmpeg pass that encodes the house format, so nothing is encoded twice. The gain is
linear (the music keeps its dynamics) unless the true peak would pass the ceiling; then
loudnorm's own limiter shapes it. Sound quieter than ``SILENCE`` is left alone: a hiss is never
raised to programme level.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from webtv.core.errors import ConfigError, MediaError
from webtv.core.media import ffmpeg_report

# What channel owners choose among: streaming platforms' level, and the broadcast standards.
STANDARDS = {
    "streaming": (-16.0, -1.5),  # integrated LUFS, true peak dBTP (Apple, Spotify-like level)
    "ebu-r128": (-23.0, -1.0),  # EBU R 128 (European broadcast)
    "atsc-a85": (-24.0, -2.0),  # ATSC A/85 (North American broadcast)
}
SILENCE = -50.0  # LUFS: sound below this integrated level is not raised
LOUDNESS_RANGE = 11.0  # LU: loudnorm's range target, used only when its limiter must act


@dataclass(frozen=True)
class Loudness:
    """The level the channel airs at."""

    target: float = -16.0  # integrated loudness, LUFS
    true_peak: float = -1.5  # ceiling, dBTP

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> Loudness:
        """webtv.toml's ``[loudness]``: a ``standard`` (STANDARDS) and/or ``target_lufs`` and
        ``true_peak_dbtp``, checked."""
        table = config.get("loudness", {})
        standard = table.get("standard", "streaming")
        if standard not in STANDARDS:
            raise ConfigError(f"[loudness] standard {standard!r}: one of {', '.join(STANDARDS)}")
        target, peak = STANDARDS[standard]
        target = table.get("target_lufs", target)
        peak = table.get("true_peak_dbtp", peak)
        if not isinstance(target, int | float) or not -31 <= target <= -9:
            raise ConfigError("[loudness] target_lufs: a number from -31 to -9 (LUFS)")
        if not isinstance(peak, int | float) or not -9 <= peak <= 0:
            raise ConfigError("[loudness] true_peak_dbtp: a number from -9 to 0 (dBTP)")
        return cls(float(target), float(peak))

    def describe(self) -> str:
        return f"{self.target:g} LUFS, true peak {self.true_peak:g} dBTP"


STREAMING = Loudness()  # the default: -16 LUFS, -1.5 dBTP


PEAK_MARGIN = 0.2  # dB kept under the ceiling by a plain gain (the AAC encode adds a little)


@dataclass(frozen=True)
class Measured:
    """One sound's measurement (the figures loudnorm's second pass takes)."""

    integrated: float  # LUFS
    true_peak: float  # dBTP
    range: float  # LU
    threshold: float  # LUFS

    @property
    def silent(self) -> bool:
        return self.integrated < SILENCE


def measure(audio: Path, chain: str, loudness: Loudness) -> Measured:
    """Measure ``audio`` after the filter ``chain`` that the house pass applies to it (so the
    measurement is of exactly what airs): BS.1770 integrated loudness, its gate, the range and
    the true peak, read by ebur128 (the same figures loudnorm's first pass gives, to 0.1 dB,
    for a fifth of its CPU: loudnorm works at 192 kHz)."""
    text = ffmpeg_report(["-i", str(audio), "-vn", "-af",
                          f"{chain},ebur128=peak=true:framelog=quiet", "-f", "null", "-"])
    summary = text[text.rfind("Summary:"):]
    found = [re.search(rf"{name}:\s*(-?[\d.]+|-inf)", summary)
             for name in ("I", "Threshold", "LRA", "Peak")]
    if "Summary:" not in text or not all(found):
        raise MediaError(f"{audio.name}: loudness could not be measured")
    integrated, threshold, spread, peak = (
        -99.0 if f.group(1) == "-inf" else float(f.group(1)) for f in found)
    return Measured(integrated, peak, spread, threshold)


def gain_filter(loudness: Loudness, measured: Measured) -> str:
    """The filters that bring a measured sound to the target (none for silence). Where the
    gain leaves the true peak under the ceiling, a plain volume change is all loudnorm's linear
    mode would do, without its 192 kHz pass (the most CPU of a take's sound); else loudnorm
    limits, and its output is brought back to the house rate by the caller."""
    if measured.silent:
        return ""
    gain = loudness.target - measured.integrated
    if measured.true_peak + gain <= loudness.true_peak - PEAK_MARGIN:
        return f"volume={gain:.2f}dB"
    return (f"{_loudnorm(loudness)}:measured_I={measured.integrated:.2f}"
            f":measured_TP={measured.true_peak:.2f}:measured_LRA={measured.range:.2f}"
            f":measured_thresh={measured.threshold:.2f}:linear=true")


def _loudnorm(loudness: Loudness) -> str:
    return (f"loudnorm=I={loudness.target:g}:TP={loudness.true_peak:g}"
            f":LRA={LOUDNESS_RANGE:g}")


# -- measuring what aired ------------------------------------------------------------------
@dataclass(frozen=True)
class Series:
    """ebur128's readings of a stream: every 100 ms, the momentary (400 ms) and short-term
    (3 s) loudness; and the whole's integrated loudness, range and true peak."""

    times: list[float]
    momentary: list[float]
    short_term: list[float]
    integrated: float
    range: float
    true_peak: float

    def short_term_at(self, t: float) -> float:
        """The short-term loudness of the 3 s ending at ``t``."""
        i = min(range(len(self.times)), key=lambda k: abs(self.times[k] - t))
        return self.short_term[i]


_LINE = re.compile(r"t:\s*([\d.]+)\s+TARGET:\S+ LUFS\s+M:\s*(-?[\d.]+|-?inf|nan)\s+"
                   r"S:\s*(-?[\d.]+|-?inf|nan)")


def measure_stream(media: Path, *, timeout: float = 900) -> Series:
    """The loudness of a file as a listener hears it, with ebur128 (peaks oversampled)."""
    text = ffmpeg_report(["-i", str(media), "-vn", "-af", "ebur128=peak=true",
                          "-f", "null", "-"], timeout=timeout)
    times, momentary, short = [], [], []
    for t, m, s in _LINE.findall(text):
        times.append(float(t))
        momentary.append(float(m) if m[-1].isdigit() else -120.0)
        short.append(float(s) if s[-1].isdigit() else -120.0)
    summary = text[text.rfind("Summary:"):]
    found = [re.search(rf"{name}:\s*(-?[\d.]+|-inf)", summary)
             for name in ("I", "LRA", "Peak")]
    if not times or not all(found):
        raise MediaError(f"{media.name}: ebur128 measured nothing")
    integrated, spread, peak = (float(f.group(1)) if f.group(1) != "-inf" else -120.0
                                for f in found)
    return Series(times, momentary, short, integrated, spread, peak)


def boundary_jumps(series: Series, boundaries: list[float], window: float = 3.0) -> list[float]:
    """How far the short-term loudness moves across each boundary between two items: the 3 s
    before it against the first 3 s after it (or the item, when it is shorter). ``boundaries``:
    the stream times items start at, in order."""
    jumps = []
    for here, after in zip(boundaries, [*boundaries[1:], None], strict=True):
        end = here + window if after is None else min(here + window, after)
        if here < window or end > series.times[-1]:
            continue  # a window that the measured stream does not hold whole
        jumps.append(abs(series.short_term_at(end) - series.short_term_at(here)))
    return jumps
