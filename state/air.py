"""The schedule and the air log in the store: what is queued, what is airing, what aired."""

from __future__ import annotations

import random
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any, TypedDict

from webtv.core.clock import now
from webtv.state.rows import AiringWithShot, ReplayTake, ScheduleEntry, UpcomingTake
from webtv.state.tables import Tables

# What the director's channel reruns between premieres (its takes that have premiered, whole
# scenes): the policies a channel owner chooses among.
RERUNS = {
    "even": "the whole library, the scene aired least often first",
    "show": "the current show's scenes (the whole library when it has none yet)",
    "best": "scenes of the best takes (favourites, takes that passed at their first attempt; "
            "the whole library while there are none)",
    "recent": "the newest scenes (their last 50 takes)",
    "favourites": "scenes of the favourite takes (the whole library while there are none)",
    "random": "any scene at random",
}
PREMIERED = ("takes.status = 'aired' and takes.purged_at is null and takes.media is not null")
CATCH_UP = 0.75  # a scene aired less than this share of as often as the next pick airs again
AIR_WINDOW = 50_000  # air log rows counted for how often a take aired (weeks of air)


class QueuedTake(TypedDict):
    schedule_id: int
    take_id: int
    duration_s: float
    created_at: str
    position: int
    action: str


class NextScene(TypedDict):
    scene: int
    queued: list[QueuedTake]
    ready: list[QueuedTake]
    pending: list[dict[str, Any]]
    started: bool


def _allowed(takes: list[dict[str, Any]], policy: str, show: int | None) -> list[dict[str, Any]]:
    """The premiered takes a rerun policy may air; where none qualifies, the whole library (a
    channel with takes on disk never airs the slate for want of a favourite)."""
    if policy == "show":
        return [t for t in takes if t["show_id"] == show] or takes
    if policy == "favourites":
        return [t for t in takes if t["favourite"]] or takes
    if policy == "best":
        return [t for t in takes if t["favourite"] or t["first_try"]] or takes
    if policy == "recent":
        newest = set(sorted(t["id"] for t in takes)[-50:])
        return [t for t in takes if t["id"] in newest]
    return takes


