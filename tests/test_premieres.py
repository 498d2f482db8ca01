"""The director's channel programmes at the pace production really has: whole scenes premiere
when made (or early when the measured pace says the rest comes in time, or when a take has
waited long enough), whole scenes rerun between premieres, the slate only with nothing else."""

from __future__ import annotations

import json
import signal
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from webtv.playout.programme import Programme
from webtv.reading.colours import agreement
from webtv.state.store import Store


def iso(seconds_ago: float) -> str:
    return (datetime.now(UTC) - timedelta(seconds=seconds_ago)).isoformat(
        timespec="milliseconds")


def scene(store: Store, shots: int, written_ago: float) -> list[dict]:
    """A shot list (a scene) written ``written_ago`` seconds ago."""
    store.show.set_bible(title="Test Channel")
    rows = store.takes.add_shots(None, [{"action": f"shot {i + 1}", "duration_s": 3.0}
                                        for i in range(shots)])
    store.db.execute(f"update shots set created_at = ? where id in "
                     f"({','.join(str(r['id']) for r in rows)})", (iso(written_ago),))
    return rows


def make(store: Store, shot: dict, made_ago: float, *, backend: str = "zeroscope",
         aired: bool = False) -> int:
    """An accepted take of the shot made ``made_ago`` seconds ago, on the schedule (and aired,
    once, when ``aired``)."""
    take = store.takes.add_take(shot_id=shot["id"], seed=0, prompt=shot["action"],
                                media="media/x.mp4", duration_s=3.0,
                                backends=json.dumps({"video": backend}))
    store.db.execute("update takes set created_at = ? where id = ?", (iso(made_ago),
                                                                      take["id"]))
    store.takes.set_take_status(take["id"], "accepted")
    entry = store.air.schedule_take(take["id"])
    if aired:
        store.air.claim(entry["id"])
        store.air.finish_entry(entry["id"], "aired")
        store.air.log_air(session="s", channel="main", kind="take", take_id=take["id"],
                          stream_start=0.0, stream_end=3.0, started_at=iso(made_ago),
                          ended_at=iso(made_ago))
    return take["id"]


def library(store: Store) -> list[int]:
    """A scene made long ago at 40 s a take, already premiered: the pace and the library."""
    shots = scene(store, 3, written_ago=4000)
    return [make(store, s, 4000 - 40 * (i + 1), aired=True) for i, s in enumerate(shots)]


def test_the_pace_is_measured_per_scene_on_the_current_backend(store: Store) -> None:
    assert store.takes.pace() is None
    library(store)
    pace = store.takes.pace()
    assert pace == {"seconds_per_take": 40.0, "backend": "zeroscope", "scenes": 1}
    other = scene(store, 2, written_ago=30)  # a new backend: its own pace, not the old one's
    make(store, other[0], 25, backend="ltx")
    make(store, other[1], 20, backend="ltx")
    assert store.takes.pace() == {"seconds_per_take": 5.0, "backend": "ltx", "scenes": 1}


def test_a_scene_in_the_making_waits_for_its_last_shot_and_premieres_whole(store: Store) -> None:
    library(store)
    shots = scene(store, 4, written_ago=100)
    made = [make(store, shots[0], 60), make(store, shots[1], 20)]
    programme = Programme()
    block = programme.next_block(store)  # two of four made at 40 s a take: a rerun meanwhile
    assert block.kind == "replay" and len(block.takes) == 3
    eta = store.air.next_premiere()
    assert eta["action"] == "shot 1" and eta["made"] == 2 and eta["shots"] == 4
    expected = datetime.now(UTC) - timedelta(seconds=20) + timedelta(seconds=80)
    assert abs((datetime.fromisoformat(eta["eta"]) - expected).total_seconds()) < 2
    made += [make(store, shots[3], 5), make(store, shots[2], 1)]  # made out of order
    block = programme.next_block(store)
    assert block.kind == "take" and [e["take_id"] for e in block.entries] == [
        made[0], made[1], made[3], made[2]]  # the whole scene, in story order
    assert store.air.next_premiere()["ready"] is True


def test_a_fast_backend_premieres_as_soon_as_the_rest_will_be_made_in_time(store: Store) -> None:
    old = scene(store, 2, written_ago=60)  # measured: 1 s a take
    make(store, old[0], 59, aired=True)
    make(store, old[1], 58, aired=True)
    shots = scene(store, 3, written_ago=1)
    first = make(store, shots[0], 0)
    block = Programme().next_block(store)
    # 3 s on air covers the other two shots at 1 s each (with a 1.5 margin): on air at once
    assert block.kind == "take" and [e["take_id"] for e in block.entries] == [first]


