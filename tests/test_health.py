"""/health for monitoring: "ok" only while the channel airs its own takes; "degraded" when
generation fails or the slate fills the air, "down" when the stream or the director stalls;
no stream key or API key in what it says."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from webtv.channel.health import health
from webtv.state.datadir import DataDir
from webtv.state.store import Store


def on_air(store: Store, data: DataDir, kinds: list[str], **channel) -> None:
    """A channel with a fresh heartbeat and playlist that aired ``kinds``, 30 s each, up to now."""
    start = datetime.now(UTC) - timedelta(seconds=30 * len(kinds))
    for i, kind in enumerate(kinds):
        began = start + timedelta(seconds=30 * i)
        store.air.log_air(session="s1", kind=kind, stream_start=30.0 * i, stream_end=30.0 * (i + 1),
                          started_at=began.isoformat(timespec="milliseconds"),
                          ended_at=(began + timedelta(seconds=30)).isoformat(
                              timespec="milliseconds"))
    store.programme.set_channel(heartbeat=datetime.now(UTC).isoformat(timespec="milliseconds"),
                                stopped=False, **{"mode": "filling", "reason": "", **channel})
    (data.hls / "live.m3u8").write_text("#EXTM3U\n")


def test_health_is_ok_only_while_the_channel_airs_its_own_takes(data: DataDir,
                                                                 store: Store) -> None:
    on_air(store, data, ["take", "slate"] * 10 + ["replay"] * 5)
    report = health(store, data.hls)
    assert report["ok"] and report["status"] == "ok" and report["slate_share"] == 0.4
    # the last hour of the air: new takes, reruns, the slate
    assert report["air_last_hour"] == {"fresh": 0.4, "rerun": 0.2, "slate": 0.4}


def test_a_channel_airing_only_the_slate_is_degraded(data: DataDir, store: Store) -> None:
    on_air(store, data, ["slate"] * 20)  # on air, and nothing but the slate for ten minutes
    report = health(store, data.hls)
    assert not report["ok"] and report["status"] == "degraded"
    assert "the slate filled 100% of the last 10 minutes" in report["reason"]


def test_degraded_mode_is_said_without_the_secrets_in_its_reason(data: DataDir,
                                                                 store: Store) -> None:
    on_air(store, data, ["take"] * 3, mode="degraded",
           reason="rtmp://live.twitch.tv/app/live_4815162342_s3cr3t refused; "
                  "openai: Incorrect API key provided: sk-proj-abcdefgh12345678")
    report = health(store, data.hls)
    assert report["status"] == "degraded" and report["slate_share"] is None  # young channel
    assert "s3cr3t" not in report["reason"] and "abcdefgh" not in report["reason"]
    assert "rtmp://live.twitch.tv/app/***" in report["reason"]


def test_an_rtmp_output_that_cannot_connect_is_shown_and_degrades_health(
        data: DataDir, store: Store) -> None:
    from webtv.channel.status import format_status, status_report

    down = {"name": "rtmp1", "where": "rtmp://live.twitch.tv/app/***", "state": "reconnecting",
            "restarts": 4, "last_error": "Connection refused", "up_for_s": 0.0,
            "retry_in_s": 12.0}
    up = {"name": "hls", "where": "hls/live.m3u8", "state": "up", "restarts": 0,
          "last_error": "", "up_for_s": 600.0, "retry_in_s": 0.0}
    on_air(store, data, ["take"] * 3, outputs=[up, down], pid=1, director="offline")
    report = health(store, data.hls)
    assert report["status"] == "degraded" and [o["state"] for o in report["outputs"]] == [
        "up", "reconnecting"]
    assert "rtmp1 rtmp://live.twitch.tv/app/*** is not connected: Connection refused" in \
        report["reason"]
    text = format_status(status_report(store))
    assert "Output:    hls hls/live.m3u8: up for 600 s" in text
    assert ("Output:    rtmp1 rtmp://live.twitch.tv/app/***: RECONNECTING (retry in 12 s, "
            "4 restarts): Connection refused") in text
    store.programme.set_channel(stopped=True)  # the channel stops: its outputs with it
    text = format_status(status_report(store))
    assert "up for" not in text and "RECONNECTING" not in text
    assert "Output:    hls hls/live.m3u8: stopped with the channel" in text


def test_a_playout_waiting_to_start_again_degrades_health_and_says_which(
        data: DataDir, store: Store) -> None:
    failed = {"state": "restarting", "restarts": 3, "last_error": "OSError: disk full",
              "retry_in_s": 4.0}
    on_air(store, data, ["take"] * 3, **{"playout:main": failed})
    report = health(store, data.hls)
    assert report["status"] == "degraded" and report["playout"]["restarts"] == 3
    assert report["reason"] == "the playout of main failed; starting it again"
    store.programme.set_channel(**{"playout:main": {**failed, "state": "on air"}})
    assert health(store, data.hls)["status"] == "ok"  # back on air: its restarts are history
