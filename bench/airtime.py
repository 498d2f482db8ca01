"""Shared by the playout benchmarks: a data dir with house-format takes on its schedule."""

from __future__ import annotations

import tempfile
from pathlib import Path

from tests.conftest import make_house_clip
from webtv.state.datadir import DataDir
from webtv.state.store import Store


def scheduled_store(prefix: str, clips: list[tuple[str, float, int | None]],
                    seconds: float) -> tuple[DataDir, Store, list[str], int]:
    """A fresh data dir whose schedule holds at least ``seconds`` of takes, cycling through
    ``clips`` (colour, length, tone) made once each. Returns the data dir, its store, the clips'
    media paths and the number of takes scheduled."""
    data = DataDir(Path(tempfile.mkdtemp(prefix=prefix)))
    store = Store(data)
    store.show.set_bible(title="Bench")
    shot = store.takes.add_shots(1, [{"action": "bench", "duration_s": 3.0}])[0]
    media = [data.keep(make_house_clip(data.workspace() / "c.mp4", colour, length, tone), ".mp4")
             for colour, length, tone in clips]
    total, count = 0.0, 0
    while total < seconds:
        length = clips[count % len(clips)][1]
        take = store.takes.add_take(shot_id=shot["id"], seed=count, prompt="bench",
                                    media=media[count % len(media)], duration_s=length)
        store.takes.set_take_status(take["id"], "accepted")
        store.air.schedule_take(take["id"])
        total += length
        count += 1
    return data, store, media, count
