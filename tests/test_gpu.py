"""Open video, music and still models in-process, with the real torch, diffusers and
transformers: tiny models with random weights (tests/tiny_models.py), saved and loaded back
exactly as a user's model is, run on the CPU. The families' rules, reproducible seeds, the
out-of-memory path, takes that start from pictures, and channels that air what they make."""

from __future__ import annotations

import dataclasses
import json
import os
import signal
from pathlib import Path

import pytest

from webtv.core.errors import BackendError, ConfigError
from webtv.core.media import probe, read_frames

pytestmark = pytest.mark.slow  # tiny models of every family through the channel, on the CPU

if os.environ.get("WEBTV_REQUIRE_TORCH"):  # CI: missing torch is a failure, not a skip
    import torch
else:
    torch = pytest.importorskip("torch")
SMALL = {"width": 160, "height": 96, "steps": 2}  # CPU-sized takes: the rules are the same


def test_the_default_gate_holds_cheap_takes_to_every_check_and_gpu_takes_to_playable() -> None:
    from webtv.inspection.checks import GATES, gate
    from webtv.production.backends.local_video import ProceduralVideo
    from webtv.production.backends.model_jobs import ModelClient
    from webtv.production.backends.remote import RemoteVideo
    from webtv.production.backends.replicate_video import ReplicateVideo
    from webtv.production.backends.still_motion import StillsVideo
    from webtv.production.backends.veo_video import VeoVideo
    from webtv.production.backends.video_models import DiffusersVideo

    def costly(cls) -> bool:  # what each video backend says of its own takes
        return getattr(cls, "costly", False)

    assert gate("auto", costly(ProceduralVideo)) is None
    assert gate("auto", costly(RemoteVideo)) is None  # a Space: every check
    for cls in (DiffusersVideo, StillsVideo, ModelClient, ReplicateVideo, VeoVideo):
        assert gate("auto", costly(cls)) == GATES["playable"] == gate("playable", False), cls
    assert gate("all", True) is None
    with pytest.raises(ConfigError, match="unknown inspection gate 'loose'"):
        gate("loose")


@pytest.fixture(scope="session")
def tiny(tmp_path_factory) -> dict[str, Path]:
    from tests.tiny_models import build

    return build(tmp_path_factory.mktemp("models"))


def video(spec: Path, **options):
    from webtv.production.backends.models import in_process

    return in_process("video", f"diffusers:{spec}", {**SMALL, **options})


def request(backend, seed: int = 7, seconds: float = 3.0, image: Path | None = None):
    from webtv.production.backends.base import ShotSpec, VideoRequest

    plan = backend.plan(seconds)
    return VideoRequest("a llama cooks noodles at night", seed, ShotSpec(palette=[]),
                        frames=plan.frames, fps=plan.fps, width=plan.out_width,
                        height=plan.out_height, seconds=seconds, image=image)


@pytest.mark.parametrize("family", ["wan", "ltx", "cogvideox", "cogvideox15"])
def test_each_family_makes_clips_by_its_rules_and_a_seed_makes_them_again(
        tiny, tmp_path: Path, family: str) -> None:
    backend = video(tiny[family])
    clips = []
    for n, seed in enumerate((7, 7, 8)):
        out = tmp_path / str(n)
        out.mkdir()
        clip = backend.generate(request(backend, seed), out)
        clips.append(read_frames(clip.path))
    made = probe(clip.path)
    expected = {"wan": (49, 16), "ltx": (73, 24), "cogvideox": (49, 8),
                "cogvideox15": (49, 16)}[family]
    assert (made.frames, round(made.fps)) == expected
    assert made.width / made.height == pytest.approx(16 / 9, rel=0.02)  # cropped, not stretched
    assert all((a == b).all() for a, b in zip(clips[0], clips[1], strict=True))
    assert any((a != b).any() for a, b in zip(clips[0], clips[2], strict=True))
    loads = backend.device.loads
    backend.generate(request(backend, 9), tmp_path)
    assert backend.device.loads == loads  # loaded once, then kept


