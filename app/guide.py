"""The programme guide and the channel list for other players: XMLTV (``/xmltv.xml``, ``webtv
guide``) and an M3U playlist (``/channels.m3u``), for every channel of the network.

The guide says what aired, from the air log, and what is planned: the rest of the block on air
(exact: the takes are made), then premieres at the times the measured pace of production says
(estimates, and said to be), with reruns from the library between them. Programmes are blocks
of the clock's half hours, as players and viewers expect: the episode premiering in one (its
reruns between new scenes included), else the show its reruns are of, else the library
(app.blocks). Titles and descriptions come from the bible (show, episode, synopsis),
categories from the show's tags, and each show's icon is a frame of one of its takes.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from webtv.app.blocks import Listing, blocks
from webtv.state.channels import POLICIES
from webtv.state.store import Store

PAST_H = 6.0  # hours of aired programmes the guide keeps
AHEAD_H = 24.0  # hours of planned programmes
MIN_SLATE_S = 60.0  # a shorter run of the slate joins the programme before it
NEW_SHOW_SHOTS = 8  # a queued theme's first scenes, as the guide counts them
GENERATOR = "AI WebTV"


@dataclass(frozen=True)
class Channel:
    name: str  # "main" or a library channel's name
    number: int  # its channel number in players (main: 1)
    title: str
    policy: str = "live"
    tag: str | None = None
    network: str = ""  # the network's name (the director's channel's title)

    @property
    def guide_id(self) -> str:
        """The id the guide, the M3U (tvg-id) and the tuner agree on (XMLTV's form: dotted,
        the channel's name in the network's)."""
        network = self.network or self.title
        slug = re.sub(r"[^a-z0-9]+", "-", network.lower()).strip("-") or "webtv"
        return f"{self.name}.{slug}"


def channels(store: Store, channel_title: str) -> list[Channel]:
    """The network's channels in number order: the director's first, then the library's."""
    return [Channel("main", 1, channel_title, network=channel_title), *(
        Channel(row["name"], i + 2, f"{channel_title} {row['name']}", row["policy"], row["tag"],
                channel_title) for i, row in enumerate(store.network.channels()))]


def _epoch(iso: str) -> float:
    return datetime.fromisoformat(iso).timestamp()


def _key(row: dict[str, Any], library: bool) -> tuple:
    if row["kind"] == "slate":
        return ("slate",)
    if row["kind"] == "take" and not library:
        return ("new", row["episode_id"], row["show_id"])
    return ("rerun",)


def aired(store: Store, channel: Channel, now: float, past_h: float = PAST_H) -> list[Listing]:
    """The channel's programmes from its air log over the last ``past_h`` hours; the one on
    air runs to the end of its take."""
    since = datetime.fromtimestamp(now - past_h * 3600, UTC).isoformat()
    library = channel.name != "main"
    typical = store.guide.take_seconds()
    out: list[Listing] = []
    for row in store.guide.airings(channel.name, since):
        start = _epoch(row["started_at"])
        stop = _epoch(row["ended_at"]) if row["ended_at"] else start + (
            row["duration_s"] or typical)
        key = _key(row, library)
        if out and out[-1].key == key and start - out[-1].stop < 30:
            listing = out[-1]
            listing.stop = max(listing.stop, stop)
        else:
            listing = Listing(key, start, max(stop, start + 1), channel.title)
            out.append(listing)
        if row["action"]:
            listing.actions.append(row["action"])
        if row.get("suggested_by") and row["suggested_by"] not in listing.credits:
            listing.credits.append(row["suggested_by"])
        if key[0] == "new":
            listing.title = row["show_title"] or channel.title
            listing.sub_title, listing.desc = row["episode"], row["synopsis"]
            listing.show_id, listing.episode_no, listing.new = (row["show_id"],
                                                                row["episode_no"], True)
        elif row["show_title"] and row["show_title"] not in listing.shows:
            listing.shows.append(row["show_title"])
            listing.show_id = listing.show_id or row["show_id"]
    return out


