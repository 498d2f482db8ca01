"""Numbered, append-only migrations. Each runs once and is recorded in ``_migrations``.

Never edit a migration that has shipped; add the next one. From m010 on, one migration per
concern: it creates or changes one table (with that table's indexes), so a migration's name
says everything it does (m007 bundled five tables, three columns and six indexes; it stays as
shipped).
"""

from __future__ import annotations

from collections.abc import Callable

from sqlite_utils import Database

from webtv.core.clock import now

MIGRATIONS: list[Callable[[Database], None]] = []


def migration(fn: Callable[[Database], None]) -> Callable[[Database], None]:
    MIGRATIONS.append(fn)
    return fn


@migration
def m001_create_bible(db: Database) -> None:
    # One row: the show. palette is a JSON list of hex colours the picture should be built from.
    db["bible"].create({
        "id": int, "theme": str, "title": str, "logline": str, "visual_style": str,
        "palette": str, "music_mood": str, "updated_at": str,
    }, pk="id")
    # Standing instructions from the people running the channel ("more close-ups").
    db["notes"].create({"id": int, "text": str, "created_at": str}, pk="id")
    # Characters, locations and props; the continuity attributes every prompt must repeat.
    db["entities"].create({
        "id": int, "kind": str, "name": str, "description": str,
        "colours": str,  # JSON {"scarf": "red", ...}: what the palette check measures
        "wardrobe": str, "marks": str, "updated_at": str,
    }, pk="id", not_null={"kind", "name"})
    db["entities"].create_index(["name"], unique=True)


@migration
def m002_create_shots_and_takes(db: Database) -> None:
    db["shots"].create({
        "id": int, "sequence": int, "position": int, "action": str,
        "entities": str,  # JSON list of entity names in the shot
        "location": str, "framing": str, "camera_move": str, "camera_direction": str,
        "subject_motion": str, "subject_direction": str, "time_of_day": str, "mood": str,
        "duration_s": float, "status": str, "created_at": str,
    }, pk="id")
    db["shots"].create_index(["sequence", "position"], unique=True)
    db["takes"].create({
        "id": int, "shot_id": int, "seed": int,
        "prompt": str,  # exactly as sent to the model, so a take can be reproduced
        "backends": str,  # JSON {"video": "local", ...}
        "media": str,  # house-format file, relative to the data dir
        "contact_sheet": str, "duration_s": float, "status": str, "reason": str,
        "created_at": str,
    }, pk="id", foreign_keys=[("shot_id", "shots", "id")])
    db["takes"].create_index(["status"])
    db["checks"].create({
        "id": int, "take_id": int, "name": str, "value": float, "threshold": float,
        "passed": int, "detail": str, "created_at": str,
    }, pk="id", foreign_keys=[("take_id", "takes", "id")])


@migration
def m003_create_schedule_and_air_log(db: Database) -> None:
    db["schedule"].create({
        "id": int, "take_id": int, "status": str, "created_at": str,
    }, pk="id", foreign_keys=[("take_id", "takes", "id")])
    db["schedule"].create_index(["status"])
    # One row per thing on air. session: one run of the transmitter (its clock starts at 0);
    # stream_* are seconds on that clock, *_at the wall-clock times they were on air.
    db["air_log"].create({
        "id": int, "session": str, "schedule_id": int, "take_id": int, "kind": str,
        "stream_start": float, "stream_end": float, "started_at": str, "ended_at": str,
        "note": str,
    }, pk="id")
    db["air_log"].create_index(["session"])


@migration
def m004_create_call_logs(db: Database) -> None:
    # Every model call and tool call, so any run can be audited and replayed. request: the
    # messages the call added to its conversation (the first call: all, system prompt first).
    db["llm_calls"].create({
        "id": int, "conversation": str, "model": str, "request": str, "response": str,
        "prompt_tokens": int, "completion_tokens": int, "duration_ms": float,
        "created_at": str,
    }, pk="id")
    db["tool_calls"].create({
        "id": int, "conversation": str, "llm_call_id": int, "name": str, "arguments": str,
        "result": str, "ok": int, "duration_ms": float, "created_at": str,
    }, pk="id")


def migrate(db: Database) -> list[str]:
    """Apply every migration not yet recorded; return the names applied."""
    if "_migrations" not in db.table_names():
        db["_migrations"].create({"name": str, "applied_at": str}, pk="name")
    done = {row["name"] for row in db["_migrations"].rows}
    applied = []
    for fn in MIGRATIONS:
        if fn.__name__ in done:
            continue
        fn(db)  # the caller holds the transaction: a migration and its record land together
        db["_migrations"].insert({"name": fn.__name__, "applied_at": now()})
        applied.append(fn.__name__)
    return applied


