"""The show's bible in the store: the show's look, the cast (entities) and standing notes."""

from __future__ import annotations

from typing import Any

from webtv.core.clock import now
from webtv.core.errors import NotFound
from webtv.state.rows import Bible, Entity, Note
from webtv.state.tables import Tables, encode


class BibleTables(Tables):
    """Store methods for the bible, its cast and notes."""

    # -- bible ---------------------------------------------------------------------------
    def bible(self) -> Bible | None:
        return self._one("select * from bible where id = 1")

    def set_bible(self, **fields: Any) -> Bible:
        with self.transaction():
            self.db["bible"].upsert({"id": 1, **encode(fields), "updated_at": now()}, pk="id")
        return self.bible()

    def add_note(self, text: str) -> Note:
        with self.transaction():
            row_id = self.db["notes"].insert({"text": text, "created_at": now()}).last_pk
        return {"id": row_id, "text": text}

    def notes(self) -> list[str]:
        return [r["text"] for r in self._all("select text from notes order by id")]

    def entities(self, kind: str | None = None) -> list[Entity]:
        if kind:
            return self._all("select * from entities where kind = ? order by id", (kind,))
        return self._all("select * from entities order by id")

    def entity(self, name: str) -> Entity:
        row = self._one("select * from entities where lower(name) = lower(?)", (name,))
        if row is None:
            known = ", ".join(e["name"] for e in self.entities()) or "none yet"
            raise NotFound(f"no bible entry named {name!r} (known: {known})")
        return row

    def upsert_entity(self, kind: str, name: str, **fields: Any) -> Entity:
        """Create or update an entity; colours are merged key by key, other fields replaced."""
        values = {k: v for k, v in fields.items() if v is not None}
        with self.transaction():  # read and write in one: another writer may add it meanwhile
            existing = self._one("select * from entities where lower(name) = lower(?)", (name,))
            if existing is not None:
                name = existing["name"]
                if "colours" in values:
                    values["colours"] = {**(existing["colours"] or {}), **values["colours"]}
            if existing is None:
                self.db["entities"].insert(encode({
                    "kind": kind, "name": name, "description": "", "colours": {},
                    "wardrobe": "", "marks": "", **values, "updated_at": now()}))
            else:
                changed = any(values.get(k) not in (None, existing[k]) for k in
                              ("description", "colours", "wardrobe", "marks"))
                self.db["entities"].update(existing["id"], encode({
                    "kind": kind, **values, "updated_at": now(),
                    **({"reference": None} if changed else {})}))  # a new look: a new still
        return self.entity(name)

    def set_reference(self, name: str, media: str) -> None:
        """A cast member's reference still, made once for its current look."""
        with self.transaction():
            self.db.execute("update entities set reference = ? where name = ?", (media, name))
