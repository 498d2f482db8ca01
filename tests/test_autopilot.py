"""Weeks of unattended air: SIGKILL at random moments loses nothing and airs nothing twice, and
when every endpoint fails the air goes on with replays until they come back."""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest

from tests.channel import THEME, query, start, wait_for, webtv
from tests.conftest import make_house_clip
from webtv import tools
from webtv.core.errors import Stopped
from webtv.director.offline import OfflineDirector
from webtv.state.datadir import DataDir
from webtv.state.store import Store
from webtv.tools.context import ToolContext

ROUNDS = 5


def invariants(home: Path) -> None:
    """What must hold whatever moment the channel died at."""
    assert query(home, "pragma integrity_check") == [("ok",)]
    assert query(home, "select take_id from air_log where kind = 'take' and "
                       "coalesce(note, '') != 'cut short by shutdown' "
                       "group by take_id having count(*) > 1") == [], "a take aired twice"
    assert query(home, "select take_id from schedule group by take_id "
                       "having count(*) > 1") == [], "a take scheduled twice"
    assert query(home, "select shot_id from takes where status not in ('rejected', 'failed') "
                       "group by shot_id having count(*) > 1") == [], "finished work made twice"
    for (media,) in query(home, "select media from takes where purged_at is null and status "
                                "in ('made', 'accepted', 'scheduled', 'aired')"):
        assert (home / media).is_file(), media
    for session, in query(home, "select distinct session from air_log"):
        rows = query(home, "select stream_start, stream_end from air_log where session = ? "
                           "and stream_end is not null order by id", (session,))
        for (_, end), (begin, _) in zip(rows, rows[1:], strict=False):
            assert abs(begin - end) < 0.05, f"a gap or overlap on air in {session}"


def running(proc: subprocess.Popen, home: Path) -> bool:
    pid = query(home, "select value from channel where key = 'pid'")
    return bool(pid) and json.loads(pid[0][0]) == proc.pid and proc.poll() is None


@pytest.mark.long
def test_sigkill_at_random_moments_loses_nothing(tmp_path: Path) -> None:
    home = tmp_path / "home"
    seed = int(os.environ.get("WEBTV_CHAOS_SEED", "7"))
    rng = random.Random(seed)
    args = ("--theme", THEME, "--port", "0", "--buffer", "12", "--faults", "0.2")
    left_behind: set[Path] = set()
    for round_ in range(ROUNDS):
        proc = start(home, *args)
        try:
            wait_for(lambda p=proc: running(p, home), 60, f"round {round_} to start")
            # the restart cleaned up: the killed run's scratch files are gone, its open air-log
            # rows are closed and what it had on air is counted as aired
            assert not any(p.exists() for p in left_behind)
            session = wait_for(lambda: query(home, "select session from air_log order by id "
                                                   "desc limit 1"), 30, "the new session")[0][0]
            assert query(home, "select count(*) from air_log where ended_at is null and "
                               "session != ?", (session,)) == [(0,)]
            time.sleep(rng.uniform(1.0, 12.0))
        finally:
            proc.kill()  # SIGKILL: no handler runs
            proc.wait(timeout=30)
        left_behind = set((home / "work").iterdir())
        invariants(home)

    proc = start(home, *args)
    try:
        wait_for(lambda: running(proc, home), 60, "the last start")
        before = query(home, "select count(*) from takes where status = 'aired'")[0][0]
        wait_for(lambda: query(home, "select count(*) from takes where status = 'aired'")[0][0]
                 > before, 120, "a new take on air after the restarts")
    finally:
        proc.send_signal(signal.SIGTERM)
        output = proc.communicate(timeout=60)[0].decode()
    assert proc.returncode == 0, output
    invariants(home)
    assert list((home / "work").iterdir()) == []
    assert query(home, "select count(*) from air_log where ended_at is null") == [(0,)]
    assert query(home, "select count(*) from schedule where status = 'airing'") == [(0,)]
    assert query(home, "select count(*) from shows") == [(1,)]  # --theme again: carried on
    assert query(home, "select count(distinct session) from air_log")[0][0] == ROUNDS + 1


def seed_aired_takes(home: Path, count: int = 5) -> None:
    """A show with a few takes that have aired: what replays are made of."""
    data = DataDir(home)
    store = Store(data)
    ctx = ToolContext.open(store=store, data=data).for_request(THEME, None)
    show = json.dumps(OfflineDirector().show_for(THEME))
    assert tools.load().dispatch(ctx, "set_show", show).ok
    for i in range(count):
        shot = store.takes.add_shots(1, [{"action": f"earlier shot {i}", "entities": [],
                                          "duration_s": 2.0, "status": "scheduled"}])[0]
        colour = ["red", "green", "blue", "yellow", "purple"][i % 5]
        clip = make_house_clip(data.workspace() / "clip.mp4", colour, 2.0)
        take = store.takes.add_take(shot_id=shot["id"], seed=i, prompt=f"earlier {i}",
                                    media=data.keep(clip, ".mp4"), duration_s=2.0, status="aired")
        at = datetime.now(UTC).isoformat(timespec="milliseconds")
        store.air.log_air(session="earlier", kind="take", take_id=take["id"], stream_start=2.0 * i,
                          stream_end=2.0 * (i + 1), started_at=at, ended_at=at)
    store.close()


@pytest.fixture
def failing_space():
    from tests.spaces import Space

    space = Space("zeroscope-576w")
    space.behaviour.fail_first = 10 ** 6
    yield space
    space.close()


