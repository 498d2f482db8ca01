"""Real AI pictures on a laptop: a text-to-image model's pictures set in motion by the shot's
camera (``--video stills:MODEL``), and the video models that run on a CPU (AnimateDiff, with
its adapter saved in or given apart as Lightning ships it; Zeroscope's TextToVideoSD). Tiny
random-weight pipelines of the released layouts (tests/tiny_painters.py), run on the CPU and
through `webtv run` as a person runs them; the camera's moves measured by the channel's own
motion checks."""

from __future__ import annotations

import functools
import json
import os
from pathlib import Path

import numpy as np
import pytest

from webtv.core.media import probe, read_frames

pytestmark = pytest.mark.slow  # painters and CPU video models through `webtv run`

if os.environ.get("WEBTV_REQUIRE_TORCH"):  # CI: missing torch is a failure, not a skip
    import torch  # noqa: F401
else:
    pytest.importorskip("torch")
SMALL = {"width": 256, "height": 144}  # 16:9, multiples of 8
MOVES = [("pan", "left"), ("pan", "right"), ("tilt", "up"), ("tilt", "down"), ("zoom", "in"),
         ("zoom", "out")]
OPPOSITE = {"left": "right", "right": "left", "up": "down", "down": "up", "in": "out",
            "out": "in"}


@pytest.fixture(scope="session")
def tiny(tmp_path_factory) -> dict[str, Path]:
    from tests.tiny_models import build

    return build(tmp_path_factory.mktemp("laptop"), ["sd-turbo", "flux-schnell", "animatediff",
                                                     "animatediff-lightning", "zeroscope"])


