"""The data directory: the database, media by content hash, HLS output. Nothing leaves it."""

from __future__ import annotations

import fcntl
import hashlib
import os
import shutil
import tempfile
import time
from pathlib import Path
from typing import IO

from webtv.core.errors import ConfigError
from webtv.core.settings import DATA_DIR


def content_hash(path: Path) -> str:
    """The sha256 of a file's bytes: media is named by it, remote results cached by it."""
    with path.open("rb") as handle:
        return hashlib.file_digest(handle, "sha256").hexdigest()

def root_of(root: Path | str | None = None) -> Path:
    """Where the data directory is (``root``, else ./webtv-data), made or not: a start refused
    before it begins leaves nothing there. $WEBTV_HOME is the settings' to read."""
    return Path(root or DATA_DIR).resolve()


class DataDir:
    def __init__(self, root: Path | str | None = None, create: bool = True) -> None:
        """``create``: make the folders (a channel's own run); without it, a folder that is
        not a channel's data dir is an error (a command pointed at the wrong place)."""
        self.root = root_of(root)
        if not create:
            if not self.db_path.is_file():
                raise ConfigError(f"no channel at {self.root} (no webtv.db there): start one "
                                  "with `webtv run --theme ...`, or point --data-dir or "
                                  "$WEBTV_HOME at the channel's data directory")
            return
        try:
            for sub in ("media", "work", "hls"):
                (self.root / sub).mkdir(parents=True, exist_ok=True)
            # a probe of its own (not one shared name): processes opening the same dir at once
            # must not unlink each other's probe
            with tempfile.TemporaryFile(dir=self.root / "work", prefix=".writable-"):
                pass
        except OSError as exc:  # a file in the way, no permission, a read-only disk
            where = exc.filename or self.root
            raise ConfigError(f"cannot use {self.root} as the data directory: {where}: "
                              f"{exc.strerror or exc}") from None

    @property
    def db_path(self) -> Path:
        return self.root / "webtv.db"

    @property
    def hls(self) -> Path:
        return self.root / "hls"

    def channel_hls(self, name: str) -> Path:
        """Where a channel's HLS window is written: hls/ for the director's own ("main"),
        channels/NAME/hls/ for a library channel."""
        return self.hls if name == "main" else self.root / "channels" / name / "hls"

    def resolve(self, relative: str) -> Path:
        """A path stored in the database, made absolute; refuses anything outside the dir."""
        path = (self.root / relative).resolve()
        if not path.is_relative_to(self.root):
            raise ConfigError(f"path escapes the data directory: {relative}")
        return path

    def relative(self, path: Path) -> str:
        return path.resolve().relative_to(self.root).as_posix()

    def hold_run_lock(self) -> IO[str]:
        """One `webtv run` per data dir: an exclusive lock on run.lock, held while the returned
        file stays open (the process's end lets go of it, even after a crash). A second run
        is refused with who holds it, before it touches anything."""
        handle = (self.root / "run.lock").open("a+", encoding="utf-8")
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.seek(0)
            holder = handle.read().strip() or "another process"
            handle.close()
            raise ConfigError(f"{self.root} is on air already ({holder}): one `webtv run` per "
                              "data directory; stop that one or use another --data-dir") from None
        handle.seek(0)
        handle.truncate()
        handle.write(f"pid {os.getpid()}, since {time.strftime('%Y-%m-%d %H:%M:%S')}\n")
        handle.flush()
        return handle

    def workspace(self) -> Path:
        """A fresh scratch folder for one job; removed by ``clean_work`` on start."""
        return Path(tempfile.mkdtemp(dir=self.root / "work"))

    def clean_work(self) -> None:
        """Half-written files from a run that died: scratch folders are never reused."""
        for child in (self.root / "work").iterdir():
            shutil.rmtree(child, ignore_errors=True) if child.is_dir() else child.unlink()

    def keep_copy(self, produced: Path, suffix: str) -> str:
        """Like keep, but the file stays where it is too (the next step still needs it)."""
        scratch = self.workspace()
        try:
            shutil.copyfile(produced, scratch / "copy")
            return self.keep(scratch / "copy", suffix)
        finally:
            shutil.rmtree(scratch, ignore_errors=True)

    def keep(self, produced: Path, suffix: str) -> str:
        """Move a finished file into media/ under its content hash (atomic); return its path."""
        name = content_hash(produced)
        target = self.root / "media" / name[:2] / f"{name}{suffix}"
        target.parent.mkdir(exist_ok=True)
        os.replace(produced, target)  # same filesystem: media/ and work/ share the root
        return self.relative(target)
