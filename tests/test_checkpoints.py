"""Each released video checkpoint planned by its own files: the configs of the release
(tests/released.py, written by diffusers' own classes, no weights) read as the channel reads a
user's checkpoint at start, and the shape it plans for a shot asserted per checkpoint."""

from __future__ import annotations

import dataclasses
import os
import re
from pathlib import Path

import pytest

from webtv.production.backends.shapes import Options, house_crop, shape, smaller

if not os.environ.get("WEBTV_REQUIRE_TORCH"):  # CI: missing torch is a failure, not a skip
    pytest.importorskip("torch")


@pytest.fixture(scope="session")
def released(tmp_path_factory) -> dict[str, Path]:
    """Every checkpoint of tests/released.py as its configs (no weights), by hub id."""
    from tests.released import RELEASES, write

    root = tmp_path_factory.mktemp("released")
    return {r.hub_id: write(r, root) for r in RELEASES}


def test_each_released_checkpoint_is_planned_at_its_own_shape(released) -> None:
    """Read from the checkpoint's own files at start, before a weight is loaded: the size, the
    frames for a 3 s and a 10 s shot, the rate, the steps and both guidances of each release
    (CogVideoX 1.5's sample size of 300 was once planned as 2400x2400; Wan 2.2's two experts as
    Wan 2.1; the 2025-2026 families refused)."""
    from tests.released import RELEASES, write_adapter
    from webtv.production.backends.device import device
    from webtv.production.backends.models import in_process

    loads = device("cpu").loads
    for release in RELEASES:
        folder = released[release.hub_id]
        adapter = {"motion_adapter": write_adapter(release, folder.parent)} \
            if release.adapter else {}
        backend = in_process("video", f"diffusers:{folder}", adapter)
        short, long = backend.plan(3.0), backend.plan(10.0)
        planned = (short.width, short.height, short.frames, long.frames, short.fps,
                   short.steps, short.guidance, short.guidance_2)
        assert (backend.rules.checkpoint, planned) == (release.checkpoint, release.plan), \
            release.hub_id
        assert short.frames / short.fps >= 3.0 or backend.rules.fixed_frames or \
            short.frames == backend.rules.max_frames  # its trained count (ModelScope: 16)
        assert short.out_width / short.out_height == pytest.approx(16 / 9, rel=0.01)
        i2v = re.search(r"\bI2V\b", release.checkpoint) is not None
        assert backend.needs_image == i2v and (backend.can_continue or not i2v), release.hub_id
    assert device("cpu").loads == loads  # planned from the configs: nothing was loaded


def test_the_docs_table_of_checkpoints_is_what_the_channel_plans() -> None:
    from tests.released import RELEASES, readme_row

    readme = (Path(__file__).resolve().parents[1] / "docs" / "gpu.md").read_text("utf-8")
    for release in RELEASES:
        assert readme_row(release) in readme, release.hub_id


def test_the_frame_rules_of_each_kind_of_checkpoint(released) -> None:
    from webtv.production.backends import checkpoints
    from webtv.production.backends.families import rules_for
    from webtv.production.backends.shapes import frames_for

    def rules(hub_id: str):
        return rules_for(checkpoints.from_folder(released[hub_id], hub_id))

    wan = rules("Wan-AI/Wan2.1-T2V-1.3B-Diffusers")
    ltx = rules("Lightricks/LTX-Video")
    cog, cog15 = rules("THUDM/CogVideoX-5b-I2V"), rules("THUDM/CogVideoX1.5-5B")
    assert [frames_for(wan, s, 16) for s in (1, 3, 5, 9)] == [17, 49, 81, 81]  # 4k+1, <= 81
    assert [frames_for(ltx, s, 24) for s in (1, 3, 8)] == [25, 73, 193]  # 8k+1
    assert [frames_for(cog, s, 8) for s in (1, 3, 8)] == [49, 49, 49]  # learned: 49 only
    assert [frames_for(cog15, s, 16) for s in (1, 3, 5, 20)] == [17, 49, 81, 161]  # 16N+1
    planned = shape(ltx, 3.0, Options(width=250, height=140))
    assert (planned.width % 32, planned.height % 32) == (0, 0)  # LTX: multiples of 32
    assert planned.out_width / planned.out_height == pytest.approx(16 / 9, rel=0.01)
    fast = shape(ltx, 3.0, Options(), distilled=True)  # the owner says it is distilled
    assert (fast.steps, fast.guidance, len(fast.timesteps)) == (8, 1.0, 8)
    # CogVideoX 1.0 generates only at its checkpoint's size and count, whatever is asked
    fixed = shape(cog, 3.0, Options(width=1024, height=576, fps=24))
    assert (fixed.width, fixed.height, fixed.frames, fixed.fps) == (720, 480, 49, 8)
    assert house_crop(720, 480) == (720, 404) and house_crop(832, 480) == (832, 468)
    retry = smaller(wan, shape(wan, 3.0), 3.0, offload=True)
    assert (retry.fps, retry.frames, retry.tiling, retry.offload) == (8, 25, True, True)
    assert smaller(wan, shape(wan, 3.0), 3.0, offload=False).offload is False  # never
    assert smaller(cog, shape(cog, 3.0), 3.0, offload=True).frames == 49  # its one count
    sky = rules("Skywork/SkyReels-V2-DF-1.3B-540P-Diffusers")
    long = shape(sky, 25.0)  # one continuous generation, window after window
    assert (long.frames, long.window, long.overlap, long.fps) == (601, 97, 17, 24)
    assert shape(sky, 30.0).frames == 721 and shape(sky, 45.0).frames == 721  # 30 s at most
    assert shape(sky, 3.0).window is None  # one window holds it


