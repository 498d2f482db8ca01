"""Endpoints shared across processes and hosts through a real Redis (redis-server on
127.0.0.1) and rq workers (`webtv worker` processes): the endpoint's concurrency limit holds
for every caller, a job asked twice runs once, a worker killed mid-job loses nothing, and two
channels in two `webtv run` processes air takes from one Space."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from tests import redis_server
from tests.channel import THEME, free_port, get, seconds_to_exit, start, wait_for
from tests.conftest import need
from tests.spaces import Space
from webtv.core.errors import LeftToCluster
from webtv.production.backends.cluster import ClusterPool, connect
from webtv.production.backends.config import endpoint_config, presets
from webtv.production.backends.remote import RemoteVideo
from webtv.state.datadir import DataDir
from webtv.state.store import Store

pytestmark = pytest.mark.slow  # a real redis-server, rq workers and channels in processes

ROOT = Path(__file__).resolve().parents[1]


def _need_redis() -> None:
    need(bool(redis_server.binary()), "WEBTV_REQUIRE_REDIS",
         "no redis-server (apt-get install redis-server)")


@pytest.fixture(scope="module")
def redis_url(tmp_path_factory: pytest.TempPathFactory):
    _need_redis()
    proc, url = redis_server.start(tmp_path_factory.mktemp("redis"))
    try:
        yield url
    finally:
        proc.terminate()
        proc.wait(timeout=20)


def _parent(proc: Path) -> int | None:
    try:
        return int((proc / "stat").read_text().rsplit(")", 1)[1].split()[1])
    except (OSError, ValueError, IndexError):
        return None


@pytest.fixture
def redis(redis_url: str):
    connection = connect(redis_url)
    connection.flushdb()
    yield connection
    connection.flushdb()


@pytest.fixture(scope="module")
def space():
    space = Space("zeroscope-576w")
    yield space
    space.close()


class Workers:
    """`webtv worker` processes on this host (a cluster's worker hosts, in miniature)."""

    def __init__(self, url: str, folder: Path) -> None:
        self.url, self.folder, self.procs = url, folder, []

    def start(self, count: int = 1) -> None:
        for _ in range(count):
            n = len(self.procs)
            log = (self.folder / f"worker-{n}.log").open("wb")
            self.procs.append(subprocess.Popen(
                [sys.executable, "-m", "webtv.app.cli", "worker", "--redis", self.url,
                 "--name", f"w{n}-{os.getpid()}", "-v"], cwd=ROOT, stdout=log,
                stderr=subprocess.STDOUT))

    def kill(self, n: int) -> None:
        """The worker and the job it is running (rq runs it in a child of its own session),
        at once: a host that died."""
        worker = self.procs[n].pid
        children = [int(p.name) for p in Path("/proc").iterdir() if p.name.isdigit()
                    and _parent(p) == worker]
        for pid in [worker, *children]:
            os.kill(pid, signal.SIGKILL)
        self.procs[n].wait()

    def stop(self) -> None:
        for proc in self.procs:
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
        for proc in self.procs:
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()

    def logs(self) -> str:
        return "\n".join(p.read_text()[-1500:] for p in sorted(self.folder.glob("worker-*.log")))


@pytest.fixture
def workers(redis_url: str, redis, tmp_path: Path):
    w = Workers(redis_url, tmp_path)
    yield w
    w.stop()


def pool(space: Space, url: str, concurrency: int = 1, calls: list | None = None,
         stop: threading.Event | None = None) -> RemoteVideo:
    config = endpoint_config({"preset": "zeroscope-576w", "url": space.url,
                              "concurrency": concurrency}, presets(), 0)
    journal = (lambda **f: calls.append(f)) if calls is not None else (lambda **f: None)
    return RemoteVideo(ClusterPool("zeroscope", [config], url, journal, deadline_s=120,
                                   stop=stop), config.expect)


def overlap(spans: list[tuple[float, float]]) -> int:
    """The most calls the Space had at once."""
    events = sorted([(s, 1) for s, _ in spans] + [(e, -1) for _, e in spans])
    most = now = 0
    for _, step in events:
        now += step
        most = max(most, now)
    return most


def request(prompt: str, seed: int):
    from webtv.production.backends.base import ShotSpec, VideoRequest

    return VideoRequest(prompt, seed, ShotSpec(palette=["#223344", "#aa8844"]))


def test_the_limit_holds_for_every_caller_and_a_job_asked_twice_runs_once(
        space: Space, redis_url: str, redis, workers: Workers, tmp_path: Path) -> None:
    space.behaviour.reset()
    space.behaviour.delay = 0.6
    workers.start(3)  # three workers could run three at once: the limit says one
    hosts = [pool(space, redis_url), pool(space, redis_url)]  # two processes' pools
    results, errors = [], []

    def ask(i: int) -> None:
        try:
            out = tmp_path / f"ask-{i}"
            out.mkdir()
            clip = hosts[i % 2].generate(request(f"a fox {i // 2}", i // 2), out)
            results.append((i, clip))
        except Exception as exc:  # noqa: BLE001 - collected and shown below
            errors.append(f"{i}: {exc}")

    threads = [threading.Thread(target=ask, args=(i,)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(180)
    assert not errors, errors + [workers.logs()]
    assert len(results) == 8 and all(c.frames == 24 for _, c in results)
    # both hosts asked for each of the four clips: each ran once, one at a time
    assert space.behaviour.calls == 4, workers.logs()
    assert overlap(space.behaviour.spans) == 1


def test_a_worker_killed_mid_job_loses_nothing(space: Space, redis_url: str, redis,
                                               workers: Workers, tmp_path: Path) -> None:
    space.behaviour.reset()
    space.behaviour.delay = 6.0
    workers.start(1)
    calls: list[dict] = []
    remote = pool(space, redis_url, calls=calls)
    done: dict = {}

    def ask() -> None:
        try:
            done["clip"] = remote.generate(request("a heron at dawn", 3), tmp_path)
        except Exception as exc:  # noqa: BLE001
            done["error"] = exc

    asking = threading.Thread(target=ask)
    asking.start()
    wait_for(lambda: space.behaviour.calls >= 1, 60, "the job running on the Space")
    workers.kill(0)  # mid-job: the Space is still working on it
    space.behaviour.delay = 0.2
    workers.start(1)  # another worker (host) takes over the abandoned job
    asking.join(120)
    assert "error" not in done, (done, workers.logs())
    assert done["clip"].frames == 24
    assert space.behaviour.calls == 2  # run again once, elsewhere
    assert [c["outcome"] for c in calls] == ["ok"]


def test_a_stop_leaves_the_clip_to_the_cluster_and_a_restart_is_answered_from_it(
        space: Space, redis_url: str, redis, workers: Workers, tmp_path: Path) -> None:
    """The channel stops while a worker makes its clip: the asker stops waiting at once, the
    job goes on, and the same ask after a restart gets its clip without a second call."""
    space.behaviour.reset()
    space.behaviour.delay = 4.0
    workers.start(1)
    stop = threading.Event()
    remote, done = pool(space, redis_url, stop=stop), {}

    def ask() -> None:
        try:
            remote.generate(request("a heron at dawn", 5), tmp_path)
        except Exception as exc:  # noqa: BLE001 - looked at below
            done["error"] = exc

    asking = threading.Thread(target=ask)
    asking.start()
    wait_for(lambda: space.behaviour.calls >= 1, 60, "the job running on the Space")
    stopped = time.monotonic()
    stop.set()
    asking.join(10)
    assert time.monotonic() - stopped < 1.0 and isinstance(done.get("error"), LeftToCluster)
    restarted = pool(space, redis_url)  # a new process: a new pool, the same Redis
    assert restarted.generate(request("a heron at dawn", 5), tmp_path).frames == 24
    assert space.behaviour.calls == 1, workers.logs()


TOML = """
[backends]
video = "zeroscope"

[[endpoints]]
backend = "zeroscope"
preset = "zeroscope-576w"
url = "{url}"
concurrency = 1

[cluster]
redis = "{redis}"
"""


def test_two_channels_on_two_processes_share_one_endpoint(space: Space, redis_url: str, redis,
                                                          workers: Workers,
                                                          tmp_path: Path) -> None:
    space.behaviour.reset()
    space.behaviour.delay = 0.3
    workers.start(2)
    procs, homes, ports = [], [], []
    for n in range(2):
        home = tmp_path / f"host{n}"
        DataDir(home, create=True)
        (home / "webtv.toml").write_text(TOML.format(url=space.url, redis=redis_url))
        port = free_port()
        env = {**os.environ, "WEBTV_HOME": str(home)}
        env.pop("WEBTV_LLM_MODEL", None)
        log = (tmp_path / f"run-{n}.log").open("wb")
        procs.append(subprocess.Popen(
            [sys.executable, "-m", "webtv.app.cli", "run", "--theme", THEME, "--port",
             str(port), "--buffer", "15"], cwd=ROOT, env=env, stdout=log,
            stderr=subprocess.STDOUT))
        homes.append(home)
        ports.append(port)
    try:
        for port in ports:
            wait_for(lambda p=port: any(e["kind"] == "take" for e in json.loads(
                get(f"http://127.0.0.1:{p}/api/now"))["on_air"]), 150, "a take on air")
    finally:
        for proc in procs:
            proc.terminate()
        for n, proc in enumerate(procs):
            assert proc.wait(timeout=60) == 0, (tmp_path / f"run-{n}.log").read_text()[-2000:]
    assert overlap(space.behaviour.spans) == 1, workers.logs()
    for home in homes:
        store = Store(DataDir(home))
        try:
            calls = [e for e in store.calls.endpoint_health() if e["endpoint"] == "zeroscope-1"]
            assert calls and calls[0]["ok"] >= 1
            assert store.takes.take_counts()["aired"] + store.takes.take_counts()["scheduled"] >= 1
        finally:
            store.close()


def test_sigterm_does_not_wait_for_a_clip_a_worker_is_making(space: Space, redis_url: str,
                                                             redis, workers: Workers,
                                                             tmp_path: Path) -> None:
    """A `webtv run` whose clip is being made on a worker stops in seconds on SIGTERM: the
    clip is left to the cluster, not waited for."""
    space.behaviour.reset()
    space.behaviour.delay = 120.0
    workers.start(1)
    home = tmp_path / "home"
    DataDir(home, create=True)
    (home / "webtv.toml").write_text(TOML.format(url=space.url, redis=redis_url))
    log = tmp_path / "run.log"
    proc = start(home, "--theme", THEME, "--port", "0", stdout=log.open("wb"))
    try:
        wait_for(lambda: space.behaviour.calls >= 1, 150, "a clip in the making on a worker")
        took = seconds_to_exit(proc, signal.SIGTERM, 150)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == 0, log.read_text()[-2000:]
    assert took < 5.0, f"{took:.1f} s from SIGTERM to exit\n{log.read_text()[-2000:]}"
