"""The only code that touches SQLite. One transaction per state change, WAL mode.

``Store`` opens the channel's database and hands out its facets, each a typed interface in a
module of its own: ``show`` (the bible, the cast, notes), ``takes`` (shots, takes, checks),
``air`` (the schedule and the air log), ``calls`` (the call logs, the asset cache),
``network`` (channels and tags), ``programme`` (shows, episodes, the queue, the channel's
state), ``retention``, ``costs`` (spend, the budget's reservations), ``reviews`` (verdicts
by sight), ``suggestions`` (viewers' suggestions and votes) and ``guide`` (what the programme
guide reads). Open one Store per
thread (SQLite connections are not shared across threads); ``CallJournal`` writes remote
calls from any thread through one of its own.
"""

from __future__ import annotations

import json
import sqlite3
import threading
from contextlib import AbstractContextManager
from typing import Any

from sqlite_utils import Database

from webtv.core.errors import ConfigError
from webtv.state.air import AirTables
from webtv.state.bible import BibleTables
from webtv.state.calls import CallTables
from webtv.state.channels import ChannelTables
from webtv.state.costs import CostTables
from webtv.state.datadir import DataDir
from webtv.state.guide import GuideTables
from webtv.state.migrations import migrate
from webtv.state.programme import Programme
from webtv.state.retention import RetentionQueries
from webtv.state.reviews import ReviewTables
from webtv.state.suggestions import SuggestionTables
from webtv.state.tables import Connection, transaction
from webtv.state.takes import TAKE_STATES, TakeTables

__all__ = ["CallJournal", "Store", "TAKE_STATES"]


class Store:
    db: Database

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    def __init__(self, data: DataDir, read_only: bool = False) -> None:
        """``read_only``: for commands that only look (status): nothing is created or
        migrated, and a write would fail."""
        self.data = data
        try:
            if read_only:
                conn = sqlite3.connect(f"{data.db_path.as_uri()}?mode=ro", uri=True, timeout=30,
                                       isolation_level=None, factory=Connection,
                                       check_same_thread=False)
            else:
                conn = sqlite3.connect(data.db_path, timeout=30, isolation_level=None,
                                       factory=Connection, check_same_thread=False)
            conn.execute("PRAGMA busy_timeout = 30000")
            conn.execute("select count(*) from sqlite_master")  # is it a database at all?
            self.db = Database(conn)
            if not read_only:
                self.db.enable_wal()
                with self.transaction():
                    migrate(self.db)
            self.show = BibleTables(self)
            self.takes = TakeTables(self)
            self.air = AirTables(self)
            self.calls = CallTables(self)
            self.network = ChannelTables(self)
            self.programme = Programme(self)
            self.retention = RetentionQueries(self)
            self.costs = CostTables(self)
            self.reviews = ReviewTables(self)
            self.guide = GuideTables(self)
            self.suggestions = SuggestionTables(self)
        except sqlite3.OperationalError as exc:  # read-only file or disk, not a database
            raise ConfigError(f"cannot open the channel's database {data.db_path}: {exc}") \
                from None
        except sqlite3.DatabaseError as exc:
            raise ConfigError(f"{data.db_path} is not a usable database: {exc}") from None

    def transaction(self) -> AbstractContextManager[None]:
        """One state change, whichever facets it touches."""
        return transaction(self.db.conn)

    def close(self) -> None:
        self.db.conn.close()


class CallJournal:
    """Writes remote-call records from any thread, through one connection of its own."""

    def __init__(self, data: DataDir) -> None:
        self.data = data
        self._store: Store | None = None
        self._lock = threading.Lock()

    def __call__(self, **fields: Any) -> None:
        fields["arguments"] = json.dumps(fields.get("arguments"), default=str)
        with self._lock:
            if self._store is None:
                self._store = Store(self.data)
            self._store.calls.log_remote_call(**fields)

    def close(self) -> None:
        with self._lock:
            if self._store is not None:
                self._store.close()
                self._store = None
