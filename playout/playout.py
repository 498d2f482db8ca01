"""The playout: airs scheduled takes back to back, filler when the queue is dry, and writes the
air log. One Transmitter (one timeline, long-lived FFmpeg outputs) for the whole run.

Filler: the slate (the show's title and what is coming up) while the next take is seconds away;
when the queue has been dry for longer, replays of recent takes, least recently aired first. A
new take goes on at the next boundary, which is never more than one filler item away.
"""

from __future__ import annotations

import logging
import shutil
import threading
import uuid
from pathlib import Path

from webtv.core.clock import at
from webtv.core.errors import MediaError, WebTVError
from webtv.playout.slate import slate
from webtv.playout.transmitter import Transmitter, load
from webtv.state.datadir import DataDir
from webtv.state.rows import ChannelRow
from webtv.state.store import Store

log = logging.getLogger("webtv.playout")


class Playout:
    def __init__(self, data: DataDir, rtmp_urls: list[str] | None = None, *, pace: bool = True,
                 channel_name: str = "AI WebTV", replay_after: float = 10.0,
                 speed: float = 1.0, library: ChannelRow | None = None) -> None:
        """``library``: a channel that plays the shared library by its policy; None: the
        director's own channel ("main"), which airs the schedule."""
        self.data = data
        self.library = library
        self.name = library["name"] if library else "main"
        self.hls = data.channel_hls(self.name)
        self.rtmp_urls = rtmp_urls or []
        self.pace = pace
        self.speed = speed  # an accelerated soak runs the channel clock this much faster
        self.channel_name = channel_name
        self.replay_after = replay_after  # seconds of dry queue before replays replace the slate
        self.session = uuid.uuid4().hex[:12]
        self.stop = threading.Event()
        self.error: BaseException | None = None
        self.transmitter: Transmitter | None = None
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run_guarded, name="playout", daemon=True)
        self._thread.start()

    def join(self, timeout: float | None = None) -> None:
        self.stop.set()
        if self._thread is not None:
            self._thread.join(timeout)

    def _run_guarded(self) -> None:
        try:
            self.run()
        except BaseException as exc:  # the thread must report, not vanish
            self.error = exc
            log.exception("playout stopped")
            self.stop.set()  # a channel that cannot air stops making takes too

    def run(self, max_entries: int | None = None) -> None:
        """Air until ``stop`` is set (or ``max_entries`` things have aired)."""
        store = Store(self.data)
        cut = store.close_crashed_airings(self.name)  # went on air before a crash: not twice
        if cut:
            log.warning("%d take(s) were cut off mid-air by a crash; not airing them again", cut)
        shutil.rmtree(self.hls, ignore_errors=True)
        self.hls.mkdir(parents=True)
        self.transmitter = tx = Transmitter(self.hls, self.rtmp_urls, pace=self.pace,
                                            speed=self.speed)
        tx.open(self._slate(store))
        aired, last_new = 0, tx.clock  # dry time is counted on the channel's clock
        try:
            while not self.stop.is_set() and (max_entries is None or aired < max_entries):
                if self.library is not None:
                    self._air_from_library(store, tx)
                    aired += 1
                    continue
                entry = store.claim_next()
                if entry is not None:
                    self._air_entry(store, tx, entry)
                    last_new = tx.clock
                else:
                    self._air_filler(store, tx, float(tx.clock - last_new))
                aired += 1
        finally:
            err = tx.close()
            if err.strip():
                log.warning("ffmpeg: %s", err.strip()[-500:])
            store.close()

    def _air_from_library(self, store: Store, tx: Transmitter) -> None:
        channel = self.library
        take = store.next_for_channel(self.name, channel["policy"], channel["tag"],
                                      channel["repeat_after_s"])
        if take is not None:
            try:
                self._air(store, tx, self._media(take), kind="take", take_id=take["id"])
                return
            except WebTVError as exc:  # purged or damaged under us: the next pick
                log.warning("%s: cannot air take %s: %s", self.name, take["id"], exc)
        self._air_slate(store, tx)

    def _slate(self, store: Store) -> Path:
        if self.library is not None:
            return slate(self.data, f"{self.channel_name}: {self.name}",
                         "More in a moment" if store.library_takes(
                             self.library["policy"], self.library["tag"])
                         else "Nothing for this channel yet")
        bible = store.bible() or {}
        coming = store.next_in_the_making()
        line = f"Coming up: {coming}" if coming else "We'll be right back"
        return slate(self.data, bible.get("title") or self.channel_name, line[:70])

    def _air_filler(self, store: Store, tx: Transmitter, dry_for: float) -> None:
        if dry_for >= self.replay_after:
            replay = store.replay_candidate()
            if replay is not None:
                try:
                    path = self._media(replay)
                    self._air(store, tx, path, kind="replay", take_id=replay["id"])
                    return
                except WebTVError as exc:
                    log.warning("cannot replay take %s: %s", replay["id"], exc)
        self._air_slate(store, tx)

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

    def _air_entry(self, store: Store, tx: Transmitter, entry: dict) -> None:
        take = store.take(entry["take_id"])
        try:
            aired = self._air(store, tx, self._media(take), kind="take", entry=entry)
        except WebTVError as exc:  # broken at air time: skip it, log it, air the slate
            log.warning("skipping take %s: %s", take["id"], exc)
            store.finish_entry(entry["id"], "skipped")
            self._air_slate(store, tx, note=f"skipped: {exc}")
            return
        if aired.complete or aired.played >= aired.duration / 2:
            store.finish_entry(entry["id"], "aired")
        else:  # a stop cut it off early: it airs again, whole, next time
            store.requeue(entry["id"])

    def _air(self, store: Store, tx: Transmitter, path: Path, *, kind: str,
             entry: dict | None = None, take_id: int | None = None, note: str = ""):
        loaded = load(path)  # a broken file fails here, before it has an air-log row
        start = float(tx.clock)
        air_id = store.log_air(
            session=self.session, channel=self.name, kind=kind,
            schedule_id=entry["id"] if entry else None,
            take_id=entry["take_id"] if entry else take_id, stream_start=start,
            started_at=at(tx.wall_time(start)), note=note)
        aired = tx.air(loaded, self.stop)
        outputs = [o.state() for o in tx.outputs]  # for status and /health
        store.set_channel(**{"outputs" if self.library is None else f"outputs:{self.name}":
                             outputs})
        end = aired.stream_start + aired.played
        store.end_air(air_id, stream_end=end, ended_at=at(tx.wall_time(end)),
                      note=note if aired.complete else "cut short by shutdown")
        return aired