def test_music_is_the_mood_for_the_takes_length_and_a_seed_makes_it_again(
        tiny, tmp_path: Path) -> None:
    from webtv.production.backends.models import in_process

    music = in_process("music", f"transformers:{tiny['musicgen']}", {})
    cues = []
    for n, seed in enumerate((4, 4, 5)):
        (tmp_path / str(n)).mkdir()
        cues.append(music.compose("cozy", 3.0, seed, tmp_path / str(n)))
    assert all(c.duration >= 3.0 for c in cues)
    data = [c.path.read_bytes() for c in cues]
    assert data[0] == data[1] != data[2]


def test_a_model_that_is_not_there_is_one_line_at_start(tmp_path: Path, monkeypatch) -> None:
    from webtv.production.backends.models import in_process

    monkeypatch.setenv("HF_HOME", str(tmp_path / "hf"))
    with pytest.raises(ConfigError, match="no such directory"):
        in_process("video", f"diffusers:{tmp_path / 'nope'}", {})
    with pytest.raises(ConfigError, match="hf download Wan-AI/Wan2.1-T2V-1.3B"):
        in_process("video", "diffusers:Wan-AI/Wan2.1-T2V-1.3B-Diffusers", {})
    with pytest.raises(ConfigError, match="not a model this channel runs"):
        in_process("upscale", "diffusers:x/y", {})
    with pytest.raises(ConfigError, match="unknown key"):
        in_process("video", f"diffusers:{tmp_path}", {"vram": 24})


def out_of_memory_above(backend, sequence: int):
    """The transformer fails as a GPU out of memory does when it is given more than
    ``sequence`` latent tokens (a CPU cannot run out of GPU memory; the error is torch's)."""
    def hook(module, args, kwargs):
        tokens = kwargs.get("hidden_states", args[0] if args else None)
        if tokens is not None and tokens.shape[1] > sequence:
            raise torch.OutOfMemoryError("CUDA out of memory. Tried to allocate 20.00 GiB")
    return backend.pipeline().transformer.register_forward_pre_hook(hook, with_kwargs=True)


def test_out_of_memory_is_the_takes_fault_and_it_is_tried_once_smaller(
        tiny, tmp_path: Path) -> None:
    journal = []
    backend = video(tiny["ltx"])
    backend.journal = lambda **row: journal.append(row)
    hook = out_of_memory_above(backend, 100)  # 73 frames are 150 tokens; 41 frames 90
    clip = backend.generate(request(backend), tmp_path)
    assert (clip.made_frames, clip.fps) == (41, 12.0) and clip.duration >= 3.0
    assert [r["outcome"] for r in journal] == ["out_of_memory", "ok"]
    assert "out of memory" in journal[0]["error"]
    hook.remove()
    hook = out_of_memory_above(backend, 0)  # nothing fits
    try:
        with pytest.raises(BackendError, match=r"out of GPU memory at 73 frames and again at 41 "
                                               r"\(tiled, offloaded\)"):
            backend.generate(request(backend), tmp_path)
    finally:
        hook.remove()  # the model is the process's: the next test gets it as it was


def test_a_shot_that_runs_out_of_memory_is_dropped_and_the_next_airs(tiny, ctx) -> None:
    from tests.test_production import a_show, written
    from webtv.inspection.checks import gate
    from webtv.production import line

    backend = video(tiny["ltx"])
    hook = out_of_memory_above(backend, 0)
    ctx = ctx.with_production(backends=dataclasses.replace(ctx.backends, video=backend),
                              parallel=1, takes_per_shot=1, gate=gate("playable"))
    a_show(ctx)
    ids = written(ctx, "the fox juggles letters", "the fox waves")
    try:
        first = line.produce(ctx.production, ids[:1])
    finally:
        hook.remove()
    assert first.dropped and "out of GPU memory" in first.outcomes[0].failures[-1]
    assert line.produce(ctx.production, ids[1:]).scheduled  # the channel goes on


