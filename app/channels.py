"""A network of channels over one library: `webtv channel` and `webtv tag` on the command line,
the channels declared in webtv.toml, and, in a running `webtv run`, one playout per library
channel, started and stopped as channels are added and removed (no restart needed), started
again on its own when it fails, while the others stay on air.

    [[channels]]
    name = "best"
    policy = "best"            # best | recent | tag | favourites | random
    repeat_after_s = 3600      # not the same take again on this channel within an hour
    rtmp = ["twitch"]          # optional: presets or URLs with {env:NAME} for the key

    [[channels]]
    name = "night"
    policy = "tag"
    tag = "night"
"""

from __future__ import annotations

import argparse
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
from webtv.state.channels import POLICIES
from webtv.state.datadir import DataDir
from webtv.state.store import Store

log = logging.getLogger("webtv.channels")
WATCH_S = 5.0  # how often a running channel network looks for added or removed channels


def add_parsers(sub: argparse._SubParsersAction, common: Callable) -> None:
    """``common(parser, after=False)``: --data-dir and -v, before an action and after it."""
    channel = sub.add_parser("channel", help="the channels that play the library (a network)")
    common(channel)
    what = channel.add_subparsers(dest="action", required=True)
    add = what.add_parser("add", help="add a channel, or change one")
    common(add, after=True)
    add.add_argument("name")
    add.add_argument("--policy", required=True, choices=list(POLICIES),
                     help="; ".join(f"{k}: {v}" for k, v in POLICIES.items()))
    add.add_argument("--tag", help="for --policy tag: the tag it plays")
    add.add_argument("--repeat-after", type=float, default=3600.0, metavar="SECONDS",
                     help="never the same take again on this channel within this (default 3600)")
    common(what.add_parser("list", help="the channels and what each plays"), after=True)
    remove = what.add_parser("remove", help="remove a channel (its air log stays)")
    common(remove, after=True)
    remove.add_argument("name")
    tag = sub.add_parser("tag", help="tag a take or the current show (tag channels play them)")
    common(tag)
    tag.add_argument("tag")
    target = tag.add_mutually_exclusive_group(required=True)
    target.add_argument("--take", type=int, metavar="TAKE_ID")
    target.add_argument("--show", action="store_true", help="the show on air now")
    tag.add_argument("--off", action="store_true", help="remove the tag")


def cmd_channel(args: argparse.Namespace, settings: Settings) -> int:
    with Store(DataDir(settings.data_dir, create=False)) as store:
        if args.action == "add":
            row = store.network.save_channel(args.name, args.policy, args.tag, args.repeat_after)
            print(f"channel {row['name']}: {describe(row)} (a running channel network starts it "
                  f"within {WATCH_S:.0f} s)")
        elif args.action == "remove":
            store.network.remove_channel(args.name)
            print(f"channel {args.name} removed")
        else:
            print("\n".join(f"{r['name']}: {describe(r)}" for r in store.network.channels())
                  or "No library channels: `webtv channel add NAME --policy best`.")
    return 0


def cmd_tag(args: argparse.Namespace, settings: Settings) -> int:
    with Store(DataDir(settings.data_dir, create=False)) as store:
        target: dict[str, int | None] = {"take_id": args.take}
        if args.show:
            show = store.programme.current_show_id()
            if show is None:
                raise ConfigError("no show on air yet to tag")
            target = {"show_id": show}
        (store.network.untag if args.off else store.network.tag)(args.tag, **target)
    what = f"take {args.take}" if args.take else "the current show"
    print(f"{what}: " + (f"no longer tagged {args.tag!r}" if args.off else f"tagged {args.tag!r}"))
    return 0


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