@pytest.mark.long
def test_when_every_endpoint_fails_the_air_goes_on(tmp_path: Path, failing_space) -> None:
    home = tmp_path / "home"
    seed_aired_takes(home)
    (home / "webtv.toml").write_text(
        f'[[endpoints]]\nbackend = "zeroscope"\npreset = "zeroscope-576w"\n'
        f'url = "{failing_space.url}"\nattempts = 2\nbackoff_s = 0.05\n')
    proc = start(home, "--video", "zeroscope", "--port", "0", "--buffer", "12")
    try:
        wait_for(lambda: running(proc, home), 60, "the channel to start")
        session = wait_for(lambda: query(home, "select session from air_log where session != "
                                               "'earlier' limit 1"), 30, "the session")[0][0]

        def kinds() -> set[str]:
            return {k for k, in query(home, "select kind from air_log where session = ?",
                                      (session,))}

        wait_for(lambda: "replay" in kinds(), 60, "replays while nothing can be made")
        wait_for(lambda: query(home, "select value from channel where key = 'mode'")
                 == [('"degraded"',)], 60, "the degraded mode")
        status = webtv(home, "status")
        assert "DEGRADED" in status and "reruns" in status, status
        assert "take" not in kinds()
        failing_space.behaviour.fail_first = 0  # the Space is back
        wait_for(lambda: "take" in kinds(), 120, "a new take on air once the Space is back")
    finally:
        proc.send_signal(signal.SIGTERM)
        output = proc.communicate(timeout=60)[0].decode()
    assert proc.returncode == 0, output
    invariants(home)
    rows = query(home, "select kind, stream_start, stream_end from air_log where session = ? "
                       "order by id", (session,))
    assert rows[0][1] == 0.0  # on air from the first second, continuously (invariants)
    errors = query(home, "select count(*) from remote_calls where outcome != 'ok'")[0][0]
    assert errors >= 2
    assert query(home, "select value from channel where key = 'mode'") != [('"degraded"',)]


def test_takes_that_fail_on_their_content_do_not_degrade_the_channel(ctx: ToolContext) -> None:
    """The backends answer, but every clip is bad (a Space that cannot draw this show): the
    autopilot writes new shots at once instead of backing off as it would for an outage."""
    import dataclasses
    import threading

    from tests.test_production import Misshapen
    from webtv.channel.autopilot import Autopilot
    from webtv.core.settings import Settings
    from webtv.director.requests import theme_request

    video = Misshapen("")  # every prompt: a partial clip
    ctx = ctx.with_production(backends=dataclasses.replace(ctx.backends, video=video))
    pilot = Autopilot(Settings.from_env(data_dir=ctx.data.root), shots_per_turn=2)
    stop = threading.Event()
    pilot._work(ctx, theme_request(THEME), stop)
    pilot._work(ctx, pilot.next_request(ctx), stop)  # plan the episodes
    request = pilot.next_request(ctx)
    assert request.kind == "produce"
    started = time.monotonic()
    pilot._work(ctx, request, stop)
    assert time.monotonic() - started < 60 and video.seeds  # no backoff wait
    assert ctx.store.takes.take_counts()["scheduled"] == 0
    assert pilot.failures == 0 and pilot.state["mode"] != "degraded"


class SlowToStop:
    """A model that writes until the run stops, then goes on for ``late`` seconds (a model
    that cannot stop mid-reply, as a remote one waiting on its server), and says nothing."""

    name, sees_images = "slow", False

    def __init__(self, late: float) -> None:
        self.late = late

    def complete(self, messages, tools_, require_tool=False, turn=None):
        turn.stop.wait()
        time.sleep(self.late)
        raise Stopped("stopped writing")


@pytest.mark.slow
def test_while_the_model_writes_the_channel_says_so_and_its_heartbeat_goes_on(
        ctx: ToolContext) -> None:
    """`webtv status` and /health say what the director writes and for how long; a model
    still writing after the stop keeps the heartbeat going (not "killed?") until its turn
    ends, cleanly, with nothing of its reply kept."""
    import threading

    from webtv.channel.autopilot import Autopilot
    from webtv.channel.health import health
    from webtv.channel.status import channel_health, format_status, status_report
    from webtv.core.clock import now
    from webtv.core.settings import Settings

    pilot = Autopilot(Settings.from_env(data_dir=ctx.data.root))
    pilot.model = SlowToStop(late=8.0)
    stop = threading.Event()
    run = threading.Thread(target=pilot.run, args=(ctx, stop, THEME))
    run.start()
    try:
        wait_for(lambda: channel_health(ctx.store)["doing"], 20, "the director writing")
        status = format_status(status_report(ctx.store))
        assert "Director:  writing the show for 'a llama who runs a night" in status, status
        assert health(ctx.store, ctx.data.hls)["director"]["what"].startswith("writing the show")
        stopped_at = now()
        stop.set()
        wait_for(lambda: channel_health(ctx.store)["heartbeat"] > stopped_at, 7,
                 "a heartbeat while the last reply is still being written")
        assert channel_health(ctx.store)["running"]
    finally:
        stop.set()
        run.join(30)
    assert not run.is_alive()
    after = channel_health(ctx.store)
    assert after["stopped"] and not after["running"] and after["doing"] is None
    assert ctx.store.db["llm_calls"].count == 0 and ctx.store.show.bible() is None