def test_a_shot_that_continues_starts_from_the_last_frame_of_the_one_before(
        tiny, ctx) -> None:
    from tests.test_production import a_show
    from webtv.inspection.checks import gate
    from webtv.production import line
    from webtv.tools.shots import ShotPlan, shot_row

    backend = video(tiny["ltx"])
    ctx = ctx.with_production(backends=dataclasses.replace(ctx.backends, video=backend),
                              gate=gate("playable"))
    a_show(ctx)
    segment = ctx.store.programme.current_segment()
    plans = [ShotPlan(action="the fox opens the door"),
             ShotPlan(action="the fox steps outside", continues=True),
             ShotPlan(action="the fox naps", where=None)]
    rows = [{**shot_row(ctx, i, p, i), "segment_id": segment["id"]}
            for i, p in enumerate(plans, 1)]
    ids = [s["id"] for s in ctx.store.takes.add_shots(None, rows)]
    report = line.produce(ctx.production, ids)
    assert len(report.scheduled) == 3
    takes = [ctx.store.takes.take(o.take_id) for o in report.outcomes]
    assert takes[1]["start"] == f"take {takes[0]['id']}"  # from the first take's last frame
    assert takes[0]["start"] is None and takes[2]["start"] is None  # from words
    assert type(backend._i2v).__name__ == "LTXImageToVideoPipeline"


def test_an_image_to_video_model_starts_from_the_casts_reference_still(
        tiny, ctx) -> None:
    from tests.test_production import a_show, written
    from webtv.inspection.checks import gate
    from webtv.production import line
    from webtv.production.backends.models import in_process

    backend = in_process("video", f"diffusers:{tiny['cogvideox-i2v']}", SMALL)
    assert backend.needs_image
    stills = in_process("stills", f"diffusers:{tiny['pixart']}", SMALL)
    ctx = ctx.with_production(gate=gate("playable"), backends=dataclasses.replace(
        ctx.backends, video=backend, stills=stills))
    a_show(ctx)
    report = line.produce(ctx.production, written(ctx, "the fox waves", "the fox bows"))
    assert len(report.scheduled) == 2
    fox = ctx.store.show.entity("Fox")
    assert fox["reference"] and ctx.data.resolve(fox["reference"]).is_file()  # made once
    starts = {ctx.store.takes.take(o.take_id)["start"] for o in report.outcomes}
    assert starts == {"reference of Fox"}
    ctx.store.show.upsert_entity("character", "Fox", description="a fox in a blue coat")
    assert ctx.store.show.entity("Fox")["reference"] is None  # a new look: a new still


def air_a_take(home: Path, *args: str, toml: str = "", timeout: float = 240) -> list[tuple]:
    """`webtv run` with these backends until a take they made is on air; its takes."""
    from tests.channel import query, start, wait_for

    home.mkdir(parents=True, exist_ok=True)
    (home / "webtv.toml").write_text(  # ``toml`` goes on in [gpu]; the default gate
        "[gpu]\nwidth = 160\nheight = 96\nsteps = 2\n" + toml)
    channel = start(home, "--theme", "a llama who runs a night-time noodle stand", "--port",
                    "0", "--buffer", "15", *args)
    try:
        wait_for(lambda: query(home, "select count(*) from air_log join takes on takes.id = "
                                     "air_log.take_id where kind = 'take'")[0][0] >= 1,
                 timeout, "a take made by the model on air")
    finally:
        channel.send_signal(signal.SIGINT)
        output = channel.communicate(timeout=120)[0].decode()
    assert channel.returncode == 0, output[-2000:]
    return query(home, "select takes.backends, takes.media from air_log join takes on "
                       "takes.id = air_log.take_id where kind = 'take'")


@pytest.mark.parametrize("family", ["wan", "wan-ti2v", "wan22-a14b", "wan22-i2v-a14b", "ltx",
                                    "ltx-distilled", "ltx2", "cogvideox", "cogvideox-i2v",
                                    "cogvideox15", "hunyuan15", "skyreels-df"])
