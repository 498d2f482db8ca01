"""The rows the store hands to the other floors, typed: a table's row has exactly its columns
(a test holds them to the schema), JSON columns already decoded. They stay dicts, so a caller
reads ``take["prompt"]`` as before and a type checker knows the key and its type."""

from __future__ import annotations

from typing import TypedDict

from webtv.state.suggestions import MutedViewer, Suggestion, SuggestionVote


class Bible(TypedDict):
    id: int
    theme: str | None
    title: str | None
    logline: str | None
    visual_style: str | None
    palette: list[str] | None  # hex colours, most important first
    music_mood: str | None
    updated_at: str
    show_id: int | None
    time_of_day: str | None
    weather: str | None


class Note(TypedDict):
    id: int
    text: str


class Entity(TypedDict):
    id: int
    kind: str  # character | place | prop
    name: str
    description: str | None
    colours: dict[str, str] | None  # part -> hex
    wardrobe: str | None
    marks: str | None
    updated_at: str
    reference: str | None  # data dir path of its reference still, made once


class Shot(TypedDict):
    id: int
    sequence: int
    position: int
    action: str
    entities: list[str] | None  # names in the bible
    place: str | None
    framing: str | None
    camera_move: str | None
    camera_direction: str | None
    subject_motion: str | None
    subject_direction: str | None
    time_of_day: str | None
    mood: str | None
    duration_s: float | None
    status: str
    created_at: str
    segment_id: int | None
    prompt: str | None  # the director's own model prompt; None: composed from the bible
    reason: str | None
    attempts: int
    continues: int  # 1: it carries on from the shot before, in the same place
    suggestion_id: int | None  # the viewer's suggestion its scene was written from


class Take(TypedDict):
    id: int
    shot_id: int
    seed: int
    prompt: str
    backends: dict[str, str] | None  # capability -> backend name
    media: str | None  # data dir path, by content hash
    contact_sheet: str | None
    duration_s: float | None
    status: str  # see takes.TAKE_STATES
    reason: str
    created_at: str
    faults: list[str] | None  # injected on purpose by the local backend
    ocr_text: str | None
    favourite: int
    purged_at: str | None
    start: str | None  # the picture it started from ("take 12"); None: words only


class Check(TypedDict):
    id: int
    take_id: int
    name: str
    value: float
    threshold: float
    passed: int
    detail: str | None
    created_at: str


class ScheduleEntry(TypedDict):
    id: int
    take_id: int
    status: str  # queued | airing | aired | failed
    created_at: str


class Airing(TypedDict):
    id: int
    session: str
    schedule_id: int | None
    take_id: int | None
    kind: str  # take | replay | slate
    stream_start: float
    stream_end: float | None
    started_at: str
    ended_at: str | None
    note: str | None
    channel: str  # "main" (the director's channel) or a library channel's name


class Show(TypedDict):
    id: int
    theme: str | None
    title: str | None
    bible: str | None  # JSON: the bible and its entities as they were
    started_at: str
    ended_at: str | None


class Segment(TypedDict):
    id: int
    show_id: int
    position: int
    title: str
    synopsis: str | None
    shots: int
    status: str  # see programme.SEGMENT_STATES
    created_at: str


class PlannedSegment(Segment):
    written: int  # shots written for it so far


class QueuedTheme(TypedDict):
    id: int
    theme: str
    status: str
    created_at: str
    started_at: str | None


class ToolCall(TypedDict):
    id: int
    conversation: str | None
    llm_call_id: int | None
    name: str
    arguments: str | None
    result: str | None
    ok: int
    duration_ms: float | None
    created_at: str
    made_by: str  # model | code


class CachedAsset(TypedDict):
    key: str
    capability: str
    backend: str
    media: str
    created_at: str


class Cost(TypedDict):
    id: int
    created_at: str
    day: str  # YYYY-MM-DD, UTC: the budget's day
    hour: str  # YYYY-MM-DDTHH, UTC: the budget's hour
    shot_id: int | None
    take_id: int | None
    capability: str  # video | music | upscale | interpolate | attempt (a reservation)
    backend: str
    units: float
    unit: str  # second | call | gpu_second
    usd: float
    outcome: str  # reserved | ok | failed | refused | lost (in flight at a crash)


class ChannelRow(TypedDict):
    name: str
    policy: str  # see channels.POLICIES
    tag: str | None
    repeat_after_s: float
    created_at: str


class TagRow(TypedDict):
    id: int
    tag: str
    take_id: int | None
    show_id: int | None
    created_at: str


# -- rows joined for a reader ----------------------------------------------------------------
class UpcomingTake(Take):
    schedule_id: int
    action: str
    sequence: int
    position: int


class AiringWithShot(Airing):
    prompt: str | None
    action: str | None
    shot_id: int | None
    suggested_by: str | None  # the viewer whose suggestion the scene was


class ReplayTake(Take):
    scene: int
    position: int
    n: int  # times the channel aired it (in the counted window)
    last_air: int  # the air log id of its latest airing (0: none)


class Review(TypedDict):
    id: int
    take_id: int
    shot_id: int
    verdict: str  # keep | retake | change | unreviewed
    reason: str  # the model's, or why it was not asked
    action: str | None  # change: the shot's new action
    model: str
    created_at: str


class TakeWithShot(Take):
    shot_entities: list[str]


class AiredTake(TypedDict):
    id: int
    prompt: str
    duration_s: float | None
    favourite: int
    media: str | None  # None once retention removed the file
    contact_sheet: str | None
    action: str
    last_air: int
    aired_at: str


class FailedCheck(TypedDict):
    name: str
    value: float
    threshold: float
    detail: str | None


class RejectedTake(TypedDict):
    id: int
    shot_id: int
    prompt: str
    reason: str
    created_at: str
    contact_sheet: str | None
    action: str
    failed_checks: list[FailedCheck]


class EndpointHealth(TypedDict):
    endpoint: str
    capability: str
    attempts: int
    ok: int
    failed: int
    last_at: str
    last_outcome: str
    last_error: str | None
    failed_in_a_row: int  # since its last success


TABLES = {"bible": Bible, "entities": Entity, "shots": Shot, "takes": Take, "checks": Check,
          "schedule": ScheduleEntry, "air_log": Airing, "shows": Show, "segments": Segment,
          "theme_queue": QueuedTheme, "tool_calls": ToolCall, "assets": CachedAsset,
          "channels": ChannelRow, "tags": TagRow,
          "costs": Cost, "reviews": Review, "suggestions": Suggestion,
          "suggestion_votes": SuggestionVote, "muted_viewers": MutedViewer}
