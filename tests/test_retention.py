"""Retention: media of old takes goes, favourites and the schedule stay, the disk stays under
its cap, and nothing a live row needs is ever removed."""

from __future__ import annotations

import os
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from webtv.state.datadir import DataDir
from webtv.state.retention import Policy, sweep
from webtv.state.store import Store


def iso(hours_ago: float) -> str:
    return (datetime.now(UTC) - timedelta(hours=hours_ago)).isoformat(timespec="milliseconds")


def shot(store: Store) -> int:
    row = {"action": "a fox waves", "entities": [], "duration_s": 3.0}
    return store.takes.add_shots(1, [row])[0]["id"]


def take_with_files(store: Store, data: DataDir, size: int, status: str,
                    aired_hours_ago: float | None = None) -> dict:
    """A take whose media and contact sheet are ``size`` bytes each, aired that long ago."""
    paths = []
    for suffix in (".mp4", ".png"):
        scratch = data.workspace() / "f"
        scratch.write_bytes(os.urandom(size))
        paths.append(data.keep(scratch, suffix))
    take = store.takes.add_take(shot_id=shot(store), seed=1, prompt="p", media=paths[0],
                                contact_sheet=paths[1], duration_s=3.0, status=status)
    if aired_hours_ago is not None:
        store.air.log_air(session="s", kind="take", take_id=take["id"], stream_start=0.0,
                          stream_end=3.0, started_at=iso(aired_hours_ago),
                          ended_at=iso(aired_hours_ago))
    return take


def on_disk(data: DataDir, take: dict) -> bool:
    return (data.root / take["media"]).exists() and (data.root / take["contact_sheet"]).exists()


def test_old_takes_go_favourites_and_scheduled_stay(data: DataDir, store: Store) -> None:
    old = take_with_files(store, data, 1000, "aired", aired_hours_ago=30)
    fresh = take_with_files(store, data, 1000, "aired", aired_hours_ago=1)
    favourite = take_with_files(store, data, 1000, "aired", aired_hours_ago=30)
    store.takes.set_favourite(favourite["id"])
    queued = take_with_files(store, data, 1000, "accepted")
    store.air.schedule_take(queued["id"])
    store.db["takes"].update(queued["id"], {"created_at": iso(40)})

    done = sweep(store, data, Policy(keep_hours=24))

    assert done.purged_takes == 1
    assert not on_disk(data, old) and store.takes.take(old["id"])["purged_at"]
    assert on_disk(data, fresh) and on_disk(data, favourite) and on_disk(data, queued)
    assert done.freed_bytes == 2000
    purged_row = next(r for r in store.takes.recent_aired(10) if r["id"] == old["id"])
    assert purged_row["media"] is None and purged_row["contact_sheet"] is None


def test_over_the_size_cap_the_least_recently_aired_go_first(data: DataDir,
                                                              store: Store) -> None:
    takes = [take_with_files(store, data, 100_000, "aired", aired_hours_ago=h)
             for h in (5, 4, 3, 2, 1)]  # 200 kB each with its contact sheet
    done = sweep(store, data, Policy(keep_hours=24, keep_gb=0.00045))  # 450 kB
    assert done.purged_takes == 3
    assert [on_disk(data, t) for t in takes] == [False, False, False, True, True]
    assert done.media_bytes <= done.limit_bytes


def test_a_purged_take_is_never_rerun(data: DataDir, store: Store) -> None:
    old = take_with_files(store, data, 10, "aired", aired_hours_ago=30)
    later = [take_with_files(store, data, 10, "aired", aired_hours_ago=0.1) for _ in range(3)]
    # one scene (the takes of one shot list): reruns air it whole, in story order
    assert [t["id"] for t in store.air.rerun_scene()] == [old["id"], *(t["id"] for t in later)]
    sweep(store, data, Policy(keep_hours=24))
    assert [t["id"] for t in store.air.rerun_scene()] == [t["id"] for t in later]


def test_orphans_go_only_when_old_and_old_logs_are_pruned(data: DataDir, store: Store) -> None:
    young, old = (data.root / "media" / "ab" / n for n in ("young.mp4", "old.mp4"))
    young.parent.mkdir(exist_ok=True)
    for f in (young, old):
        f.write_bytes(b"x" * 10)
    past = time.time() - 7200
    os.utime(old, (past, past))
    store.calls.log_tool_call(conversation="c", name="read_bible", arguments="{}", result="{}",
                              ok=True, duration_ms=1.0)
    store.db["tool_calls"].update(1, {"created_at": iso(24 * 30)})
    store.calls.log_tool_call(conversation="c", name="read_bible", arguments="{}", result="{}",
                              ok=True, duration_ms=1.0)

    for kind, hours_ago in (("slate", 24 * 30), ("take", 24 * 30), ("replay", 1)):
        store.air.log_air(session="s", kind=kind, stream_start=0.0, stream_end=3.0,
                          started_at=iso(hours_ago), ended_at=iso(hours_ago))

    done = sweep(store, data, Policy(log_days=14))

    assert young.exists() and not old.exists()
    assert done.pruned_log_rows == 2 and store.db["tool_calls"].count == 1
    assert [r["kind"] for r in store.air.air_log(limit=5)] == ["replay", "take"]


def test_the_channel_clock_decides_age_not_the_wall_clock(tmp_path: Path) -> None:
    """An accelerated soak runs its channel clock ahead of the wall: hours are its hours."""
    data = DataDir(tmp_path / "d")
    store = Store(data)
    early = take_with_files(store, data, 10, "aired", aired_hours_ago=0)
    ahead = (datetime.now(UTC) + timedelta(hours=30)).isoformat(timespec="milliseconds")
    store.air.log_air(session="s", kind="slate", stream_start=0.0, stream_end=3.0, started_at=ahead,
                      ended_at=ahead)
    assert store.retention.channel_time() == ahead
    sweep(store, data, Policy(keep_hours=24))
    assert not on_disk(data, early)
    store.close()


def test_slates_in_use_stay_and_slates_unused_for_a_day_go(data: DataDir, store: Store) -> None:
    """The playout makes slates with no row to name them: a sweep keeps the ones aired within
    keep_hours (each use marks the file), so it never pulls one out from under the playout."""
    from webtv.playout.slate import slate

    in_use, unused = slate(data, "Fox Post"), slate(data, "Fox Post", "Coming up: the bridge")
    two_hours, two_days = time.time() - 7200, time.time() - 48 * 3600
    os.utime(in_use, (two_hours, two_hours))
    os.utime(unused, (two_days, two_days))
    assert slate(data, "Fox Post") == in_use and in_use.stat().st_mtime > time.time() - 60
    os.utime(in_use, (two_hours, two_hours))  # older than orphan_age, aired within keep_hours
    sweep(store, data, Policy(keep_hours=24))
    assert in_use.exists() and not unused.exists()
