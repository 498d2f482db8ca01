"""Remote backends against real Gradio apps on 127.0.0.1 that have the presets' signatures:
the happy path per capability, timeouts, retries, failover, corrupt files, the cache."""

from __future__ import annotations

import json
import threading
import time
from pathlib import Path

import pytest

from tests.spaces import Space
from webtv import tools
from webtv.core.errors import BackendError, BadMedia, ConfigError
from webtv.production import takes
from webtv.production.backends import config as backend_config
from webtv.production.backends.base import ShotSpec, VideoRequest
from webtv.production.backends.space import Breaker
from webtv.state.datadir import DataDir
from webtv.state.store import CallJournal, Store
from webtv.tools.context import ToolContext
from webtv.tools.shots import ShotPlan, shot_row

PRESETS = ["zeroscope-576w", "zeroscope-xl", "film", "musicgen-full", "ltx-video"]


@pytest.fixture(scope="module")
def spaces():
    running = {name: Space(name) for name in PRESETS}
    running["zeroscope-b"] = Space("zeroscope-576w")  # a duplicate, for failover
    yield running
    for space in running.values():
        space.close()


@pytest.fixture(autouse=True)
def calm(spaces):
    for space in spaces.values():
        space.behaviour.reset()


def endpoint(backend: str, preset: str, url: str, **extra) -> dict:
    return {"backend": backend, "preset": preset, "url": url, "backoff_s": 0.05, **extra}


def context(data: DataDir, store: Store, config: dict, **choices) -> ToolContext:
    backends = backend_config.build(config, choices, data.root / "work", CallJournal(data))
    return ToolContext.open(store=store, data=data, backends=backends)


def calls(store: Store) -> list[tuple[str, int, str]]:
    return [(r["endpoint"], r["attempt"], r["outcome"])
            for r in store.db.query("select * from remote_calls order by id")]


def request(prompt: str = "navy orange green, camera pans left", seed: int = 5) -> VideoRequest:
    return VideoRequest(prompt, seed, ShotSpec(palette=["#000000"]))


def test_every_capability_through_its_preset(spaces, data, store, tmp_path) -> None:
    config = {"endpoints": [
        endpoint("zeroscope", "zeroscope-576w", spaces["zeroscope-576w"].url),
        endpoint("xl", "zeroscope-xl", spaces["zeroscope-xl"].url),
        endpoint("film", "film", spaces["film"].url),
        endpoint("musicgen", "musicgen-full", spaces["musicgen-full"].url),
        endpoint("ltx", "ltx-video", spaces["ltx-video"].url)]}
    ctx = context(data, store, config, video="zeroscope", upscale="xl", interpolate="film",
                  music="musicgen")
    clip = ctx.backends.video.generate(request(), tmp_path)
    assert (clip.width, clip.height, clip.frames, clip.fps) == (576, 320, 24, 8.0)
    smooth = ctx.backends.interpolate.interpolate(clip, 24, tmp_path)
    assert (smooth.fps, smooth.frames) == (24.0, 72)
    big = ctx.backends.upscale.upscale(smooth, "the same prompt", tmp_path)
    assert (big.width, big.height) == (1024, 576)
    music = ctx.backends.music.compose("cozy", 3.0, 1, tmp_path)
    assert music.duration >= 3.0
    ltx = context(data, store, config, video="ltx").backends.video.generate(request(), tmp_path)
    assert (ltx.width, ltx.height) == (576, 320)
    assert all(p.is_relative_to(tmp_path) for p in (clip.path, smooth.path, big.path, music.path))
    assert [c[2] for c in calls(store)] == ["ok"] * 5
    logged = json.loads(next(store.db.query("select arguments from remote_calls"))["arguments"])
    assert logged["prompt"].startswith("navy orange green") and logged["seed"] == 5


