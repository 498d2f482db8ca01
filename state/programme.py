"""Programming in the store: shows, their segments, the queue of themes, and what the running
channel says about itself. Mixed into ``Store``."""

from __future__ import annotations

import json
from typing import Any

from webtv.core.clock import now
from webtv.core.errors import NotFound
from webtv.state.rows import PlannedSegment, QueuedTheme, Shot, Show
from webtv.state.tables import Tables

SEGMENT_STATES = ("planned", "producing", "done")
# a segment with how many of its shots are written
SEGMENT_ROWS = ("select segments.*, (select count(*) from shots where segment_id = segments.id) "
                "as written from segments")


class Programme(Tables):
    """Store methods for programming."""

    # -- shows ---------------------------------------------------------------------------
    def current_show_id(self) -> int | None:
        row = self._one("select show_id from bible where id = 1")
        return row["show_id"] if row else None

    def begin_show(self, theme: str | None, title: str) -> int:
        """A new show replaces the current one: the old bible and its entities are archived in
        ``shows`` and the entities cleared (standing notes stay: they are the channel's)."""
        with self.transaction():
            old = self.store.show.bible()
            if old is not None and old.get("show_id"):
                snapshot = {**old, "entities": self.store.show.entities()}
                self.db["shows"].update(old["show_id"], {
                    "bible": json.dumps(snapshot, default=str), "ended_at": now()})
            self.db.execute("delete from entities")
            show_id = self.db["shows"].insert({"theme": theme or "", "title": title,
                                               "started_at": now()}).last_pk
            self.db["bible"].upsert({"id": 1, "show_id": show_id}, pk="id")
        return show_id

    def shows(self) -> list[Show]:
        return self._all("select id, theme, title, started_at, ended_at from shows order by id")

    # -- segments ------------------------------------------------------------------------
    def add_segments(self, segments: list[dict[str, Any]]) -> list[PlannedSegment]:
        """Append planned segments to the current show."""
        with self.transaction():
            show_id = self.current_show_id()
            last = self._one("select max(position) as p from segments where show_id = ?",
                             (show_id,))
            start = (last["p"] or 0) + 1
            ids = [self.db["segments"].insert({
                **segment, "show_id": show_id, "position": start + i, "status": "planned",
                "created_at": now()}).last_pk for i, segment in enumerate(segments)]
        return [self.segment(i) for i in ids]

    def segment(self, segment_id: int) -> PlannedSegment:
        row = self._one(f"{SEGMENT_ROWS} where id = ?", (segment_id,))
        if row is None:
            raise NotFound(f"no segment with id {segment_id}")
        return row

    def segments(self, status: str | None = None) -> list[PlannedSegment]:
        """The current show's segments in order, with how many shots each has written."""
        where = "and status = ?" if status else ""
        params = (self.current_show_id(), status) if status else (self.current_show_id(),)
        return self._all(f"{SEGMENT_ROWS} where show_id = ? {where} order by position", params)

    def current_segment(self) -> PlannedSegment | None:
        """The first segment of the show that still needs shots written."""
        return next((s for s in self.segments() if s["status"] != "done"), None)

    def set_segment_status(self, segment_id: int, status: str) -> None:
        assert status in SEGMENT_STATES, status
        with self.transaction():
            self.db["segments"].update(segment_id, {"status": status})

    # -- the theme queue -----------------------------------------------------------------
    def queue_theme(self, theme: str) -> QueuedTheme:
        with self.transaction():
            row_id = self.db["theme_queue"].insert({
                "theme": theme, "status": "queued", "created_at": now()}).last_pk
        return self._one("select * from theme_queue where id = ?", (row_id,))

    def queued_themes(self) -> list[QueuedTheme]:
        return self._all("select * from theme_queue where status = 'queued' order by id")

    def start_queued_theme(self, queue_id: int) -> None:
        with self.transaction():
            self.db["theme_queue"].update(queue_id, {"status": "started", "started_at": now()})

    # -- shots in production ---------------------------------------------------------------
    def unfinished_shots(self, limit: int = 8) -> list[Shot]:
        """Shots of the current show written but not yet scheduled or dropped: work that a
        crash, a stop or a failing backend interrupted, to finish before new shots are written."""
        return self._all(
            "select shots.* from shots join segments on segments.id = shots.segment_id "
            "where shots.status in ('planned', 'made') "
            "and segments.show_id is (select show_id from bible where id = 1) "
            "order by shots.id limit ?", (limit,))

    # -- the running channel -------------------------------------------------------------
    def set_channel(self, **values: Any) -> None:
        """What the running channel says about itself (heartbeat, mode, buffer): JSON values."""
        stamp = now()
        with self.transaction():
            self.db["channel"].upsert_all(
                [{"key": k, "value": json.dumps(v), "updated_at": stamp}
                 for k, v in values.items()], pk="key")

    def channel(self) -> dict[str, Any]:
        return {r["key"]: json.loads(r["value"]) for r in self._all("select * from channel")}

    def air_share(self, session: str | None, window_s: float = 3600.0) -> dict[str, float]:
        """Seconds of each kind on air (take, replay, slate) over the last ``window_s`` seconds
        of a session's clock: how much of the air was new material."""
        if session is None:
            return {}
        end = self._one("select max(coalesce(stream_end, stream_start)) as t from air_log "
                        "where session = ?", (session,))["t"] or 0.0
        rows = self._all(
            "select kind, sum(min(coalesce(stream_end, ?), ?) - max(stream_start, ?)) as s "
            "from air_log where session = ? and coalesce(stream_end, ?) > ? group by kind",
            (end, end, end - window_s, session, end, end - window_s))
        return {r["kind"]: round(r["s"] or 0.0, 1) for r in rows}
