"""The checks, measured on real takes (local backend, FFmpeg interpolation and upscale, the house
format): a clean take passes every check, and each injected fault is caught by its check."""

from __future__ import annotations

import re
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from tests.conftest import need
from webtv.core import house
from webtv.core.errors import BadMedia
from webtv.core.media import read_frames_twice, write_frames
from webtv.inspection import checks, motion, ocr
from webtv.inspection.colours import delta_e2000
from webtv.inspection.moderation import LocalModerator
from webtv.production.backends import local_backends
from webtv.production.backends.base import Asset, ShotSpec, VideoRequest, refuse_bad_clip
from webtv.production.backends.local_video import (
    FILE_FAULTS,
    PICTURE_FAULTS,
    ProceduralVideo,
    _caption,
    is_soft,
    pick_fault,
    render,
)
from webtv.reading.colours import rgb, to_hex

PALETTE = ["navy", "indigo", "charcoal", "amber", "red"]
PROMPT = "a friendly llama (cream body, red scarf), Llama walks to the left, night"
CATCHES = {"reversed": "motion_direction", "wrong_palette": "palette", "text": "burned_text",
           "frozen": "frozen_frames", "black": "black_frames", "vertical_lines": "vertical_lines",
           "scene_cut": "scene_cut", "watermark": "burned_text", "flicker": "flicker"}
WEAK = ("scene_cut", "watermark", "flicker", "frozen", "wrong_palette")  # also tried faint
SPEC = ShotSpec(palette=[to_hex(c) for c in PALETTE],
                subject_colours=[to_hex("cream"), to_hex("red")], camera_move="pan",
                camera_direction="left", subject_direction="left", time_of_day="night")


def seed(soft: bool) -> int:
    """A seed the renderer draws soft (plain, low-texture footage) or rich."""
    return next(s for s in range(7, 500) if is_soft(VideoRequest(PROMPT, s, SPEC)) == soft)


def take(out: Path, fault: str | None, soft: bool = False) -> dict[str, checks.Check]:
    out.mkdir()
    write_frames(render(VideoRequest(PROMPT, seed(soft), SPEC), fault), 8, out / "g.mp4")
    b = local_backends()
    clip = b.upscale.upscale(b.interpolate.interpolate(Asset.measure(out / "g.mp4"), 24, out),
                             PROMPT, out)
    house.normalize(clip.path, None, out / "take.mp4", 3.0)
    frames, full = read_frames_twice(out / "take.mp4", width=384, every=12)
    found = [checks.black_frames(frames), checks.frozen_frames(frames), checks.flicker(frames),
             checks.scene_cut(frames), motion.dynamic_degree(frames),
             motion.motion_direction(frames, "pan", "left"),
             checks.palette(frames, [*[(c, checks.SCENE_SHARE) for c in PALETTE[:3]],
                                     ("cream", checks.DETAIL_SHARE),
                                     ("red", checks.DETAIL_SHARE)]),
             checks.vertical_lines(full), ocr.burned_text(full, PROMPT)[0]]
    return {c.name: c for c in found}


@pytest.fixture(scope="module")
def measured(tmp_path_factory) -> dict[str, dict[str, checks.Check]]:
    root = tmp_path_factory.mktemp("checks")
    kinds = ["clean", "clean:soft", *PICTURE_FAULTS, *(f"{f}:weak" for f in WEAK)]

    def one(kind: str) -> dict[str, checks.Check]:
        fault = None if kind.startswith("clean") else kind
        return take(root / kind.replace(":", "-"), fault, soft=kind.endswith("soft"))

    with ThreadPoolExecutor(2) as pool:
        results = pool.map(one, kinds)
    return dict(zip(kinds, results, strict=True))


@pytest.mark.slow
@pytest.mark.parametrize("kind", ["clean", "clean:soft"])
def test_a_clean_take_passes_every_check(measured, kind: str) -> None:
    failed = {n: c.detail for n, c in measured[kind].items() if not c.passed}
    assert not failed


