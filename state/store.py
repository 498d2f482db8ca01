"""The only code that touches SQLite. One transaction per state change, WAL mode.

Open one Store per thread (SQLite connections are not shared across threads).
"""

from __future__ import annotations

import json
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlite_utils import Database

from webtv.core.errors import ConfigError, NotFound
from webtv.state.datadir import DataDir
from webtv.state.migrations import migrate, now
from webtv.state.programme import Programme
from webtv.state.retention import RetentionQueries

_JSON = {"palette", "colours", "entities", "backends", "faults"}
TAKE_STATES = ("made", "accepted", "rejected", "scheduled", "aired", "failed")


def _decode(row: dict[str, Any] | None) -> dict[str, Any] | None:
    if row is None:
        return None
    return {k: (json.loads(v) if k in _JSON and isinstance(v, str) else v) for k, v in row.items()}


def _encode(values: dict[str, Any]) -> dict[str, Any]:
    return {k: (json.dumps(v) if k in _JSON and not isinstance(v, str) else v)
            for k, v in values.items()}


class _Connection(sqlite3.Connection):
    """sqlite-utils wraps each write in ``with conn:``, which commits. Inside one of our
    transactions that would commit half a state change, so it is deferred to the outer one."""

    depth = 0

    def __exit__(self, *exc: object) -> bool:
        if self.depth:
            return False
        return super().__exit__(*exc)


