"""The playout airs takes and the slate through one FFmpeg: the outputs, pulled back, have one
continuous timeline, with audio beside the video, whatever was scheduled."""

from __future__ import annotations

import os
import subprocess
import time
from pathlib import Path

import pytest

from tests.conftest import make_house_clip
from tests.streams import hls_as_file, steps, timeline
from webtv.core import house
from webtv.core.media import ffmpeg_exe
from webtv.playout.playout import Playout
from webtv.playout.programme import Programme
from webtv.state.datadir import DataDir
from webtv.state.store import Store

FRAME = 1 / house.FPS


def scheduled_take(store: Store, data: DataDir, shot_id: int, colour: str, seconds: float,
                   tone: int | None = 440) -> int:
    """A take of the shot from a generated clip, accepted and on the schedule: its id."""
    media = data.keep(make_house_clip(data.workspace() / "c.mp4", colour, seconds, tone), ".mp4")
    take = store.takes.add_take(shot_id=shot_id, seed=0, prompt=f"a {colour} clip",
                                media=media, duration_s=seconds)
    store.takes.set_take_status(take["id"], "accepted")
    store.air.schedule_take(take["id"])
    return take["id"]


def schedule_clips(store: Store, data: DataDir, clips: list[tuple[str, float, int | None]]):
    store.show.set_bible(title="Test Channel")
    shot = store.takes.add_shots(1, [{"action": "test", "duration_s": 3.0}])[0]
    return [scheduled_take(store, data, shot["id"], colour, seconds, tone)
            for colour, seconds, tone in clips]


def assert_continuous(t, seconds: float, dropped_tail: float = 0.0) -> None:
    """One unbroken timeline: no frame or audio packet missing or doubled anywhere, audio
    starting with the picture and running as long as it (give or take ``dropped_tail`` that a
    relay drops when the publisher leaves)."""
    video_steps, audio_steps = steps(t.video), steps(t.audio)
    assert min(video_steps) > 0, "two frames share a timestamp"
    assert max(video_steps) <= FRAME + 0.002, f"a video gap of {max(video_steps):.3f}s"
    assert max(audio_steps) <= house.AAC_FRAME / house.SAMPLE_RATE + 0.002
    assert t.video_end - min(t.video) == pytest.approx(seconds, abs=FRAME)
    assert abs(min(t.audio) - min(t.video)) < 0.05  # they start together
    assert -0.05 - dropped_tail < t.audio_end - t.video_end < 0.05  # and end together


def test_three_takes_and_a_slate_air_as_one_timeline(data: DataDir, store: Store,
                                                      tmp_path: Path) -> None:
    takes = schedule_clips(store, data, [("red", 3.0, 440), ("blue", 2.5, None),
                                         ("green", 3.0, 660)])
    # a channel that reruns only favourites has none yet: when the queue is dry, the library
    # (the slate is for a channel with nothing on disk)
    playout = Playout(data, pace=False, programme=Programme(reruns="favourites"))
    playout.run(max_entries=4)
    log = store.air.air_log(playout.session, limit=10)[::-1]
    assert [(r["kind"], r["take_id"]) for r in log] == [
        ("take", takes[0]), ("take", takes[1]), ("take", takes[2]), ("replay", takes[0])]
    for before, after in zip(log, log[1:], strict=False):
        assert after["stream_start"] == before["stream_end"]  # back to back on the clock
    assert log[-1]["stream_end"] == pytest.approx(3.0 + 2.5 + 3.0 + 3.0)
    assert store.takes.take_counts()["aired"] == 3
    t = timeline(hls_as_file(data.hls, tmp_path / "hls.mp4"))
    assert_continuous(t, 11.5)


def test_missing_or_corrupt_takes_are_passed_over_for_the_next(data: DataDir,
                                                              store: Store) -> None:
    takes = schedule_clips(store, data, [("red", 2.0, 440), ("blue", 2.0, 440),
                                         ("green", 2.0, 440)])
    data.resolve(store.takes.take(takes[0])["media"]).unlink()
    corrupt = data.resolve(store.takes.take(takes[1])["media"])
    corrupt.write_bytes(corrupt.read_bytes()[:2000])  # cut off mid-file
    playout = Playout(data, pace=False)
    playout.run(max_entries=2)
    log = store.air.air_log(playout.session)[::-1]
    # no slate for a broken file: the next take airs, then the library's one good take reruns
    assert [(r["kind"], r["take_id"]) for r in log] == [("take", takes[2]),
                                                        ("replay", takes[2])]
    assert [store.takes.take(t)["status"] for t in takes] == ["failed", "failed", "aired"]
    assert [r[0] for r in store.db.execute("select status from schedule order by id")] == [
        "skipped", "skipped", "aired"]


