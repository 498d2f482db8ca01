"""`webtv status`: what is on air, what is next, whether the channel is healthy, how many takes
were made, rejected, aired, and how the disk stands against the retention policy."""

from __future__ import annotations

import time
from typing import Any

from webtv.core.clock import age, now
from webtv.state.store import Store

STALE_S = 30.0  # the autopilot writes its heartbeat every 5 s


def channel_health(store: Store) -> dict[str, Any]:
    """The running channel as its heartbeat tells it; ``running`` is False when it stopped or
    its heartbeat is stale (killed, hung)."""
    state = store.programme.channel()
    beat = age(state.get("heartbeat"))
    running = beat is not None and beat < STALE_S and not state.get("stopped")
    doing = state.get("doing") if running else None
    return {"running": running, "heartbeat_age_s": beat, **state,
            "doing": None if doing is None else {**doing, "for_s": age(doing["since"])}}


def doing_line(doing: dict[str, Any]) -> str:
    """What the director does and for how long: "writing the shot list for 'X' (2 min 10 s)"."""
    seconds = round(doing["for_s"] or 0)
    minutes, seconds = divmod(seconds, 60)
    return f"{doing['what']} ({f'{minutes} min ' if minutes else ''}{seconds} s)"


def status_report(store: Store) -> dict[str, Any]:
    bible = store.show.bible() or {}
    session = store.air.latest_session()
    recent = store.air.air_log(session, limit=1) if session else []
    on_air = recent[0] if recent and not recent[0]["ended_at"] else None
    segment = store.programme.current_segment()
    return {
        "show": bible.get("title"),
        "channel": channel_health(store),
        "on_air": None if on_air is None else {
            "kind": on_air["kind"], "take_id": on_air["take_id"], "action": on_air["action"],
            "prompt": on_air["prompt"], "since": on_air["started_at"]},
        "last_aired": None if not recent else {
            "kind": recent[0]["kind"], "take_id": recent[0]["take_id"],
            "action": recent[0]["action"], "ended_at": recent[0]["ended_at"]},
        "air_last_hour_s": store.programme.air_share(session),
        "next": [{"take_id": u["id"], "action": u["action"], "duration_s": u["duration_s"]}
                 for u in store.air.upcoming(5)],
        "scheduled_seconds": round(store.air.queued_seconds(), 1),
        "next_premiere": store.air.next_premiere(),
        "programme": {
            "segment": None if segment is None else {
                k: segment[k] for k in ("id", "position", "title", "written", "shots")},
            "segments_ahead": len(store.programme.segments("planned")),
            "queued_themes": [q["theme"] for q in store.programme.queued_themes()]},
        "takes": store.takes.take_counts(),
        "tool_calls": store.calls.tool_call_count(),
        "endpoints": store.calls.endpoint_health(),
        "failing": failing_models(store),
        "channels": library_channels(store),
        "spend": spend(store),
    }


FAILING_AFTER = 3  # takes in a row a model failed before the channel says it fails them all
MODELS = ("diffusers:", "transformers:", "stills:")  # in this process or on the model workers


def failing_models(store: Store) -> list[dict[str, Any]]:
    """The models (in-process or on the model workers) whose last FAILING_AFTER takes or more
    all failed, with the last error: a model that fails every take, said where it is seen."""
    return [{"model": e["endpoint"], "capability": e["capability"],
             "failed_in_a_row": e["failed_in_a_row"], "last_error": e["last_error"] or ""}
            for e in store.calls.endpoint_health()
            if e["endpoint"].startswith(MODELS) and e["failed_in_a_row"] >= FAILING_AFTER]


def failing_line(failing: dict[str, Any]) -> str:
    return (f"{failing['model']} ({failing['capability']}) failed its last "
            f"{failing['failed_in_a_row']} takes: {failing['last_error'][:200]}")


def spend(store: Store) -> dict[str, Any]:
    """Today's spend (UTC), per aired minute, the forecast for the day, and the budget."""
    budget = channel_health(store).get("budget") or {}
    return {**store.costs.today(budget.get("day_usd")), "budget": budget}


def playlistage(hls_dir) -> float | None:
    """Seconds since the channel's HLS playlist was written (None: there is none)."""
    try:
        return round(time.time() - (hls_dir / "live.m3u8").stat().st_mtime, 1)
    except FileNotFoundError:
        return None


def library_channels(store: Store) -> list[dict[str, Any]]:
    """Each channel of the network besides the director's: its policy, what it airs now, its
    last hour of air, whether its stream is being written, and how its playout fares
    (``playout``: restarts after failures, the last error; None when it never failed)."""
    out, state = [], store.programme.channel()
    for row in store.network.channels():
        session = store.air.latest_session(row["name"])
        on_air = store.air.on_air(row["name"], session)
        age = playlistage(store.data.channel_hls(row["name"]))
        out.append({
            "name": row["name"], "policy": row["policy"], "tag": row["tag"],
            "repeat_after_s": row["repeat_after_s"],
            "on_air": None if on_air is None else {
                "kind": on_air["kind"], "take_id": on_air["take_id"],
                "action": on_air["action"]},
            "air_last_hour_s": store.programme.air_share(session) if session else {},
            "playlist_age_s": age, "streaming": age is not None and age < STALE_S,
            "library_takes": len(store.network.library_takes(row["policy"], row["tag"])),
            "playout": state.get(f"playout:{row['name']}")})
    return out


