"""The playout: airs one channel back to back and writes its air log. One Transmitter (one
timeline, long-lived FFmpeg outputs) for the whole run.

``Playout`` is the director's own channel ("main"): its programme (programme.py) premieres
whole scenes as production makes them and reruns whole scenes of the library between them;
once the owner's budget is spent, reruns by the budget's policy. The slate (the show's title
and what is coming up, or what the director writes) airs only when there is nothing else.
``LibraryPlayout`` is a channel of the network: the shared library, picked by its policy.

Whoever runs a playout owns its thread (the runtime: ``run.start("playout", playout.run)``) and
hands it the stop event that ends it.
"""

from __future__ import annotations

import logging
import os
import shutil
import threading
import uuid
from pathlib import Path
from typing import Any

from webtv.core import house
from webtv.core.clock import at
from webtv.core.errors import MediaError, WebTVError
from webtv.core.loudness import STREAMING, Loudness
from webtv.playout.captions import Captions
from webtv.playout.programme import Programme
from webtv.playout.slate import slate
from webtv.playout.transmitter import Transmitter, load
from webtv.state.datadir import DataDir
from webtv.state.rows import ChannelRow
from webtv.state.store import Store

log = logging.getLogger("webtv.playout")


class Playout:
    name = "main"
    outputs_key = "outputs"  # where the channel state keeps the outputs' health

    def __init__(self, data: DataDir, rtmp_urls: list[str] | None = None, *, pace: bool = True,
                 channel_name: str = "AI WebTV", programme: Programme | None = None,
                 speed: float = 1.0, stop: threading.Event | None = None,
                 loudness: Loudness = STREAMING, captions: str = "action") -> None:
        self.data = data
        self.hls = data.channel_hls(self.name)
        self.rtmp_urls = rtmp_urls or []
        self.pace = pace
        self.speed = speed  # an accelerated soak runs the channel clock this much faster
        self.channel_name = channel_name
        self.programme = programme or Programme()
        self.loudness = loudness  # the slate's sound, like every take's
        self.caption_mode = captions  # what the caption track says (CAPTIONS)
        self.captions = Captions(self.hls, "off")
        self._lineup: list[tuple[str, dict[str, Any] | None, str]] = []  # the block on air
        self.session = uuid.uuid4().hex[:12]
        self.stop = stop or threading.Event()
        self.transmitter: Transmitter | None = None

    def run(self, max_entries: int | None = None) -> None:
        """Air until ``stop`` is set (or ``max_entries`` things have aired)."""
        if self.transmitter is not None:  # started again after a failure: a new timeline
            self.session, self._lineup = uuid.uuid4().hex[:12], []
        store = Store(self.data)
        cut = store.air.close_crashed_airings(self.name)  # went on air before a crash: not twice
        if cut:
            log.warning("%d take(s) were cut off mid-air by a crash; not airing them again", cut)
        shutil.rmtree(self.hls, ignore_errors=True)
        self.hls.mkdir(parents=True)
        self.transmitter = tx = Transmitter(self.hls, self.rtmp_urls, pace=self.pace,
                                            speed=self.speed)
        self.captions = Captions(self.hls, self.caption_mode, tx.hls_joined_at)
        tx.open(self._slate(store))
        self.captions.start()
        aired = 0
        try:
            while not self.stop.is_set() and (max_entries is None or aired < max_entries):
                self._air_next(store, tx)
                aired += 1
        finally:
            err = tx.close()
            self.captions.stop()
            if err.strip():
                log.warning("ffmpeg: %s", err.strip()[-500:])
            store.close()

    def _air_next(self, store: Store, tx: Transmitter) -> None:
        """The next item of the current block (a premiere or a rerun: a whole scene); at a
        block's end the programme chooses the next one at once. An item that cannot air (its
        file went missing or broke) is passed over for the next; the slate only when nothing
        else can air."""
        for _ in range(2):  # the current block, then at most one new one
            while self._lineup:
                kind, item, note = self._lineup.pop(0)
                if self._air_item(store, tx, kind, item, note):
                    return
            self._lineup = self._block(store)
        self._air_slate(store, tx)

    def _block(self, store: Store) -> list[tuple[str, dict[str, Any] | None, str]]:
        budget = store.programme.channel().get("budget") or {}
        # once the owner's budget is spent no new scene is made: reruns by the budget's policy
        reruns = budget.get("policy") if budget.get("spent") else None
        block = self.programme.next_block(store, reruns)
        note = block.note or ("budget spent: from the library"
                              if reruns and block.kind == "replay" else "")
        items = block.entries if block.kind == "take" else block.takes
        return [(block.kind, item, note) for item in items] or [("slate", None, "")]

    def _air_item(self, store: Store, tx: Transmitter, kind: str, item: dict[str, Any] | None,
                  note: str) -> bool:
        """Air one item of a block; False when it could not air (and why is logged)."""
        if kind == "slate":
            self._air_slate(store, tx)
            return True
        if kind == "take":
            entry = store.air.claim(item["schedule_id"])
            return entry is not None and self._air_entry(store, tx, entry, note)
        try:
            self._air(store, tx, self._media(item), kind="replay", take_id=item["id"], note=note)
            return True
        except WebTVError as exc:
            log.warning("cannot rerun take %s: %s", item["id"], exc)
            return False

    def _slate(self, store: Store) -> Path:
        """The show's title, and what comes next: the next shot in the making, or what this
        run's director writes now (the first show is minutes of a small model's writing)."""
        bible = store.show.bible() or {}
        coming = store.air.next_in_the_making()
        channel = store.programme.channel()
        doing = channel.get("doing") if channel.get("pid") == os.getpid() else None
        line = (f"Coming up: {coming}" if coming else f"The director is {doing['what']}"
                if doing else "We'll be right back")
        return slate(self.data, bible.get("title") or self.channel_name, line[:70],
                     self.loudness)

    def _air_slate(self, store: Store, tx: Transmitter, note: str = "") -> None:
        try:
            self._air(store, tx, self._slate(store), kind="slate", note=note)
        except WebTVError as exc:  # removed or damaged under us (a sweep, a full disk): remake it
            log.warning("the slate could not air (%s); making it again", exc)
            self._slate(store).unlink(missing_ok=True)
            self._air(store, tx, self._slate(store), kind="slate", note=note)

    def _media(self, take: dict) -> Path:
        path = self.data.resolve(take["media"])
        if not path.is_file():
            raise MediaError(f"take {take['id']}: file missing")
        return path

    def _air_entry(self, store: Store, tx: Transmitter, entry: dict, note: str = "") -> bool:
        """A premiere; False when its take is broken at air time (skipped, never aired)."""
        take = store.takes.take(entry["take_id"])
        try:
            aired = self._air(store, tx, self._media(take), kind="take", entry=entry, note=note)
        except WebTVError as exc:  # broken at air time: skipped, the next item airs
            log.warning("skipping take %s: %s", take["id"], exc)
            store.air.finish_entry(entry["id"], "skipped")
            return False
        if aired.complete or aired.played >= aired.duration / 2:
            store.air.finish_entry(entry["id"], "aired")
        else:  # a stop cut it off early: it airs again, whole, next time
            store.air.requeue(entry["id"])
        return True

    def _air(self, store: Store, tx: Transmitter, path: Path, *, kind: str,
             entry: dict | None = None, take_id: int | None = None, note: str = ""):
        loaded = load(path)  # a broken file fails here, before it has an air-log row
        start = float(tx.clock)
        take_id = entry["take_id"] if entry else take_id
        air_id = store.air.log_air(
            session=self.session, channel=self.name, kind=kind,
            schedule_id=entry["id"] if entry else None, take_id=take_id, stream_start=start,
            started_at=at(tx.wall_time(start)), note=note)
        if take_id is not None:  # its caption, placed before its first packet is sent
            self.captions.add(start, start + float(len(loaded[0]) * house.FRAME),
                              store.takes.words(take_id))
        aired = tx.air(loaded, self.stop)
        outputs = [o.state() for o in tx.outputs]  # for status and /health
        store.programme.set_channel(**{self.outputs_key: outputs})
        end = aired.stream_start + aired.played
        store.air.end_air(air_id, stream_end=end, ended_at=at(tx.wall_time(end)),
                          note=note if aired.complete else "cut short by shutdown")
        return aired


class LibraryPlayout(Playout):
    """A channel of the network: it plays the shared library by its policy (best, recent, a
    tag, favourites, random), never the same take within its repeat window."""

    def __init__(self, data: DataDir, channel: ChannelRow, rtmp_urls: list[str] | None = None,
                 **options: Any) -> None:
        self.channel = channel
        self.name = channel["name"]
        self.outputs_key = f"outputs:{self.name}"
        super().__init__(data, rtmp_urls, **options)

    def _air_next(self, store: Store, tx: Transmitter) -> None:
        channel = self.channel
        take = store.network.next_for_channel(self.name, channel["policy"], channel["tag"],
                                              channel["repeat_after_s"])
        if take is not None:
            try:
                self._air(store, tx, self._media(take), kind="take", take_id=take["id"])
                return
            except WebTVError as exc:  # purged or damaged under us: the next pick
                log.warning("%s: cannot air take %s: %s", self.name, take["id"], exc)
        self._air_slate(store, tx)

    def _slate(self, store: Store) -> Path:
        has_takes = store.network.library_takes(self.channel["policy"], self.channel["tag"])
        return slate(self.data, f"{self.channel_name}: {self.name}",
                     "More in a moment" if has_takes else "Nothing for this channel yet",
                     self.loudness)