def test_rtmp_gets_the_same_continuous_timeline(data: DataDir, store: Store,
                                                 tmp_path: Path) -> None:
    schedule_clips(store, data, [("red", 3.0, 440), ("blue", 3.0, 440)])
    # nothing to rerun once they air (retention has their files down as swept): the slate
    store.db.execute("update takes set purged_at = '2026-01-01T00:00:00'")
    port = 19350 + (time.time_ns() % 500)
    url = f"rtmp://127.0.0.1:{port}/live/test"
    received = tmp_path / "received.flv"
    server = subprocess.Popen([ffmpeg_exe(), "-hide_banner", "-loglevel", "error", "-listen", "1",
                               "-i", url, "-c", "copy", "-f", "flv", str(received)])
    try:
        time.sleep(1.0)  # let it listen
        # the two takes, then the slate. Unpaced, FFmpeg's own RTMP listener loses the last
        # second of a 9 s stream (three takes, or two and a rerun) about one run in three when
        # the sender closes, and garbles the end of one that ends on a take; 8 s ending in the
        # slate it keeps whole
        playout = Playout(data, [url], pace=False)
        playout.run(max_entries=3)
        server.wait(timeout=30)
    finally:
        server.kill()
    t = timeline(received)
    assert max(steps(t.video)) <= FRAME + 0.002  # FLV keeps milliseconds
    assert t.video_end - t.video[0] == pytest.approx(8.0, abs=FRAME + 0.002)
    assert abs(t.audio_end - t.video_end) < 0.05


def add_scene(store: Store, data: DataDir, colours: list[str], seconds: float = 2.0
              ) -> list[int]:
    """A scene (one shot list) of one shot per colour, each with an accepted take on the
    schedule: the takes' ids in story order."""
    store.show.set_bible(title="Test Channel")
    shots = store.takes.add_shots(None, [{"action": f"the {c} shot", "duration_s": seconds}
                                         for c in colours])
    return [scheduled_take(store, data, shot["id"], colour, seconds)
            for shot, colour in zip(shots, colours, strict=True)]


def test_between_premieres_whole_scenes_rerun_in_story_order(data: DataDir,
                                                             store: Store) -> None:
    first = add_scene(store, data, ["red", "blue"])
    second = add_scene(store, data, ["green", "orange"])
    playout = Playout(data, pace=False)
    playout.run(max_entries=8)  # the four premieres, then the queue is dry: reruns at once
    log = store.air.air_log(playout.session)[::-1]
    assert [r["kind"] for r in log] == ["take"] * 4 + ["replay"] * 4  # never a slate
    # whole scenes, each in story order: the one aired longest ago first
    assert [r["take_id"] for r in log] == first + second + first + second
    assert store.takes.take_counts()["aired"] == 4  # reruns do not touch the schedule
    late = add_scene(store, data, ["purple"])
    second_run = Playout(data, pace=False)
    second_run.run(max_entries=1)
    assert store.air.air_log(second_run.session)[0]["take_id"] == late[0]  # premiere first


CRASHING_PLAYOUT = """
import sys
from webtv.state.datadir import DataDir
from webtv.playout.playout import Playout
from webtv.playout.programme import Programme
Playout(DataDir(sys.argv[1]), pace=True).run(max_entries=int(sys.argv[2]))
"""


def test_killed_mid_air_it_resumes_without_airing_anything_twice(data: DataDir,
                                                                  store: Store) -> None:
    import signal
    import sqlite3
    import sys

    takes = schedule_clips(store, data, [(c, 3.0, 440) for c in ("red", "blue", "green",
                                                                 "orange")])
    proc = subprocess.Popen([sys.executable, "-c", CRASHING_PLAYOUT, str(data.root), "10"])
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:  # wait until the second take is on air
        row = store.db.execute("select take_id from air_log where ended_at is null "
                               "order by id desc limit 1").fetchone()
        if row and row[0] == takes[1]:
            break
        time.sleep(0.1)
    time.sleep(0.5)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    resumed = Playout(data, pace=False)
    resumed.run(max_entries=2)
    aired = [r["take_id"] for r in store.air.air_log(limit=50)[::-1] if r["kind"] == "take"]
    assert aired == takes  # each once, in order: the one cut off is not aired again
    assert store.air.air_log(resumed.session)[-1]["take_id"] == takes[2]
    cut = [r for r in store.air.air_log(limit=50) if r["take_id"] == takes[1]][0]
    assert cut["note"] == "cut off by a crash"
    db = sqlite3.connect(data.db_path)
    assert db.execute("pragma integrity_check").fetchone()[0] == "ok"


def test_a_slate_damaged_under_the_playout_is_made_again(data: DataDir, store: Store) -> None:
    """A slate removed or cut short on disk (a sweep, a full disk) is made again, not the end
    of the playout thread."""
    from webtv.playout.slate import slate

    store.show.set_bible(title="Test Channel")
    broken = slate(data, "Test Channel")
    broken.write_bytes(broken.read_bytes()[:1500])
    playout = Playout(data, pace=False)
    playout.run(max_entries=2)
    assert [r["kind"] for r in store.air.air_log(playout.session)] == ["slate", "slate"]


def test_while_the_first_show_is_written_the_slate_says_so(data: DataDir, store: Store) -> None:
    """A small model writes the first show for minutes before any take: the slate says what
    this run's director writes (not what a run that died last said)."""
    from webtv.core.clock import now
    from webtv.playout.slate import slate

    playout = Playout(data, pace=False)
    store.programme.set_channel(pid=os.getpid(), doing={
        "what": "writing the show for 'a fox who runs a ferry'", "since": now()})
    assert playout._slate(store) == slate(
        data, "AI WebTV", "The director is writing the show for 'a fox who runs a ferry'")
    store.programme.set_channel(pid=os.getpid() + 1)  # the state a dead run left
    assert playout._slate(store) == slate(data, "AI WebTV", "We'll be right back")