def test_no_take_waits_longer_than_the_premiere_wait(store: Store) -> None:
    library(store)
    shots = scene(store, 4, written_ago=700)
    first = make(store, shots[0], 650)  # made 650 s ago, its scene stuck on shot 2
    block = Programme(premiere_wait_s=600).next_block(store)
    assert block.kind == "take" and [e["take_id"] for e in block.entries] == [first]
    assert "still in the making" in block.note


def test_a_new_channel_airs_what_is_made_at_once_and_the_slate_only_with_nothing(
        store: Store) -> None:
    programme = Programme()
    assert programme.next_block(store).kind == "slate"
    shots = scene(store, 4, written_ago=30)
    first = make(store, shots[0], 1)
    block = programme.next_block(store)  # no library to fill with: the first take airs
    assert block.kind == "take" and [e["take_id"] for e in block.entries] == [first]


def test_reruns_spread_over_the_library_whole_scenes_at_a_time(store: Store) -> None:
    sizes = [1, 4, 2, 3]
    scenes = []
    for n in sizes:
        shots = scene(store, n, written_ago=500)
        scenes.append([make(store, s, 400, aired=True) for s in shots])
    counts = {t: 1 for s in scenes for t in s}
    for i in range(40):
        takes = store.air.rerun_scene()
        ids = [t["id"] for t in takes]
        assert ids in scenes  # a whole scene, in story order
        for t in ids:
            store.air.log_air(session="s", channel="main", kind="replay", take_id=t,
                              stream_start=i, stream_end=i + 3, started_at=iso(1),
                              ended_at=iso(1))
            counts[t] += 1
    average = sum(counts.values()) / len(counts)
    assert max(counts.values()) <= 2 * average and min(counts.values()) >= average / 2


def test_the_show_policy_reruns_the_current_show(store: Store) -> None:
    store.show.set_bible(title="Old")
    old = scene(store, 2, written_ago=500)
    for s in old:
        make(store, s, 400, aired=True)
    store.programme.begin_show("a new theme", "New")
    segment = store.programme.add_segments([{"title": "E1", "synopsis": "", "shots": 4}])[0]
    new = scene(store, 2, written_ago=100)
    store.db.execute("update shots set segment_id = ? where id in (?, ?)",
                     (segment["id"], new[0]["id"], new[1]["id"]))
    made = [make(store, s, 50, aired=True) for s in new]
    for _ in range(3):
        assert [t["id"] for t in store.air.rerun_scene("show")] == made


@pytest.mark.long
def test_at_a_real_models_pace_the_air_is_premieres_and_whole_reruns_never_the_slate(
        tmp_path: Path) -> None:
    """`webtv run` against a Space that makes one take at a time, slowly, with faults: after
    the first take, no slate; premieres and reruns are whole scenes in story order; reruns
    spread over the library; every take premieres. (bench/premieres.py: the same at 40 s a
    take for ten minutes.)"""
    from bench.premieres import air_report, first_take_at
    from tests.channel import THEME, start, wait_for
    from tests.spaces import Space

    space = Space("zeroscope-576w", concurrency=1)
    space.behaviour.delay, space.behaviour.fault_rate = 5.0, 0.4
    home = tmp_path / "home"
    home.mkdir()
    (home / "webtv.toml").write_text(f'[[endpoints]]\nbackend = "zeroscope"\n'
                                     f'preset = "zeroscope-576w"\nurl = "{space.url}"\n')
    log = tmp_path / "run.log"
    with log.open("wb") as out:
        proc = start(home, "--theme", THEME, "--video", "zeroscope", "--port", "0", stdout=out)
    try:
        first = wait_for(lambda: first_take_at(home / "webtv.db"), 120, "the first take")
        time.sleep(max(0.0, first + 150 - time.time()))
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=60)
        space.close()
    assert proc.returncode == 0, log.read_text()[-3000:]
    report = air_report(home / "webtv.db", first, first + 150)
    assert report["slate_share"] == 0.0, report
    assert report["rerun_share"] > 0.3 and report["premieres"] >= 4, report  # slow: reruns
    assert report["blocks_in_story_order"] and report["reruns_whole_scenes"], report
    # spread: per minute in the library (bench/premieres.py), so that a first take that aired
    # alone while the rest of its scene was made, or a take premiered late, is not counted
    # against the rerun policy
    assert report["most_aired_per_minute_over_average"] <= 2.0, report
    assert report["premiere_latency_max_s"] < 300, report


def test_the_programme_is_chosen_in_webtv_toml_and_checked() -> None:
    from webtv.core.errors import ConfigError

    chosen = Programme.from_config({"programme": {"reruns": "show", "premiere_wait_s": 300}})
    assert (chosen.reruns, chosen.premiere_wait_s) == ("show", 300.0)
    assert Programme.from_config({}).reruns == "even"
    for table, said in (({"reruns": "loudest"}, "one of even, show"),
                        ({"premiere_wait_s": -1}, "0 to 86400"),
                        ({"rerun": "show"}, "unknown keys rerun")):
        with pytest.raises(ConfigError, match=said):
            Programme.from_config({"programme": table})