@pytest.mark.slow
def test_a_take_made_entirely_by_remote_backends(spaces, data, store) -> None:
    config = {"backends": {"video": "zeroscope", "upscale": "xl", "interpolate": "film",
                           "music": "musicgen"},
              "endpoints": [endpoint("zeroscope", "zeroscope-576w", spaces["zeroscope-576w"].url),
                            endpoint("xl", "zeroscope-xl", spaces["zeroscope-xl"].url),
                            endpoint("film", "film", spaces["film"].url),
                            endpoint("musicgen", "musicgen-full", spaces["musicgen-full"].url)]}
    ctx = context(data, store, config)
    result = tools.load().dispatch(ctx, "set_show", json.dumps({
        "title": "T", "logline": "L", "style": "S",
        "cast": [{"name": "Fox"}, {"name": "Wood", "kind": "place", "look": "navy sky"}]}))
    assert result.ok, result.content
    plan = ShotPlan(action="the fox runs", camera="pan left", motion="runs left")
    segment = store.programme.current_segment()
    first, second = store.takes.add_shots(1, [
        {**shot_row(ctx, 1, plan, 0), "segment_id": segment["id"]}] * 2)
    take = takes.make_take(ctx.production, first["id"], seed=11)
    assert takes.inspect_take(ctx.production, take["take_id"])["verdict"] == "accepted"
    assert store.takes.take(take["take_id"])["backends"] == {
        "video": "zeroscope", "upscale": "xl", "interpolate": "film", "music": "musicgen"}
    made = sum(s.behaviour.calls for s in spaces.values())
    assert made == 4
    # The same backends, prompt, seed and parameters again (another shot, same words): the cache
    # answers and no Space is called.
    again = takes.make_take(ctx.production, second["id"], seed=11)
    assert again["prompt"] == take["prompt"] and again["take_id"] != take["take_id"]
    assert sum(s.behaviour.calls for s in spaces.values()) == made


def test_a_space_that_fails_twice_then_works(spaces, data, store, tmp_path) -> None:
    spaces["zeroscope-576w"].behaviour.fail_first = 2
    config = {"endpoints": [endpoint("zeroscope", "zeroscope-576w", spaces["zeroscope-576w"].url,
                                     name="zs-a", attempts=3)]}
    clip = context(data, store, config, video="zeroscope").backends.video.generate(request(),
                                                                                   tmp_path)
    assert clip.frames == 24
    assert calls(store) == [("zs-a", 1, "error"), ("zs-a", 2, "error"), ("zs-a", 3, "ok")]
    assert "queue is full" in store.calls.endpoint_health()[0]["last_error"]


def test_a_slow_space_times_out_and_the_job_fails_over(spaces, data, store, tmp_path) -> None:
    spaces["zeroscope-576w"].behaviour.delay = 5
    config = {"endpoints": [
        endpoint("zeroscope", "zeroscope-576w", spaces["zeroscope-576w"].url, name="slow",
                 timeout_s=1, attempts=2),
        endpoint("zeroscope", "zeroscope-576w", spaces["zeroscope-b"].url, name="quick")]}
    started = time.monotonic()
    clip = context(data, store, config, video="zeroscope").backends.video.generate(request(),
                                                                                   tmp_path)
    assert clip.frames == 24
    assert calls(store) == [("slow", 1, "timeout"), ("slow", 2, "timeout"), ("quick", 1, "ok")]
    assert time.monotonic() - started < 5


def test_the_last_error_names_the_endpoint(spaces, data, store, tmp_path) -> None:
    spaces["zeroscope-576w"].behaviour.delay = 3
    config = {"endpoints": [endpoint("zeroscope", "zeroscope-576w", spaces["zeroscope-576w"].url,
                                     name="only", timeout_s=0.5, attempts=2)]}
    with pytest.raises(BackendError, match=r"last failure only: EndpointTimeout: no answer"):
        context(data, store, config, video="zeroscope").backends.video.generate(request(),
                                                                                tmp_path)


def test_an_endpoint_that_is_down_fails_over(spaces, data, store, tmp_path) -> None:
    from tests.channel import free_port

    config = {"endpoints": [
        endpoint("zeroscope", "zeroscope-576w", f"http://127.0.0.1:{free_port()}/", name="down",
                 attempts=2),
        endpoint("zeroscope", "zeroscope-576w", spaces["zeroscope-b"].url, name="up")]}
    clip = context(data, store, config, video="zeroscope").backends.video.generate(request(),
                                                                                   tmp_path)
    assert clip.frames == 24
    assert calls(store) == [("down", 1, "error"), ("down", 2, "error"), ("up", 1, "ok")]


def test_a_corrupt_file_is_rejected(spaces, data, store, tmp_path) -> None:
    spaces["zeroscope-576w"].behaviour.corrupt = True
    config = {"endpoints": [endpoint("zeroscope", "zeroscope-576w", spaces["zeroscope-576w"].url,
                                     name="liar")]}
    video = context(data, store, config, video="zeroscope").backends.video
    with pytest.raises(BadMedia, match="liar answered with a bad file: not a readable video"):
        video.generate(request(), tmp_path)
    assert calls(store) == [("liar", 1, "bad_output")]  # not retried: it would lie again
    # the answer's fault, not the endpoint's: the breaker stays closed for the next seed
    assert video.pool.endpoints[0].breaker.state == "closed"


