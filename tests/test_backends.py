"""The embedded local backends, measured from the frames and samples they produce."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from webtv.core.media import read_frames
from webtv.inspection import motion
from webtv.inspection.colours import near, palette_match
from webtv.production.backends import local_backends
from webtv.production.backends.base import ShotSpec, VideoRequest
from webtv.production.backends.local_media import SAMPLE_RATE
from webtv.production.backends.local_video import is_soft
from webtv.reading.colours import rgb, to_hex

BACKENDS = local_backends()
PALETTE = [to_hex(c) for c in ("navy", "orange", "green")]


def generate(tmp_path: Path, seed: int | None = None, **spec) -> tuple:
    """A clip of the renderer's rich footage (textured: its geometry can be measured) unless a
    seed is given."""
    spec.setdefault("palette", PALETTE)
    if seed is None:
        seed = next(s for s in range(1, 100) if not is_soft(VideoRequest("p", s, ShotSpec(**spec))))
    clip = BACKENDS.video.generate(VideoRequest("p", seed, ShotSpec(**spec)), tmp_path)
    return clip, read_frames(clip.path)


def test_generation_has_zeroscope_shape(tmp_path: Path) -> None:
    clip, frames = generate(tmp_path, camera_move="pan", camera_direction="left")
    assert (clip.width, clip.height, clip.fps, clip.frames) == (576, 320, 8.0, 24)
    assert clip.duration == pytest.approx(3.0, abs=0.01)
    assert len(frames) == 24


def test_generation_is_painted_in_the_shot_palette(tmp_path: Path) -> None:
    _, frames = generate(tmp_path, camera_move="pan", camera_direction="right")
    # each colour covers at least 2% of the picture (CIEDE2000), and others do not
    assert palette_match(frames[::4], [(c, 0.02) for c in PALETTE]) < 8
    assert palette_match(frames[::4], [(to_hex(c), 0.02) for c in ("magenta", "lime")]) > 20
    # the first colours are big areas of the picture, not specks
    assert palette_match(frames[::4], [(PALETTE[0], 0.15), (PALETTE[2], 0.15)]) < 15


def share_near(frames: list[np.ndarray], colour: str, tolerance: float = 10.0) -> float:
    pixels = np.concatenate([f[::2, ::2].reshape(-1, 3) for f in frames])
    return float(near(pixels, rgb(colour), tolerance).mean())


def test_subject_is_drawn_in_its_colours(tmp_path: Path) -> None:
    _, frames = generate(tmp_path, subject_colours=[to_hex("white"), to_hex("red")],
                         camera_move="zoom", camera_direction="in", framing="close-up")
    for colour in ("white", "red"):
        assert share_near(frames[::4], to_hex(colour)) > 0.01, colour
    assert share_near(frames[::4], to_hex("magenta")) < 0.001


@pytest.mark.parametrize("move, direction, axis, sign", [
    ("pan", "right", "dx", -1),  # the camera turns right: the scene slides left in frame
    ("pan", "left", "dx", +1),
    ("tilt", "up", "dy", +1),  # the camera tilts up: the scene slides down
    ("tilt", "down", "dy", -1),
    ("zoom", "in", "divergence", +1),  # things grow: the halves move apart
    ("zoom", "out", "divergence", -1),
])
def test_camera_moves_the_way_the_shot_asks(tmp_path, move, direction, axis, sign) -> None:
    _, frames = generate(tmp_path, camera_move=move, camera_direction=direction)
    measured = motion.motion([f[::2, ::2] for f in frames])
    assert np.sign(measured[axis]) == sign, measured
    assert abs(measured[axis]) >= 1


def test_subject_walks_the_way_the_shot_asks(tmp_path: Path) -> None:
    positions = {}
    for direction in ("left", "right"):
        _, frames = generate(tmp_path, subject_colours=[to_hex("white"), to_hex("red")],
                             subject_direction=direction)
        xs = []
        for frame in (frames[0], frames[-1]):
            white = np.all(np.abs(frame.astype(int) - rgb("white")) < 30, axis=-1)
            xs.append(np.nonzero(white)[1].mean())
        positions[direction] = xs[1] - xs[0]
    assert positions["left"] < -40 and positions["right"] > 40


def test_interpolation_and_upscale_reach_the_house_shape(tmp_path: Path) -> None:
    clip, frames = generate(tmp_path, camera_move="pan", camera_direction="left")
    smooth = BACKENDS.interpolate.interpolate(clip, 24, tmp_path)
    assert smooth.fps == 24.0 and smooth.frames == 72
    assert smooth.duration == pytest.approx(3.0, abs=0.05)
    big = BACKENDS.upscale.upscale(smooth, "p", tmp_path)
    assert (big.width, big.height, big.frames) == (1024, 576, 72)
    # three interpolated frames make one generated step; the frames between lie between
    step, _ = motion.global_shift(frames[10], frames[11])
    fine = read_frames(big.path)
    scale = 1024 / 576
    whole, _ = motion.global_shift(fine[30], fine[33])
    third, _ = motion.global_shift(fine[30], fine[31])
    assert whole == pytest.approx(step * scale, abs=2)
    assert 0 < abs(third) < abs(whole)


def test_music_has_the_asked_length_and_is_not_silence(tmp_path: Path) -> None:
    import wave

    asset = BACKENDS.music.compose("cozy", 3.0, 7, tmp_path)
    assert asset.duration == pytest.approx(3.0, abs=0.01)
    with wave.open(str(asset.path)) as w:
        assert (w.getframerate(), w.getnchannels()) == (SAMPLE_RATE, 2)
        samples = np.frombuffer(w.readframes(w.getnframes()), "<i2").reshape(-1, 2)
    rms = np.sqrt((samples.astype(float) ** 2).mean()) / 32768
    assert 0.01 < rms < 0.5
    spectrum = np.abs(np.fft.rfft(samples[:SAMPLE_RATE, 0]))
    assert spectrum[50:].max() > 10 * spectrum[:20].max()  # tones, not a DC offset or rumble
