from pathlib import Path

import pytest

from webtv.core.errors import ConfigError, NotFound
from webtv.state.datadir import DataDir
from webtv.state.migrations import MIGRATIONS
from webtv.state.store import Store


def columns(store: Store, table: str) -> list[str]:
    return [c.name for c in store.db[table].columns]


def test_migrations_reach_the_final_schema(store: Store) -> None:
    assert columns(store, "bible") == ["id", "theme", "title", "logline", "visual_style",
                                       "palette", "music_mood", "updated_at", "show_id",
                                       "time_of_day", "weather"]
    assert columns(store, "entities") == ["id", "kind", "name", "description", "colours",
                                          "wardrobe", "marks", "updated_at", "reference"]
    assert columns(store, "shots") == [
        "id", "sequence", "position", "action", "entities", "place", "framing",
        "camera_move", "camera_direction", "subject_motion", "subject_direction", "time_of_day",
        "mood", "duration_s", "status", "created_at", "segment_id", "prompt", "reason",
        "attempts", "continues", "suggestion_id"]
    assert columns(store, "takes") == ["id", "shot_id", "seed", "prompt", "backends", "media",
                                       "contact_sheet", "duration_s", "status", "reason",
                                       "created_at", "faults", "ocr_text", "favourite",
                                       "purged_at", "start"]
    assert columns(store, "checks") == ["id", "take_id", "name", "value", "threshold", "passed",
                                        "detail", "created_at"]
    assert columns(store, "schedule") == ["id", "take_id", "status", "created_at"]
    assert columns(store, "air_log") == ["id", "session", "schedule_id", "take_id", "kind",
                                         "stream_start", "stream_end", "started_at",
                                         "ended_at", "note", "channel"]
    assert columns(store, "llm_calls") == ["id", "conversation", "model", "request", "response",
                                           "prompt_tokens", "completion_tokens", "duration_ms",
                                           "created_at"]
    assert columns(store, "tool_calls") == ["id", "conversation", "llm_call_id", "name",
                                            "arguments", "result", "ok", "duration_ms",
                                            "created_at", "made_by"]
    assert columns(store, "remote_calls") == ["id", "endpoint", "capability", "attempt",
                                              "arguments", "duration_ms", "outcome", "error",
                                              "created_at"]
    assert columns(store, "assets") == ["key", "capability", "backend", "media", "created_at"]
    assert columns(store, "shows") == ["id", "theme", "title", "bible", "started_at", "ended_at"]
    assert columns(store, "segments") == ["id", "show_id", "position", "title", "synopsis",
                                          "shots", "status", "created_at"]
    assert columns(store, "theme_queue") == ["id", "theme", "status", "created_at",
                                             "started_at"]
    assert columns(store, "channel") == ["key", "value", "updated_at"]
    applied = [r["name"] for r in store.db["_migrations"].rows]
    assert applied == [fn.__name__ for fn in MIGRATIONS]


def test_reopening_applies_nothing_twice_and_uses_wal(data: DataDir) -> None:
    Store(data).close()
    again = Store(data)
    assert again.db["_migrations"].count == len(MIGRATIONS)
    assert again.db.execute("pragma journal_mode").fetchone()[0] == "wal"
    again.close()


def test_a_failed_state_change_leaves_nothing_behind(store: Store) -> None:
    with pytest.raises(RuntimeError):
        with store.transaction():
            store.show.add_note("half")
            store.show.set_bible(title="half")
            raise RuntimeError("crash in the middle")
    assert store.show.notes() == []
    assert store.show.bible() is None


def test_entity_colours_merge_and_names_match_any_case(store: Store) -> None:
    store.show.upsert_entity("character", "Fox", colours={"fur": "orange", "scarf": "red"})
    fox = store.show.upsert_entity("character", "fox", colours={"scarf": "green"})
    assert fox["name"] == "Fox"
    assert fox["colours"] == {"fur": "orange", "scarf": "green"}
    with pytest.raises(NotFound, match="known: Fox"):
        store.show.entity("badger")