def test_a_space_without_the_api_is_refused_clearly(spaces, data, store, tmp_path) -> None:
    config = {"endpoints": [endpoint("xl", "zeroscope-xl", spaces["zeroscope-576w"].url,
                                     name="not-xl")]}
    with pytest.raises(BackendError, match=r"has no API /infer \(it has: /run\)"):
        context(data, store, config, upscale="xl").backends.upscale.upscale(
            backend_config_asset(tmp_path), "p", tmp_path)


def backend_config_asset(tmp_path: Path):
    from webtv.production.backends import local_backends

    return local_backends().video.generate(request(), tmp_path)


def test_two_endpoints_serve_two_jobs_at_once(spaces, data, store, tmp_path) -> None:
    for name in ("zeroscope-576w", "zeroscope-b"):
        spaces[name].behaviour.delay = 1.5
    config = {"endpoints": [
        endpoint("zeroscope", "zeroscope-576w", spaces["zeroscope-576w"].url, name="a"),
        endpoint("zeroscope", "zeroscope-576w", spaces["zeroscope-b"].url, name="b")]}
    video = context(data, store, config, video="zeroscope").backends.video
    video.generate(request(seed=1), tmp_path)  # connect both lazily first
    for name in ("zeroscope-576w", "zeroscope-b"):
        spaces[name].behaviour.reset()
        spaces[name].behaviour.delay = 1.5
    outs = [tmp_path / str(i) for i in range(2)]
    for out in outs:
        out.mkdir()
    jobs = [threading.Thread(target=video.generate, args=(request(seed=10 + i), outs[i]))
            for i in range(2)]
    for job in jobs:
        job.start()
    for job in jobs:
        job.join()
    a, b = (spaces[n].behaviour.spans for n in ("zeroscope-576w", "zeroscope-b"))
    assert len(a) == len(b) == 1  # one job each
    assert max(a[0][0], b[0][0]) < min(a[0][1], b[0][1])  # and at the same time


def test_configuration_mistakes_are_clear(data, store) -> None:
    with pytest.raises(ConfigError, match="has no endpoints"):
        context(data, store, {}, video="zeroscope")
    with pytest.raises(ConfigError, match="unknown preset 'nope'"):
        context(data, store, {"endpoints": [{"backend": "x", "preset": "nope", "url": "u"}]},
                video="x")
    with pytest.raises(ConfigError, match="concurrency"):
        context(data, store, {"endpoints": [endpoint("z", "zeroscope-576w", "http://x/",
                                                     concurrency=0)]}, video="z")
    with pytest.raises(ConfigError, match="serves video, not music"):
        context(data, store, {"endpoints": [endpoint("z", "zeroscope-576w", "http://x/")]},
                music="z")
    assert backend_config.space_url("me/Zeroscope_v2") == "https://me-zeroscope-v2.hf.space"


def test_a_breaker_opens_after_failures_in_a_row_and_lets_one_try_later() -> None:
    breaker = Breaker(threshold=3, cooldown=0.2, bad_files=4)
    for _ in range(5):  # one input that always crashes the Space fails only itself
        breaker.failure("the prompt that crashes it")
    assert breaker.allow() and breaker.state == "closed"
    breaker.success()  # the other prompts work
    for key in ("a", "b", "c"):
        assert breaker.allow()
        breaker.failure(key)
    assert not breaker.allow() and breaker.state == "open"
    time.sleep(0.25)
    assert breaker.allow() and breaker.state == "half-open"
    breaker.success()
    assert breaker.state == "closed"
    for _ in range(9):  # bad files for one prompt: that prompt's fault
        breaker.bad_file("the prompt it cannot draw")
    assert breaker.state == "closed"
    for key in "abc":  # until every prompt gets one
        breaker.bad_file(key)
    assert breaker.state == "open"


