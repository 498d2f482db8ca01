"""Viewers' suggestions and votes: what viewers asked the channel to show (from the page or a
chat), each vote (one per viewer per suggestion), the viewers the operator muted, and what
became of each suggestion: open (listed, voted on), taken (the director is writing its scene),
aired (its scene premiered), removed (by the operator) or refused (by the moderation; kept,
never listed)."""

from __future__ import annotations

from typing import TypedDict

from webtv.core.clock import ago, now
from webtv.core.errors import NotFound, ToolError
from webtv.state.tables import Tables

STATES = ("open", "taken", "aired", "removed", "refused")


class Suggestion(TypedDict):
    id: int
    text: str
    viewer: str  # "page:ID" (a cookie) or "chat:SERVER:NICK"
    name: str  # as the credits say it
    source: str  # page | chat
    address: str  # a keyed hash of the page viewer's address, or the chat host
    status: str  # one of STATES
    reason: str  # why it was refused or removed
    created_at: str
    taken_at: str | None
    aired_at: str | None
    announced_at: str | None  # when the chat was told it premiered


class SuggestionVote(TypedDict):
    id: int
    suggestion_id: int
    voter: str
    address: str
    created_at: str


class MutedViewer(TypedDict):
    viewer: str
    muted_at: str
_LISTED = ("select s.*, (select count(*) from suggestion_votes v where v.suggestion_id = s.id) "
           "as votes from suggestions s")


class SuggestionTables(Tables):
    def add(self, text: str, viewer: str, name: str, source: str, address: str,
            status: str = "open", reason: str = "") -> Suggestion:
        assert status in STATES, status
        with self.transaction():
            row_id = self.db["suggestions"].insert({
                "text": text, "viewer": viewer, "name": name, "source": source,
                "address": address, "status": status, "reason": reason,
                "created_at": now()}).last_pk
        return self.get(row_id)

    def get(self, suggestion_id: int) -> Suggestion:
        row = self._one(f"{_LISTED} where s.id = ?", (suggestion_id,))
        if row is None:
            raise NotFound(f"no suggestion {suggestion_id}")
        return row

    def listed(self, limit: int = 20) -> list[Suggestion]:
        """The open suggestions, most votes first (the oldest first among equals)."""
        return self._all(f"{_LISTED} where s.status = 'open' order by votes desc, s.id "
                         "limit ?", (limit,))

    def recent(self, states: tuple[str, ...] = ("taken", "aired"), limit: int = 10
               ) -> list[Suggestion]:
        marks = ", ".join("?" * len(states))
        return self._all(f"{_LISTED} where s.status in ({marks}) order by s.id desc limit ?",
                         (*states, limit))

    def vote(self, suggestion_id: int, voter: str, address: str) -> int:
        """One vote per viewer per suggestion; returns the suggestion's votes."""
        with self.transaction():
            found = self.get(suggestion_id)
            if found["status"] != "open":
                raise ToolError(f"suggestion {suggestion_id} is not open for votes "
                                f"({found['status']})")
            if self._one("select 1 as x from suggestion_votes where suggestion_id = ? and "
                         "voter = ?", (suggestion_id, voter)):
                raise ToolError(f"you have voted for suggestion {suggestion_id} already")
            self.db["suggestion_votes"].insert({"suggestion_id": suggestion_id, "voter": voter,
                                                "address": address, "created_at": now()})
        return self.get(suggestion_id)["votes"]

    def count_since(self, seconds: float, *, viewer: str | None = None,
                    address: str | None = None, votes: bool = False) -> int:
        """Suggestions (or votes) made within the last ``seconds`` by a viewer or from an
        address: what the rate limits count."""
        table, who = ("suggestion_votes", "voter") if votes else ("suggestions", "viewer")
        column, value = (who, viewer) if viewer is not None else ("address", address)
        return self._one(f"select count(*) as n from {table} where {column} = ? and "
                         "created_at >= ?", (value, ago(seconds)))["n"]

    def take(self, suggestion_id: int) -> None:
        """The director writes this suggestion's scene now."""
        with self.transaction():
            self.db.execute("update suggestions set status = 'taken', taken_at = ? where id = ? "
                            "and status = 'open'", (now(), suggestion_id))

    def last_taken_at(self) -> str | None:
        row = self._one("select max(taken_at) as t from suggestions where taken_at is not null")
        return row["t"] if row else None

    def mark_premiered(self) -> int:
        """Taken suggestions whose scene has begun to air are marked aired; how many."""
        with self.transaction():
            return self.db.execute(
                "update suggestions set status = 'aired', aired_at = ? where status = 'taken' "
                "and exists (select 1 from air_log a join takes t on t.id = a.take_id join "
                "shots sh on sh.id = t.shot_id where sh.suggestion_id = suggestions.id and "
                "a.kind = 'take')", (now(),)).rowcount

    def unannounced(self) -> list[Suggestion]:
        """Aired suggestions the chat has not yet been told of, oldest first."""
        return self._all(f"{_LISTED} where s.status = 'aired' and s.announced_at is null "
                         "order by s.aired_at")

    def announced(self, suggestion_id: int) -> None:
        with self.transaction():
            self.db.execute("update suggestions set announced_at = ? where id = ?",
                            (now(), suggestion_id))

    def remove(self, suggestion_id: int, why: str = "removed by the operator") -> None:
        self.get(suggestion_id)
        with self.transaction():
            self.db.execute("update suggestions set status = 'removed', reason = ? where id = ? "
                            "and status = 'open'", (why, suggestion_id))

    def mute(self, viewer: str, on: bool = True) -> None:
        """A muted viewer's suggestions and votes are refused; their open ones are removed."""
        with self.transaction():
            if on:
                self.db["muted_viewers"].upsert({"viewer": viewer, "muted_at": now()},
                                                pk="viewer")
                self.db.execute("update suggestions set status = 'removed', reason = "
                                "'the viewer was muted' where viewer = ? and status = 'open'",
                                (viewer,))
            else:
                self.db.execute("delete from muted_viewers where viewer = ?", (viewer,))

    def muted(self, viewer: str) -> bool:
        return self._one("select 1 as x from muted_viewers where viewer = ?",
                         (viewer,)) is not None

    def credit(self, shot_id: int) -> str | None:
        """Who suggested a shot's scene ("suggested by NAME"), or None."""
        row = self._one("select s.name from shots sh join suggestions s on s.id = "
                        "sh.suggestion_id where sh.id = ?", (shot_id,))
        return row["name"] if row else None