def planned(store: Store, channel: Channel, start: float, now: float,
            ahead_h: float = AHEAD_H, on_air_scene: int | None = None) -> list[Listing]:
    """What the director's channel airs from ``start`` (the end of the block on air) to the
    horizon. Scenes premiere in story order: one whose takes are all made airs as soon as the
    premiere before it ends (its length is its takes'); one still in the making when
    production's measured pace says its last shot is made; the episodes not yet written and
    the themes queued after them, likewise. Reruns fill the time between."""
    end = now + ahead_h * 3600
    pace = store.takes.pace()
    per_take = pace["seconds_per_take"] if pace else None
    typical = store.guide.take_seconds()
    has_library = bool(store.air.rerun_scene()) or store.air.on_air(channel.name) is not None
    out: list[Listing] = []
    cursor, made_by = start, now  # when air, and production, get to the next scene
    unknown: list[str] = []  # in the making, with no pace to say when

    def place(item: Listing) -> None:
        nonlocal cursor, has_library
        if item.start >= end:
            return
        if item.start > cursor + 1:
            out.append(_between(channel, cursor, item.start, has_library, unknown))
        item.start = max(item.start, cursor)
        item.stop = max(item.stop, item.start + 1)
        out.append(item)
        cursor, has_library = item.stop, True  # once it has aired, it can be rerun

    for scene in store.guide.scenes_ahead():
        pending = scene["pending"]
        if scene["scene"] == on_air_scene and not pending:
            continue  # the rest of the premiere on air: part of the block on air
        if pending and per_take is None:
            unknown.append(scene["action"])
            continue
        length = scene["made_s"] + pending * (scene["shot_s"] or typical)
        at = cursor
        if pending:
            made_by = max(made_by, now) + per_take * pending
            at = max(cursor, made_by)
        place(_premiere(scene, channel, at, at + length, estimated=bool(pending)))
    if per_take is not None:
        for episode in store.guide.episodes_ahead():
            made_by += per_take * episode["shots"]
            place(_premiere({**episode, "action": None}, channel, made_by,
                            made_by + episode["shots"] * typical, True))
        for theme in store.programme.queued_themes():
            made_by += per_take * NEW_SHOW_SHOTS
            place(Listing(("new", None, None), made_by, made_by + NEW_SHOW_SHOTS * typical,
                          channel.title, "A new show",
                          f"The director's next theme: {theme['theme']}", new=True,
                          estimated=True))
    if cursor < end:
        out.append(_between(channel, cursor, end, has_library, unknown))
    return out


def _premiere(scene: dict[str, Any], channel: Channel, at: float, until: float,
              estimated: bool) -> Listing:
    return Listing(("new", scene.get("episode_id"), scene.get("show_id")), at, until,
                   scene.get("show_title") or channel.title, scene.get("episode"),
                   scene.get("synopsis"), scene.get("show_id"), scene.get("episode_no"),
                   new=True, estimated=estimated,
                   actions=[scene["action"]] if scene.get("action") else [])


def _between(channel: Channel, start: float, stop: float, has_library: bool,
             unknown: list[str]) -> Listing:
    """Reruns between premieres (the slate while the library is empty)."""
    coming = f" In the making: {'; '.join(unknown[:3])}." if unknown else ""
    if not has_library:
        return Listing(("slate",), start, stop, channel.title, "Coming up",
                       f"The first scenes are being made.{coming}")
    return Listing(("rerun",), start, stop, channel.title, "From the library",
                   f"Reruns of earlier scenes between premieres.{coming}")


def library_ahead(channel: Channel, start: float, now: float,
                  ahead_h: float = AHEAD_H) -> list[Listing]:
    policy = POLICIES.get(channel.policy, channel.policy)
    what = f"takes tagged {channel.tag}" if channel.policy == "tag" else policy
    return [Listing(("rerun",), start, now + ahead_h * 3600, channel.title, "From the library",
                    f"From the library: {what}.")]