@pytest.mark.slow
def test_a_space_that_always_answers_one_prompt_badly_never_holds_the_channel(
        spaces, data, store) -> None:
    """The stall seen with a real Space: one prompt always got a portrait clip. Each attempt now
    has a seed of its own, each bad file spends the shot's budget (not the endpoint's breaker),
    the shot is dropped saying what was wrong, and the shots around it air."""
    from tests.test_production import a_show, written
    from webtv.production import line as production

    spaces["zeroscope-576w"].behaviour.trap = "juggles"
    config = {"endpoints": [endpoint("zeroscope", "zeroscope-576w", spaces["zeroscope-576w"].url,
                                     name="space")]}
    ctx = context(data, store, config, video="zeroscope").with_production(parallel=1)
    a_show(ctx)
    ids = written(ctx, "the fox waves", "the fox juggles letters", "the fox bows")
    report = production.produce(ctx.production, ids)
    assert [o.scheduled for o in report.outcomes] == [True, False, True]
    dropped = report.outcomes[1]
    assert dropped.attempts == ctx.production.takes_per_shot == 3
    assert all("320x576, not the shape asked for (576x320)" in f for f in dropped.failures)
    seeds = [json.loads(c["arguments"])["seed"] for c in store.calls.tool_calls(limit=50)
             if c["name"] == "make_take" and json.loads(c["arguments"])["shot_id"] == ids[1]]
    assert len(seeds) == len(set(seeds)) == 3  # never the same question twice
    assert store.takes.shot(ids[1])["status"] == "dropped"
    bad = [c for c in calls(store) if c[2] == "bad_output"]
    assert bad == [("space", 1, "bad_output")] * 3  # a bad file is not asked for again
    assert ctx.backends.video.pool.endpoints[0].breaker.state == "closed"


@pytest.mark.slow
def test_a_prompt_that_crashes_the_space_fails_only_itself(spaces, data, store) -> None:
    from tests.test_production import a_show, written
    from webtv.production import line as production

    spaces["zeroscope-576w"].behaviour.crash = "juggles"
    config = {"endpoints": [endpoint("zeroscope", "zeroscope-576w", spaces["zeroscope-576w"].url,
                                     name="space", attempts=1)]}
    ctx = context(data, store, config, video="zeroscope").with_production(parallel=1)
    a_show(ctx)
    ids = written(ctx, "the fox juggles letters", "the fox waves", "the fox bows")
    report = production.produce(ctx.production, ids)
    assert [o.scheduled for o in report.outcomes] == [False, True, True]
    assert report.outcomes[0].attempts == 3 and "CUDA error" in report.outcomes[0].failures[-1]
    breaker = ctx.backends.video.pool.endpoints[0].breaker
    assert breaker.state == "closed"  # three crashes on one prompt: the Space is not down


def test_a_bug_of_ours_surfaces_instead_of_failing_over(spaces, data, store, tmp_path) -> None:
    """Only outside failures (the endpoint, the network, the file) fail over; a TypeError in
    our own code is raised as it is, not logged as the Space's fault."""
    config = {"endpoints": [
        endpoint("zeroscope", "zeroscope-576w", spaces["zeroscope-576w"].url, name="a"),
        endpoint("zeroscope", "zeroscope-576w", spaces["zeroscope-b"].url, name="b")]}
    pool = context(data, store, config, video="zeroscope").backends.video.pool

    def buggy_check(path: Path) -> None:
        return path.stat().st_size + "bytes"  # a TypeError, as a bug would raise

    values = {"prompt": "navy orange green", "seed": 5, "frames": 24, "fps": 8, "width": 576,
              "height": 320, "seconds": 3.0, "negative_prompt": ""}
    with pytest.raises(TypeError):
        pool.run(values, tmp_path, buggy_check)
    assert [(name, outcome) for name, _, outcome in calls(store)] == [("a", "error")]


def test_a_stop_cancels_a_spaces_job_and_holds_nothing(spaces, data, store, tmp_path) -> None:
    """Nothing in flight holds a stop (issue 29): a Space taking half a minute; the run stops
    half a second in; the job is cancelled, the call ends within a second, and neither the
    endpoint's record nor its breaker counts it against the Space."""
    from webtv.core.errors import Abandoned

    spaces["zeroscope-576w"].behaviour.delay = 30
    config = {"endpoints": [endpoint("zeroscope", "zeroscope-576w",
                                     spaces["zeroscope-576w"].url, name="slow")]}
    stop = threading.Event()
    video = backend_config.build(config, {"video": "zeroscope"}, data.root / "work",
                                 CallJournal(data), stop=stop).video
    threading.Timer(0.5, stop.set).start()
    started = time.monotonic()
    with pytest.raises(Abandoned):
        video.generate(request(), tmp_path)
    assert time.monotonic() - started < 2.0
    assert calls(store) == []
    assert video.pool.endpoints[0].breaker.state == "closed"
