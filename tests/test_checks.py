"""The checks, measured on real takes (local backend, FFmpeg interpolation and upscale, the house
format): a clean take passes every check, and each injected fault is caught by its check."""

from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pytest

from playout import house
from tools import checks, ocr
from tools.backends import Asset, ShotSpec, VideoRequest, local_backends
from tools.backends.local_video import FAULTS, render
from tools.colours import delta_e2000, to_hex
from tools.media import read_frames, write_frames
from tools.moderation import LocalModerator

PALETTE = ["navy", "indigo", "charcoal", "amber", "red"]
PROMPT = "a friendly llama (cream body, red scarf), Llama walks to the left, night"
CATCHES = {"reversed": "motion_direction", "wrong_palette": "palette", "text": "burned_text",
           "frozen": "frozen_frames", "black": "black_frames", "vertical_lines": "vertical_lines"}


def take(out: Path, fault: str | None) -> dict[str, checks.Check]:
    spec = ShotSpec(palette=[to_hex(c) for c in PALETTE],
                    subject_colours=[to_hex("cream"), to_hex("red")], camera_move="pan",
                    camera_direction="left", subject_direction="left", time_of_day="night")
    out.mkdir()
    write_frames(render(VideoRequest(PROMPT, 7, spec), fault), 8, out / "g.mp4")
    b = local_backends()
    clip = b.upscale.upscale(b.interpolate.interpolate(Asset.measure(out / "g.mp4"), 24, out),
                             PROMPT, out)
    house.normalize(clip.path, None, out / "take.mp4", 3.0)
    frames = read_frames(out / "take.mp4", width=384)
    full = read_frames(out / "take.mp4", every=12)
    found = [checks.black_frames(frames), checks.frozen_frames(frames), checks.flicker(frames),
             checks.dynamic_degree(frames), checks.motion_direction(frames, "pan", "left"),
             checks.palette(frames, [*[(c, checks.SCENE_SHARE) for c in PALETTE[:3]],
                                     ("cream", checks.DETAIL_SHARE),
                                     ("red", checks.DETAIL_SHARE)]),
             checks.vertical_lines(full), ocr.burned_text(full[::2], PROMPT)[0]]
    return {c.name: c for c in found}


@pytest.fixture(scope="module")
def measured(tmp_path_factory) -> dict[str | None, dict[str, checks.Check]]:
    root = tmp_path_factory.mktemp("checks")
    kinds = [None, *FAULTS]
    with ThreadPoolExecutor(2) as pool:
        results = pool.map(lambda k: take(root / str(k), k), kinds)
    return dict(zip(kinds, results, strict=True))


def test_a_clean_take_passes_every_check(measured) -> None:
    failed = {n: c.detail for n, c in measured[None].items() if not c.passed}
    assert not failed


@pytest.mark.parametrize("fault", FAULTS)
def test_each_fault_is_caught_by_its_check(measured, fault: str) -> None:
    if fault == "text" and not ocr.available():
        if os.environ.get("WEBTV_REQUIRE_OCR") == "1":
            pytest.fail("tesseract is required (apt-get install tesseract-ocr)")
        pytest.skip("tesseract is not installed")
    check = measured[fault][CATCHES[fault]]
    assert not check.passed, f"{fault} not caught: {check.detail}"


def test_ciede2000_matches_the_published_test_data() -> None:
    pairs = [((50, 2.6772, -79.7751), (50, 0, -82.7485), 2.0425),
             ((50, 2.5, 0), (73, 25, -18), 27.1492),
             ((60.2574, -34.0099, 36.2677), (60.4626, -34.1751, 39.4387), 1.2644),
             ((2.0776, 0.0795, -1.135), (0.9033, -0.0636, -0.5514), 0.9082)]
    for a, b, expected in pairs:
        assert float(delta_e2000(np.array(a), np.array(b))) == pytest.approx(expected, abs=1e-4)


def test_the_local_moderation_gate() -> None:
    gate = LocalModerator()
    assert not gate.check("a llama serves noodles at night").flagged
    verdict = gate.check("a llama with a GUN, blood on the counter")
    assert verdict.flagged and verdict.reason == "contains blood, gun"
