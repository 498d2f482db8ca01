"""`webtv status`: what is on air, what is next, how many takes were made, rejected, aired."""

from __future__ import annotations

from typing import Any

from state.store import Store


def status_report(store: Store) -> dict[str, Any]:
    bible = store.bible() or {}
    session = store.latest_session()
    recent = store.air_log(session, limit=1) if session else []
    on_air = recent[0] if recent and not recent[0]["ended_at"] else None
    return {
        "show": bible.get("title"),
        "on_air": None if on_air is None else {
            "kind": on_air["kind"], "take_id": on_air["take_id"], "action": on_air["action"],
            "prompt": on_air["prompt"], "since": on_air["started_at"]},
        "last_aired": None if not recent else {
            "kind": recent[0]["kind"], "take_id": recent[0]["take_id"],
            "action": recent[0]["action"], "ended_at": recent[0]["ended_at"]},
        "next": [{"take_id": u["id"], "action": u["action"], "duration_s": u["duration_s"]}
                 for u in store.upcoming(5)],
        "scheduled_seconds": round(store.queued_seconds(), 1),
        "takes": store.take_counts(),
        "tool_calls": store.db["tool_calls"].count,
        "endpoints": store.endpoint_health(),
    }


def format_status(report: dict[str, Any]) -> str:
    lines = [f"Show:      {report['show'] or '(none yet)'}"]
    now = report["on_air"]
    if now is None:
        last = report["last_aired"]
        lines.append("On air:    nothing (the channel is not running)" if last is None else
                     f"On air:    off air; last aired {last['kind']} {last['action'] or ''} "
                     f"ended {last['ended_at']}")
    elif now["kind"] == "slate":
        lines.append(f"On air:    slate (since {now['since']})")
    else:
        lines.append(f"On air:    take {now['take_id']}: {now['action']}")
        lines.append(f"           prompt: {now['prompt']}")
    lines.append(f"Next:      {report['scheduled_seconds']} s scheduled")
    lines += [f"           take {n['take_id']}: {n['action']}" for n in report["next"]]
    takes = report["takes"]
    made = sum(takes.values())
    lines.append(f"Takes:     {made} made, {takes['rejected']} rejected, {takes['aired']} aired, "
                 f"{takes['scheduled']} scheduled, {takes['failed']} failed")
    for e in report["endpoints"]:
        line = (f"Endpoint:  {e['endpoint']} ({e['capability']}): {e['ok']} ok, "
                f"{e['failed']} failed of {e['attempts']}; last {e['last_outcome']}")
        lines.append(line + (f" - {e['last_error'][:120]}" if e["last_error"] else ""))
    return "\n".join(lines)