def test_a_channel_airs_what_the_model_makes(tiny, tmp_path: Path, family: str) -> None:
    """Each family and checkpoint shape through `webtv run`, made at its planned shape (an
    I2V-only checkpoint from the cast's reference still)."""
    from tests.channel import query

    backend = video(tiny[family])
    stills = ["--stills", f"diffusers:{tiny['pixart']}"] if backend.needs_image else []
    aired = air_a_take(tmp_path / "home", "--video", f"diffusers:{tiny[family]}", "--music",
                       f"transformers:{tiny['musicgen']}", *stills)
    backends = json.loads(aired[0][0])
    assert backends["video"] == f"diffusers:{family}"
    assert backends["music"] == "transformers:musicgen"
    made = probe(tmp_path / "home" / aired[0][1])
    assert (made.width, made.height, made.audio_codec) == (1024, 576, "aac")  # house format
    rules, planned = backend.rules, backend.plan(3.0)
    for (arguments,) in query(tmp_path / "home", "select arguments from remote_calls where "
                              "capability = 'video' and outcome = 'ok'"):
        take = json.loads(arguments)
        assert (take["size"], take["fps"], take["steps"]) == (
            f"{planned.width}x{planned.height}", planned.fps, planned.steps)
        assert take["frames"] == rules.fixed_frames if rules.fixed_frames else (
            (take["frames"] - 1) % rules.frame_step == 0 and take["frames"] <= rules.max_frames)


class Placed(torch.nn.Linear):
    """A model that says where it was put (a CPU has no GPU to put it on)."""

    def __init__(self, size: int) -> None:
        super().__init__(size, size, bias=False)
        self.where, self.offloaded = "cpu", False

    def to(self, where):
        self.where = where
        return self

    def enable_model_cpu_offload(self, device):  # noqa: F811 - diffusers' pipelines have it
        self.offloaded = True

    def remove_all_hooks(self):  # diffusers' pipelines have it: offloading undone
        self.offloaded = False


def test_one_device_keeps_what_fits_moves_out_the_idle_and_offloads_what_never_fits(
        caplog) -> None:
    """The placement policy, with a budget of 3 units (a 100x100 float32 model is one; what a
    GPU would say, here given): a model bigger than the budget runs offloaded and moves nothing
    out; one that does not fit moves the least recently used idle models out; `never` keeps a
    model whole."""
    from webtv.production.backends.device import Device

    caplog.set_level("INFO", logger="webtv.gpu")

    class Budgeted(Device):
        accelerated = True

        def budget(self) -> int:
            return 3 * 100 * 100 * 4

    device = Budgeted("cuda")
    models = {k: device.model(k, lambda n=n: Placed(n)) for k, n in
              (("video", 100), ("music", 100), ("stills", 100), ("huge", 200), ("two", 141))}
    for key in ("video", "music", "stills", "video"):  # video: now the most recently used
        with device.use(key, "video", 4) as model:
            assert model.where == "cuda"
    with device.use("huge", "video", 4) as huge:  # 4 units: it could never fit
        assert huge.offloaded and huge.where == "cpu"
    assert [models[k].where for k in ("video", "music", "stills")] == ["cuda"] * 3
    with device.use("two", "video", 4) as two:  # 2 units: music and stills make room
        assert two.where == "cuda"
    assert [models[k].where for k in ("video", "music", "stills")] == ["cuda", "cpu", "cpu"]
    device.model("whole", lambda: Placed(200))
    with device.use("whole", "video", 4, offload=False) as whole:  # [gpu] offload = "never"
        assert whole.where == "cuda" and not whole.offloaded
    assert models["video"].where == "cpu"
    assert device.loads == 6
    with device.use("video", "video", 8, note="a retry"):
        for step in range(1, 9):
            device.step(step, 8)
        assert device.progress.as_dict()["note"] == "a retry"
    assert [r.getMessage().split(": ")[1][:12] for r in caplog.records
            if "step" in r.getMessage()] == ["step 2 of 8,", "step 4 of 8,", "step 6 of 8,"]
    assert device.progress is None