def test_a_new_premiere_catches_up_with_a_library_that_aired_for_a_while(store: Store) -> None:
    """Not the scene just aired while there is another, unless it has aired far less: a new
    scene reruns back to back until it has aired three quarters as often as the old one."""
    old = [make(store, s, 900, aired=True) for s in scene(store, 2, written_ago=1000)]
    for t in old * 19:  # the old scene has aired 20 times
        store.air.log_air(session="s", channel="main", kind="replay", take_id=t,
                          stream_start=0.0, stream_end=3.0, started_at=iso(1), ended_at=iso(1))
    new = [make(store, s, 60, aired=True) for s in scene(store, 2, written_ago=100)]
    picks = []
    for _ in range(18):
        ids = [t["id"] for t in store.air.rerun_scene()]
        picks.append("new" if ids == new else "old")
        for t in ids:
            store.air.log_air(session="s", channel="main", kind="replay", take_id=t,
                              stream_start=0.0, stream_end=3.0, started_at=iso(1),
                              ended_at=iso(1))
    # aired once, the new scene airs again until 15 (of 20): 14 in a row, then they alternate
    assert picks == ["new"] * 14 + ["old", "new", "old", "new"]


def test_webtv_status_says_what_premieres_next_and_when(store: Store) -> None:
    from webtv.channel.status import format_status, status_report
    from webtv.core.clock import now

    library(store)
    shots = scene(store, 4, written_ago=100)
    make(store, shots[0], 60)
    make(store, shots[1], 20)
    store.programme.set_channel(heartbeat=now(), pid=1, stopped=False, director="offline")
    eta = store.air.next_premiere()["eta"]
    said = format_status(status_report(store))
    assert (f"Premiere:  scene {shots[0]['sequence']} (4 shots, 2 made): shot 1; expected "
            f"about {eta[11:16]} UTC at the pace measured") in said, said
    store.programme.set_channel(stopped=True)  # off air: no promise
    assert "Premiere:" not in format_status(status_report(store))


def test_after_a_continuity_change_reruns_air_takes_that_agree_with_the_bible(
        store: Store) -> None:
    """"make the llama's apron red from now on": the green-apron takes made before stop airing
    in reruns while red ones can; with only green ones made they still air (never the slate)."""
    store.show.set_bible(title="Llama")
    store.show.upsert_entity("character", "Llama", description="a llama",
                             colours={"apron": "green"})
    green = []
    for shots in (scene(store, 2, written_ago=900), scene(store, 2, written_ago=800)):
        for s in shots:
            green.append(make(store, dict(s, action="llama (green apron), stirs the pot"),
                              700, aired=True))
    store.show.upsert_entity("character", "Llama", colours={"apron": "red"})
    programme = Programme(agreement=agreement)
    assert programme.next_block(store).takes  # only green takes: they still air
    red = [make(store, dict(s, action="llama (red apron, brown coat), stirs the pot"), 100,
                aired=True) for s in scene(store, 2, written_ago=200)]
    aired = []
    for i in range(12):
        block = programme.next_block(store)
        assert block.kind == "replay"
        for take in block.takes:
            aired.append(take["id"])
            store.air.log_air(session="s", channel="main", kind="replay", take_id=take["id"],
                              stream_start=i, stream_end=i + 3, started_at=iso(1),
                              ended_at=iso(1))
    assert aired and set(aired) <= set(red)
    everything = {t["id"] for t in store.air.rerun_scene()}  # no bible consulted: all of them
    assert everything & set(green)


@pytest.mark.parametrize("policy", ["best", "favourites"])
def test_a_spent_budget_with_no_qualifying_take_reruns_the_library_not_the_slate(
        store: Store, policy: str) -> None:
    """Budget spent, reruns by "favourites" (or "best"), and no take qualifies: the takes on
    disk air; the slate is for a channel with nothing."""
    aired = []
    for shot in scene(store, 2, written_ago=900):  # each made at its second attempt
        first = store.takes.add_take(shot_id=shot["id"], seed=0, prompt="p", media=None,
                                     duration_s=3.0)
        store.takes.set_take_status(first["id"], "rejected", "flicker")
        aired.append(make(store, shot, 800, aired=True))
    store.programme.set_channel(budget={"spent": True, "policy": policy})
    block = Programme(reruns=policy).next_block(store, reruns=policy)
    assert block.kind == "replay" and [t["id"] for t in block.takes] == aired
