"""Broadcast checks against a real RTMP server (nginx-rtmp): what a viewer pulls back is one
continuous timeline, and the stream comes back by itself when the server restarts."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest

from tests.rtmp_server import NginxRtmp, play, stop_playing
from tests.streams import hls_as_file, steps, timeline
from tests.test_playout import assert_continuous, schedule_clips
from webtv.core import house
from webtv.playout.playout import Playout
from webtv.state.datadir import DataDir
from webtv.state.store import Store

pytestmark = pytest.mark.slow  # nginx-rtmp and FFmpeg pulling the stream back

FRAME = 1 / house.FPS
# nginx-rtmp does not pass on the last ~110 ms of audio when a publisher leaves (measured with a
# plain `ffmpeg -re -i file.flv -c copy -f flv rtmp://...` publisher too): a teardown effect,
# not drift, so the end of the pulled-back stream may be that much short of audio.
RELAY_TAIL = 0.15


@pytest.fixture
def nginx(tmp_path: Path):
    server = NginxRtmp(tmp_path / "nginx")
    server.start()
    yield server
    server.stop()


def test_three_takes_and_reruns_through_nginx(nginx, data: DataDir, store: Store,
                                              tmp_path: Path) -> None:
    schedule_clips(store, data, [("red", 3.0, 440), ("blue", 3.0, None), ("green", 3.0, 660)])
    received = tmp_path / "viewer.flv"
    viewer = play(nginx.url(), received)
    time.sleep(0.5)
    playout = Playout(data, [nginx.url()], pace=True)
    playout.run(max_entries=5)  # three takes, then the queue is dry: a rerun of the scene
    stop_playing(viewer, received)
    t = timeline(received)
    assert_continuous(t, 5 * 3.0, dropped_tail=RELAY_TAIL)
    kinds = [r["kind"] for r in store.air.air_log(playout.session)][::-1]
    assert kinds == ["take", "take", "take", "replay", "replay"]
    hls = timeline(hls_as_file(data.hls, tmp_path / "hls.mp4"))
    assert_continuous(hls, 15.0)


def test_the_stream_comes_back_after_the_server_restarts(nginx, data: DataDir, store: Store,
                                                         tmp_path: Path) -> None:
    schedule_clips(store, data, [(c, 3.0, 440) for c in ("red", "blue", "green", "orange",
                                                         "purple", "teal")])
    before, after_file = tmp_path / "before.flv", tmp_path / "after.flv"
    first = play(nginx.url(), before)
    playout = Playout(data, [nginx.url()], pace=True)
    airing = threading.Thread(target=playout.run, kwargs={"max_entries": 6})
    airing.start()
    time.sleep(5)
    nginx.stop()  # the RTMP server goes away mid-stream
    stop_playing(first, before, quiet_for=1.0)
    time.sleep(1)
    nginx.start()
    second = play(nginx.url(), after_file)
    airing.join(timeout=60)
    stop_playing(second, after_file)
    after = timeline(after_file)
    assert after.video_end - after.video[0] > 3.0, "the stream did not come back"
    assert max(steps(after.video)) <= FRAME + 0.002
    assert max(steps(after.audio)) <= house.AAC_FRAME / house.SAMPLE_RATE + 0.002
    # Rejoining at a keyframe, the new publisher also gets the few audio packets that were
    # interleaved just before it: audio may lead the first picture by a fraction of a second.
    assert 0 <= min(after.video) - min(after.audio) < 0.25
    assert -0.05 - RELAY_TAIL < after.audio_end - after.video_end < 0.05
    assert playout.transmitter.restarts["rtmp1"] >= 1
    assert playout.transmitter.restarts["hls"] == 0  # HLS never noticed
    hls = timeline(hls_as_file(data.hls, tmp_path / "hls.mp4"))
    assert_continuous(hls, 18.0)
    assert [r["kind"] for r in store.air.air_log(playout.session)].count("take") == 6


def test_a_dead_rtmp_destination_backs_off_and_says_so(tmp_path: Path) -> None:
    """FFmpeg takes bytes on stdin whether or not it reached the server: only a run that
    lasted resets the backoff, so a destination that refuses waits longer each time, and its
    state (never its stream key) is there for status and /health."""
    from tests.channel import free_port
    from tests.conftest import make_house_clip
    from webtv.core.errors import ConfigError
    from webtv.core.media import run_ffmpeg
    from webtv.core.settings import Secrets
    from webtv.playout.outputs import Output, resolve_rtmp, rtmp_args

    clip = make_house_clip(tmp_path / "c.mp4", "red", 2.0)
    run_ffmpeg(["-i", str(clip), "-c", "copy", "-f", "mpegts", str(tmp_path / "c.ts")])
    stream = (tmp_path / "c.ts").read_bytes()
    url = f"rtmp://127.0.0.1:{free_port()}/live/s3cr3t-key"
    output = Output("rtmp1", rtmp_args(url), 0.5, url)
    output.start()
    deadline = time.monotonic() + 8
    while time.monotonic() < deadline:
        for i in range(0, len(stream), 65536):
            output.feed(stream[i:i + 65536], keyframe=0 if i == 0 else None)
        time.sleep(0.05)
    state = output.state()
    output.close()
    assert 1 <= output.restarts <= 3, output.restarts  # tries at about 1, 3 and 7 s
    assert state["state"] == "reconnecting" and state["retry_in_s"] > 0
    assert state["where"] == "rtmp://127.0.0.1:" + url.split(":")[2].split("/")[0] + "/live/***"
    assert "s3cr3t" not in str(state) and state["last_error"]
    with pytest.raises(ConfigError, match="rtmp://HOST/APP/KEY"):
        resolve_rtmp("rtmp:///live/key", Secrets({}))