def format_status(report: dict[str, Any]) -> str:
    """The status report as `webtv status` prints it: a line per fact, in reading order."""
    channel = report["channel"]
    return "\n".join([
        f"Show:      {report['show'] or '(none yet)'}", *_channel_lines(channel),
        *([f"Director:  {doing_line(channel['doing'])}"] if channel["doing"] else []),
        *_on_air_lines(report), *_making_lines(channel),
        *[f"FAILING:   {failing_line(f)}" for f in report.get("failing", [])],
        *_output_lines(channel.get("outputs") or [], channel["running"]),
        *([f"Sight:     {channel['sight']['line']}"] if channel.get("sight") else []),
        *_next_lines(report, channel), *_programme_lines(report, channel),
        *_spend_lines(report.get("spend")), *_network_lines(report)])


def _spend_lines(spend: dict[str, Any] | None) -> list[str]:
    """What the takes cost today, and the budget."""
    if not spend or not (spend["spent_usd"] or (spend["budget"] or {}).get("day_usd")
                         is not None or (spend["budget"] or {}).get("hour_usd") is not None):
        return []
    budget = spend["budget"] or {}
    per_minute = spend["per_aired_minute_usd"]
    line = (f"Spend:     ${spend['spent_usd']:.2f} today (UTC) on {spend['attempts']} "
            f"attempt(s)" + (f", ${per_minute:.2f} per aired minute" if per_minute else "")
            + f"; forecast ${spend['forecast_usd']:.2f} for the day")
    limits = [f"${budget['day_usd']:.2f} a day" if budget.get("day_usd") is not None else "",
              f"${budget['hour_usd']:.2f} an hour" if budget.get("hour_usd") is not None
              else ""]
    lines = [line]
    if any(limits):
        state = ("spent: the library airs until it allows" if budget.get("spent") else
                 "within it")
        lines.append(f"Budget:    {' and '.join(x for x in limits if x)}; {state}")
    return lines


def _channel_lines(channel: dict[str, Any]) -> list[str]:
    if channel["running"]:
        return [f"Channel:   running (pid {channel['pid']}, heartbeat "
                f"{channel['heartbeat_age_s']:.0f} s ago), director {channel['director']}"]
    if channel.get("heartbeat"):
        how = "stopped" if channel.get("stopped") else "not running (no heartbeat: killed?)"
        return [f"Channel:   {how}; last heartbeat {channel['heartbeat']}"]
    return []


def _on_air_lines(report: dict[str, Any]) -> list[str]:
    now, lines = report["on_air"], []
    if now is None:
        last = report["last_aired"]
        lines.append("On air:    nothing (the channel is not running)" if last is None else
                     f"On air:    off air; last aired {last['kind']} {last['action'] or ''} "
                     f"ended {last['ended_at']}")
    elif now["kind"] == "slate":
        lines.append(f"On air:    slate (since {now['since']})")
    else:
        what = "premiere of take" if now["kind"] == "take" else "rerun of take"
        lines.append(f"On air:    {what} {now['take_id']}: {now['action']}")
        lines.append(f"           prompt: {now['prompt']}")
    share = report["air_last_hour_s"]
    total = sum(share.values())
    if total:
        lines.append("Air:       last hour " + ", ".join(
            f"{100 * share.get(k, 0) / total:.0f}% {name}" for k, name in (
                ("take", "fresh (premieres)"), ("replay", "reruns"), ("slate", "slate"))))
    premiere = report.get("next_premiere")
    if premiere and report["channel"]["running"]:
        lines.append(f"Premiere:  {premiere_line(premiere)}")
    return lines


def premiere_line(premiere: dict[str, Any]) -> str:
    """What premieres next and when, in a sentence (the page says the same)."""
    what = (f"scene {premiere['scene']} ({'the rest, ' if premiere['continues'] else ''}"
            f"{premiere['shots']} shot{'s' if premiere['shots'] != 1 else ''}, "
            f"{premiere['made']} made): {premiere['action']}")
    if premiere["ready"]:
        return f"{what}; made, on air after what airs now"
    if premiere["eta"] and premiere["eta"] > now():
        return f"{what}; expected about {premiere['eta'][11:16]} UTC at the pace measured"
    if premiere["eta"]:
        return f"{what}; due now (slower than the pace measured)"
    return f"{what}; no pace measured yet"


