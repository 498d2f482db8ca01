"""/health for monitoring: whether the channel is on air and airing its own takes, what
filled the last hour of the air, and why it is degraded or down when it is."""

from __future__ import annotations

from typing import Any

from webtv.channel.status import (
    STALE_S,
    channel_health,
    failing_line,
    failing_models,
    library_channels,
    playlistage,
    spend,
)
from webtv.core.clock import ago
from webtv.core.redact import redact
from webtv.state.store import Store

SLATE_WINDOW_S = 600  # the air judged by /health: the last ten minutes of it ...
SLATE_LIMIT = 0.9  # ... of which this share of slate is a channel showing nothing


def slate_share(store: Store) -> float | None:
    """The slate's share of the latest SLATE_WINDOW_S of the air (None: less air than that)."""
    session = store.air.latest_session()
    if session is None:
        return None
    since = ago(SLATE_WINDOW_S)
    rows = store.air.air_by_kind(session, since)
    total = sum(r["seconds"] or 0 for r in rows)
    first = min((r["first"] for r in rows), default=None)
    if not total or first is None or first > ago(SLATE_WINDOW_S * 0.9):
        return None  # the channel has not been on air that long: too early to judge
    return round(sum(r["seconds"] or 0 for r in rows if r["kind"] == "slate") / total, 3)


def air_shares(store: Store) -> dict[str, float] | None:
    """What filled the last hour of the air: new takes (fresh), reruns and the slate, as
    shares of the time on air (None: nothing aired yet)."""
    seconds = store.programme.air_share(store.air.latest_session())
    total = sum(seconds.values())
    if not total:
        return None
    return {name: round(seconds.get(kind, 0.0) / total, 3)
            for name, kind in (("fresh", "take"), ("rerun", "replay"), ("slate", "slate"))}


def health(store: Store, hls_dir) -> dict[str, Any]:
    """For monitoring (the page server's /health): ``ok`` when the stream is being written
    (the HLS playlist changed within STALE_S), the autopilot's heartbeat is fresh and the
    channel is not degraded (generation failing, or the slate filling the air); else
    ``status`` says "degraded" or "down", and the page server answers 503."""
    age = playlistage(hls_dir)
    channel = channel_health(store)
    on_air = age is not None and age < STALE_S
    network = library_channels(store) if channel["running"] else []
    silent = [c["name"] for c in network if not c["streaming"]]
    main = (channel.get("playout:main") or {}) if channel["running"] else {}
    restarting = [name for name, kept in [("main", main)] + [
        (c["name"], c["playout"] or {}) for c in network] if kept.get("state") == "restarting"]
    failing = failing_models(store) if channel["running"] else []
    slate = slate_share(store)
    reason = channel.get("reason") or ""
    outputs = (channel.get("outputs") or []) if channel["running"] else []
    stuck = [o for o in outputs if o["state"] != "up" and o["restarts"]]
    if not (on_air and channel["running"]):
        status = "down"
    elif restarting:  # a playout failed and waits to start again
        status = "degraded"
        reason = reason or f"the playout of {', '.join(restarting)} failed; starting it again"
    elif silent:  # a channel of the network is not being written
        status = "degraded"
        reason = reason or f"channel(s) {', '.join(silent)} not on air"
    elif stuck:  # a destination viewers watch is not getting the stream
        status = "degraded"
        reason = reason or "; ".join(f"{o['name']} {o.get('where', '')} is not connected: "
                                     f"{o['last_error'][:160]}" for o in stuck)
    elif failing:  # a model fails every take: nothing new will air until that changes
        status = "degraded"
        reason = reason or "; ".join(failing_line(f) for f in failing)
    elif channel.get("mode") == "degraded" or (slate is not None and slate >= SLATE_LIMIT):
        status = "degraded"  # on air, but not the channel: the slate, or nothing new coming
        if not reason:
            reason = f"the slate filled {slate:.0%} of the last {SLATE_WINDOW_S // 60} minutes"
    else:
        status = "ok"
    return {
        "ok": status == "ok", "status": status, "on_air": on_air,
        "playlist_age_s": age, "slate_share": slate, "air_last_hour": air_shares(store),
        "autopilot_running": channel["running"], "heartbeat_age_s": channel["heartbeat_age_s"],
        "mode": channel.get("mode"), "reason": redact(reason),
        "outputs": [{**o, "last_error": redact(o["last_error"])} for o in outputs],
        "scheduled_s": round(store.air.queued_seconds(), 1),
        "buffer_target_s": channel.get("buffer_target_s"),
        "making": (channel.get("making") or []) if channel["running"] else [],
        "director": channel["doing"],  # what it does now ({"what", "since", "for_s"}) or None
        "spend": spend(store), "failing": failing,
        "playout": main or None, "next_premiere": store.air.next_premiere(),
        "channels": [{k: c[k] for k in ("name", "policy", "streaming", "playlist_age_s",
                                        "on_air", "playout")} for c in network],
    }