@migration
def m005_create_remote_calls_and_assets(db: Database) -> None:
    # Every attempt against a remote endpoint (a Gradio Space): what was asked, how it went.
    db["remote_calls"].create({
        "id": int, "endpoint": str, "capability": str, "attempt": int,
        "arguments": str,  # JSON, files as names; tokens are never part of it
        "duration_ms": float, "outcome": str, "error": str, "created_at": str,
    }, pk="id")
    db["remote_calls"].create_index(["endpoint", "id"])
    # Content-addressed cache of generated assets: the same backend, inputs and parameters are
    # never generated twice. key: sha256 of capability, backend and parameters.
    db["assets"].create({
        "key": str, "capability": str, "backend": str, "media": str, "created_at": str,
    }, pk="key")


@migration
def m006_add_take_faults(db: Database) -> None:
    # Faults injected on purpose by the local backend (JSON list): the ground truth that the
    # checks' precision and recall are measured against. Empty for real models.
    db["takes"].add_column("faults", str)
    # What OCR read in the picture, for the moderation gate before scheduling.
    db["takes"].add_column("ocr_text", str)


@migration
def m007_programming_and_retention(db: Database) -> None:
    # Shows that have been on air: the bible and its entities as they were, kept when a queued
    # theme replaces the show, so a channel's history stays readable.
    db["shows"].create({
        "id": int, "theme": str, "title": str, "bible": str, "started_at": str,
        "ended_at": str,
    }, pk="id")
    db["bible"].add_column("show_id", int)
    # A show is made in segments (episodes) that the director plans ahead; shots belong to one.
    db["segments"].create({
        "id": int, "show_id": int, "position": int, "title": str, "synopsis": str,
        "shots": int,  # how many shots the segment is planned to have
        "status": str,  # planned | producing | done
        "created_at": str,
    }, pk="id")
    db["segments"].create_index(["show_id", "position"], unique=True)
    db["shots"].add_column("segment_id", int)
    # Themes queued by the people running the channel: the next shows, in order.
    db["theme_queue"].create({
        "id": int, "theme": str, "status": str, "created_at": str, "started_at": str,
    }, pk="id")
    # What the running channel says about itself (heartbeat, mode, buffer), for status.
    db["channel"].create({"key": str, "value": str, "updated_at": str}, pk="key")
    # Favourites are never deleted by the retention policy; purged_at: when the media went.
    db["takes"].add_column("favourite", int, not_null_default=0)
    db["takes"].add_column("purged_at", str)
    # Lookups that weeks of air make slow without an index.
    db["takes"].create_index(["shot_id"])
    db["schedule"].create_index(["take_id"])
    db["air_log"].create_index(["take_id"])
    for table in ("llm_calls", "tool_calls", "remote_calls"):
        db[table].create_index(["created_at"])


@migration
def m008_director_defaults(db: Database) -> None:
    # The show's time of day and weather: every shot's default, so a shot list need not repeat
    # them (a night-time theme stays at night).
    db["bible"].add_column("time_of_day", str)
    db["bible"].add_column("weather", str)
    # A model prompt the director wrote itself for this shot; null: composed from the bible.
    db["shots"].add_column("prompt", str)
    # Why a shot was dropped (the checks its last take failed), for the director to rewrite it.
    db["shots"].add_column("reason", str)
    # Who made a tool call: the model, or the code that produces shots on its behalf. Validity
    # and calls-per-take figures count the model's calls only.
    db["tool_calls"].add_column("made_by", str, not_null_default="model")


@migration
def m009_shot_attempts(db: Database) -> None:
    # Every attempt at a shot, whatever became of it (a take, a refused file, a backend error):
    # each gets a seed of its own and counts against the shot's budget, so no answer, however
    # bad, makes the channel ask for the same thing again and again.
    db["shots"].add_column("attempts", int, not_null_default=0)
    db.execute("update shots set attempts = "
               "(select count(*) from takes where takes.shot_id = shots.id)")


@migration
def m010_create_channels(db: Database) -> None:
    # Channels besides the director's own ("main"): each a programme policy over the shared
    # library of takes, with its own playout and air log. Declared in webtv.toml or with
    # `webtv channel add`; RTMP targets only in webtv.toml (a stream key never lands here).
    db["channels"].create({
        "name": str,
        "policy": str,  # best | recent | tag | favourites | random
        "tag": str,  # the tag a "tag" channel plays
        "repeat_after_s": float,  # a take is not aired again on this channel within this
        "created_at": str,
    }, pk="name")