def test_what_is_being_made_shows_in_the_status() -> None:
    from webtv.channel.status import _making_lines

    channel = {"running": True, "making": [{"device": "cuda", "model": "diffusers:wan",
                                           "kind": "video", "step": 12, "steps": 30,
                                           "seconds": 41.2, "note": ""}]}
    assert _making_lines(channel) == [
        "Making:    video with diffusers:wan on cuda: step 12 of 30, 41 s"]
    assert _making_lines({**channel, "running": False}) == []


def test_what_each_checkpoint_can_start_from(tiny) -> None:
    """Image-to-video over the same weights where the family has it; an I2V-only checkpoint
    needs a picture; a distilled checkpoint gets its own schedule."""
    starts = {name: (video(tiny[name]).can_continue, video(tiny[name]).needs_image)
              for name in ("wan", "wan-ti2v", "ltx", "cogvideox", "cogvideox-i2v")}
    assert starts == {"wan": (False, False), "wan-ti2v": (True, False), "ltx": (True, False),
                      "cogvideox": (False, False), "cogvideox-i2v": (True, True)}
    distilled = video(tiny["ltx-distilled"], steps=None).plan(3.0)
    assert (distilled.steps, distilled.guidance, len(distilled.timesteps)) == (8, 1.0, 8)
    assert video(tiny["ltx"], steps=None).plan(3.0).steps == 50


def test_a_wan_ti2v_take_starts_from_a_picture(tiny, tmp_path: Path) -> None:
    from PIL import Image

    backend = video(tiny["wan-ti2v"])
    Image.new("RGB", (160, 96), (200, 40, 40)).save(tmp_path / "start.png")
    clip = backend.generate(request(backend, image=tmp_path / "start.png"), tmp_path)
    assert type(backend._i2v).__name__ == "WanImageToVideoPipeline"
    assert probe(clip.path).frames == 73  # TI2V-5B: 24 fps


def test_a_retrys_offloading_ends_with_the_retry_and_never_means_never() -> None:
    """After an out-of-memory retry ran offloaded, the next take runs as configured: whole on
    the GPU where it fits ("auto"), never offloaded under "never"."""
    from webtv.production.backends.device import Device

    class Budgeted(Device):
        accelerated = True

        def budget(self) -> int:
            return 3 * 100 * 100 * 4

    device = Budgeted("cuda")
    model = device.model("video", lambda: Placed(100))
    with device.use("video", "video", 4, offload=True):  # the retry
        assert model.offloaded
    with device.use("video", "video", 4, offload=None):  # the next take, "auto": it fits
        assert not model.offloaded and model.where == "cuda"
    with device.use("video", "video", 4, offload=True):
        pass
    with device.use("video", "video", 4, offload=False):  # "never"
        assert not model.offloaded and model.where == "cuda"
    huge = device.model("huge", lambda: Placed(200))
    with device.use("huge", "video", 4, offload=None):  # never fits whole: stays offloaded
        assert huge.offloaded
    with device.use("huge", "video", 4, offload=None):
        assert huge.offloaded


def test_under_never_the_retry_is_not_offloaded(tiny, tmp_path: Path) -> None:
    backend = video(tiny["ltx"], offload="never")
    hook = out_of_memory_above(backend, 0)
    try:
        with pytest.raises(BackendError, match=r"again at 41 \(tiled\)$"):
            backend.generate(request(backend), tmp_path)
    finally:
        hook.remove()


def test_a_start_picture_is_cropped_to_the_models_aspect_never_stretched(
        tiny, tmp_path: Path) -> None:
    """A 16:9 still for a 3:2 model (CogVideoX's 720x480): the centre is cut to 3:2, so a
    square in the picture reaches the model square (stretched, it came 18 % narrower)."""
    import numpy as np
    from PIL import Image, ImageDraw

    from webtv.production.backends.shapes import Shape

    still = Image.new("RGB", (1024, 576), (30, 30, 30))
    ImageDraw.Draw(still).rectangle((368, 144, 655, 431), fill=(220, 20, 20))  # 288x288
    still.save(tmp_path / "still.png")
    backend = video(tiny["cogvideox-i2v"])
    planned = Shape(720, 480, 49, 8, 2, 6.0, 720, 404)
    kwargs = backend._arguments(backend.pipeline(), request(backend, image=tmp_path /
                                                            "still.png"), planned)
    picture = np.asarray(kwargs["image"])
    assert picture.shape[:2] == (480, 720)
    red = np.argwhere((picture[..., 0] > 150) & (picture[..., 1] < 80))
    height, width = red.max(axis=0) - red.min(axis=0) + 1
    assert abs(width - height) <= 2 and height == pytest.approx(240, abs=3)


