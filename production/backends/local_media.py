"""Embedded upscale, frame interpolation and music: FFmpeg and NumPy, no GPU, no network."""

from __future__ import annotations

import wave
from pathlib import Path

import numpy as np

from webtv.core.media import run_ffmpeg
from webtv.production.backends.base import Asset

UPSCALE_SIZE = (1024, 576)  # Zeroscope XL's output size
SAMPLE_RATE = 48_000


class FFmpegUpscale:
    """Lanczos scaling to Zeroscope XL's size; as a filter of the house pass, or a file."""

    name = "local"

    def filter(self) -> str:
        w, h = UPSCALE_SIZE
        return f"scale={w}:{h}:flags=lanczos,setsar=1"

    def upscale(self, clip: Asset, prompt: str, out_dir: Path) -> Asset:
        # The prompt only matters to diffusion upscalers (XL re-renders detail from it).
        out = out_dir / "upscaled.mp4"
        run_ffmpeg(["-i", str(clip.path), "-vf", self.filter(),
                    "-c:v", "libx264", "-preset", "ultrafast", "-crf", "12",
                    "-pix_fmt", "yuv420p", str(out)])
        return Asset.measure(out)


class FFmpegInterpolate:
    """Motion-compensated interpolation; as a filter of the house pass, or a file. Run at the
    generation size, before upscaling, where it costs a third as much."""

    name = "local"

    def filter(self, clip: Asset, fps: int) -> str:
        frames = round(clip.duration * fps)
        # Cloned frames at the end, then a trim: the last input frame keeps its full 1/fps and
        # the output lasts exactly as long as the input.
        return ("tpad=stop_mode=clone:stop=3,"
                f"minterpolate=fps={fps}:mi_mode=mci:mc_mode=aobmc:me_mode=bilat,"
                f"trim=end_frame={frames},setpts=PTS-STARTPTS")

    def interpolate(self, clip: Asset, fps: int, out_dir: Path) -> Asset:
        out = out_dir / "interpolated.mp4"
        run_ffmpeg(["-i", str(clip.path), "-vf", self.filter(clip, fps),
                    "-c:v", "libx264", "-preset", "ultrafast", "-crf", "12",
                    "-pix_fmt", "yuv420p", str(out)])
        return Asset.measure(out)


# Mood words -> (beats per minute, root note as MIDI number, scale steps).
MAJOR, MINOR, PENTATONIC = (0, 2, 4, 5, 7, 9, 11), (0, 2, 3, 5, 7, 8, 10), (0, 2, 4, 7, 9)
MOODS = {
    "calm": (72, 57, PENTATONIC), "cozy": (84, 60, MAJOR), "warm": (88, 62, MAJOR),
    "upbeat": (120, 64, MAJOR), "playful": (112, 67, PENTATONIC), "tense": (100, 57, MINOR),
    "mysterious": (76, 55, MINOR), "melancholy": (66, 57, MINOR), "epic": (96, 50, MINOR),
    "dreamy": (70, 62, PENTATONIC),
}
PROGRESSION = (0, 4, 5, 3)  # I - V - vi - IV, as scale degrees


class SynthMusic:
    name = "local"

    def compose(self, mood: str, seconds: float, seed: int, out_dir: Path) -> Asset:
        out = out_dir / "music.wav"
        write_wav(synthesize(mood, seconds, seed), out)
        return Asset.measure(out)


def mood_settings(mood: str) -> tuple[int, int, tuple[int, ...]]:
    for word in mood.lower().replace(",", " ").split():
        if word in MOODS:
            return MOODS[word]
    return MOODS["calm"]


def synthesize(mood: str, seconds: float, seed: int) -> np.ndarray:
    """Stereo float samples: a pad, a bass line and a seeded arpeggio in the mood's key."""
    bpm, root, scale = mood_settings(mood)
    rng = np.random.default_rng(seed)
    n = int(seconds * SAMPLE_RATE)
    t = np.arange(n) / SAMPLE_RATE
    beat = 60 / bpm
    left, right = np.zeros(n), np.zeros(n)

    def note(degree: int, octave: int = 0) -> float:
        step = scale[degree % len(scale)] + 12 * (octave + degree // len(scale))
        return 440.0 * 2 ** ((root + step - 69) / 12)

    bar = 4 * beat
    pattern = rng.permutation([0, 2, 4, 2 + len(scale)])
    for b in range(int(seconds / bar) + 1):
        chord = PROGRESSION[(b + int(rng.integers(0, 4))) % 4] if b == 0 else PROGRESSION[b % 4]
        span = (t >= b * bar) & (t < (b + 1) * bar)
        for k, offset in enumerate((0, 2, 4)):  # pad: a soft triad, detuned between ears
            f = note(chord + offset)
            left[span] += 0.05 * np.sin(2 * np.pi * f * t[span])
            right[span] += 0.05 * np.sin(2 * np.pi * f * 1.003 * t[span] + k)
        bass = 0.12 * np.sin(2 * np.pi * note(chord, -2) * t[span])
        left[span] += bass
        right[span] += bass
        for s in range(8):  # arpeggio in eighth notes with a plucked decay
            start = b * bar + s * beat / 2
            i0, i1 = int(start * SAMPLE_RATE), int((start + beat / 2) * SAMPLE_RATE)
            if i0 >= n:
                break
            seg = t[i0:min(i1, n)] - start
            f = note(chord + int(pattern[s % 4]), 1)
            tone = 0.09 * np.sin(2 * np.pi * f * seg) * np.exp(-seg * 7)
            pan = 0.5 + 0.3 * np.sin(s)
            left[i0:i0 + len(seg)] += tone * (1 - pan)
            right[i0:i0 + len(seg)] += tone * pan
    fade = np.minimum(1, np.minimum(t / 0.05, (seconds - t) / 0.3).clip(0))
    return np.stack([left * fade, right * fade], axis=1)


def write_wav(samples: np.ndarray, out: Path) -> None:
    pcm = (np.clip(samples, -1, 1) * 32767).astype("<i2")
    with wave.open(str(out), "wb") as handle:
        handle.setnchannels(2)
        handle.setsampwidth(2)
        handle.setframerate(SAMPLE_RATE)
        handle.writeframes(pcm.tobytes())