@migration
def m011_create_tags(db: Database) -> None:
    # Tags on takes and on shows (a show's tags are its takes' too), set by the director
    # (set_show) or the operator (`webtv tag`); a "tag" channel plays what carries its tag.
    db["tags"].create({"id": int, "tag": str, "take_id": int, "show_id": int,
                       "created_at": str}, pk="id")
    db["tags"].create_index(["tag"])


@migration
def m012_air_log_channel(db: Database) -> None:
    # Which channel aired it: several playouts share one air log.
    db["air_log"].add_column("channel", str, not_null_default="main")
    db["air_log"].create_index(["channel", "id"])


@migration
def m013_shot_continues(db: Database) -> None:
    # The director's word that a shot carries straight on from the one before it, in the same
    # place: an image-to-video model starts its take from that shot's last frame.
    db["shots"].add_column("continues", int, not_null_default=0)


@migration
def m014_take_start(db: Database) -> None:
    # The picture a take started from ("take 12", "reference of Fox"), None: from words only.
    db["takes"].add_column("start", str)


@migration
def m015_entity_reference(db: Database) -> None:
    # A cast member's reference still (data dir path), made once by a text-to-image model and
    # kept with its look; a new look makes a new one.
    db["entities"].add_column("reference", str)


@migration
def m016_create_costs(db: Database) -> None:
    # What every attempt cost, aired or not: one row per priced backend call (units of the
    # backend's price: seconds of video, calls, GPU seconds), and while an attempt runs, one
    # "reserved" row holding its worst case, so the budget counts what is in flight.
    db["costs"].create({
        "id": int, "created_at": str, "day": str, "hour": str, "shot_id": int, "take_id": int,
        "capability": str, "backend": str, "units": float, "unit": str, "usd": float,
        "outcome": str,
    }, pk="id")
    db["costs"].create_index(["day"])


@migration
def m017_create_reviews(db: Database) -> None:
    # A model that sees judged a take that passed the measured checks from its contact sheet:
    # keep it, retake it with a new seed, or change the shot (``action``: the new words); or
    # it was not asked ("unreviewed", and why: a review budget spent, the model failed).
    db["reviews"].create({
        "id": int, "take_id": int, "shot_id": int, "verdict": str, "reason": str,
        "action": str, "model": str, "created_at": str,
    }, pk="id", foreign_keys=[("take_id", "takes", "id")])
    db["reviews"].create_index(["take_id"])
    db["reviews"].create_index(["created_at"])


@migration
def m018_entity_kind_place(db: Database) -> None:
    # One word for a show's places: the kind "location" becomes "place", as the tools, the
    # requests and the model say it.
    db.execute("update entities set kind = 'place' where kind = 'location'")


@migration
def m019_shot_place(db: Database) -> None:
    # The shot's place, in the same word (was "location").
    db.execute("alter table shots rename column location to place")


@migration
def m020_archived_place(db: Database) -> None:
    # The archived shows' bibles say "place" too.
    import json

    for row in list(db.query("select id, bible from shows where bible is not null")):
        snapshot = json.loads(row.get("bible"))
        for entity in snapshot.get("entities") or []:
            if entity.get("kind") == "location":
                entity.update(kind="place")
        db.execute("update shows set bible = ? where id = ?",
                   [json.dumps(snapshot), row.get("id")])


@migration
def m021_create_suggestions(db: Database) -> None:
    # What viewers asked the channel to show, from the page or a chat: open (listed), taken
    # (its scene is being written), aired, removed (by the operator) or refused (by the
    # moderation: kept, never listed). viewer and address are ids, never a raw IP address.
    db["suggestions"].create({
        "id": int, "text": str, "viewer": str, "name": str, "source": str, "address": str,
        "status": str, "reason": str, "created_at": str, "taken_at": str, "aired_at": str,
        "announced_at": str,
    }, pk="id")
    db["suggestions"].create_index(["status"])
    db["suggestions"].create_index(["viewer", "created_at"])
    db["suggestions"].create_index(["address", "created_at"])


@migration
def m022_create_suggestion_votes(db: Database) -> None:
    # One vote per viewer per suggestion.
    db["suggestion_votes"].create({
        "id": int, "suggestion_id": int, "voter": str, "address": str, "created_at": str,
    }, pk="id")
    db["suggestion_votes"].create_index(["suggestion_id", "voter"], unique=True)
    db["suggestion_votes"].create_index(["address", "created_at"])


@migration
def m023_create_muted_viewers(db: Database) -> None:
    # Viewers the operator muted: their suggestions and votes are refused.
    db["muted_viewers"].create({"viewer": str, "muted_at": str}, pk="viewer")


@migration
def m024_shot_suggestion(db: Database) -> None:
    # The suggestion a shot's scene was written from (its credit), None: the director's own.
    db["shots"].add_column("suggestion_id", int)