def failing_model(backend, message: str):
    """The transformer raises what a checkpoint that does not fit the plan raises."""
    def hook(module, args, kwargs):
        raise RuntimeError(message)
    return backend.pipeline().transformer.register_forward_pre_hook(hook, with_kwargs=True)


def test_a_model_error_is_the_takes_fault_and_a_model_failing_every_take_says_so(
        tiny, ctx) -> None:
    """Not the director's turn: the take fails, then its shot, production goes on; after
    three takes in a row the status, /health and the operator's overview name the model and
    its error."""
    from tests.test_production import a_show, written
    from webtv.app.reads import overview
    from webtv.channel.status import failing_models, format_status, status_report
    from webtv.inspection.checks import gate
    from webtv.production import line
    from webtv.state.store import CallJournal

    journal, write = [], CallJournal(ctx.data)
    backend = video(tiny["ltx"])
    backend.journal = lambda **row: (journal.append(row), write(**row))
    error = "The size of tensor a (1024) must match the size of tensor b (4096) at dim 1"
    hook = failing_model(backend, error)
    ctx = ctx.with_production(backends=dataclasses.replace(ctx.backends, video=backend),
                              parallel=1, gate=gate("playable"))
    a_show(ctx)
    try:
        report = line.produce(ctx.production, written(ctx, "the fox waves", "the fox bows"))
    finally:
        hook.remove()
    assert all(o.dropped for o in report.outcomes)
    assert f"diffusers:ltx failed: RuntimeError: {error}" in report.outcomes[0].failures[-1]
    assert [r["outcome"] for r in journal][:3] == ["error"] * 3
    failing = failing_models(ctx.store)
    assert [f["model"] for f in failing] == ["diffusers:ltx"]
    assert error in failing[0]["last_error"]
    status = format_status(status_report(ctx.store))
    assert "FAILING:   diffusers:ltx (video) failed its last" in status and error in status
    assert overview(ctx.store)["status"]["failing"] == failing
    backend.generate(request(backend), ctx.data.workspace())  # the model works again
    assert failing_models(ctx.store) == []
    write.close()


def test_a_missing_extra_is_one_line_before_anything_is_written(tmp_path: Path) -> None:
    """Without the [gpu] or [hosted] extra a start is refused at once, the extra named, and
    the data dir is never made."""
    import subprocess
    import sys

    blocker = tmp_path / "site"
    blocker.mkdir()
    (blocker / "sitecustomize.py").write_text(
        "import sys\n"
        "class Missing:\n"
        "    def find_spec(self, name, path=None, target=None):\n"
        "        if name.split('.')[0] in ('torch', 'replicate', 'google'):\n"
        "            raise ModuleNotFoundError(name)\n"
        "sys.meta_path.insert(0, Missing())\n")
    env = {**os.environ, "PYTHONPATH": str(blocker), "REPLICATE_API_TOKEN": "r8_x"}
    env.pop("WEBTV_LLM_MODEL", None)
    for flag, extra in (("diffusers:Wan-AI/Wan2.1-T2V-1.3B-Diffusers", "gpu"),
                        ("replicate:wan-video/wan-2.2-t2v-fast", "hosted")):
        home = tmp_path / f"home-{extra}"
        done = subprocess.run([sys.executable, "-m", "webtv.app.cli", "run", "--data-dir",
                               str(home), "--theme", "a fox", "--video", flag],
                              env=env, capture_output=True, text=True, timeout=60)
        assert done.returncode == 2, done.stderr
        lines = done.stderr.strip().splitlines()
        assert len(lines) == 1 and f"pip install 'ai-webtv[{extra}]'" in lines[0], lines
        assert f"[{extra}] extra" in lines[0] and "download" not in lines[0]
        assert not home.exists()  # nothing written