def test_motion_on_plain_footage_is_not_measurable_rather_than_wrong() -> None:
    plain = [np.full((216, 384, 3), 90, np.uint8) for _ in range(24)]
    for i, frame in enumerate(plain):  # a soft gradient drifting: no texture to follow
        frame[:] = np.linspace(60 + i, 120 + i, 384, dtype=np.uint8)[None, :, None]
    direction = motion.motion_direction(plain, "pan", "left")
    assert direction.passed and "not measurable" in direction.detail
    assert motion.dynamic_degree(plain).passed


@pytest.mark.parametrize(("move", "direction", "walks", "check"), [
    ("zoom", "in", "none", "motion_direction"), ("pan", "right", "none", "motion_direction"),
    ("tilt", "down", "none", "motion_direction"), ("static", "none", "left", "subject_direction"),
    ("static", "none", "away", "subject_direction")])
def test_a_reversed_take_of_plain_footage_is_caught_by_the_characters_track(
        move: str, direction: str, walks: str, check: str) -> None:
    """Where the scene gives the camera's motion no texture ("not measurable"), the character
    is carried by the scene (or walks itself): played backwards, it goes the other way."""
    spec = replace(SPEC, camera_move=move, camera_direction=direction, subject_direction=walks,
                   time_of_day="day")
    request = next(r for r in (VideoRequest(PROMPT, s, spec, frames=72, fps=24)
                               for s in range(7, 500)) if is_soft(r))
    frames = [np.asarray(Image.fromarray(f).resize((384, 214))) for f in render(request)]
    for reverse in (False, True):
        shown = frames[::-1] if reverse else frames
        track = motion.subject_track(shown, rgb(to_hex("cream")))
        found = {"motion_direction": motion.motion_direction(  # as where the scene is plain
            shown, move, direction, measured=None, track=track, subject_direction=walks),
            "subject_direction": motion.subject_direction(track, walks, move)}[check]
        assert found.passed is not reverse, found.detail


@pytest.mark.slow
@pytest.mark.parametrize("fault", [*PICTURE_FAULTS, *(f"{f}:weak" for f in WEAK)])
def test_each_fault_is_caught_by_its_check(measured, fault: str) -> None:
    name = CATCHES[fault.split(":")[0]]
    if name == "burned_text":
        need_tesseract()
    check = measured[fault][name]
    assert not check.passed, f"{fault} not caught: {check.detail}"


@pytest.mark.parametrize("fault", [*FILE_FAULTS, "partial:weak", "truncated:weak"])
def test_a_broken_or_misshapen_file_is_refused_before_it_becomes_a_take(tmp_path,
                                                                        fault: str) -> None:
    video = ProceduralVideo(1.0, (fault.split(":")[0],))
    request = VideoRequest(PROMPT, 3, SPEC)
    while pick_fault(request, 1.0, video.faults) != fault:  # the seed that gives this strength
        request = VideoRequest(PROMPT, request.seed + 1, SPEC)
    clip = video.generate(request, tmp_path)
    with pytest.raises(BadMedia) as refused:
        refuse_bad_clip(clip.path, request.frames, request.width, request.height)
    assert re.search(r"partial clip|not the shape|not a readable", str(refused.value))


def need_tesseract() -> None:
    need(ocr.available(), "WEBTV_REQUIRE_OCR",
         "tesseract is not installed (apt-get install tesseract-ocr)")


def test_text_the_prompt_asks_for_is_not_a_fault_and_stray_letters_are_not_text() -> None:
    need_tesseract()
    frames = render(VideoRequest('a shop sign that says "OPEN NOW"', seed(False), SPEC))
    sign = [np.asarray(_caption(f, "OPEN NOW")) for f in frames]
    assert ocr.burned_text(sign, 'a shop sign that says "OPEN NOW"')[0].passed
    assert not ocr.burned_text(sign, "a shop sign")[0].passed


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