def painting(seed: int = 3, size: tuple[int, int] = (320, 180)):
    """A picture with detail everywhere (a painter's is; a sky is not, but a pan has to
    measure something): smoothed noise in colour."""
    from PIL import Image, ImageFilter

    rng = np.random.default_rng(seed)
    pixels = rng.integers(0, 255, (size[1] // 4, size[0] // 4, 3), dtype=np.uint8)
    return Image.fromarray(pixels).resize(size, Image.Resampling.BICUBIC).filter(
        ImageFilter.GaussianBlur(1.0))


def spec(move: str = "static", direction: str = "none", motion: str = "cooks noodles"):
    from webtv.production.backends.base import ShotSpec

    return ShotSpec(palette=[], camera_move=move, camera_direction=direction,
                    subject_motion=motion)


@pytest.mark.parametrize("move,direction", MOVES)
def test_the_camera_moves_the_picture_the_way_the_shot_asks(move: str, direction: str) -> None:
    """Measured by the checks that judge every take: the move's own direction passes, the
    opposite one fails (a take played backwards would)."""
    from webtv.inspection.motion import motion_direction
    from webtv.production.backends import camera

    frames = camera.frames(painting(), painting(4), spec(move, direction), 72, 24, (320, 180))
    assert len(frames) == 72 and frames[0].shape == (180, 320, 3)
    assert motion_direction(frames, move, direction).passed
    assert not motion_direction(frames, move, OPPOSITE[direction]).passed


def test_a_static_shot_and_a_held_one_are_live_pictures_not_frozen_ones() -> None:
    """A still picture held is a frozen take: a static camera pushes in and the second picture
    dissolves in, and even a shot that asks to hold still breathes."""
    from webtv.inspection.checks import frozen_frames
    from webtv.production.backends import camera

    first, second = painting(), painting(5)
    for asked in (spec(), spec(motion="stands still")):
        frames = camera.frames(first, second, asked, 72, 24, (320, 180))
        assert frozen_frames(frames).passed, asked
        assert np.abs(frames[0].astype(int) - np.asarray(first)).mean() < 3  # it starts there
    held, pushed = (camera.path(asked, 3.0)[1].scale for asked in (spec(motion="stands still"),
                                                                    spec()))
    assert 0.98 < held < 1.0 and pushed < held  # a held shot barely breathes
    long = camera.path(spec("pan", "right"), 60.0)
    assert long[0].scale == pytest.approx(0.8) and long[1].x - long[0].x == pytest.approx(0.2)


def stills(model: Path, **options):
    from webtv.production.backends.models import in_process

    journal = []
    backend = in_process("video", f"stills:{model}", {**SMALL, **options},
                         lambda **row: journal.append(row))
    return backend, journal


def ask(backend, seed: int = 7, seconds: float = 3.0, image: Path | None = None,
        references: tuple[Path, ...] = (), shot=None):
    from webtv.production.backends.base import VideoRequest

    plan = backend.plan(seconds)
    return VideoRequest("a llama cooks noodles at night", seed, shot or spec("pan", "right"),
                        frames=plan.frames, fps=plan.fps, width=plan.out_width,
                        height=plan.out_height, seconds=seconds, image=image,
                        references=references)


@pytest.mark.parametrize("painter", ["sd-turbo", "flux-schnell"])
def test_pictures_in_motion_are_painted_by_the_painters_rules_and_a_seed_paints_them_again(
        tiny, tmp_path: Path, painter: str) -> None:
    backend, journal = stills(tiny[painter])
    clips = []
    for n, seed in enumerate((7, 7, 8)):
        (tmp_path / str(n)).mkdir()
        clips.append(backend.generate(ask(backend, seed), tmp_path / str(n)))
    made = probe(clips[0].path)
    assert (made.frames, round(made.fps), made.width, made.height) == (72, 24, 256, 144)
    frames = [read_frames(c.path) for c in clips]
    assert all((a == b).all() for a, b in zip(frames[0], frames[1], strict=True))
    assert any((a != b).any() for a, b in zip(frames[0], frames[2], strict=True))
    steps = {"sd-turbo": 1, "flux-schnell": 4}[painter]  # its own, from its configs
    assert [(j["arguments"]["steps"], j["arguments"]["pictures"], j["arguments"]["start"])
            for j in journal] == [(steps, 2, "painted")] * 3
    from webtv.inspection.motion import motion_direction

    assert motion_direction(frames[0], "pan", "right").passed


def test_a_continuing_shot_starts_from_the_last_picture_and_a_character_from_its_still(
        tiny, tmp_path: Path) -> None:
    from PIL import Image

    backend, journal = stills(tiny["sd-turbo"])
    last = tmp_path / "last.png"
    painting(size=(256, 144)).save(last)
    clip = backend.generate(ask(backend, image=last, shot=spec("zoom", "in")), tmp_path)
    from webtv.inspection.checks import luma

    first = luma(read_frames(clip.path)[0].astype(float))  # (its colour is 4:2:0 on the way)
    assert np.abs(first - luma(np.asarray(Image.open(last).convert("RGB"), float))).mean() < 2
    still = backend.draw("a llama (white fur, red scarf), full figure", 11, tmp_path)
    assert Image.open(still).size == (256, 144)
    backend.generate(ask(backend, references=(still,)), tmp_path)
    assert [j["arguments"]["start"] for j in journal] == ["continued", "from reference"]
    assert [j["arguments"]["pictures"] for j in journal] == [1, 2]


def test_a_painter_with_no_repainting_paints_its_second_picture_from_the_next_seed(
        tiny, tmp_path: Path, monkeypatch) -> None:
    """A text-to-image class diffusers has no image-to-image for: the second picture is
    painted from words, the next seed of the family, and the shot still dissolves into it."""
    from diffusers import AutoPipelineForImage2Image

    def none(pipe):
        raise ValueError("no image-to-image pipeline for it")

    monkeypatch.setattr(AutoPipelineForImage2Image, "from_pipe", none)
    backend, journal = stills(tiny["sd-turbo"])
    clip = backend.generate(ask(backend, shot=spec()), tmp_path)
    frames = read_frames(clip.path)
    assert np.abs(frames[-1].astype(int) - frames[0]).mean() > 5  # a second picture came in
    assert journal[0]["arguments"]["pictures"] == 2


CPU_VIDEO = {  # family: (checkpoint, [gpu] options beyond SMALL, planned frames, fps, steps)
    "animatediff": ("AnimateDiff", {}, 24, 8, 25),
    "animatediff-lightning": ("AnimateDiff-Lightning 4-step", {}, 24, 8, 4),
    "zeroscope": ("Zeroscope v2 576w", {}, 24, 8, 40),
}


def cpu_video(tiny: dict[str, Path], family: str) -> tuple[str, dict]:
    """The model and [gpu] options a user gives for ``family``: Lightning is a Stable
    Diffusion base and the adapter's one file (its shape told by a config.json beside it)."""
    from tests.tiny_painters import LIGHTNING_FILE, motion_adapter

    if family != "animatediff-lightning":
        return str(tiny[family]), {}
    folder = tiny[family]
    config = {k: v for k, v in motion_adapter().config.items() if not k.startswith("_")}
    (folder / "config.json").write_text(json.dumps(config))
    return str(folder / "base"), {"motion_adapter": str(folder / LIGHTNING_FILE)}


@pytest.mark.parametrize("family", list(CPU_VIDEO))
def test_each_cpu_video_family_makes_clips_by_its_rules(tiny, tmp_path: Path,
                                                        family: str) -> None:
    from webtv.production.backends.models import in_process

    model, options = cpu_video(tiny, family)
    backend = in_process("video", f"diffusers:{model}", {**SMALL, "steps": 2, **options})
    checkpoint, _, frames, fps, steps = CPU_VIDEO[family]
    assert backend.rules.checkpoint == checkpoint and backend.rules.steps == steps
    clips = [backend.generate(ask(backend, seed), tmp_path / f"{n}")
             for n, seed in enumerate((7, 7)) if not (tmp_path / f"{n}").mkdir()]
    made = probe(clips[0].path)
    assert (made.frames, round(made.fps)) == (frames, fps)
    assert made.width / made.height == pytest.approx(16 / 9, rel=0.02)
    assert (read_frames(clips[0].path)[5] == read_frames(clips[1].path)[5]).all()
    scheduler = type(backend.pipeline().scheduler).__name__
    assert scheduler == {"animatediff": "DDIMScheduler", "zeroscope":
                         "DPMSolverMultistepScheduler"}.get(family, "EulerDiscreteScheduler")


def test_a_motion_adapter_that_does_not_fit_or_is_not_there_is_one_line_at_start(
        tiny, tmp_path: Path, monkeypatch) -> None:
    from webtv.core.errors import ConfigError
    from webtv.production.backends.models import in_process

    monkeypatch.setenv("HF_HOME", str(tmp_path / "hf"))
    with pytest.raises(ConfigError, match="hf download ByteDance/AnimateDiff-Lightning "
                                          "animatediff_lightning_4step_diffusers.safetensors"):
        in_process("video", f"diffusers:{tiny['animatediff-lightning'] / 'base'}",
                   {"motion_adapter": "ByteDance/AnimateDiff-Lightning/"
                                      "animatediff_lightning_4step_diffusers.safetensors"})
    with pytest.raises(ConfigError, match="goes on a Stable Diffusion 1.5 or SDXL checkpoint"):
        in_process("video", f"diffusers:{tiny['zeroscope']}",
                   {"motion_adapter": str(tiny["animatediff"] / "motion_adapter")})


def air(home: Path, takes: int, *args: str, toml: str = "", timeout: float = 300) -> list:
    """`webtv run` with these backends until ``takes`` takes they made are on air: each
    aired take's backends, media, start and its shot's camera."""
    import signal

    from tests.channel import query, start, wait_for

    home.mkdir(parents=True, exist_ok=True)
    (home / "webtv.toml").write_text("[gpu]\nwidth = 256\nheight = 144\n" + toml)
    channel = start(home, "--theme", "a llama who runs a night-time noodle stand", "--port",
                    "0", "--buffer", "20", *args)
    aired = ("select count(distinct take_id) from air_log join takes on takes.id = "
             "air_log.take_id where kind = 'take'")
    try:
        wait_for(lambda: query(home, aired)[0][0] >= takes, timeout, f"{takes} takes on air")
    finally:
        channel.send_signal(signal.SIGINT)
        output = channel.communicate(timeout=120)[0].decode()
    assert channel.returncode == 0, output[-2000:]
    return query(home, "select distinct takes.id, takes.backends, takes.media, takes.start, "
                       "shots.camera_move, shots.camera_direction from air_log join takes on "
                       "takes.id = air_log.take_id join shots on shots.id = takes.shot_id "
                       "where kind = 'take' order by takes.id")


def test_a_channel_airs_pictures_in_motion_that_move_as_their_shots_ask(
        tiny, tmp_path: Path) -> None:
    """`webtv run --video stills:MODEL`: each take aired in the house format, moving the way
    its shot's camera asks (measured on the aired file by the channel's own check), the cast
    painted once and each character's shots started from its still."""
    from tests.channel import query
    from webtv.inspection.motion import motion_direction

    home = tmp_path / "home"
    aired = air(home, 3, "--video", f"stills:{tiny['sd-turbo']}")
    for _, backends, media, started, move, direction in aired:
        assert json.loads(backends)["video"] == "stills:sd-turbo"
        made = probe(home / media)
        assert (made.width, made.height, round(made.fps)) == (1024, 576, 24)
        assert motion_direction(read_frames(home / media), move, direction).passed, (
            move, direction)
        assert started is None or started.startswith(("reference of ", "take "))
    painted = query(home, "select name, reference from entities where reference is not null")
    assert painted and all((home / media).is_file() for _, media in painted)
    starts = [s for *_, s, _, _ in aired]
    assert any(s and s.startswith("reference of ") for s in starts)  # from a character's still
    calls = [json.loads(a) for (a,) in query(home, "select arguments from remote_calls where "
                                                  "capability = 'video' and outcome = 'ok'")]
    assert calls and all(c["steps"] == 1 and c["fps"] == 24 for c in calls)  # SD-Turbo's


@pytest.mark.parametrize("family", list(CPU_VIDEO))
def test_a_channel_airs_what_a_cpu_video_model_makes(tiny, tmp_path: Path, family: str) -> None:
    from tests.channel import query

    model, options = cpu_video(tiny, family)
    toml = "steps = 2\n" + "".join(f'{k} = "{v}"\n' for k, v in options.items())
    aired = air(tmp_path / "home", 1, "--video", f"diffusers:{model}", toml=toml)
    assert json.loads(aired[0][1])["video"] == f"diffusers:{Path(model).name}"
    made = probe(tmp_path / "home" / aired[0][2])
    assert (made.width, made.height) == (1024, 576)  # house format
    frames, fps = CPU_VIDEO[family][2:4]
    for (arguments,) in query(tmp_path / "home", "select arguments from remote_calls where "
                              "capability = 'video' and outcome = 'ok'"):
        assert (json.loads(arguments)["frames"], json.loads(arguments)["fps"]) == (frames, fps)


def test_a_text_to_image_model_given_as_video_says_what_it_can_do(tiny) -> None:
    from webtv.core.errors import ConfigError
    from webtv.production.backends.models import in_process

    with pytest.raises(ConfigError, match=r"StableDiffusionPipeline is not a video pipeline "
                                          r".*--video stills:.*sd-turbo sets them in motion "
                                          r"\(or \[gpu\] motion_adapter"):
        in_process("video", f"diffusers:{tiny['sd-turbo']}", {})


def test_a_turbo_painter_repaints_in_its_cards_two_steps(tiny, tmp_path: Path) -> None:
    """SD-Turbo paints in one step and repaints (image-to-image) in two, as its card says."""
    backend, _ = stills(tiny["sd-turbo"])
    asked = []
    repainter = backend._repaint(backend.pipeline())
    call = type(repainter).__call__

    @functools.wraps(call)  # the same signature: the backend passes what it accepts
    def counted(self, *args, **kwargs):
        asked.append((kwargs["num_inference_steps"], kwargs["strength"]))
        return call(self, *args, **kwargs)

    type(repainter).__call__ = counted
    try:
        backend.generate(ask(backend), tmp_path)
    finally:
        type(repainter).__call__ = call
    assert asked == [(2, 0.55)]