class Store(Programme, RetentionQueries):
    def __init__(self, data: DataDir, read_only: bool = False) -> None:
        """``read_only``: for commands that only look (status): nothing is created or
        migrated, and a write would fail."""
        self.data = data
        try:
            if read_only:
                conn = sqlite3.connect(f"{data.db_path.as_uri()}?mode=ro", uri=True, timeout=30,
                                       isolation_level=None, factory=_Connection,
                                       check_same_thread=False)
            else:
                conn = sqlite3.connect(data.db_path, timeout=30, isolation_level=None,
                                       factory=_Connection, check_same_thread=False)
            conn.execute("PRAGMA busy_timeout = 30000")
            conn.execute("select count(*) from sqlite_master")  # is it a database at all?
            self.db = Database(conn)
            if not read_only:
                self.db.enable_wal()
                with self.transaction():
                    migrate(self.db)
        except sqlite3.OperationalError as exc:  # read-only file or disk, not a database
            raise ConfigError(f"cannot open the channel's database {data.db_path}: {exc}") \
                from None
        except sqlite3.DatabaseError as exc:
            raise ConfigError(f"{data.db_path} is not a usable database: {exc}") from None

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """One state change: BEGIN IMMEDIATE ... COMMIT, or ROLLBACK on any exception."""
        conn: _Connection = self.db.conn
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

    def close(self) -> None:
        self.db.conn.close()

    def _one(self, sql: str, params: tuple | dict = ()) -> dict[str, Any] | None:
        rows = list(self.db.query(sql, params))
        return _decode(rows[0]) if rows else None

    def _all(self, sql: str, params: tuple | dict = ()) -> list[dict[str, Any]]:
        return [_decode(r) for r in self.db.query(sql, params)]

    # -- bible ---------------------------------------------------------------------------
    def bible(self) -> dict[str, Any] | None:
        return self._one("select * from bible where id = 1")

    def set_bible(self, **fields: Any) -> dict[str, Any]:
        with self.transaction():
            self.db["bible"].upsert({"id": 1, **_encode(fields), "updated_at": now()}, pk="id")
        return self.bible()

    def add_note(self, text: str) -> dict[str, Any]:
        with self.transaction():
            row_id = self.db["notes"].insert({"text": text, "created_at": now()}).last_pk
        return {"id": row_id, "text": text}

    def notes(self) -> list[str]:
        return [r["text"] for r in self._all("select text from notes order by id")]

    def entities(self, kind: str | None = None) -> list[dict[str, Any]]:
        if kind:
            return self._all("select * from entities where kind = ? order by id", (kind,))
        return self._all("select * from entities order by id")

    def entity(self, name: str) -> dict[str, Any]:
        row = self._one("select * from entities where lower(name) = lower(?)", (name,))
        if row is None:
            known = ", ".join(e["name"] for e in self.entities()) or "none yet"
            raise NotFound(f"no bible entry named {name!r} (known: {known})")
        return row

    def upsert_entity(self, kind: str, name: str, **fields: Any) -> dict[str, Any]:
        """Create or update an entity; colours are merged key by key, other fields replaced."""
        values = {k: v for k, v in fields.items() if v is not None}
        with self.transaction():  # read and write in one: another writer may add it meanwhile
            existing = self._one("select * from entities where lower(name) = lower(?)", (name,))
            if existing is not None:
                name = existing["name"]
                if "colours" in values:
                    values["colours"] = {**(existing["colours"] or {}), **values["colours"]}
            if existing is None:
                self.db["entities"].insert(_encode({
                    "kind": kind, "name": name, "description": "", "colours": {},
                    "wardrobe": "", "marks": "", **values, "updated_at": now()}))
            else:
                self.db["entities"].update(existing["id"], _encode({
                    "kind": kind, **values, "updated_at": now()}))
        return self.entity(name)

    # -- shots ---------------------------------------------------------------------------
    def add_shots(self, sequence: int | None, shots: list[dict[str, Any]]
                  ) -> list[dict[str, Any]]:
        """Append shots to a sequence (None: a new one), numbered after the ones already there;
        the numbers are read in the transaction that writes them, so writers never collide."""
        with self.transaction():
            if sequence is None:
                sequence = self.next_sequence()
            last = self._one("select max(position) as p from shots where sequence = ?",
                             (sequence,))
            start = (last["p"] or 0) + 1
            ids = []
            for offset, shot in enumerate(shots):
                row = {**shot, "sequence": sequence, "position": start + offset,
                       "status": "planned", "created_at": now()}
                ids.append(self.db["shots"].insert(_encode(row)).last_pk)
        return [self.shot(i) for i in ids]

    def shot(self, shot_id: int) -> dict[str, Any]:
        row = self._one("select * from shots where id = ?", (shot_id,))
        if row is None:
            raise NotFound(f"no shot with id {shot_id}")
        return row

    def shots(self, status: str | None = None, limit: int = 200) -> list[dict[str, Any]]:
        where, params = ("where status = ?", (status, limit)) if status else ("", (limit,))
        return self._all(f"select * from shots {where} order by id desc limit ?", params)[::-1]

    def next_sequence(self) -> int:
        row = self._one("select max(sequence) as s from shots")
        return (row["s"] or 0) + 1

    def set_shot_status(self, shot_id: int, status: str, reason: str | None = None) -> None:
        with self.transaction():
            self.db["shots"].update(shot_id, {"status": status,
                                              **({"reason": reason} if reason is not None else {})})

    def count_attempt(self, shot_id: int) -> int:
        """One more attempt at a shot; its number (1 for the first)."""
        with self.transaction():
            self.db.execute("update shots set attempts = attempts + 1 where id = ?", (shot_id,))
            return self._one("select attempts from shots where id = ?", (shot_id,))["attempts"]

    def latest_shot(self, position: int) -> dict[str, Any] | None:
        """The newest shot of the current show at this position in its list: how the director
        refers to a shot ("shot 3") without copying ids."""
        return self._one(
            "select shots.* from shots join segments on segments.id = shots.segment_id "
            "where shots.position = ? and segments.show_id is "
            "(select show_id from bible where id = 1) order by shots.id desc limit 1",
            (position,))

    # -- takes and checks ----------------------------------------------------------------
    def add_take(self, **fields: Any) -> dict[str, Any]:
        with self.transaction():
            take_id = self.db["takes"].insert(_encode({
                "status": "made", "reason": "", **fields, "created_at": now()})).last_pk
        return self.take(take_id)

    def take(self, take_id: int) -> dict[str, Any]:
        row = self._one("select * from takes where id = ?", (take_id,))
        if row is None:
            raise NotFound(f"no take with id {take_id}")
        return row

    def takes_for_shot(self, shot_id: int) -> list[dict[str, Any]]:
        return self._all("select * from takes where shot_id = ? order by id", (shot_id,))

    def find_take(self, shot_id: int, seed: int, prompt: str) -> dict[str, Any] | None:
        """A finished take of this shot with this seed and prompt: never generate it twice."""
        return self._one(
            "select * from takes where shot_id = ? and seed = ? and prompt = ? "
            "and status != 'failed' order by id desc limit 1", (shot_id, seed, prompt))

    def set_take_status(self, take_id: int, status: str, reason: str = "") -> None:
        assert status in TAKE_STATES, status
        with self.transaction():
            self.db["takes"].update(take_id, {"status": status, "reason": reason})

    def set_contact_sheet(self, take_id: int, sheet: str, ocr_text: str = "") -> None:
        with self.transaction():
            self.db["takes"].update(take_id, {"contact_sheet": sheet, "ocr_text": ocr_text})

    def record_checks(self, take_id: int, checks: list[dict[str, Any]],
                      replace: bool = True) -> None:
        with self.transaction():
            if replace:
                self.db.execute("delete from checks where take_id = ?", (take_id,))
            self.db["checks"].insert_all(
                {"take_id": take_id, **c, "passed": int(c["passed"]), "created_at": now()}
                for c in checks)

    def checks(self, take_id: int) -> list[dict[str, Any]]:
        return self._all("select * from checks where take_id = ? order by id", (take_id,))

    def set_favourite(self, take_id: int, favourite: bool = True) -> dict[str, Any]:
        """A favourite take is kept by the retention policy however old it is."""
        self.take(take_id)  # NotFound for an unknown id
        with self.transaction():
            self.db["takes"].update(take_id, {"favourite": int(favourite)})
        return self.take(take_id)

    def recent_aired(self, limit: int = 12) -> list[dict[str, Any]]:
        """Takes that went on air, the latest first (each once), with their shot's action;
        ``media``/``contact_sheet`` are None once the retention policy removed the files."""
        return self._all(
            "select takes.id, takes.prompt, takes.duration_s, takes.favourite, "
            "case when takes.purged_at is null then takes.media end as media, "
            "case when takes.purged_at is null then takes.contact_sheet end as contact_sheet, "
            "shots.action, max(air_log.id) as last_air, max(air_log.started_at) as aired_at "
            "from air_log join takes on takes.id = air_log.take_id "
            "join shots on shots.id = takes.shot_id where air_log.kind = 'take' "
            "group by takes.id order by last_air desc limit ?", (limit,))

    def rejected_takes(self, limit: int = 20) -> list[dict[str, Any]]:
        """The latest rejected takes, each with the checks it failed."""
        rows = self._all(
            "select takes.id, takes.shot_id, takes.prompt, takes.reason, takes.created_at, "
            "case when takes.purged_at is null then takes.contact_sheet end as contact_sheet, "
            "shots.action from takes join shots on shots.id = takes.shot_id "
            "where takes.status = 'rejected' order by takes.id desc limit ?", (limit,))
        for row in rows:
            row["failed_checks"] = self._all(
                "select name, value, threshold, detail from checks "
                "where take_id = ? and passed = 0 order by id", (row["id"],))
        return rows

    def take_counts(self) -> dict[str, int]:
        counts = {state: 0 for state in TAKE_STATES}
        for row in self.db.query("select status, count(*) as n from takes group by status"):
            counts[row["status"]] = row["n"]
        return counts

    # -- schedule and air ----------------------------------------------------------------
    def schedule_take(self, take_id: int) -> dict[str, Any]:
        with self.transaction():
            entry_id = self.db["schedule"].insert(
                {"take_id": take_id, "status": "queued", "created_at": now()}).last_pk
            self.db["takes"].update(take_id, {"status": "scheduled"})
            # the shot is done in the same transaction: a crash never leaves it to make again
            self.db.execute("update shots set status = 'scheduled' where id = "
                            "(select shot_id from takes where id = ?)", (take_id,))
        return self._one("select * from schedule where id = ?", (entry_id,))

    def upcoming(self, limit: int = 20) -> list[dict[str, Any]]:
        return self._all(
            "select schedule.id as schedule_id, takes.*, shots.action, shots.sequence, "
            "shots.position from schedule join takes on takes.id = schedule.take_id "
            "join shots on shots.id = takes.shot_id where schedule.status = 'queued' "
            "order by schedule.id limit ?", (limit,))

    def queued_seconds(self) -> float:
        row = self._one(
            "select coalesce(sum(takes.duration_s), 0) as s from schedule join takes "
            "on takes.id = schedule.take_id where schedule.status = 'queued'")
        return float(row["s"])

    def claim_next(self) -> dict[str, Any] | None:
        """Take the next queued entry off the schedule and mark it airing (one transaction)."""
        with self.transaction():
            entry = self._one("select * from schedule where status = 'queued' order by id limit 1")
            if entry is None:
                return None
            self.db["schedule"].update(entry["id"], {"status": "airing"})
        return entry

    def finish_entry(self, schedule_id: int, status: str) -> None:
        with self.transaction():
            self.db["schedule"].update(schedule_id, {"status": status})
            entry = self._one("select take_id from schedule where id = ?", (schedule_id,))
            take_status = "aired" if status == "aired" else "failed"
            self.db["takes"].update(entry["take_id"], {"status": take_status})

    def requeue(self, schedule_id: int) -> None:
        with self.transaction():
            self.db["schedule"].update(schedule_id, {"status": "queued"})

    def close_crashed_airings(self) -> int:
        """After a crash: whatever was mid-air went on air, so it counts as aired (never twice),
        and its open air-log rows are closed with a note."""
        with self.transaction():
            cursor = self.db.execute(
                "update takes set status = 'aired' where id in "
                "(select take_id from schedule where status = 'airing')")
            self.db.execute("update schedule set status = 'aired' where status = 'airing'")
            self.db.execute(
                "update air_log set ended_at = started_at, note = 'cut off by a crash' "
                "where ended_at is null")
        return cursor.rowcount

    def replay_candidate(self, skip_recent: int = 3, pool: int = 50) -> dict[str, Any] | None:
        """A recent aired take to replay: the least recently aired of the last ``pool``, not one
        of the last ``skip_recent`` on air while there are others (a young channel has few), and
        never the take that was just on air."""
        rows = self._all(
            "select takes.*, max(air_log.id) as last_air from takes join air_log "
            "on air_log.take_id = takes.id where takes.status = 'aired' "
            "and takes.purged_at is null group by takes.id order by last_air desc limit ?", (pool,))
        recent = [r["take_id"] for r in self._all(
            "select take_id from air_log where take_id is not null order by id desc limit ?",
            (skip_recent,))]
        rows = ([r for r in rows if r["id"] not in recent]
                or [r for r in rows if r["id"] not in recent[:1]])
        return min(rows, key=lambda r: r["last_air"]) if rows else None

    def next_in_the_making(self) -> str | None:
        """The action of the next shot not yet on the schedule, for the slate's 'coming up'."""
        row = self._one("select action from shots where status in ('planned', 'made') "
                        "order by id limit 1")
        return row["action"] if row else None

    def log_air(self, **fields: Any) -> int:
        with self.transaction():
            return self.db["air_log"].insert(fields).last_pk

    def end_air(self, air_id: int, **fields: Any) -> None:
        with self.transaction():
            self.db["air_log"].update(air_id, fields)

    def air_log(self, session: str | None = None, limit: int = 20) -> list[dict[str, Any]]:
        """Recent airings, newest first, joined with the shot and the prompt that made them."""
        where, params = ("where air_log.session = ?", (session, limit)) if session else (
            "", (limit,))
        return self._all(
            "select air_log.*, takes.prompt, shots.action, shots.id as shot_id "
            "from air_log left join takes on takes.id = air_log.take_id "
            f"left join shots on shots.id = takes.shot_id {where} "
            "order by air_log.id desc limit ?", params)

    def latest_session(self) -> str | None:
        row = self._one("select session from air_log order by id desc limit 1")
        return row["session"] if row else None

    # -- call logs -----------------------------------------------------------------------
    def log_llm_call(self, **fields: Any) -> int:
        with self.transaction():
            return self.db["llm_calls"].insert({**fields, "created_at": now()}).last_pk

    def log_tool_call(self, **fields: Any) -> int:
        with self.transaction():
            return self.db["tool_calls"].insert(
                {**fields, "ok": int(fields["ok"]), "created_at": now()}).last_pk

    def log_remote_call(self, **fields: Any) -> int:
        with self.transaction():
            return self.db["remote_calls"].insert({**fields, "created_at": now()}).last_pk

    def endpoint_health(self) -> list[dict[str, Any]]:
        """Per endpoint: attempts, failures, the last outcome and error, from the call log."""
        return self._all(
            "select endpoint, capability, count(*) as attempts, "
            "sum(outcome = 'ok') as ok, sum(outcome != 'ok') as failed, "
            "max(created_at) as last_at, "
            "(select outcome from remote_calls r2 where r2.endpoint = r.endpoint "
            " order by id desc limit 1) as last_outcome, "
            "(select error from remote_calls r2 where r2.endpoint = r.endpoint and "
            " outcome != 'ok' order by id desc limit 1) as last_error "
            "from remote_calls r group by endpoint order by endpoint")

    def cached_asset(self, key: str) -> dict[str, Any] | None:
        return self._one("select * from assets where key = ?", (key,))

    def remember_asset(self, key: str, capability: str, backend: str, media: str) -> None:
        with self.transaction():
            self.db["assets"].upsert({"key": key, "capability": capability, "backend": backend,
                                      "media": media, "created_at": now()}, pk="key")

    def tool_calls(self, limit: int = 50) -> list[dict[str, Any]]:
        return self._all("select * from tool_calls order by id desc limit ?", (limit,))


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
            self._store.log_remote_call(**fields)

    def close(self) -> None:
        with self._lock:
            if self._store is not None:
                self._store.close()
                self._store = None
