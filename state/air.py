"""The schedule and the air log in the store: what is queued, what is airing, what aired."""

from __future__ import annotations

from typing import Any

from webtv.core.clock import now
from webtv.state.rows import AiringWithShot, ReplayTake, ScheduleEntry, UpcomingTake
from webtv.state.tables import Tables


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
            "order by schedule.id limit ?", (limit,))

    def queued_seconds(self) -> float:
        row = self._one(
            "select coalesce(sum(takes.duration_s), 0) as s from schedule join takes "
            "on takes.id = schedule.take_id where schedule.status = 'queued'")
        return float(row["s"])

    def claim_next(self) -> ScheduleEntry | None:
        """Take the next queued entry off the schedule and mark it airing (one transaction)."""
        with self.transaction():
            entry = self._one("select * from schedule where status = 'queued' order by id limit 1")
            if entry is None:
                return None
            self.db["schedule"].update(entry["id"], {"status": "airing"})
        return entry

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

    def replay_candidate(self, skip_recent: int = 3, pool: int = 50) -> ReplayTake | None:
        """A recent aired take to replay: the least recently aired of the last ``pool``, not one
        of the last ``skip_recent`` on air while there are others (a young channel has few), and
        never the take that was just on air."""
        rows = self._all(
            "select takes.*, max(air_log.id) as last_air from takes join air_log "
            "on air_log.take_id = takes.id where takes.status = 'aired' "
            "and takes.purged_at is null group by takes.id order by last_air desc limit ?", (pool,))
        recent = [r["take_id"] for r in self._all(
            "select take_id from air_log where take_id is not null and channel = 'main' "
            "order by id desc limit ?", (skip_recent,))]
        rows = ([r for r in rows if r["id"] not in recent]
                or [r for r in rows if r["id"] not in recent[:1]])
        return min(rows, key=lambda r: r["last_air"]) if rows else None

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
            "select air_log.*, takes.prompt, shots.action, shots.id as shot_id "
            "from air_log left join takes on takes.id = air_log.take_id "
            f"left join shots on shots.id = takes.shot_id {where} "
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