class AirTables(Tables):
    """Store methods for the schedule and the air log."""

    # -- schedule and air ----------------------------------------------------------------
    def schedule_take(self, take_id: int) -> ScheduleEntry:
        with self.transaction():
            entry_id = self.db["schedule"].insert(
                {"take_id": take_id, "status": "queued", "created_at": now()}).last_pk
            self.db["takes"].update(take_id, {"status": "scheduled"})
            # the shot is done in the same transaction: a crash never leaves it to make again
            self.db.execute("update shots set status = 'scheduled' where id = "
                            "(select shot_id from takes where id = ?)", (take_id,))
        return self._one("select * from schedule where id = ?", (entry_id,))

    def upcoming(self, limit: int = 20) -> list[UpcomingTake]:
        return self._all(
            "select schedule.id as schedule_id, takes.*, shots.action, shots.sequence, "
            "shots.position from schedule join takes on takes.id = schedule.take_id "
            "join shots on shots.id = takes.shot_id where schedule.status = 'queued' "
            "order by shots.suggestion_id is null, schedule.id limit ?", (limit,))

    def queued_seconds(self) -> float:
        row = self._one(
            "select coalesce(sum(takes.duration_s), 0) as s from schedule join takes "
            "on takes.id = schedule.take_id where schedule.status = 'queued'")
        return float(row["s"])

    def finish_entry(self, schedule_id: int, status: str) -> None:
        with self.transaction():
            self.db["schedule"].update(schedule_id, {"status": status})
            entry = self._one("select take_id from schedule where id = ?", (schedule_id,))
            take_status = "aired" if status == "aired" else "failed"
            self.db["takes"].update(entry["take_id"], {"status": take_status})

    def requeue(self, schedule_id: int) -> None:
        with self.transaction():
            self.db["schedule"].update(schedule_id, {"status": "queued"})

    def close_crashed_airings(self, channel: str = "main") -> int:
        """After a crash: whatever was mid-air went on air, so it counts as aired (never twice),
        and the channel's open air-log rows are closed with a note. Each channel's playout
        closes its own (they start side by side)."""
        with self.transaction():
            cursor = self.db.execute(
                "update takes set status = 'aired' where ? = 'main' and id in "
                "(select take_id from schedule where status = 'airing')", (channel,))
            self.db.execute("update schedule set status = 'aired' where ? = 'main' and "
                            "status = 'airing'", (channel,))
            self.db.execute(
                "update air_log set ended_at = started_at, note = 'cut off by a crash' "
                "where ended_at is null and channel = ?", (channel,))
        return cursor.rowcount

    def claim(self, schedule_id: int) -> ScheduleEntry | None:
        """Take one queued entry off the schedule (None: it is no longer queued)."""
        with self.transaction():
            entry = self._one("select * from schedule where id = ? and status = 'queued'",
                              (schedule_id,))
            if entry is not None:
                self.db["schedule"].update(schedule_id, {"status": "airing"})
        return entry

    def next_scene(self) -> NextScene | None:
        """The scene that premieres next: the first scene (a shot list, in story order) with
        takes queued, a viewer's suggested scene before the director's own (it is the next
        scene of the show, not the one after the ten minutes already queued). ``ready``: its
        queued takes before the first shot still in the making (the part that can air in
        order now); ``queued``: all of its queued takes; ``pending``: its shots still in the
        making; ``started``: some of it has already aired."""
        first = self._one(
            "select shots.sequence from schedule join takes on takes.id = schedule.take_id "
            "join shots on shots.id = takes.shot_id where schedule.status = 'queued' "
            "order by shots.suggestion_id is null, shots.sequence limit 1")
        if first is None:
            return None
        scene = first["sequence"]
        queued = self._all(
            "select schedule.id as schedule_id, takes.id as take_id, takes.duration_s, "
            "takes.created_at, shots.position, shots.action from schedule "
            "join takes on takes.id = schedule.take_id join shots on shots.id = takes.shot_id "
            "where schedule.status = 'queued' and shots.sequence = ? "
            "order by shots.position, schedule.id", (scene,))
        pending = self._in_the_making(scene)
        blocked = pending[0]["position"] if pending else None
        started = self._one(
            "select 1 from schedule join takes on takes.id = schedule.take_id join shots on "
            "shots.id = takes.shot_id where shots.sequence = ? and schedule.status in "
            "('airing', 'aired')", (scene,)) is not None
        return {"scene": scene, "queued": queued, "pending": pending, "started": started,
                "ready": [q for q in queued if blocked is None or q["position"] < blocked]}

    def _in_the_making(self, scene: int) -> list[dict[str, Any]]:
        """A scene's shots not yet scheduled nor dropped, in story order."""
        return self._all("select position, action, created_at from shots where sequence = ? "
                         "and status in ('planned', 'made') order by position", (scene,))

    def rerun_scene(self, policy: str = "even", channel: str = "main",
                    rng: random.Random | None = None,
                    agrees: Callable[[dict[str, Any]], bool] | None = None
                    ) -> list[ReplayTake]:
        """The takes of the scene a channel reruns next, in story order: a whole scene of
        takes that have premiered, picked among the ones ``policy`` allows (see RERUNS) as the
        one whose most aired take the channel has aired least often, then longest ago; not the
        scene it just aired while there is another, unless that one has aired less than
        CATCH_UP of as often. ``agrees``: whether a take agrees with the show's bible as it
        is now (its looks); takes that do not are left out while any other may air. Empty:
        nothing has premiered yet."""
        if policy not in RERUNS:
            raise ValueError(f"unknown rerun policy {policy!r}")
        takes = self._all(
            "select takes.*, shots.sequence as scene, shots.position, segments.show_id, "
            "not exists (select 1 from takes older where older.shot_id = takes.shot_id and "
            "older.id < takes.id) as first_try from takes join shots on shots.id = takes.shot_id "
            "left join segments on segments.id = shots.segment_id "
            f"where {PREMIERED} order by shots.sequence, shots.position, takes.id")
        takes = _allowed(takes, policy, self.current_show())
        if agrees is not None:  # an apron made red from now on is not aired green again
            takes = [t for t in takes if agrees(t)] or takes
        if not takes:
            return []
        counts = {r["take_id"]: r for r in self._all(
            "select take_id, count(*) as n, max(id) as last_air from air_log where channel = ? "
            "and take_id is not null and id > (select coalesce(max(id), 0) from air_log) - ? "
            "group by take_id", (channel, AIR_WINDOW))}
        scenes: dict[int, list[dict[str, Any]]] = {}
        for take in takes:
            aired = counts.get(take["id"]) or {"n": 0, "last_air": 0}
            scenes.setdefault(take["scene"], []).append({**take, **aired})
        last = self._one("select shots.sequence from air_log join takes on takes.id = "
                         "air_log.take_id join shots on shots.id = takes.shot_id where "
                         "air_log.channel = ? order by air_log.id desc limit 1", (channel,))
        last = last["sequence"] if last and last["sequence"] in scenes else None
        others = [s for s in scenes if s != last] or list(scenes)
        if policy == "random":
            chosen = (rng or random).choice(others)
        else:
            def aired(scene: int) -> tuple[int, float, int, int]:  # least aired first
                counts = [t["n"] for t in scenes[scene]]
                return (max(counts), sum(counts) / len(counts),
                        max(t["last_air"] for t in scenes[scene]), scene)

            chosen = min(others, key=aired)
            # the scene just aired again only when it is far behind the rest (a new premiere
            # catching up with a library that has aired for a while)
            if last is not None and aired(last)[0] < CATCH_UP * aired(chosen)[0]:
                chosen = last
        return scenes[chosen]

    def next_premiere(self) -> dict[str, Any] | None:
        """What premieres next and when, as honestly as the measured pace allows: the next
        scene with takes queued, else the first scene in the making. ``eta``: when its last
        shot should be made (its latest progress plus a take's pace per shot left); None when
        no pace is measured yet or nothing is in the making."""
        scene = self.next_scene()
        if scene is None:
            first = self._one("select sequence from shots where status in ('planned', 'made') "
                              "order by sequence limit 1")
            if first is None:
                return None
            scene = {"scene": first["sequence"], "queued": [], "ready": [], "started": False,
                     "pending": self._in_the_making(first["sequence"])}
        pending, queued = scene["pending"], scene["queued"]
        eta = None
        if pending:
            pace = self.store.takes.pace()
            progress = max([p["created_at"] for p in pending] + [q["created_at"] for q in queued])
            if pace is not None:
                eta = datetime.fromisoformat(progress) + timedelta(
                    seconds=pace["seconds_per_take"] * len(pending))
        first = (queued or pending)[0]
        return {"scene": scene["scene"], "action": first["action"],
                "shots": len(queued) + len(pending), "made": len(queued),
                "ready": not pending, "continues": scene["started"],
                "eta": eta.isoformat(timespec="seconds") if eta else None}

    def current_show(self) -> int | None:
        row = self._one("select show_id from bible where id = 1")
        return row["show_id"] if row else None

    def next_in_the_making(self) -> str | None:
        """The action of the next shot not yet on the schedule, for the slate's 'coming up'."""
        row = self._one("select action from shots where status in ('planned', 'made') "
                        "order by id limit 1")
        return row["action"] if row else None

    def scheduled_count(self) -> int:
        """Entries ever put on the schedule: grows by one for every take scheduled."""
        return self.db["schedule"].count

    def air_by_kind(self, session: str, since: str) -> list[dict[str, Any]]:
        """Per kind of airing (take, replay, slate) in a session since a time: the first start
        and the seconds on air."""
        return self._all(
            "select kind, min(started_at) as first, sum(stream_end - stream_start) as seconds "
            "from air_log where session = ? and ended_at >= ? group by kind", (session, since))

    def log_air(self, **fields: Any) -> int:
        with self.transaction():
            return self.db["air_log"].insert(fields).last_pk

    def end_air(self, air_id: int, **fields: Any) -> None:
        with self.transaction():
            self.db["air_log"].update(air_id, fields)

    def air_log(self, session: str | None = None, limit: int = 20) -> list[AiringWithShot]:
        """Recent airings, newest first, joined with the shot and the prompt that made them."""
        where, params = ("where air_log.session = ?", (session, limit)) if session else (
            "", (limit,))
        return self._all(
            "select air_log.*, takes.prompt, shots.action, shots.id as shot_id, "
            "suggestions.name as suggested_by "
            "from air_log left join takes on takes.id = air_log.take_id "
            "left join shots on shots.id = takes.shot_id "
            f"left join suggestions on suggestions.id = shots.suggestion_id {where} "
            "order by air_log.id desc limit ?", params)

    def on_air(self, channel: str = "main",
               session: str | None = None) -> AiringWithShot | None:
        """What a channel airs now: the open airing of its session (default: its latest)."""
        session = session or self.latest_session(channel)
        last = self.air_log(session, limit=1) if session else []
        return last[0] if last and not last[0]["ended_at"] else None

    def latest_session(self, channel: str = "main") -> str | None:
        row = self._one("select session from air_log where channel = ? order by id desc limit 1",
                        (channel,))
        return row["session"] if row else None
