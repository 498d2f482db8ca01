"""What the programme guide reads: airings with their show and episode, and what is planned
ahead (scenes in the making, episodes not yet written, themes queued). Mixed into ``Store`` as
``store.guide``."""

from __future__ import annotations

from typing import Any

from webtv.state.air import PREMIERED
from webtv.state.tables import Tables

# takes whose frames can stand for their show: accepted (on the schedule or aired), still on disk
SHOWN = ("takes.status in ('accepted', 'scheduled', 'aired') and takes.purged_at is null "
         "and takes.media is not null")
RECENT_ROWS = 20_000  # air-log rows looked at for a channel's past (hours of 3 s takes)
EPISODE = ("left join segments on segments.id = shots.segment_id "
           "left join shows on shows.id = segments.show_id")


class GuideTables(Tables):
    """Store methods for the programme guide."""

    def airings(self, channel: str, since: str) -> list[dict[str, Any]]:
        """A channel's airings that ended at or after ``since`` (ISO time, UTC), oldest first,
        each with its scene, its episode (segment) and its show."""
        rows = self._all(
            "select air_log.id, air_log.kind, air_log.take_id, air_log.started_at, "
            "air_log.ended_at, air_log.stream_start, air_log.stream_end, takes.duration_s, "
            "shots.sequence as scene, shots.position, shots.action, segments.id as episode_id, "
            "segments.title as episode, segments.synopsis, segments.position as episode_no, "
            "shows.id as show_id, shows.title as show_title, suggestions.name as suggested_by "
            "from air_log left join takes on takes.id = air_log.take_id "
            f"left join shots on shots.id = takes.shot_id {EPISODE} "
            "left join suggestions on suggestions.id = shots.suggestion_id "
            "where air_log.channel = ? order by air_log.id desc limit ?",
            (channel, RECENT_ROWS))
        return [r for r in reversed(rows) if (r["ended_at"] or "9") >= since]

    def rest_of_scene(self, take_id: int) -> list[dict[str, Any]]:
        """The premiered takes of a take's scene that come after it in story order: what a
        rerun of that scene still has to air."""
        return self._all(
            "select takes.id, takes.duration_s from takes join shots on shots.id = "
            "takes.shot_id join shots here on here.sequence = shots.sequence "
            "join takes this on this.shot_id = here.id and this.id = ? "
            f"where {PREMIERED} and (shots.position > here.position) "
            "order by shots.position, takes.id", (take_id,))

    def scenes_ahead(self) -> list[dict[str, Any]]:
        """Scenes not yet premiered whole, in story order: their takes on the schedule (how
        many, how long), their shots still in the making, the first action, their episode and
        show."""
        return self._all(
            "select shots.sequence as scene, "
            "sum(shots.status in ('planned', 'made')) as pending, "
            "coalesce(sum(case when schedule.status = 'queued' then takes.duration_s end), 0) "
            "as made_s, coalesce(avg(shots.duration_s), 3.0) as shot_s, "
            "(select first.action from shots first where first.sequence = shots.sequence "
            "order by first.position limit 1) as action, segments.id as episode_id, "
            "segments.title as "
            "episode, segments.synopsis, segments.position as episode_no, shows.id as show_id, "
            f"shows.title as show_title from shots {EPISODE} "
            "left join takes on takes.shot_id = shots.id and takes.status = 'scheduled' "
            "left join schedule on schedule.take_id = takes.id and schedule.status = 'queued' "
            "where shots.status in ('planned', 'made') or schedule.id is not null "
            "group by shots.sequence order by shots.sequence")

    def episodes_ahead(self) -> list[dict[str, Any]]:
        """The current show's episodes with no shot written yet, in order."""
        return self._all(
            "select segments.id as episode_id, segments.title as episode, segments.synopsis, "
            "segments.position as episode_no, segments.shots, shows.id as show_id, "
            "shows.title as show_title from segments join shows on shows.id = segments.show_id "
            "where segments.show_id = (select show_id from bible where id = 1) and "
            "segments.status = 'planned' and not exists (select 1 from shots where "
            "shots.segment_id = segments.id) order by segments.position")

    def take_seconds(self) -> float:
        """How long a take lasts, on average over the latest ones (3 s before any)."""
        row = self._one("select avg(duration_s) as s from (select duration_s from takes "
                        "where duration_s is not null order by id desc limit 50)")
        return float(row["s"] or 3.0)

    def show_takes(self, show_id: int | None, limit: int = 1) -> list[dict[str, Any]]:
        """Accepted takes of a show (of any show: None), favourites and the longest first:
        where its icon comes from."""
        where = "and segments.show_id = ?" if show_id is not None else ""
        params = (show_id, limit) if show_id is not None else (limit,)
        return self._all(
            "select takes.id, takes.media from takes join shots on shots.id = takes.shot_id "
            f"left join segments on segments.id = shots.segment_id where {SHOWN} {where} "
            "order by takes.favourite desc, takes.duration_s desc, takes.id limit ?", params)

    def show_tags(self) -> dict[int, list[str]]:
        """Every show's tags: the guide's categories."""
        tags: dict[int, list[str]] = {}
        for row in self._all("select show_id, tag from tags where show_id is not null "
                             "order by tag"):
            tags.setdefault(row["show_id"], []).append(row["tag"])
        return tags

    def scene_of_take(self, take_id: int) -> int | None:
        row = self._one("select shots.sequence from takes join shots on shots.id = "
                        "takes.shot_id where takes.id = ?", (take_id,))
        return row["sequence"] if row else None

    def shows_with_takes(self) -> list[dict[str, Any]]:
        """The shows that have an accepted take (an icon can be made for them)."""
        return self._all(
            "select distinct segments.show_id from takes join shots on shots.id = "
            f"takes.shot_id join segments on segments.id = shots.segment_id where {SHOWN}")
