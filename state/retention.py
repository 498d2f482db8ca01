"""Retention: a channel on air for weeks keeps its disk and database bounded.

Media of takes that aired (or were rejected) longer ago than ``keep_hours`` of channel time goes,
then the oldest more while media/ is over ``keep_gb``; favourites and anything still scheduled
stay. The database marks a take purged (its row, checks and air log stay: the history is
small) in one transaction before any file is unlinked, so a crash between the two leaves only
unreferenced files, which the next sweep removes. Call logs and filler air-log rows older
than ``log_days`` are pruned.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from webtv.core.clock import now
from webtv.state.datadir import DataDir
from webtv.state.tables import Tables

CALL_LOGS = ("llm_calls", "tool_calls", "remote_calls")
SLATES = "media/slates/"


@dataclass(frozen=True)
class Policy:
    keep_hours: float = 24.0
    keep_gb: float = 20.0
    log_days: float = 14.0
    orphan_age_s: float = 3600.0  # a file younger than this may belong to a take being made


@dataclass
class Sweep:
    purged_takes: int
    freed_bytes: int
    media_bytes: int
    limit_bytes: int
    pruned_log_rows: int
    channel_time: str

    def as_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


class RetentionQueries(Tables):
    """Store methods for retention."""

    def channel_time(self) -> str:
        """Now on the channel's clock: the end of the latest airing, or the wall clock if that is
        later (they agree on a channel paced in real time; an accelerated soak runs ahead)."""
        row = self._one("select max(coalesce(ended_at, started_at)) as t from air_log")
        return max(now(), row["t"] or "")

    def purge_candidates(self, before: str | None, limit: int = 500) -> list[dict[str, Any]]:
        """Takes whose media may go, the least recently used first: aired, rejected or failed,
        not favourites, not scheduled; ``before``: only those last used before this time."""
        return self._all(
            "select * from (select takes.id, takes.media, takes.contact_sheet, "
            "coalesce((select max(coalesce(ended_at, started_at)) from air_log "
            "where air_log.take_id = takes.id), takes.created_at) as last_used "
            "from takes where takes.status in ('aired', 'rejected', 'failed') "
            "and takes.purged_at is null and takes.favourite = 0 and takes.id not in "
            "(select take_id from schedule where status in ('queued', 'airing'))) "
            "where ? is null or last_used < ? order by last_used limit ?",
            (before, before, limit))

    def mark_purged(self, take_ids: list[int]) -> None:
        with self.transaction():
            for take_id in take_ids:
                self.db["takes"].update(take_id, {"purged_at": now()})

    def live_media(self) -> set[str]:
        """Every media path a row still needs."""
        rows = self.db.query(
            "select media as p from takes where purged_at is null union "
            "select contact_sheet from takes where purged_at is null union "
            "select media from assets")
        return {r["p"] for r in rows if r["p"]}

    def forget_assets(self, before: str) -> int:
        """Cached intermediate assets older than ``before`` (they can be made again)."""
        with self.transaction():
            return self.db.execute("delete from assets where created_at < ?", (before,)).rowcount

    def prune_call_logs(self, before: str) -> int:
        """Call logs, and the air log's filler rows (slates, replays: a row every few seconds
        while generation is down), older than ``before``; the airings of takes stay."""
        with self.transaction():
            pruned = sum(self.db.execute(f"delete from {table} where created_at < ?",
                                         (before,)).rowcount for table in CALL_LOGS)
            return pruned + self.db.execute(
                "delete from air_log where kind != 'take' and ended_at < ?", (before,)).rowcount


def _iso_minus(iso: str, hours: float) -> str:
    return (datetime.fromisoformat(iso) - timedelta(hours=hours)).isoformat(
        timespec="milliseconds")


def _media_files(data: DataDir) -> dict[str, os.stat_result]:
    found = {}
    for folder in (data.root / "media").iterdir():
        if folder.is_dir():
            for entry in os.scandir(folder):
                found[f"media/{folder.name}/{entry.name}"] = entry.stat()
    return found


def sweep(store, data: DataDir, policy: Policy) -> Sweep:
    """Apply the policy once. Safe at any moment: it only removes what no live row needs."""
    clock = store.retention.channel_time()
    cutoff = _iso_minus(clock, policy.keep_hours)
    store.retention.forget_assets(cutoff)
    purged = store.retention.purge_candidates(cutoff, limit=100_000)
    store.retention.mark_purged([t["id"] for t in purged])
    files = _media_files(data)
    limit = int(policy.keep_gb * 1e9)
    used = sum(s.st_size for s in files.values())
    if used > limit:  # over the size cap: the least recently used go first
        sizes = {p: s.st_size for p, s in files.items()}
        extra = []
        for take in store.retention.purge_candidates(None, limit=100_000):
            if used <= limit:
                break
            extra.append(take)
            used -= sum(sizes.pop(p, 0) for p in (take["media"], take["contact_sheet"]) if p)
        store.retention.mark_purged([t["id"] for t in extra])
        purged += extra
    went = {p for t in purged for p in (t["media"], t["contact_sheet"]) if p}
    live, freed, young = store.retention.live_media(), 0, time.time() - policy.orphan_age_s
    unused_slate = time.time() - policy.keep_hours * 3600
    for path, stat in files.items():
        # a file no row knows and younger than orphan_age may be a take being made right now;
        # a slate (no row: the playout makes it) stays while it was aired within keep_hours
        if path in live or (path not in went and stat.st_mtime > young):
            continue
        if path.startswith(SLATES) and stat.st_mtime > unused_slate:
            continue
        try:
            (data.root / path).unlink()
            freed += stat.st_size
        except FileNotFoundError:
            pass
    pruned = store.retention.prune_call_logs(_iso_minus(now(), policy.log_days * 24))
    used_after = sum(s.st_size for s in files.values()) - freed
    return Sweep(len(purged), freed, used_after, limit, pruned, clock)
