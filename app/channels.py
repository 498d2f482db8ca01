"""A network of channels over one library on the command line: `webtv channel` adds, lists and
removes the library channels, `webtv tag` tags takes and shows for the tag channels. A running
`webtv run` airs them (channel/network.py).
"""

from __future__ import annotations

import argparse
from collections.abc import Callable

from webtv.channel.network import WATCH_S, describe
from webtv.core.errors import ConfigError
from webtv.core.settings import Settings
from webtv.state.channels import POLICIES
from webtv.state.datadir import DataDir
from webtv.state.store import Store


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
