"""A network of channels over one library, in a running channel: one playout per library
channel, started and stopped as channels are added and removed (no restart needed), started
again on its own when it fails, while the others stay on air. The channels are declared in
webtv.toml or added with `webtv channel add` (app/channels.py):

    [[channels]]
    name = "best"
    policy = "best"            # best | recent | tag | favourites | random
    repeat_after_s = 3600      # not the same take again on this channel within an hour
    rtmp = ["twitch"]          # optional: presets or URLs with {env:NAME} for the key
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Any

from webtv.channel.runtime import Runtime
from webtv.core.errors import ConfigError
from webtv.core.settings import Settings
from webtv.playout.captions import caption_mode
from webtv.playout.outputs import resolve_rtmp
from webtv.playout.playout import LibraryPlayout
from webtv.state.datadir import DataDir
from webtv.state.store import Store

log = logging.getLogger("webtv.channels")
WATCH_S = 5.0  # how often a running channel network looks for added or removed channels


def describe(row: dict[str, Any]) -> str:
    kind = f"tag {row['tag']!r}" if row["policy"] == "tag" else row["policy"]
    return f"plays {kind}, no repeat within {row['repeat_after_s']:g} s"


def reporter(data: DataDir, name: str) -> Callable[[dict[str, Any]], None]:
    """Where a kept playout says how it fares (for `webtv status` and /health): the running
    channel's state, one key per channel."""
    def report(health: dict[str, Any]) -> None:
        with Store(data) as store:  # the supervising thread's own connection
            store.programme.set_channel(**{f"playout:{name}": health})
    return report


class Network:
    """The library channels of a run: one playout each, kept in step with the channel table."""

    def __init__(self, run: Runtime, settings: Settings, config: dict[str, Any]) -> None:
        """The channels webtv.toml declares are saved (checked by the store) and their RTMP
        targets resolved, before anything airs."""
        self.run, self.settings = run, settings
        self.captions = caption_mode(config)  # checked before anything airs
        self.rtmp: dict[str, list[str]] = {}
        self.playouts: dict[str, LibraryPlayout] = {}
        self._stops: dict[str, threading.Event] = {}
        self._threads: dict[str, threading.Thread] = {}
        for table in config.get("channels", []):
            extra = set(table) - {"name", "policy", "tag", "repeat_after_s", "rtmp"}
            if extra:
                raise ConfigError(f"[[channels]] {table.get('name', '?')}: unknown keys "
                                  f"{', '.join(sorted(extra))}")
            row = run.context.store.network.save_channel(
                table.get("name", ""), table.get("policy", ""), table.get("tag"),
                table.get("repeat_after_s", 3600.0))
            self.rtmp[row["name"]] = [resolve_rtmp(t, self.settings.secrets)
                                      for t in table.get("rtmp", [])]

    def start(self) -> None:
        self.sync(self.run.context.store)
        self.run.start("channels", self._watch)

    def sessions(self) -> dict[str, str]:
        """For the page's threads: a copy, taken at once, of what sync changes."""
        return {name: p.session for name, p in dict(self.playouts).items()}

    def sync(self, store: Store) -> None:
        wanted = {row["name"]: row for row in store.network.channels()}
        for name in set(self.playouts) - set(wanted):
            log.info("channel %s removed: off air", name)
            self._off_air(name)
        for name, row in wanted.items():
            playout = self.playouts.get(name)
            if playout is not None:
                if playout.channel != row:  # its policy changed: the next pick follows it,
                    playout.channel = row  # on air all along
                    log.info("channel %s now %s", name, describe(row))
                continue
            stop = self._stops[name] = threading.Event()
            playout = LibraryPlayout(self.run.context.data, row, self.rtmp.get(name, []),
                                     channel_name=self.settings.channel, stop=stop,
                                     loudness=self.run.context.production.loudness,
                                     captions=self.captions)
            self.playouts[name] = playout
            # a playout that fails is started again on its own, with backoff; the other
            # channels never notice
            self._threads[name] = self.run.keep(f"playout:{name}", playout.run, stop=stop,
                                                report=reporter(self.run.context.data, name))
            log.info("channel %s on air: %s", name, describe(row))

    def _off_air(self, name: str) -> None:
        """Stop a channel's playout and wait for it (at most a take), so that a channel started
        again under the same name never shares its HLS folder with the old one."""
        self._stops.pop(name).set()
        self._threads.pop(name).join(timeout=30)
        self.playouts.pop(name)

    def _watch(self) -> None:
        store = Store(self.run.context.data)  # this thread's own connection
        try:
            while not self.run.stop.wait(WATCH_S):
                self.sync(store)
        finally:
            store.close()
            for stop in self._stops.values():  # the run is ending: every channel with it
                stop.set()