def test_schedule_claims_in_order_and_never_airs_twice_after_a_crash(store: Store) -> None:
    store.show.set_bible(title="t")
    shot = store.takes.add_shots(1, [{"action": "a", "duration_s": 3.0}])[0]
    ids = [store.takes.add_take(shot_id=shot["id"], seed=i, prompt="p", media="m",
                                duration_s=3.0)["id"] for i in range(2)]
    for take_id in ids:
        store.takes.set_take_status(take_id, "accepted")
        store.air.schedule_take(take_id)
    assert store.air.queued_seconds() == 6.0
    def claim_next() -> dict:
        return store.air.claim(store.air.next_scene()["ready"][0]["schedule_id"])

    first = claim_next()
    assert first["take_id"] == ids[0]
    assert store.air.claim(first["id"]) is None  # claimed once only
    store.air.log_air(session="s", kind="take", take_id=ids[0], schedule_id=first["id"],
                      stream_start=0.0, started_at="2026-01-01T00:00:00.000+00:00")
    assert store.air.close_crashed_airings() == 1  # the process died while it was on air
    assert store.takes.take(ids[0])["status"] == "aired"
    assert store.air.air_log()[0]["note"] == "cut off by a crash"
    assert claim_next()["take_id"] == ids[1]
    store.air.requeue(2)  # a clean stop cut it early: back to the head of the queue
    assert claim_next()["take_id"] == ids[1]


def test_paths_stay_inside_the_data_dir(data: DataDir, tmp_path: Path) -> None:
    with pytest.raises(ConfigError):
        data.resolve("../outside.mp4")
    produced = data.workspace() / "x.bin"
    produced.write_bytes(b"abc")
    kept = data.keep(produced, ".bin")
    assert kept.startswith("media/") and data.resolve(kept).read_bytes() == b"abc"


def test_many_openers_of_one_data_dir_at_once_all_succeed(tmp_path: Path) -> None:
    # the autopilot, `webtv chat` and workers open the same dir at the same moment: each
    # one's write probe is its own, so none fails because another removed a shared one
    from concurrent.futures import ThreadPoolExecutor

    home = tmp_path / "home"
    with ThreadPoolExecutor(max_workers=8) as pool:
        opened = list(pool.map(lambda _: DataDir(home), range(400)))
    assert len(opened) == 400 and not list((home / "work").iterdir())


class _Down:
    """A video backend that is down: write_shots then only writes (no minutes of rendering)."""

    name = "down"

    def generate(self, request, out_dir):
        from webtv.core.errors import BackendError

        raise BackendError("down for the test")


def _writer(home: str, worker: int, rounds: int) -> None:
    """One of several processes changing the same show at once, as the autopilot, `webtv chat`
    and the operator console do."""
    import dataclasses
    import json

    from webtv import tools
    from webtv.production.backends import local_backends
    from webtv.tools.context import ToolContext

    data = DataDir(Path(home))
    store = Store(data)
    ctx = ToolContext.open(store=store, data=data)
    ctx = ctx.with_production(backends=dataclasses.replace(local_backends(), video=_Down()))
    registry = tools.load()
    for i in range(rounds):
        tag = "".join(chr(ord("a") + int(d)) for d in f"{worker}{i:03d}")  # repeats: letters
        calls = [("update_cast", {"name": f"Extra {i % 4}", "look": f"a {worker} coat"}),
                 ("plan_episodes", {"episodes": [{"title": f"W{worker} E{i}"}]}),
                 ("write_shots", {"shots": [{"action": f"the fox takes letter {tag}{n}"}
                                            for n in "ab"]})]
        for name, arguments in calls:
            result = registry.dispatch(ctx, name, json.dumps(arguments))
            assert result.ok, (name, result.content)
    store.close()


