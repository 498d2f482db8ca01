"""Shots and their takes in the store: the shot list, every take made, its checks."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any, TypedDict

from webtv.core.clock import now
from webtv.core.errors import NotFound
from webtv.state.rows import AiredTake, Check, RejectedTake, Shot, Take, TakeWithShot
from webtv.state.tables import Tables, encode

TAKE_STATES = ("made", "accepted", "rejected", "scheduled", "aired", "failed")


class Pace(TypedDict):
    seconds_per_take: float  # wall seconds per accepted take, writing to acceptance
    backend: str | None  # the video backend it was measured on
    scenes: int  # how many scenes it was measured over

class TakeTables(Tables):
    """Store methods for shots, takes and checks."""

    # -- shots ---------------------------------------------------------------------------
    def add_shots(self, sequence: int | None, shots: list[dict[str, Any]]
                  ) -> list[Shot]:
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
                ids.append(self.db["shots"].insert(encode(row)).last_pk)
        return [self.shot(i) for i in ids]

    def shot(self, shot_id: int) -> Shot:
        row = self._one("select * from shots where id = ?", (shot_id,))
        if row is None:
            raise NotFound(f"no shot with id {shot_id}")
        return row

    def shots(self, status: str | None = None, limit: int = 200) -> list[Shot]:
        where, params = ("where status = ?", (status, limit)) if status else ("", (limit,))
        return self._all(f"select * from shots {where} order by id desc limit ?", params)[::-1]

    def next_sequence(self) -> int:
        row = self._one("select max(sequence) as s from shots")
        return (row["s"] or 0) + 1

    def set_shot_status(self, shot_id: int, status: str, reason: str | None = None) -> None:
        with self.transaction():
            self.db["shots"].update(shot_id, {"status": status,
                                              **({"reason": reason} if reason is not None else {})})

    def change_action(self, shot_id: int, action: str) -> None:
        """A shot said differently (a review by sight): its next take is composed from the new
        action (a prompt the director wrote for the old one is dropped)."""
        with self.transaction():
            self.db["shots"].update(shot_id, {"action": action, "prompt": None})

    def rewrite_shot(self, shot_id: int, changes: dict[str, str]) -> None:
        """A shot said differently by the code (it failed one check twice): its camera and
        motion fields changed, its next take composed from them (a prompt the director wrote
        for the old ones is dropped)."""
        assert set(changes) <= {"camera_move", "camera_direction", "subject_motion",
                                "subject_direction"}, changes
        with self.transaction():
            self.db["shots"].update(shot_id, {**changes, "prompt": None})

    def count_attempt(self, shot_id: int) -> int:
        """One more attempt at a shot; its number (1 for the first)."""
        with self.transaction():
            self.db.execute("update shots set attempts = attempts + 1 where id = ?", (shot_id,))
            return self._one("select attempts from shots where id = ?", (shot_id,))["attempts"]

    def uncount_attempt(self, shot_id: int) -> None:
        """An attempt that never started (the budget had no room): not counted after all."""
        with self.transaction():
            self.db.execute("update shots set attempts = max(0, attempts - 1) where id = ?",
                            (shot_id,))

    def latest_shot(self, position: int) -> Shot | None:
        """The newest shot of the current show at this position in its list: how the director
        refers to a shot ("shot 3") without copying ids."""
        return self._one(
            "select shots.* from shots join segments on segments.id = shots.segment_id "
            "where shots.position = ? and segments.show_id is "
            "(select show_id from bible where id = 1) order by shots.id desc limit 1",
            (position,))

    def take_before(self, shot_id: int) -> Take | None:
        """The newest good take (accepted, scheduled or aired) of the shot just before this
        one in its episode, if that shot is in the same place: where a shot that continues it
        starts from."""
        return self._one(
            "select takes.* from takes join shots as before on before.id = takes.shot_id "
            "join shots as this on this.id = ? where before.id = (select max(id) from shots "
            "where segment_id is this.segment_id and id < this.id) "
            "and before.place is this.place "
            "and takes.status in ('accepted', 'scheduled', 'aired') and takes.media is not null "
            "order by takes.id desc limit 1", (shot_id,))

    # -- takes and checks ----------------------------------------------------------------
    def add_take(self, **fields: Any) -> Take:
        with self.transaction():
            take_id = self.db["takes"].insert(encode({
                "status": "made", "reason": "", **fields, "created_at": now()})).last_pk
        return self.take(take_id)

    def take(self, take_id: int) -> Take:
        row = self._one("select * from takes where id = ?", (take_id,))
        if row is None:
            raise NotFound(f"no take with id {take_id}")
        return row

    def words(self, take_id: int) -> dict[str, str]:
        """What a take says: its shot's action, the prompt it was made from, and who suggested
        its scene ("" when the director wrote it)."""
        row = self._one("select takes.prompt, shots.action, suggestions.name from takes left "
                        "join shots on shots.id = takes.shot_id left join suggestions on "
                        "suggestions.id = shots.suggestion_id where takes.id = ?", (take_id,)) \
            or {}
        return {"action": row.get("action") or "", "prompt": row.get("prompt") or "",
                "credit": f"suggested by {row['name']}" if row.get("name") else ""}

    def library_media(self) -> list[dict[str, Any]]:
        """Every accepted take's file that is still on disk (on the schedule, aired or not)."""
        return self._all("select id, media from takes where media is not null and purged_at "
                         "is null and status in ('accepted', 'scheduled', 'aired') order by id")

    def set_media(self, take_id: int, media: str) -> None:
        """A take's file made again (its sound brought to the channel's level): the old file
        is an orphan that retention removes."""
        with self.transaction():
            self.db["takes"].update(take_id, {"media": media})

    def takes_for_shot(self, shot_id: int) -> list[Take]:
        return self._all("select * from takes where shot_id = ? order by id", (shot_id,))

    def find_take(self, shot_id: int, seed: int, prompt: str) -> Take | None:
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

    def checks(self, take_id: int) -> list[Check]:
        return self._all("select * from checks where take_id = ? order by id", (take_id,))

    def set_favourite(self, take_id: int, favourite: bool = True) -> Take:
        """A favourite take is kept by the retention policy however old it is."""
        self.take(take_id)  # NotFound for an unknown id
        with self.transaction():
            self.db["takes"].update(take_id, {"favourite": int(favourite)})
        return self.take(take_id)

    def recent_aired(self, limit: int = 12) -> list[AiredTake]:
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

    def rejected_takes(self, limit: int = 20) -> list[RejectedTake]:
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

    def last_failed(self) -> Take | None:
        """The latest take no backend could make (status "failed"), with its reason."""
        return self._one("select * from takes where status = 'failed' order by id desc limit 1")

    def take_prompts(self) -> list[str]:
        return [r["prompt"] for r in self._all("select prompt from takes order by id")]

    def takes_with_their_shots(self) -> list[TakeWithShot]:
        """Every take, oldest first, with its shot's cast (``shot_entities``: names)."""
        return [{**row, "shot_entities": json.loads(row["shot_entities"] or "[]")}
                for row in self._all("select takes.*, shots.entities as shot_entities from takes "
                                     "join shots on shots.id = takes.shot_id order by takes.id")]

    def pace(self, scenes: int = 6) -> Pace | None:
        """How fast the channel makes takes, as measured: for each of the latest ``scenes``
        scenes made with the video backend of the newest take, the seconds from the scene being
        written to its latest accepted take, per accepted take (retakes, faults and parallel
        work are in it); their median, so one scene that waited out a crash does not count.
        None: no take has been accepted yet."""
        latest = self._one("select json_extract(backends, '$.video') as video from takes "
                           "order by id desc limit 1")
        if latest is None:
            return None
        rows = self._all(
            "select shots.sequence, min(shots.created_at) as written, "
            "max(takes.created_at) as last, count(distinct takes.id) as n from takes "
            "join shots on shots.id = takes.shot_id where takes.status in "
            "('accepted', 'scheduled', 'aired') and json_extract(takes.backends, '$.video') "
            "is ? group by shots.sequence order by shots.sequence desc limit ?",
            (latest["video"], scenes))
        each = sorted(max(0.0, (datetime.fromisoformat(r["last"]) - datetime.fromisoformat(
            r["written"])).total_seconds()) / r["n"] for r in rows)
        if not each:
            return None
        return {"seconds_per_take": round(each[len(each) // 2], 1), "backend": latest["video"],
                "scenes": len(each)}

    def take_counts(self) -> dict[str, int]:
        counts = {state: 0 for state in TAKE_STATES}
        for row in self.db.query("select status, count(*) as n from takes group by status"):
            counts[row["status"]] = row["n"]
        return counts
