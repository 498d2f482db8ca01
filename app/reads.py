"""What the page and the operator view read: one read of the store (or the HLS playlist) each,
shaped as the JSON the page shows."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

from webtv.app.guide import now_and_next
from webtv.channel.status import channel_health, doing_line, status_report
from webtv.core import house
from webtv.core.media import fragment_time
from webtv.state.store import Store

RESULT_CHARS = 2000  # a tool result shown on the page; the full text stays in the call log


def now_playing(store: Store, session: str | None, channel: str = "main") -> dict[str, Any]:
    """What the page shows: the show, this session's recent airings (each a premiere, a rerun
    or the slate), what comes next and when the next premiere is expected (the director's
    channel; a library channel picks as it goes)."""
    bible = store.show.bible() or {}
    recent = store.air.air_log(session, limit=30) if session else []
    library = channel != "main"
    fields = ("id", "kind", "take_id", "shot_id", "action", "prompt", "stream_start",
              "stream_end", "started_at", "ended_at", "suggested_by")
    return {
        "title": bible.get("title") or "AI WebTV", "logline": bible.get("logline") or "",
        "channel": channel, "session": session, "codecs": house.CODECS,
        "on_air": [{k: r.get(k) for k in fields} for r in recent],
        "next": [{"take_id": u["id"], "action": u["action"], "prompt": u["prompt"],
                  "duration_s": u["duration_s"]}
                 for u in ([] if library else store.air.upcoming(5))],
        "takes": store.takes.take_counts(),
        "clock": playlist_clock(store.data.channel_hls(channel)),
        "notice": None if library else budget_notice(store),
        "premiere": None if library else store.air.next_premiere(),
        "director": None if library else director_line(store),
        "guide": now_and_next(store, bible.get("title") or "AI WebTV", channel),
    }


def director_line(store: Store) -> str | None:
    """What the director does now, for viewers while nothing new is ready."""
    doing = channel_health(store)["doing"]
    return None if doing is None else doing_line(doing)


def budget_notice(store: Store) -> str | None:
    """What the page tells viewers while the owner's budget is spent."""
    channel = store.programme.channel()
    if not (channel.get("budget") or {}).get("spent") or channel.get("stopped"):
        return None
    if (channel.get("reason") or "").startswith("this hour's"):
        return "This hour's budget for new scenes is spent: reruns from the library until " \
               "the next hour."
    return "Today's budget for new scenes is spent: reruns from the library until new " \
           "scenes resume at 00:00 UTC."


def playlist_clock(hls: Path) -> dict[str, float] | None:
    """One segment's program date-time (FFmpeg's wall clock) and its media time (the channel
    clock). Safari's own player reports the first; the air log speaks the second."""
    try:
        lines = (hls / "live.m3u8").read_text().splitlines()
        at = max(i for i, line in enumerate(lines) if line.startswith("#EXT-X-PROGRAM-DATE"))
        segment = next(line for line in lines[at:] if line and not line.startswith("#"))
        init = (hls / "init.mp4").read_bytes()[:8192]
        with (hls / segment).open("rb") as handle:
            head = handle.read(8192)
        pdt = datetime.fromisoformat(lines[at].split(":", 1)[1]).timestamp()
    except (OSError, ValueError, StopIteration):  # no playlist yet, or the window just rolled
        return None
    media_time = fragment_time(init, head)
    return None if media_time is None else {"pdt": pdt, "media_time": media_time}


def _media_url(relative: str | None) -> str | None:
    return f"/{relative}" if relative else None


def overview(store: Store) -> dict[str, Any]:
    """What the operator page shows besides the chat: one read of the store."""
    calls = [{"id": c["id"], "name": c["name"], "arguments": c["arguments"], "ok": bool(c["ok"]),
              "result": (c["result"] or "")[:RESULT_CHARS], "duration_ms": c["duration_ms"],
              "at": c["created_at"]} for c in store.calls.tool_calls(30)]
    rejected = [{"take_id": t["id"], "shot_id": t["shot_id"], "action": t["action"],
                 "prompt": t["prompt"], "reason": t["reason"], "at": t["created_at"],
                 "sheet": _media_url(t["contact_sheet"]), "failed_checks": t["failed_checks"]}
                for t in store.takes.rejected_takes(12)]
    upcoming = [{"take_id": u["id"], "action": u["action"], "duration_s": u["duration_s"]}
                for u in store.air.upcoming(10)]
    reviews = [{"take_id": r["take_id"], "verdict": r["verdict"], "reason": r["reason"],
                "action": r["action"], "shot_action": r["shot_action"], "model": r["model"],
                "at": r["created_at"], "sheet": _media_url(r["contact_sheet"])}
               for r in store.reviews.recent(12)]
    suggestions = [{"id": s["id"], "text": s["text"], "name": s["name"], "votes": s["votes"],
                    "source": s["source"], "at": s["created_at"]}
                   for s in store.suggestions.listed(30)]
    return {"status": status_report(store), "tool_calls": calls, "rejected": rejected,
            "reviews": reviews, "suggestions": suggestions,
            "sees_images": bool(store.programme.channel().get("sees_images")),
            "buffer": {"seconds": round(store.air.queued_seconds(), 1), "upcoming": upcoming},
            "endpoints": store.calls.endpoint_health(), "aired": recent_takes(store, 12)}


def recent_takes(store: Store, limit: int = 12) -> list[dict[str, Any]]:
    """The take strip: recently aired takes with links to their files (None once purged)."""
    return [{"take_id": t["id"], "action": t["action"], "prompt": t["prompt"],
             "duration_s": t["duration_s"], "favourite": bool(t["favourite"]),
             "aired_at": t["aired_at"], "media": _media_url(t["media"]),
             "sheet": _media_url(t["contact_sheet"])} for t in store.takes.recent_aired(limit)]


def channel_list(store: Store, sessions: dict[str, str | None]) -> list[dict[str, Any]]:
    """The channels of the network for the page's switcher: where each one's stream is and
    what it has on air now."""
    rows = [{"name": "main", "policy": "live", "tag": None}, *store.network.channels()]
    out = []
    for row in rows:
        on_air = store.air.on_air(row["name"], sessions.get(row["name"]))
        out.append({
            "name": row["name"], "policy": row["policy"], "tag": row["tag"],
            "playlist": "/hls/live.m3u8" if row["name"] == "main"
            else f"/ch/{row['name']}/live.m3u8",
            "on_air": None if on_air is None else {
                "kind": on_air["kind"], "take_id": on_air["take_id"],
                "action": on_air["action"], "prompt": on_air["prompt"]}})
    return out