def listings(store: Store, channel: Channel, now: float | None = None) -> list[Listing]:
    """The channel's programmes: what aired, then what is planned, each run named."""
    now = time.time() if now is None else now
    past = join_slates(aired(store, channel, now))
    on_air = store.air.on_air(channel.name)
    scene = None
    if past and on_air is not None and on_air["take_id"] is not None:
        scene = store.guide.scene_of_take(on_air["take_id"])
        past[-1].stop += _rest_of_block(store, channel, on_air, scene)
    start = max(now, past[-1].stop) if past else now
    ahead = (planned(store, channel, start, now, on_air_scene=scene) if channel.name == "main"
             else library_ahead(channel, start, now))
    tags = store.guide.show_tags()
    programmes = blocks(past + ahead)
    for item in programmes:
        _describe(item, channel, tags)
    return programmes


def _rest_of_block(store: Store, channel: Channel, on_air: dict[str, Any],
                   scene: int | None) -> float:
    """Seconds the block on air has left after its current take: the rest of the scene it
    premieres (its takes queued) or reruns (its takes after this one)."""
    if channel.name != "main" or scene is None:
        return 0.0
    if on_air["kind"] == "replay":
        return sum(t["duration_s"] or 0.0 for t in store.guide.rest_of_scene(on_air["take_id"]))
    nxt = store.air.next_scene()
    if nxt is None or nxt["scene"] != scene:
        return 0.0
    return sum(q["duration_s"] or 0.0 for q in nxt["ready"])


def join_slates(items: list[Listing]) -> list[Listing]:
    """A run of the slate shorter than MIN_SLATE_S becomes part of the programme before it
    (a programme starts when its first take does; the slate before a channel's first take
    stays a programme of its own)."""
    out: list[Listing] = []
    for item in items:
        if out and (item.key == ("slate",) and item.stop - item.start < MIN_SLATE_S):
            out[-1].stop = item.stop
        elif out and out[-1].key == item.key and item.start - out[-1].stop < 30:
            out[-1].stop = item.stop
            out[-1].actions += item.actions
            out[-1].shows += [s for s in item.shows if s not in out[-1].shows]
            out[-1].credits += [c for c in item.credits if c not in out[-1].credits]
        else:
            out.append(item)
    return out


def _describe(item: Listing, channel: Channel, tags: dict[int, list[str]]) -> None:
    """Titles and descriptions from what the run holds."""
    if item.key == ("rerun",) and item.shows:
        item.title = item.shows[0] if len(item.shows) == 1 else channel.title
        item.sub_title = item.sub_title or "From the library"
        item.desc = item.desc or f"Reruns of {', '.join(item.shows[:6])}."
    if item.key[0] == "new" and not item.desc:
        item.desc = f"New scenes: {'; '.join(item.actions[:3])}." if item.actions else None
    if item.credits:
        item.desc = (item.desc or "New scenes.").rstrip() + " Suggested by " + \
            ", ".join(item.credits[:5]) + "."
    if item.key == ("slate",) and not item.desc:
        item.sub_title, item.desc = "Coming up", "New scenes are on their way."
    if item.estimated:
        item.desc = (item.desc or "New scenes.") + (" Times are estimated from how fast the "
                                                   "channel makes takes.")
    if item.show_id is not None:
        item.categories = tags.get(item.show_id, [])[:5]


def now_and_next(store: Store, channel_title: str, channel: str = "main",
                 now: float | None = None) -> list[dict[str, Any]]:
    """The guide's programme on now and the one after it, as the page and `webtv status` say
    them: the same blocks as the XMLTV."""
    now = time.time() if now is None else now
    chosen = next((c for c in channels(store, channel_title) if c.name == channel), None)
    if chosen is None:
        return []
    items = [i for i in listings(store, chosen, now) if i.stop > now][:2]
    return [{"title": i.title, "sub_title": i.sub_title, "start": i.start, "stop": i.stop,
             "new": i.new, "estimated": i.estimated} for i in items]


def guide_lines(items: list[dict[str, Any]]) -> list[str]:
    """`webtv status`'s lines for the guide's programme now and next (now_and_next)."""
    lines = []
    for label, item in zip(("Guide:     now", "           next"), items, strict=False):
        name = item["title"] + (f" — {item['sub_title']}" if item.get("sub_title") else "")
        upcoming = "next" in label
        at = time.strftime("%H:%M", time.localtime(item["start" if upcoming else "stop"]))
        lines.append(f"{label} {name} ({'from' if upcoming else 'until'} {at}"
                     + (", new" if item["new"] else "") + ")")
    return lines