def test_wan22_a14b_runs_both_experts_with_their_own_guidance(tiny, tmp_path: Path) -> None:
    """Two experts: the high-noise one above the checkpoint's boundary at guidance 4, the
    low-noise one below it at 3 (Wan 2.1's single guidance was all it used to get)."""
    backend = video(tiny["wan22-a14b"])
    pipe = backend.pipeline()
    calls = {"transformer": 0, "transformer_2": 0}
    hooks = [getattr(pipe, name).register_forward_pre_hook(
        lambda *_, name=name: calls.__setitem__(name, calls[name] + 1))
        for name in calls]
    try:
        planned = backend.plan(3.0)
        kwargs = backend._arguments(pipe, request(backend), planned)
        assert (kwargs["guidance_scale"], kwargs["guidance_scale_2"]) == (4.0, 3.0)
        backend.generate(request(backend), tmp_path)
    finally:
        for hook in hooks:
            hook.remove()
    assert calls["transformer"] > 0 and calls["transformer_2"] > 0, calls


def test_ltx2_makes_the_takes_sound_and_the_music_goes_under_it(tiny, tmp_path: Path) -> None:
    """LTX-2's sound comes back with the picture; the take's sound is that sound, with the
    music bed 12 LU under it, and the whole at the house loudness."""
    import av
    import numpy as np

    from webtv.core import house
    from webtv.core.media import run_ffmpeg

    backend = video(tiny["ltx2"])
    clip = backend.generate(request(backend), tmp_path)
    made = probe(clip.path)
    assert clip.sound and made.audio_codec == "pcm_s16le" and made.sample_rate == 24000
    # the mix, measured on known sounds: a 1 kHz voice and a 300 Hz bed
    voice, music = tmp_path / "voice.wav", tmp_path / "music.wav"
    run_ffmpeg(["-f", "lavfi", "-i", "sine=frequency=1000:duration=4", "-af", "volume=-20dB",
                str(voice)])
    run_ffmpeg(["-f", "lavfi", "-i", "sine=frequency=300:duration=4", str(music)])
    mixed = house.bed_under(voice, music, tmp_path / "mixed.wav")
    with av.open(str(mixed)) as box:  # the left channel (packed: L R L R ...)
        samples = np.concatenate([f.to_ndarray().reshape(-1, 2)[:, 0]
                                  for f in box.decode(audio=0)]).astype(float)
    spectrum = np.abs(np.fft.rfft(samples[:48000])) ** 2  # one second: 1 Hz a bin
    under = 10 * np.log10(spectrum[995:1006].sum() / spectrum[295:306].sum())
    assert under == pytest.approx(house.BED_LU, abs=1.5)  # K-weighting differs a little
    out = tmp_path / "take.mp4"
    house.normalize(clip.path, house.bed_under(clip.path, music, tmp_path / "bed.wav"), out,
                    3.0)
    assert probe(out).audio_codec == "aac"


def test_a_skyreels_take_of_a_long_shot_is_one_generation(tiny, tmp_path: Path) -> None:
    """Diffusion forcing: a shot longer than the model's window is made as one generation,
    window after window with 17 frames carried over, not cut into takes; its scheduler gets
    the documented shift its config lacks."""
    backend = video(tiny["skyreels-df"], fps=8)
    assert backend.pipeline().scheduler.config.flow_shift == 8.0
    planned = backend.plan(15.0)
    assert (planned.frames, planned.window, planned.overlap) == (121, 97, 17)
    kwargs = backend._arguments(backend.pipeline(), request(backend, seconds=15.0), planned)
    assert (kwargs["base_num_frames"], kwargs["overlap_history"]) == (97, 17)
    clip = backend.generate(request(backend, seconds=15.0), tmp_path)
    assert probe(clip.path).frames == 121 and clip.duration >= 15.0