# -- shots that hold still, as a Space delivers them -------------------------------------------
@pytest.fixture(scope="module")
def stills(tmp_path_factory) -> dict[tuple[str, str], list[np.ndarray]]:
    """Takes as inspection reads them, made from a Space's answer (MPEG-4 Part 2 as OpenCV's
    mp4v writer, or H.264) by the house pass: clean shots that hold still (rich and soft
    footage), and frozen copies of one frame of a still shot (also with the same noise on every
    copy, or faint noise of its own on each: near-exact repeats) and of a pan."""
    from tests import still_shots

    root = tmp_path_factory.mktemp("stills")
    pan = render(still_shots.request(still_shots.PAN, 11))
    kinds = {"live": lambda: still_shots.still_clip(11, soft=False),
             "live:soft": lambda: still_shots.still_clip(11, soft=True),
             "frozen": lambda: still_shots.frozen(still_shots.still_clip(11)),
             "frozen:same noise": lambda: still_shots.frozen(still_shots.still_clip(11), 3.0),
             "frozen:near repeats": lambda: still_shots.frozen(still_shots.still_clip(11), 1.0,
                                                               fresh=True),
             "frozen:pan": lambda: still_shots.frozen(pan)}
    jobs = [(kind, codec) for kind in kinds for codec in still_shots.SPACE_CODECS]

    def one(job: tuple[str, str]) -> list[np.ndarray]:
        kind, codec = job
        work = root / f"{kind.replace(':', '-').replace(' ', '-')}-{codec}"
        return still_shots.made(kinds[kind](), work, codec)

    with ThreadPoolExecutor(2) as pool:
        return dict(zip(jobs, pool.map(one, jobs), strict=True))


@pytest.mark.slow
@pytest.mark.parametrize("codec", ["mp4v", "h264"])
@pytest.mark.parametrize("kind", ["live", "live:soft"])
def test_a_still_shot_made_by_a_quiet_live_clip_passes(stills, kind: str, codec: str) -> None:
    """A static camera on a character that stands still, drawn as a video model draws it (no
    camera motion; a breath, drifting light, small things that stir, a shimmer) and encoded
    as a Space answers: a live picture, not a frozen one, and no camera motion is demanded."""
    frames = stills[(kind, codec)]
    found = [checks.frozen_frames(frames), motion.dynamic_degree(frames, camera_move="static"),
             checks.flicker(frames), checks.scene_cut(frames), checks.black_frames(frames)]
    assert {c.name: c.detail for c in found if not c.passed} == {}
    assert motion.motion(frames) is None or motion.dynamic_degree(frames).value < 0.1  # held


@pytest.mark.slow
@pytest.mark.parametrize("codec", ["mp4v", "h264"])
@pytest.mark.parametrize("kind", ["frozen", "frozen:same noise", "frozen:near repeats",
                                  "frozen:pan"])
def test_a_frozen_copy_of_one_frame_is_rejected_in_a_still_or_a_moving_shot(
        stills, kind: str, codec: str) -> None:
    """One frame repeated and re-encoded (the Space's codec, then the house's): frozen,
    whether the shot holds still or pans, whatever noise the one frame carries, and with a
    faint noise drawn anew on each copy (under what the codecs keep: nothing moves)."""
    frozen = checks.frozen_frames(stills[(kind, codec)])
    assert not frozen.passed and frozen.value > 0.8, frozen.detail


def test_a_held_camera_is_not_asked_to_move_but_a_moving_one_is() -> None:
    rng = np.random.default_rng(3)
    texture = rng.integers(0, 255, (216, 384, 3), dtype=np.uint8)
    held = [texture.copy() for _ in range(24)]  # textured, measurable, not moving
    assert motion.dynamic_degree(held, camera_move="static").passed
    assert not motion.dynamic_degree(held, camera_move="pan").passed
    assert not motion.dynamic_degree(held).passed  # the shot not known: motion demanded


@pytest.mark.parametrize(("camera", "direction", "motion_words", "still"), [
    ("static", "none", "stands still", True), ("static", "none", "sits and watches the sky", True),
    ("static", "none", "moves gently", False), ("static", "left", "walks", False),
    ("pan", "none", "stands still", False)])
def test_a_shot_says_it_holds_still(camera: str, direction: str, motion_words: str,
                                    still: bool) -> None:
    assert motion.holds_still(camera, direction, motion_words) is still