def test_a_hub_id_in_the_cache_is_planned_at_start_from_its_files(tmp_path: Path) -> None:
    """`--video diffusers:OWNER/NAME` after `hf download`: its configs are read from the
    cache at start (no weights, no network); an unknown pipeline class is refused then. In a
    process of its own, as a channel starts: the hub library reads HF_HOME when imported."""
    import subprocess
    import sys

    from tests.released import RELEASES, cache

    release = next(r for r in RELEASES if r.hub_id == "Wan-AI/Wan2.2-T2V-A14B-Diffusers")
    cache(release, tmp_path / "hf")
    cache(dataclasses.replace(release, hub_id="someone/not-a-video-model",
                              pipeline="StableDiffusionPipeline"), tmp_path / "hf")
    script = ("import sys\n"
              "from webtv.core.errors import ConfigError\n"
              "from webtv.production.backends.models import in_process\n"
              "b = in_process('video', 'diffusers:' + sys.argv[1], {})\n"
              "p = b.plan(3.0)\n"
              "print(b.rules.checkpoint, p.width, p.height, p.guidance, p.guidance_2)\n"
              "try:\n"
              "    in_process('video', 'diffusers:someone/not-a-video-model', {})\n"
              "except ConfigError as exc:\n"
              "    print(exc)\n")
    done = subprocess.run([sys.executable, "-c", script, release.hub_id], capture_output=True,
                          text=True, timeout=120,
                          env={**os.environ, "HF_HOME": str(tmp_path / "hf"),
                               "HF_HUB_OFFLINE": "1"})
    assert done.returncode == 0, done.stderr
    planned, refused = done.stdout.strip().splitlines()
    assert planned == "Wan 2.2 T2V A14B 1280 720 4.0 3.0"
    assert refused.startswith("StableDiffusionPipeline is not a video pipeline this channel "
                              "knows (it knows WanPipeline, ")


def test_each_released_painter_paints_by_its_own_rules(tmp_path: Path) -> None:
    """Text-to-image checkpoints as released (their configs, no weights), read at start as
    `--video stills:MODEL` reads them: the 16:9 picture at the width each was trained at, its
    steps and guidance (SD-Turbo's one step was once 25 unless its folder said "turbo"), and a
    shot's frames drawn at the house rate; a video checkpoint is refused as a painter."""
    from tests.released import PAINTERS, RELEASES, write
    from webtv.core.errors import ConfigError
    from webtv.production.backends.models import in_process

    for release in PAINTERS:
        folder = write(release, tmp_path / "saved")
        if not release.by_name:  # told by its configs: the folder's name says nothing
            folder = folder.rename(tmp_path / f"model-{PAINTERS.index(release)}")
        backend = in_process("video", f"stills:{folder}", {})
        painter, planned = backend.painter, backend.plan(3.0)
        assert (painter.checkpoint, *backend.size(), planned.steps, planned.guidance) == (
            release.checkpoint, *release.plan), release.hub_id
        assert (planned.frames, planned.fps) == (72, 24)
        assert backend.can_continue and not backend.needs_image
    video = write(RELEASES[0], tmp_path)
    with pytest.raises(ConfigError, match="CogVideoXPipeline is not a text-to-image pipeline"):
        in_process("video", f"stills:{video}", {})


def test_the_docs_table_of_painters_is_what_the_channel_paints() -> None:
    from tests.released import PAINTERS, painter_row

    readme = (Path(__file__).resolve().parents[1] / "docs" / "laptop.md").read_text("utf-8")
    for release in PAINTERS:
        assert painter_row(release) in readme, release.hub_id
