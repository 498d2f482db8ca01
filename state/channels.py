"""Channels and tags in the store: the channels that play the shared library of takes by a
policy, the tags that shows and takes carry, and the pick of a channel's next take."""

from __future__ import annotations

import random
import re
from typing import Any

from webtv.core.clock import ago, now
from webtv.core.errors import ConfigError, NotFound
from webtv.state.rows import ChannelRow, Take
from webtv.state.tables import Tables

POLICIES = {
    "best": "the library's best takes at random: favourites, and takes that passed every check "
            "at their shot's first attempt",
    "recent": "the newest takes at random",
    "tag": "takes that carry a tag (on the take or its show), at random",
    "favourites": "the favourites in turn, the least recently aired first",
    "random": "any take of the library at random",
}
NAME = re.compile(r"^[a-z0-9][a-z0-9-]{0,31}$")  # it is a folder and part of a URL
TAG = re.compile(r"^[\w][\w -]{0,39}$")
RECENT_POOL = 50  # "recent": the newest this many takes
# a take in the library: it passed inspection, and its media is still on disk
LIBRARY = ("takes.status in ('accepted', 'scheduled', 'aired') and takes.purged_at is null "
           "and takes.media is not null")


def checked_channel(name: str, policy: str, tag: str | None = None,
                    repeat_after_s: float = 3600.0) -> tuple[str, str, str | None, float]:
    """A channel's declaration, checked: what is wrong with it in one sentence."""
    if not NAME.match(name or "") or name == "main":
        raise ConfigError(f"channel name {name!r}: lower-case letters, digits and dashes, up to "
                          "32 (and not 'main', the director's own channel)")
    if policy not in POLICIES:
        raise ConfigError(f"channel {name}: unknown policy {policy!r} (known: "
                          f"{', '.join(POLICIES)})")
    if policy == "tag":
        tag = checked_tag(tag or "")
    elif tag:
        raise ConfigError(f"channel {name}: a tag is only for policy 'tag'")
    if not 0 <= float(repeat_after_s) <= 30 * 86400:
        raise ConfigError(f"channel {name}: repeat_after_s must be 0 to 30 days in seconds")
    return name, policy, tag, float(repeat_after_s)


def checked_tag(tag: str) -> str:
    tag = " ".join(str(tag).lower().split())
    if not TAG.match(tag):
        raise ConfigError(f"tag {tag!r}: a word or two (letters, digits, dashes), up to 40")
    return tag