def test_a_channel_whose_model_fails_every_take_stays_on_air_and_says_why(
        tiny, tmp_path: Path) -> None:
    """A checkpoint whose position table is shorter than the planned picture (it raises in
    its transformer) fails its takes, not the director's turn; `webtv status`, /health and the
    operator's overview name the model and the error while the slate holds the air."""
    import shutil
    from urllib.error import HTTPError

    from tests.channel import free_port, get, run_webtv, start, wait_for, webtv

    broken = tmp_path / "wan-short-positions"
    shutil.copytree(tiny["wan"], broken)
    config = json.loads((broken / "transformer" / "config.json").read_text())
    (broken / "transformer" / "config.json").write_text(json.dumps(
        {**config, "rope_max_seq_len": 4}))
    home, port = tmp_path / "home", free_port()
    home.mkdir()
    (home / "webtv.toml").write_text("[gpu]\nwidth = 160\nheight = 96\nsteps = 2\n")
    channel = start(home, "--theme", "a llama who runs a night-time noodle stand", "--port",
                    str(port), "--video", f"diffusers:{broken}")
    try:
        wait_for(lambda: "FAILING:" in run_webtv(home, "status").stdout, 300,
                 "the model named failing", every=2)
        status = webtv(home, "status")
        try:
            get(f"http://127.0.0.1:{port}/health")
            health = None  # 200: not what a failing model is
        except HTTPError as exc:  # 503: degraded
            health = json.loads(exc.read())
        assert channel.poll() is None  # still on air
    finally:
        channel.send_signal(signal.SIGINT)
        output = channel.communicate(timeout=120)[0].decode()
    assert "diffusers:wan-short-positions (video) failed its last" in status
    assert "RuntimeError: shape" in status
    assert health["status"] == "degraded" and "wan-short-positions" in health["reason"]
    assert health["failing"][0]["failed_in_a_row"] >= 3
    assert "turn failed unexpectedly" not in output, output[-2000:]


def test_a_shot_is_as_long_as_the_model_makes_in_one_take(tiny, ctx) -> None:
    """A 20 s shot: one SkyReels-V2 take of 20 s (window after window, as one generation);
    with Wan 2.1, whose takes are 81 frames at 16 fps, the shot is 5 s, never a 5 s take
    padded with a frozen picture to 20."""
    from tests.test_production import a_show
    from webtv.inspection.checks import gate
    from webtv.production import line
    from webtv.tools.shots import ShotPlan, longest_take, shot_row

    a_show(ctx)
    segment = ctx.store.programme.current_segment()
    for name, seconds in (("skyreels-df", 20.0), ("wan", 5.0)):
        backend = video(tiny[name], fps=8) if name == "skyreels-df" else video(tiny[name])
        made = ctx.with_production(backends=dataclasses.replace(ctx.backends, video=backend),
                                   gate=gate("playable"), parallel=1)
        assert longest_take(made) == (30.0 if name == "skyreels-df" else 5.0)
        row = {**shot_row(made, 1, ShotPlan(action="the fox walks home", seconds=20), 1),
               "segment_id": segment["id"]}
        assert row["duration_s"] == seconds
        if name == "skyreels-df":
            shot = made.store.takes.add_shots(None, [row])[0]["id"]
            report = line.produce(made.production, [shot])
            take = made.store.takes.take(report.outcomes[0].take_id)
            assert take["duration_s"] == pytest.approx(20.0, abs=0.05)
            assert probe(made.data.resolve(take["media"])).duration >= 20.0


def test_a_model_that_cannot_make_a_take_counts_as_failing_it(tiny, tmp_path: Path) -> None:
    """An I2V-only checkpoint with no start picture (no --stills) fails every take alike: each
    is journaled, so the status can name it."""
    journal = []
    backend = video(tiny["cogvideox-i2v"])
    backend.journal = lambda **row: journal.append(row)
    with pytest.raises(ConfigError, match="needs a start picture"):
        backend.generate(request(backend), tmp_path)
    assert [r["outcome"] for r in journal] == ["error"]
    assert "needs a start picture" in journal[0]["error"]