def test_several_processes_change_the_show_at_once_without_a_clash(tmp_path: Path) -> None:
    import json
    import multiprocessing

    from webtv import tools
    from webtv.tools.context import ToolContext

    data = DataDir(tmp_path / "home")
    store = Store(data)
    assert tools.load().dispatch(ToolContext.open(store=store, data=data), "set_show", json.dumps({
        "title": "Fox Post", "logline": "A fox delivers mail.",
        "cast": [{"name": "Fox", "look": "a fox, red scarf"},
                 {"name": "Wood", "kind": "place", "look": "a wood, green trees"}]})).ok
    spawn = multiprocessing.get_context("spawn")
    workers = [spawn.Process(target=_writer, args=(str(data.root), w, 25)) for w in range(3)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=240)
    assert [w.exitcode for w in workers] == [0, 0, 0]
    shots = store.takes.shots(limit=1000)
    assert len(shots) == 3 * 25 * 2
    assert len({(s["sequence"], s["position"]) for s in shots}) == len(shots)
    assert sorted(e["name"] for e in store.show.entities() if e["name"].startswith("Extra")) == [
        "Extra 0", "Extra 1", "Extra 2", "Extra 3"]
    positions = [s["position"] for s in store.programme.segments()]
    assert positions == list(range(1, 3 * 25 + 2))
    store.close()


def test_the_typed_rows_have_exactly_their_tables_columns(store: Store) -> None:
    """What crosses out of state/ is typed; a migration that adds a column must add it to the
    row's type too (and a type cannot promise a column the table lacks)."""
    from typing import get_type_hints

    from webtv.state.rows import TABLES

    for table, row in TABLES.items():
        assert set(get_type_hints(row)) == {c.name for c in store.db[table].columns}, table


def test_each_new_migration_changes_one_table() -> None:
    """From m010 on a migration is one concern: every table it touches (db["x"], or named in
    its SQL) is the same one."""
    import ast
    import inspect
    import re
    import textwrap

    from webtv.state.migrations import MIGRATIONS

    newer = [fn for fn in MIGRATIONS if int(fn.__name__[1:4]) >= 10]
    assert newer  # the rule has something to hold
    for fn in newer:
        tables = set()
        for node in ast.walk(ast.parse(textwrap.dedent(inspect.getsource(fn)))):
            if isinstance(node, ast.Subscript) and isinstance(node.slice, ast.Constant):
                tables.add(node.slice.value)
            elif isinstance(node, ast.Constant) and isinstance(node.value, str):
                tables |= set(re.findall(r"\b(?:update|into|from|table)\s+(\w+)", node.value,
                                         re.I))
        assert len(tables) == 1, (fn.__name__, tables)


def test_a_channel_made_before_place_was_the_word_keeps_its_places(tmp_path: Path) -> None:
    """A data dir whose places were stored as "location" (entities, the shots' column, an
    archived show) opens with every one of them a place, nothing else changed."""
    import json

    from sqlite_utils import Database

    from webtv.state.migrations import migrate

    data = DataDir(tmp_path / "old")
    db = Database(data.db_path)
    for fn in MIGRATIONS[:MIGRATIONS.index(next(f for f in MIGRATIONS
                                               if f.__name__ == "m018_entity_kind_place"))]:
        fn(db)
    db["_migrations"].create({"name": str, "applied_at": str}, pk="name")
    db["_migrations"].insert_all({"name": fn.__name__, "applied_at": "then"}
                                 for fn in MIGRATIONS[:17])
    db["entities"].insert_all([{"kind": "location", "name": "Harbour"},
                               {"kind": "character", "name": "Fox"}])
    db["shots"].insert({"sequence": 1, "position": 1, "action": "waits", "location": "Harbour"})
    db["shows"].insert({"theme": "old", "title": "Old", "bible": json.dumps(
        {"title": "Old", "entities": [{"name": "Dock", "kind": "location"}]})})
    assert migrate(db)[:3] == ["m018_entity_kind_place", "m019_shot_place",
                               "m020_archived_place"]
    db.conn.close()
    with Store(data) as store:
        assert {e["name"]: e["kind"] for e in store.show.entities()} == {
            "Harbour": "place", "Fox": "character"}
        assert store.db.execute("select place from shots").fetchone()[0] == "Harbour"
        archived = json.loads(store.db.execute("select bible from shows").fetchone()[0])
        assert archived["entities"] == [{"name": "Dock", "kind": "place"}]