class ChannelTables(Tables):
    """Store methods for channels, tags and what a channel airs next."""

    def channels(self) -> list[ChannelRow]:
        return self._all("select * from channels order by created_at, name")

    def channel_row(self, name: str) -> ChannelRow:
        row = self._one("select * from channels where name = ?", (name,))
        if row is None:
            known = ", ".join(c["name"] for c in self.channels()) or "none"
            raise NotFound(f"no channel named {name!r} (channels: {known})")
        return row

    def save_channel(self, name: str, policy: str, tag: str | None = None,
                     repeat_after_s: float = 3600.0) -> ChannelRow:
        """Add a channel, or change one (its air log stays)."""
        name, policy, tag, repeat_after_s = checked_channel(name, policy, tag, repeat_after_s)
        with self.transaction():
            old = self._one("select created_at from channels where name = ?", (name,))
            self.db["channels"].upsert({
                "name": name, "policy": policy, "tag": tag, "repeat_after_s": repeat_after_s,
                "created_at": old["created_at"] if old else now()}, pk="name")
        return self.channel_row(name)

    def remove_channel(self, name: str) -> None:
        self.channel_row(name)  # NotFound for an unknown name
        with self.transaction():
            self.db.execute("delete from channels where name = ?", (name,))

    # -- tags --------------------------------------------------------------------------------
    def tag(self, tag: str, *, take_id: int | None = None, show_id: int | None = None) -> None:
        """Tag a take or a show (once: tagging again changes nothing)."""
        if (take_id is None) == (show_id is None):
            raise ValueError("tag a take or a show")
        tag = checked_tag(tag)
        if take_id is not None:
            self.store.takes.take(take_id)  # NotFound for an unknown take
        with self.transaction():
            if self._one("select id from tags where tag = ? and take_id is ? and show_id is ?",
                         (tag, take_id, show_id)) is None:
                self.db["tags"].insert({"tag": tag, "take_id": take_id, "show_id": show_id,
                                        "created_at": now()})

    def untag(self, tag: str, *, take_id: int | None = None, show_id: int | None = None) -> None:
        tag = checked_tag(tag)
        with self.transaction():
            self.db.execute("delete from tags where tag = ? and take_id is ? and show_id is ?",
                            (tag, take_id, show_id))

    def tags_of_show(self, show_id: int) -> list[str]:
        return [r["tag"] for r in self._all(
            "select distinct tag from tags where show_id = ? order by tag", (show_id,))]

    def tag_counts(self) -> dict[str, int]:
        """Every tag and how many library takes carry it."""
        return {r["tag"]: r["n"] for r in self._all(
            "select tags.tag, count(distinct takes.id) as n from tags join takes on "
            "takes.id = tags.take_id or takes.shot_id in (select shots.id from shots join "
            f"segments on segments.id = shots.segment_id where segments.show_id = tags.show_id) "
            f"where {LIBRARY} group by tags.tag order by tags.tag")}

    # -- the next take of a channel ------------------------------------------------------------
    def library_takes(self, policy: str, tag: str | None = None) -> list[dict[str, Any]]:
        """The takes a policy may play, each with ``favourite`` and ``last_air`` (when it last
        went on air anywhere)."""
        where, params = LIBRARY, []
        if policy == "best":
            where += (" and (takes.favourite = 1 or not exists (select 1 from takes older "
                      "where older.shot_id = takes.shot_id and older.id < takes.id))")
        elif policy == "favourites":
            where += " and takes.favourite = 1"
        elif policy == "tag":
            where += (" and exists (select 1 from tags where tags.tag = ? and (tags.take_id = "
                      "takes.id or tags.show_id = (select segments.show_id from shots join "
                      "segments on segments.id = shots.segment_id where shots.id = "
                      "takes.shot_id)))")
            params.append(tag)
        rows = self._all(f"select takes.id, takes.media, takes.favourite, takes.duration_s "
                         f"from takes where {where} order by takes.id desc", tuple(params))
        return rows[:RECENT_POOL] if policy == "recent" else rows

    def next_for_channel(self, channel: str, policy: str, tag: str | None = None,
                         repeat_after_s: float = 3600.0,
                         rng: random.Random | None = None) -> Take | None:
        """The take a library channel airs next: one its policy allows and it has not aired
        within ``repeat_after_s``; when every one has, the one it aired longest ago (never the
        take it just aired while there is another). None: the library has nothing for it."""
        candidates = self.library_takes(policy, tag)
        if not candidates:
            return None
        rows = self._all("select take_id, max(started_at) as last, max(id) as last_id from "
                         "air_log where channel = ? and take_id is not null group by take_id",
                         (channel,))
        aired = {r["take_id"]: r["last"] for r in rows}
        order = {r["take_id"]: r["last_id"] for r in rows}  # later airings have larger ids
        since = ago(repeat_after_s)
        fresh = [c for c in candidates if aired.get(c["id"], "") < since]
        if fresh:
            if policy == "favourites":  # in turn: the one this channel aired longest ago
                chosen = min(fresh, key=lambda c: (order.get(c["id"], 0), c["id"]))
            else:
                weights = [3 if c["favourite"] else 1 for c in fresh]
                chosen = (rng or random).choices(fresh, weights)[0]
        else:
            last = self._one("select take_id from air_log where channel = ? and take_id is not "
                             "null order by id desc limit 1", (channel,))
            others = [c for c in candidates if not last or c["id"] != last["take_id"]]
            chosen = min(others or candidates, key=lambda c: order.get(c["id"], 0))
        return self.store.takes.take(chosen["id"])
