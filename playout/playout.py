"""The playout: airs scheduled takes back to back, a slate when the queue is dry, and writes
the air log. One Transmitter (one FFmpeg) for the whole run."""

from __future__ import annotations

import logging
import shutil
import threading
import uuid
from datetime import UTC, datetime
from pathlib import Path

from playout.slate import slate
from playout.transmitter import Transmitter
from state.datadir import DataDir
from state.store import Store
from tools.errors import MediaError, WebTVError

log = logging.getLogger("webtv.playout")


def _iso(epoch: float) -> str:
    return datetime.fromtimestamp(epoch, UTC).isoformat(timespec="milliseconds")


class Playout:
    def __init__(self, data: DataDir, rtmp_urls: list[str] | None = None, *, pace: bool = True,
                 channel_name: str = "AI WebTV") -> None:
        self.data = data
        self.rtmp_urls = rtmp_urls or []
        self.pace = pace
        self.channel_name = channel_name
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
        store.requeue_airing()  # something cut off mid-air by a crash airs again, whole
        shutil.rmtree(self.data.hls, ignore_errors=True)
        self.data.hls.mkdir(parents=True)
        filler = self._slate(store)
        self.transmitter = tx = Transmitter(self.data.hls, self.rtmp_urls, pace=self.pace)
        tx.open(filler)
        aired = 0
        try:
            while not self.stop.is_set() and (max_entries is None or aired < max_entries):
                entry = store.claim_next()
                if entry is None:
                    self._air(store, tx, self._slate(store), kind="slate")
                else:
                    self._air_entry(store, tx, entry)
                aired += 1
        finally:
            err = tx.close()
            if err.strip():
                log.warning("ffmpeg: %s", err.strip()[-500:])
            store.close()

    def _slate(self, store: Store) -> Path:
        bible = store.bible()
        return slate(self.data, (bible or {}).get("title") or self.channel_name)

    def _air_entry(self, store: Store, tx: Transmitter, entry: dict) -> None:
        take = store.take(entry["take_id"])
        try:
            path = self.data.resolve(take["media"])
            if not path.is_file():
                raise MediaError(f"take {take['id']}: file missing")
            if self._air(store, tx, path, kind="take", entry=entry):
                store.finish_entry(entry["id"], "aired")
            else:  # cut short by a stop: it airs again, whole, next time
                store.requeue(entry["id"])
        except WebTVError as exc:  # broken at air time: skip it, log it, air the slate
            log.warning("skipping take %s: %s", take["id"], exc)
            store.finish_entry(entry["id"], "skipped")
            self._air(store, tx, self._slate(store), kind="slate", note=f"skipped: {exc}")

    def _air(self, store: Store, tx: Transmitter, path: Path, *, kind: str,
             entry: dict | None = None, note: str = "") -> bool:
        start = float(tx.clock)
        air_id = store.log_air(
            session=self.session, kind=kind, schedule_id=entry["id"] if entry else None,
            take_id=entry["take_id"] if entry else None, stream_start=start,
            started_at=_iso(tx.wall_time(start)), note=note)
        aired = tx.air(path, self.stop)
        store.end_air(air_id, stream_end=aired.stream_end,
                      ended_at=_iso(tx.wall_time(aired.stream_end)),
                      note=note if aired.complete else "cut short by shutdown")
        return aired.complete
