"""In-process models on GPU hosts, for a channel host without one: `webtv worker --models`
processes run the takes that channels queue in a real Redis, keep the model they loaded for
the next job, and send the clip back; a channel with `[gpu] workers = true` airs them."""

from __future__ import annotations

import dataclasses
import json
import os
import subprocess
import sys
import threading
from collections import defaultdict
from pathlib import Path

import pytest

from tests.test_cluster import Workers, redis, redis_url  # noqa: F401 (fixtures)
from tests.test_gpu import SMALL, tiny  # noqa: F401 (fixtures)

pytestmark = pytest.mark.slow  # model workers in processes, tiny models on the CPU

pytest.importorskip("torch")


class ModelWorkers(Workers):
    def start(self, count: int = 1) -> None:
        for _ in range(count):
            n = len(self.procs)
            log = (self.folder / f"worker-{n}.log").open("wb")
            self.procs.append(subprocess.Popen(
                [sys.executable, "-m", "webtv.app.cli", "worker", "--models", "--redis",
                 self.url, "--name", f"m{n}-{os.getpid()}", "-v"],
                stdout=log, stderr=subprocess.STDOUT))


def test_model_workers_keep_the_model_loaded_between_jobs(tiny, redis_url, redis,  # noqa: F811
                                                          tmp_path: Path) -> None:
    from tests.test_gpu import request
    from webtv.core.media import probe
    from webtv.production.backends.model_jobs import ModelClient
    from webtv.production.backends.models import in_process

    workers = ModelWorkers(redis_url, tmp_path)
    workers.start(2)
    try:
        journal = []
        client = ModelClient("video", f"diffusers:{tiny['ltx']}", SMALL, redis_url,
                             lambda **row: journal.append(row), deadline_s=240)
        local = in_process("video", f"diffusers:{tiny['ltx']}", SMALL)  # for the plan only
        clips = []

        def ask(seed: int) -> None:
            out = tmp_path / f"clip-{seed}"
            out.mkdir()
            clips.append(client.generate(request(local, seed), out))

        threads = [threading.Thread(target=ask, args=(seed,)) for seed in range(1, 7)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(300)
        assert len(clips) == 6, workers.logs()
        assert all(probe(c.path).frames == 73 for c in clips)
        loads = defaultdict(set)
        for row in journal:
            loads[row["arguments"]["worker"]].add(row["arguments"]["loads"])
        assert len(loads) == 2, journal  # both workers took jobs
        assert all(seen == {1} for seen in loads.values()), loads  # each loaded the model once
        # what the model can do is the worker's model's, not a guess: LTX starts from a
        # picture, an I2V-only checkpoint must, Wan 2.1 T2V cannot
        assert (client.can_continue, client.needs_image) == (True, False)
        assert client.plan(3.0) == dataclasses.replace(local.plan(3.0), tiling=False,
                                                       offload=None)
        for name, abilities in (("cogvideox-i2v", (True, True)), ("wan", (False, False))):
            other = ModelClient("video", f"diffusers:{tiny[name]}", SMALL, redis_url,
                                lambda **row: None, deadline_s=240)
            assert (other.can_continue, other.needs_image) == abilities, name
    finally:
        workers.stop()


def test_a_channel_without_a_gpu_airs_takes_made_on_a_model_worker(
        tiny, redis_url, redis, tmp_path: Path) -> None:  # noqa: F811
    from tests.test_gpu import air_a_take

    workers = ModelWorkers(redis_url, tmp_path)
    workers.start(1)
    try:
        aired = air_a_take(tmp_path / "home", "--video", f"diffusers:{tiny['ltx']}",
                           "--music", f"transformers:{tiny['musicgen']}",
                           toml=f"workers = true\n[cluster]\nredis = \"{redis_url}\"\n")
    finally:
        workers.stop()
    backends = json.loads(aired[0][0])
    assert backends["video"] == "diffusers:ltx (workers)"
    assert backends["music"] == "transformers:musicgen (workers)"


def test_pictures_in_motion_painted_on_a_model_worker_air_with_the_casts_stills(
        redis_url, redis, tmp_path: Path) -> None:  # noqa: F811
    """`--video stills:MODEL` with `[gpu] workers = true`: the worker paints the cast's
    stills and the takes, the channel sends it the stills a shot starts from."""
    from tests.channel import query
    from tests.test_gpu import air_a_take
    from tests.tiny_models import build

    painter = build(tmp_path / "models", ["sd-turbo"])["sd-turbo"]
    workers = ModelWorkers(redis_url, tmp_path)
    workers.start(1)
    try:
        aired = air_a_take(tmp_path / "home", "--video", f"stills:{painter}",
                           toml=f"workers = true\n[cluster]\nredis = \"{redis_url}\"\n")
    finally:
        workers.stop()
    assert json.loads(aired[0][0])["video"] == "stills:sd-turbo (workers)"
    stills = query(tmp_path / "home", "select reference from entities where reference is not "
                                      "null")
    assert stills and all((tmp_path / "home" / s).is_file() for (s,) in stills)
