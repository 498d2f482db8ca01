"""The connection every part of the store shares: WAL mode, one transaction per state change,
rows decoded from JSON where a column holds it."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from typing import Any

from sqlite_utils import Database

JSON_COLUMNS = {"palette", "colours", "entities", "backends", "faults"}


def decode(row: dict[str, Any] | None) -> dict[str, Any] | None:
    if row is None:
        return None
    return {k: (json.loads(v) if k in JSON_COLUMNS and isinstance(v, str) else v)
            for k, v in row.items()}


def encode(values: dict[str, Any]) -> dict[str, Any]:
    return {k: (json.dumps(v) if k in JSON_COLUMNS and not isinstance(v, str) else v)
            for k, v in values.items()}


class Connection(sqlite3.Connection):
    """sqlite-utils wraps each write in ``with conn:``, which commits. Inside one of our
    transactions that would commit half a state change, so it is deferred to the outer one."""

    depth = 0

    def __exit__(self, *exc: object) -> bool:
        if self.depth:
            return False
        return super().__exit__(*exc)


class Tables:
    """One facet of the store (the show, takes, the air, ...): its typed methods over the
    store's one connection. Facets share the connection and its transactions, so a state
    change that spans two facets is still one transaction."""

    def __init__(self, store: Any) -> None:
        self.store = store  # the Store; typed loosely: it is built from the facets

    @property
    def db(self) -> Database:
        return self.store.db

    def transaction(self) -> AbstractContextManager[None]:
        return self.store.transaction()

    def _one(self, sql: str, params: tuple | dict = ()) -> dict[str, Any] | None:
        rows = list(self.db.query(sql, params))
        return decode(rows[0]) if rows else None

    def _all(self, sql: str, params: tuple | dict = ()) -> list[dict[str, Any]]:
        return [decode(r) for r in self.db.query(sql, params)]


@contextmanager
def transaction(conn: Connection) -> Iterator[None]:
    """One state change: BEGIN IMMEDIATE ... COMMIT, or ROLLBACK on any exception; nested,
    the inner ones join the outer."""
    if conn.depth:
        conn.depth += 1
        try:
            yield
        finally:
            conn.depth -= 1
        return
    conn.execute("BEGIN IMMEDIATE")
    conn.depth = 1
    try:
        yield
    except BaseException:
        conn.depth = 0
        conn.execute("ROLLBACK")
        raise
    conn.depth = 0
    conn.execute("COMMIT")