def _making_lines(channel: dict[str, Any]) -> list[str]:
    """What the channel's own GPU is generating now, step by step."""
    return [f"Making:    {m['kind']} with {m['model']} on {m['device']}: step {m['step']} of "
            f"{m['steps']}, {m['seconds']:.0f} s" + (f" ({m['note']})" if m["note"] else "")
            for m in (channel.get("making") or []) if channel["running"]]


def _output_lines(outputs: list[dict[str, Any]], running: bool = True) -> list[str]:
    """Each output's state; a stopped channel's last heartbeat is history, not "up"."""
    lines = []
    for output in outputs:
        where = f" {output['where']}" if output.get("where") else ""
        if not running:
            lines.append(f"Output:    {output['name']}{where}: stopped with the channel")
        elif output["state"] == "up":
            lines.append(f"Output:    {output['name']}{where}: up for {output['up_for_s']:.0f} s"
                         + (f" ({output['restarts']} restarts)" if output["restarts"] else ""))
        else:
            lines.append(f"Output:    {output['name']}{where}: RECONNECTING (retry in "
                         f"{output['retry_in_s']:.0f} s, {output['restarts']} restarts): "
                         f"{output['last_error'][:120]}")
    return lines


def _next_lines(report: dict[str, Any], channel: dict[str, Any]) -> list[str]:
    target = channel.get("buffer_target_s")
    buffer = f"{report['scheduled_seconds']} s scheduled" + (f" of {target:.0f} s target"
                                                              if target else "")
    if channel["running"] and channel.get("mode") == "degraded":
        buffer += (f"; DEGRADED since {channel['since']}: {channel['reason'][:160]} "
                   "(airing reruns from the library)")
    elif channel["running"] and channel.get("mode"):
        buffer += f"; {channel['mode']}"
    return [f"Next:      {buffer}",
            *(f"           take {n['take_id']}: {n['action']}" for n in report["next"])]


def _programme_lines(report: dict[str, Any], channel: dict[str, Any]) -> list[str]:
    lines, programme = [], report["programme"]
    if programme["segment"]:
        seg = programme["segment"]
        lines.append(f"Segment:   {seg['position']}. {seg['title']} ({seg['written']} of "
                     f"{seg['shots']} shots written), {programme['segments_ahead']} planned")
    if programme["queued_themes"]:
        lines.append("Queued:    " + "; ".join(programme["queued_themes"]))
    takes = report["takes"]
    lines.append(f"Takes:     {sum(takes.values())} made, {takes['rejected']} rejected, "
                 f"{takes['aired']} aired, {takes['scheduled']} scheduled, "
                 f"{takes['failed']} failed")
    sweep = channel.get("last_sweep")
    if sweep:
        lines.append(f"Disk:      media {sweep['media_bytes'] / 1e9:.2f} GB of "
                     f"{sweep['limit_bytes'] / 1e9:.2f} GB; last sweep {sweep['at']}, "
                     f"{sweep['purged_takes']} take(s) purged")
    return lines


def _network_lines(report: dict[str, Any]) -> list[str]:
    lines = []
    for c in report.get("channels", []):
        kind = f"tag {c['tag']!r}" if c["policy"] == "tag" else c["policy"]
        now = c["on_air"]
        what = ("off air" if not c["streaming"] else "slate" if now and now["kind"] == "slate"
                else f"take {now['take_id']}: {now['action']}" if now else "on air")
        kept = c.get("playout") or {}
        if kept.get("restarts"):
            what += (f" ({'RESTARTING' if kept['state'] == 'restarting' else 'on air again'}; "
                     f"{kept['restarts']} restart(s), last: {kept['last_error'][:100]})")
        lines.append(f"Channel:   {c['name']} ({kind}, {c['library_takes']} takes): {what}")
    for e in report["endpoints"]:
        line = (f"Endpoint:  {e['endpoint']} ({e['capability']}): {e['ok']} ok, "
                f"{e['failed']} failed of {e['attempts']}; last {e['last_outcome']}")
        lines.append(line + (f" - {e['last_error'][:120]}" if e["last_error"] else ""))
    return lines


def when_queued(store: Store, position: int) -> str:
    """When the show at ``position`` in the queue starts: after the shots left in the plan
    of the show on now and the two episodes of each show queued before it, at the pace the
    channel measured (the time to make them; a full air buffer pauses making, so it is the
    soonest)."""
    from webtv.tools.bible import EPISODE_SHOTS

    left = sum(max(0, s["shots"] - s["written"]) for s in store.programme.segments()) + \
        len(store.programme.unfinished_shots(limit=1000))
    shots = left + 2 * EPISODE_SHOTS * (position - 1)
    pace = store.takes.pace()
    when = f"starts after {shots} more shot{'s' * (shots != 1)}"
    if pace is None:
        return f"{when}; no take made yet to measure the pace by"
    minutes = shots * pace["seconds_per_take"] / 60
    return f"{when}: in about {minutes:.0f} min at {pace['seconds_per_take']:.0f} s a take"
