"""``webtv loudness``: the library's takes measured against the channel's level and, with
``--fix``, the ones made at another level (before the channel had one, or before it changed)
brought to it: the picture copied as it is, the sound encoded once more. It runs beside the
channel: a take's new file replaces the old in one transaction, and the old one is left for
retention to remove (a playout may be reading it)."""

from __future__ import annotations

import argparse
import shutil

from webtv.core import house
from webtv.core.errors import MediaError
from webtv.core.loudness import Loudness, measure
from webtv.core.settings import Settings
from webtv.state.datadir import DataDir
from webtv.state.store import Store

TOLERANCE = 1.0  # LU off the target that a take may be and still count as at it


def add_parser(sub, data_options) -> None:
    level = sub.add_parser("loudness", help="measure the library's takes against the "
                           "channel's loudness ([loudness] in webtv.toml); --fix brings the "
                           "ones made at another level to it")
    data_options(level)
    level.add_argument("--fix", action="store_true",
                       help="bring takes off the target to it (the picture is copied)")


def cmd_loudness(args: argparse.Namespace, settings: Settings) -> int:
    data = DataDir(settings.data_dir, create=False)
    loudness = Loudness.from_config(settings.config())
    at, off, silent, fixed, missing = 0, [], 0, 0, 0
    with Store(data) as store:
        for take in store.takes.library_media():
            path = data.resolve(take["media"])
            try:
                level = measure(path, "anull", loudness)
            except (MediaError, OSError):
                missing += 1
                continue
            if level.silent:
                silent += 1
            elif abs(level.integrated - loudness.target) <= TOLERANCE:
                at += 1
            else:
                off.append(level.integrated)
                if args.fix and _relevel(store, data, take, loudness):
                    fixed += 1
    spread = f", from {min(off):.1f} to {max(off):.1f} LUFS" if off else ""
    print(f"Takes measured: {at + len(off) + silent} against {loudness.describe()}: "
          f"{at} at it (within {TOLERANCE:g} LU), {len(off)} off it{spread}, {silent} near "
          f"silence (never raised)" + (f"; {missing} unreadable" if missing else ""))
    if args.fix:
        print(f"Brought to {loudness.target:g} LUFS: {fixed} (the picture copied as it was)")
    elif off:
        print("Run `webtv loudness --fix` to bring them to it.")
    return 0


def _relevel(store: Store, data: DataDir, take: dict, loudness: Loudness) -> bool:
    work = data.workspace()
    try:
        out = work / "take.mp4"
        if house.relevel(data.resolve(take["media"]), out, loudness) is None:
            return False
        store.takes.set_media(take["id"], data.keep(out, ".mp4"))
        return True
    except MediaError as exc:
        print(f"take {take['id']}: {exc}")
        return False
    finally:
        shutil.rmtree(work, ignore_errors=True)
