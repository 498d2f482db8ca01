"""The channel's page and the operator's view.

Fast tests drive the web server with urllib over a small made-up show. The browser tests start
`webtv run` and open the page in headless Chromium (Debian's `chromium`, driven through
playwright-core): the picture plays, the words under it match the air log for the frame on
screen, the operator view lets in only the right token, and the page comes back by itself when
the playout restarts. Screenshots land in test-artifacts/.
"""

from __future__ import annotations

import gzip
import json
import logging
import os
import re
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from tests.browser.chromium import ROOT, Browser, missing
from tests.channel import THEME, free_port, get, wait_for
from webtv.app.web import playlist_clock, serve
from webtv.core.settings import Settings
from webtv.state.datadir import DataDir
from webtv.state.store import Store

pytestmark = pytest.mark.slow  # a browser drives `webtv run`

TOKEN = "op-3f9a2c7e-test-token"
ARTIFACTS = ROOT / "test-artifacts"


# -- plumbing -----------------------------------------------------------------------------
class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def fetch(url: str, *, method: str = "GET", headers: dict | None = None,
          body: bytes | None = None) -> tuple[int, dict[str, str], bytes]:
    """Status, headers and body of one request; redirects are returned, not followed."""
    request = urllib.request.Request(url, data=body, method=method, headers=headers or {})
    opener = urllib.request.build_opener(_NoRedirect)
    try:
        with opener.open(request, timeout=30) as response:
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, dict(exc.headers), exc.read()


def media_file(data: DataDir, content: bytes, suffix: str) -> str:
    scratch = data.workspace() / "file"
    scratch.write_bytes(content)
    return data.keep(scratch, suffix)


@pytest.fixture
def show(data: DataDir, store: Store) -> dict:
    """A show with one aired take (files and all), one rejected take and one queued take."""
    store.show.set_bible(title="The Night Noodle Stand", logline="A llama cooks.", theme="llama")
    shot = store.takes.add_shots(1, [{"action": "Llama ladles broth", "duration_s": 3.0}])[0]
    movie = bytes(range(256)) * 40
    aired = store.takes.add_take(shot_id=shot["id"], seed=1, prompt="a llama ladles broth, night",
                                 media=media_file(data, movie, ".mp4"), duration_s=3.0,
                                 contact_sheet=media_file(data, b"\x89PNG fake sheet", ".png"))
    store.takes.set_take_status(aired["id"], "aired")
    air_id = store.air.log_air(session="s1", kind="take", take_id=aired["id"], stream_start=0.0,
                               started_at="2030-01-01T00:00:00.000+00:00")
    store.air.end_air(air_id, stream_end=3.0, ended_at="2030-01-01T00:00:03.000+00:00")
    rejected = store.takes.add_take(shot_id=shot["id"], seed=2, prompt="a llama, text",
                                    duration_s=3.0)
    store.takes.record_checks(rejected["id"], [
        {"name": "burned_in_text", "value": 0.9, "threshold": 0.5, "passed": False,
         "detail": "OCR read 'SUBSCRIBE'"},
        {"name": "black_frames", "value": 0.0, "threshold": 0.1, "passed": True, "detail": ""}])
    store.takes.set_take_status(rejected["id"], "rejected", "burned_in_text")
    queued = store.takes.add_take(shot_id=shot["id"], seed=3, prompt="a llama, later",
                                  duration_s=3.0)
    store.air.schedule_take(queued["id"])
    return {"aired": aired, "movie": movie, "rejected": rejected, "queued": queued}


@pytest.fixture
def site(data: DataDir, show: dict):
    """The page's server with the operator view on and an offline director to chat with."""
    server = serve(data, port=0, settings=Settings(data_dir=data.root), operator_token=TOKEN)
    yield f"http://127.0.0.1:{server.server_port}", server
    server.shutdown()
    server.server_close()


def bearer(token: str = TOKEN) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def signed_in_cookie(base: str) -> str:
    status, headers, _ = fetch(f"{base}/operator?token={TOKEN}")
    assert status == 303
    return headers["Set-Cookie"].split(";", 1)[0]


# -- the server, without a browser --------------------------------------------------------
def test_without_a_token_the_operator_view_is_off(data: DataDir, show: dict) -> None:
    server = serve(data, port=0, settings=Settings(data_dir=data.root), operator_token="")
    base = f"http://127.0.0.1:{server.server_port}"
    try:
        status, _, body = fetch(f"{base}/operator?token=anything")
        assert status == 404 and b"operator view is off" in body
        assert fetch(f"{base}/api/operator/overview", headers=bearer(""))[0] == 404
        assert fetch(f"{base}/api/operator/chat", method="POST", body=b"{}",
                     headers={**bearer("x"), "Content-Type": "application/json"})[0] == 404
        assert fetch(f"{base}/")[0] == 200  # the public page is unaffected
    finally:
        server.shutdown()
        server.server_close()


def test_the_operator_page_lets_in_only_the_right_token(site) -> None:
    base, _ = site
    status, _, body = fetch(f"{base}/operator")
    assert status == 401 and b'name="token"' in body and b"Talk to the director" not in body
    status, _, body = fetch(f"{base}/operator?token=not-the-token")
    assert status == 403 and b"not right" in body and b"Talk to the director" not in body

    status, headers, _ = fetch(f"{base}/operator?token={TOKEN}")
    assert status == 303 and headers["Location"] == "/operator"  # the token leaves the URL
    cookie = headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Strict" in cookie and TOKEN not in cookie
    session = cookie.split(";", 1)[0]
    status, headers, body = fetch(f"{base}/operator", headers={"Cookie": session})
    assert status == 200 and b"Talk to the director" in body
    assert headers["Cache-Control"] == "no-store"

    forged = session[:-4] + ("0000" if not session.endswith("0000") else "1111")
    assert fetch(f"{base}/operator", headers={"Cookie": forged})[0] == 401
    status, headers, _ = fetch(f"{base}/operator", method="POST",
                               body=f"token={TOKEN}".encode(),
                               headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert status == 303 and headers["Set-Cookie"].startswith("webtv_operator=")
    assert fetch(f"{base}/operator", method="POST", body=b"token=nope")[0] == 403


def test_the_operator_api_takes_a_bearer_token_or_the_session_cookie(site, show) -> None:
    base, _ = site
    url = f"{base}/api/operator/overview"
    assert fetch(url)[0] == 401
    assert fetch(url, headers=bearer("wrong"))[0] == 403
    assert fetch(url, headers={"Authorization": "Bearer"})[0] == 401
    status, headers, body = fetch(url, headers=bearer())
    assert status == 200 and headers["Cache-Control"] == "no-store"
    seen = json.loads(body)
    assert [r["take_id"] for r in seen["rejected"]] == [show["rejected"]["id"]]
    assert seen["rejected"][0]["failed_checks"] == [
        {"name": "burned_in_text", "value": 0.9, "threshold": 0.5,
         "detail": "OCR read 'SUBSCRIBE'"}]
    assert seen["buffer"]["seconds"] == 3.0
    assert [u["take_id"] for u in seen["buffer"]["upcoming"]] == [show["queued"]["id"]]
    assert seen["status"]["show"] == "The Night Noodle Stand"
    assert seen["endpoints"] == [] and isinstance(seen["tool_calls"], list)
    cookie = signed_in_cookie(base)
    assert fetch(url, headers={"Cookie": cookie})[0] == 200


def test_the_token_never_reaches_the_log_or_the_database(site, data: DataDir,
                                                         caplog: pytest.LogCaptureFixture) -> None:
    base, _ = site
    caplog.set_level(logging.DEBUG, logger="webtv.web")
    fetch(f"{base}/operator?token={TOKEN}")
    fetch(f"{base}/operator?token=a-wrong-guess&x=1")
    fetch(f"{base}/api/operator/chat", method="POST", headers={
        **bearer(), "Content-Type": "application/json"}, body=b'{"message": "/status"}')
    assert "token=***" in caplog.text
    assert TOKEN not in caplog.text and "a-wrong-guess" not in caplog.text
    for file in data.root.glob("webtv.db*"):
        assert TOKEN.encode() not in file.read_bytes()


def test_operator_chat_runs_a_director_turn_and_streams_it(site, show, store: Store) -> None:
    base, server = site
    take_id = show["aired"]["id"]
    headers = {**bearer(), "Content-Type": "application/json"}
    status, _, body = fetch(f"{base}/api/operator/chat", method="POST", headers=headers,
                            body=json.dumps({"message": "more close-ups"}).encode())
    assert status == 200
    events = [json.loads(line) for line in body.decode().splitlines()]
    kinds = [e["event"] for e in events]
    assert kinds[0] == "started" and kinds[-1] == "done" and "answer" in kinds
    calls = [e["name"] for e in events if e["event"] == "call"]
    assert "add_note" in calls
    assert all(e["ok"] for e in events if e["event"] == "result")
    assert "more close-ups" in store.show.notes()
    overview = json.loads(fetch(f"{base}/api/operator/overview", headers=bearer())[2])
    assert "add_note" in [c["name"] for c in overview["tool_calls"]]

    assert fetch(f"{base}/api/operator/chat", method="POST", headers=headers,
                 body=b'{"message": "  "}')[0] == 400
    status, _, body = fetch(f"{base}/api/operator/chat", method="POST", headers=headers,
                            body=json.dumps({"message": f"/favourite {take_id}"}).encode())
    answer = [json.loads(line) for line in body.decode().splitlines()][-2]
    assert answer["event"] == "answer" and "favourite" in answer["text"]
    assert store.takes.take(take_id)["favourite"] == 1  # the REPL's commands work here too
    with server.console._lock:  # another operator's turn is running
        assert fetch(f"{base}/api/operator/chat", method="POST", headers=headers,
                     body=b'{"message": "more wide shots"}')[0] == 409


def test_favourites_are_set_by_the_operator_and_shown_in_the_strip(site, show, store) -> None:
    base, _ = site
    take_id = show["aired"]["id"]
    url, headers = f"{base}/api/operator/favourite", {"Content-Type": "application/json"}
    body = json.dumps({"take_id": take_id, "favourite": True}).encode()
    assert fetch(url, method="POST", headers=headers, body=body)[0] == 401
    status, _, answer = fetch(url, method="POST", headers={**headers, **bearer()}, body=body)
    assert status == 200 and json.loads(answer)["favourite"] is True
    assert store.takes.take(take_id)["favourite"] == 1
    assert json.loads(get(f"{base}/api/recent"))[0]["favourite"] is True
    missing_take = json.dumps({"take_id": 9999}).encode()
    assert fetch(url, method="POST", headers={**headers, **bearer()}, body=missing_take)[0] == 404


def test_a_page_on_another_origin_cannot_post_for_the_signed_in_operator(site, store) -> None:
    """CSRF: a page on another port of this host auto-submits a form to the chat API with the
    operator's cookie; SameSite does not separate ports, so the server checks where the request
    comes from and that it is JSON (a form cannot send JSON)."""
    base, _ = site
    cookie = signed_in_cookie(base)
    evil = f"http://127.0.0.1:{free_port()}"
    for headers in ({"Origin": evil, "Sec-Fetch-Site": "same-site"},
                    {"Origin": evil}, {"Sec-Fetch-Site": "cross-site"}):
        status, _, _ = fetch(f"{base}/api/operator/chat", method="POST", body=b'{"message": '
                             b'"theme: a show nobody asked for"}', headers={
                                 "Cookie": cookie, "Content-Type": "text/plain", **headers})
        assert status == 403, headers
    status, _, _ = fetch(f"{base}/api/operator/chat", method="POST",
                         body=b'{"message": "queue: a show nobody asked for"}',
                         headers={"Cookie": cookie, "Content-Type": "text/plain"})
    assert status == 415  # no Origin (an old browser, a form): JSON only
    assert store.programme.queued_themes() == [] and store.show.notes() == []
    same = {"Cookie": cookie, "Content-Type": "application/json", "Origin": base,
            "Sec-Fetch-Site": "same-origin"}
    status, _, _ = fetch(f"{base}/api/operator/favourite", method="POST", headers=same,
                         body=b'{"take_id": 1, "favourite": true}')
    assert status == 200
    # signing out is a POST from this origin; a link (GET) signs nobody out
    assert fetch(f"{base}/operator/logout", headers={"Cookie": cookie})[0] == 405
    status, headers, _ = fetch(f"{base}/operator/logout", method="POST",
                               headers={"Cookie": cookie, "Origin": base})
    assert status == 303 and "Max-Age=0" in headers["Set-Cookie"]


def test_bad_requests_get_clear_answers_and_never_hold_a_thread(site, show, store,
                                                                 data: DataDir) -> None:
    import socket

    base, server = site
    url, headers = f"{base}/api/operator/favourite", {"Content-Type": "application/json",
                                                      **bearer()}
    take_id = show["aired"]["id"]
    for body in (b'{"take_id": 1180591620717411303424}', b'{"take_id": 2, "favourite": "no"}',
                 b'{"take_id": "2"}', b"[1, 2]"):
        status, _, answer = fetch(url, method="POST", headers=headers, body=body)
        assert status == 400 and b"expected" in answer or b"object" in answer, body
    assert store.takes.take(take_id)["favourite"] == 0
    status, _, answer = fetch(f"{base}/api/operator/chat", method="POST", headers=headers,
                              body=b'{"message": "more close-ups"')
    assert status == 400 and b"not JSON" in answer
    status, headers_back, body = fetch(f"{base}/health", method="HEAD")
    assert status in (200, 503) and body == b"" and headers_back["Content-Type"] == \
        "application/json"
    assert fetch(f"{base}/", method="HEAD")[0] == 200
    outside = data.root.parent / "secret.txt"
    outside.write_text("not the channel's")
    (data.hls / "leak.m3u8").symlink_to(outside)
    assert fetch(f"{base}/hls/leak.m3u8")[0] == 404
    # a client that promises a body it never sends, or says nothing, is let go
    port = server.server_port
    idle, short = socket.create_connection(("127.0.0.1", port)), socket.create_connection(
        ("127.0.0.1", port))
    short.sendall(b"POST /api/operator/chat HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer "
                  + TOKEN.encode() + b"\r\nContent-Type: application/json\r\n"
                  b"Content-Length: 5000\r\n\r\n{\"mess")
    for sock in (idle, short):
        sock.settimeout(60)
        started = time.monotonic()
        while sock.recv(4096):  # the server closes it once its socket timeout passes
            pass
        assert time.monotonic() - started < 45
        sock.close()


def test_the_public_api_serves_the_strip_and_the_takes_files(site, show) -> None:
    base, _ = site
    now = json.loads(get(f"{base}/api/now"))
    assert now["title"] == "The Night Noodle Stand"
    assert now["on_air"][0]["prompt"] == "a llama ladles broth, night"
    assert [n["take_id"] for n in now["next"]] == [show["queued"]["id"]]
    strip = json.loads(get(f"{base}/api/recent"))
    assert [t["take_id"] for t in strip] == [show["aired"]["id"]]
    take = strip[0]
    assert take["media"] == "/" + show["aired"]["media"]
    assert take["sheet"] == "/" + show["aired"]["contact_sheet"]

    status, headers, body = fetch(base + take["media"])
    assert status == 200 and body == show["movie"] and headers["Content-Type"] == "video/mp4"
    assert headers["Accept-Ranges"] == "bytes" and "immutable" in headers["Cache-Control"]
    status, headers, body = fetch(base + take["media"], headers={"Range": "bytes=10-19"})
    assert status == 206 and body == show["movie"][10:20]
    assert headers["Content-Range"] == f"bytes 10-19/{len(show['movie'])}"
    status, _, body = fetch(base + take["media"], headers={"Range": "bytes=-5"})
    assert status == 206 and body == show["movie"][-5:]
    assert fetch(base + take["media"], headers={"Range": "bytes=99999-"})[0] == 416
    assert fetch(base + take["sheet"])[1]["Content-Type"] == "image/png"

    digest = take["media"].split("/")[-1].removesuffix(".mp4")
    for bad in ("/media/../webtv.db", "/media/%2e%2e/webtv.db", f"/media/zz/{digest}.mp4",
                f"/media/{digest[:2]}/{digest.upper()}.mp4", f"/media/{digest[:2]}/{digest}.db",
                "/media/ab/abc.mp4", "/webtv.db", "/static/operator.html", "/static/login.html"):
        assert fetch(base + bad)[0] == 404, bad

    status, _, body = fetch(f"{base}/health")  # no playout writing HLS, no autopilot here
    assert status == 503 and json.loads(body)["ok"] is False

    status, headers, body = fetch(f"{base}/")
    assert status == 200 and b"/static/vendor/hls.min.js" in body and b"player.js" in body
    assert "default-src 'self'" in headers["Content-Security-Policy"]
    assert headers["X-Content-Type-Options"] == "nosniff"


def test_hlsjs_comes_from_node_modules_and_the_page_does_without_it(
        data: DataDir, tmp_path: Path) -> None:
    vendored = tmp_path / "hls.min.js"
    vendored.write_text("/* hls.js stand-in */ window.Hls = undefined;" * 100)
    for path, expected in ((vendored, 200), (tmp_path / "absent.js", 404)):
        server = serve(data, port=0, operator_token="", hlsjs=path)
        try:
            status, headers, body = fetch(
                f"http://127.0.0.1:{server.server_port}/static/vendor/hls.min.js",
                headers={"Accept-Encoding": "gzip"})
            assert status == expected
            if expected == 200:
                assert headers["Content-Encoding"] == "gzip"
                assert gzip.decompress(body) == vendored.read_bytes()
        finally:
            server.shutdown()
            server.server_close()
    player = (ROOT / "app" / "static" / "player.js").read_text()
    assert "mseLoader" in player and "application/vnd.apple.mpegurl" in player


def test_the_playlist_clock_pairs_a_date_time_with_the_channel_clock(tmp_path: Path) -> None:
    assert playlist_clock(tmp_path) is None  # nothing on air yet
    timescale = (0).to_bytes(8, "big") + (90000).to_bytes(4, "big")
    (tmp_path / "init.mp4").write_bytes(b"\0\0\0\x18ftypiso6....moov....trak"
                                        b"\0\0\0\x20mdhd\0\0\0\0" + timescale)
    for name, start in (("seg_7.m4s", 900000), ("seg_8.m4s", 1080000)):
        (tmp_path / name).write_bytes(b"\0\0\0\x60moof....traf\0\0\0\x14tfdt\x01\0\0\0"
                                      + start.to_bytes(8, "big") + b"trun" + bytes(40))
    (tmp_path / "live.m3u8").write_text(
        "#EXTM3U\n#EXT-X-MAP:URI=\"init.mp4\"\n#EXTINF:2.000000,\n"
        "#EXT-X-PROGRAM-DATE-TIME:2030-01-01T00:00:10.250+0000\nseg_7.m4s\n#EXTINF:2.000000,\n"
        "#EXT-X-PROGRAM-DATE-TIME:2030-01-01T00:00:12.250+0000\nseg_8.m4s\n")
    clock = playlist_clock(tmp_path)
    assert clock == {"pdt": 1893456012.25, "media_time": 12.0}


# -- a real channel in a real browser -----------------------------------------------------
def _need_browser() -> None:
    reason = missing()
    if reason is None:
        return
    if os.environ.get("WEBTV_REQUIRE_BROWSER") == "1":
        pytest.fail(f"WEBTV_REQUIRE_BROWSER=1 but {reason}")
    pytest.skip(reason)


class Channel:
    """`webtv run` in a subprocess, stopped and started on the same data dir and port."""

    def __init__(self, home: Path) -> None:
        self.home, self.port = home, free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.env = {**os.environ, "WEBTV_HOME": str(home), "WEBTV_OPERATOR_TOKEN": TOKEN}
        self.env.pop("WEBTV_LLM_MODEL", None)
        self.proc: subprocess.Popen | None = None
        self.runs = 0

    def start(self) -> None:
        self.runs += 1
        log = (self.home.parent / f"channel-{self.runs}.log").open("wb")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "webtv.app.cli", "run", "--theme", THEME, "--port",
             str(self.port), "--buffer", "9", "--faults", "0.3"],
            env=self.env, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT)

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            assert self.proc.wait(timeout=60) == 0, self.output()
        self.proc = None

    def output(self) -> str:
        return (self.home.parent / f"channel-{self.runs}.log").read_text()[-3000:]

    def now(self) -> dict:
        return json.loads(get(f"{self.base}/api/now"))

    def wait_for_a_take(self) -> dict:
        return wait_for(lambda: (now := self.now()) and any(
            e["kind"] == "take" for e in now["on_air"]) and now, 120, "a take on air")

    def rejected(self) -> list[dict]:
        store = Store(DataDir(self.home))
        try:
            return store.takes.rejected_takes(5)
        finally:
            store.close()

    def air_log(self, session: str) -> dict[int, dict]:
        store = Store(DataDir(self.home))
        try:
            return {e["id"]: e for e in store.air.air_log(session, limit=1000)}
        finally:
            store.close()


@pytest.fixture(scope="module")
def channel(tmp_path_factory: pytest.TempPathFactory):
    _need_browser()
    channel = Channel(tmp_path_factory.mktemp("channel") / "home")
    channel.start()
    try:
        channel.wait_for_a_take()
        yield channel
    finally:
        channel.stop()


@pytest.fixture(scope="module")
def browser(channel: Channel):
    with Browser() as b:
        yield b


SAMPLE = """(() => {
  const v = document.getElementById("video"), a = document.getElementById("action");
  const d = webtv.hls && webtv.hls.playingDate;
  const c = webtv.clock;  // the way Safari's player (which speaks date-times) is mapped
  return {time: v.currentTime, stream: webtv.streamTime(), air: a.dataset.airId || null,
          action: a.textContent, prompt: document.getElementById("prompt").textContent,
          kind: document.getElementById("kind").textContent,
          mode: webtv.mode, session: webtv.session,
          byDate: d && c ? c.media_time + (d.getTime() / 1000 - c.pdt) : null};
})()"""
# Hard cuts between consecutive frames, on the channel clock: the picture's own evidence of
# where one airing ends, independent of the page's arithmetic.
CUTS = """(() => {
  window.cuts = []; const c = document.createElement("canvas"); c.width = 32; c.height = 18;
  const g = c.getContext("2d", {willReadFrequently: true}); let prev = null;
  const v = document.getElementById("video");
  const step = (now, meta) => {
    g.drawImage(v, 0, 0, 32, 18); const px = g.getImageData(0, 0, 32, 18).data;
    let diff = 0;
    if (prev) for (let i = 0; i < px.length; i += 4)
      diff += Math.abs(px[i] - prev[i]) + Math.abs(px[i + 1] - prev[i + 1])
        + Math.abs(px[i + 2] - prev[i + 2]);
    if (prev && webtv.offset !== null)
      window.cuts.push([meta.mediaTime + webtv.offset, diff / 576]);
    prev = px; v.requestVideoFrameCallback(step);
  };
  v.requestVideoFrameCallback(step); return true;
})()"""


def check_words(samples: list[dict], log: dict[int, dict]) -> tuple[int, list[float]]:
    """Every sample's words are the air log's for the frame on screen; returns how often the
    prompt changed, and how far the date-time mapping is from the page's stream time."""
    shown = [s for s in samples if s["air"] is not None]
    assert len(shown) >= len(samples) - 8, "the page said nothing for seconds on end"
    apart: list[float] = []
    for s in shown:
        entry = log[int(s["air"])]
        assert s["prompt"] == ("" if entry["kind"] == "slate" else entry["prompt"])
        assert s["action"] == (entry["action"] if entry["kind"] != "slate"
                               else "Slate: new scenes are on their way")
        # a take's first airing is its premiere; the viewer is told which one this is
        assert s["kind"] == {"take": "· premiere", "replay": "· rerun",
                             "slate": "· slate"}[entry["kind"]], (s, entry)
        end = entry["stream_end"] if entry["stream_end"] is not None else float("inf")
        # the words follow the picture within a render tick (0.2 s) and a sample (0.25 s)
        assert entry["stream_start"] - 0.05 <= s["stream"] <= end + 0.5, (s, entry)
        if s["byDate"] is not None:
            apart.append(s["byDate"] - s["stream"])
    prompts = [s["prompt"] for s in shown if s["prompt"]]
    return sum(1 for a, b in zip(prompts, prompts[1:], strict=False) if a != b), apart


def check_cuts(browser: Browser, log: dict[int, dict]) -> list:
    """A hard cut seen on screen is an airing's start on the air log, to a few frames."""
    boundaries = sorted({e["stream_start"] for e in log.values()})
    cuts = [c for c in browser.eval("window.cuts") if c[1] > 40]
    for at, _ in cuts:
        assert min(abs(at - b) for b in boundaries) < 0.25, (at, boundaries)
    return cuts


def test_the_page_plays_and_says_what_is_on_screen(channel: Channel, browser: Browser) -> None:
    status, _, body = fetch(f"{channel.base}/health")
    assert status == 200 and json.loads(body)["on_air"] is True, body
    assert browser.open(f"{channel.base}/")["status"] == 200
    browser.wait("webtv.firstFrameMs !== null", 30)
    first_frame_ms = browser.eval("webtv.firstFrameMs")
    browser.eval(CUTS)
    samples: list[dict] = []
    shot = None
    # Watch at least 12 s, and until the take on screen has changed (on two cores slates can
    # fill a dry stretch); the screenshot is taken while a take is on screen.
    for _ in range(20):
        samples += browser.sample(SAMPLE, seconds=2)
        if shot is None and samples[-1]["prompt"]:
            shot = browser.screenshot(ARTIFACTS / "page.png")
        watched = samples[-1]["time"] - samples[0]["time"]
        if watched >= 12 and len({s["air"] for s in samples if s["prompt"]}) >= 2:
            break
    mode = samples[-1]["mode"]
    assert mode == ("hls.js" if (ROOT / "node_modules" / "hls.js").is_dir() else "mse")

    assert samples[-1]["time"] - samples[0]["time"] >= 10, "the picture stalled"
    assert all(b["time"] >= a["time"] for a, b in zip(samples, samples[1:], strict=False))

    log = channel.air_log(samples[-1]["session"])
    changes, apart = check_words(samples, log)
    assert changes >= 1, "the prompt never changed"
    # hls.js's media time and the playlist's date-times (what Safari's player reports) agree
    # on which frame is on screen
    assert apart and max(abs(a) for a in apart) < 0.3, apart
    cuts = check_cuts(browser, log)

    if shot is None:
        browser.wait("document.getElementById('prompt').textContent.length > 0", 30)
        shot = browser.screenshot(ARTIFACTS / "page.png")
    (ARTIFACTS / "page.json").write_text(json.dumps({
        "first_frame_ms": first_frame_ms, "mode": mode, "seconds_watched": (
            samples[-1]["time"] - samples[0]["time"]), "prompt_changes": changes,
        "hard_cuts_checked": len(cuts), "date_mapping_error_s": max(abs(a) for a in apart)},
        indent=2))
    assert shot.stat().st_size > 10_000

    # the next premiere, as the channel estimates it, is what the page says
    def announced() -> bool:
        premiere = channel.now()["premiere"]
        said = browser.eval("document.getElementById('premiere').textContent")
        return bool(premiere) and said.startswith("Next premiere: ") and (
            premiere["action"] in said)

    wait_for(announced, 60, "the page saying what premieres next")

    browser.wait("document.querySelectorAll('#strip button').length > 0", 30)
    browser.click("#strip button")
    browser.wait("document.getElementById('replay').open && "
                 "document.getElementById('replay-video').currentTime > 0.5", 20)
    assert browser.eval("document.getElementById('replay-video').src").startswith(
        f"{channel.base}/media/")
    browser.click("#replay .close")
    errors = [line for line in browser.logs() if line.startswith(("pageerror", "error"))]
    assert not errors, errors


def test_without_hlsjs_the_own_loader_plays_and_says_the_same(channel: Channel,
                                                             browser: Browser) -> None:
    browser.open(f"{channel.base}/?player=mse")  # as where node_modules/hls.js is missing
    browser.wait("webtv.firstFrameMs !== null", 30)
    browser.eval(CUTS)
    samples = browser.sample(SAMPLE, seconds=6)
    assert {s["mode"] for s in samples} == {"mse"}
    assert samples[-1]["time"] - samples[0]["time"] >= 4, "the picture stalled"
    check_words(samples, channel.air_log(samples[-1]["session"]))
    check_cuts(browser, channel.air_log(samples[-1]["session"]))


def test_the_operator_page_needs_the_token(channel: Channel, browser: Browser) -> None:
    assert browser.open(f"{channel.base}/operator")["status"] == 401
    assert browser.eval("!!document.querySelector('input[name=token]')")
    assert browser.goto(f"{channel.base}/operator?token=wrong")["status"] == 403
    assert browser.eval("!document.getElementById('chat')")
    went = browser.goto(f"{channel.base}/operator?token={TOKEN}")
    assert went["status"] == 200 and went["url"] == f"{channel.base}/operator"
    browser.wait("document.querySelectorAll('#calls tr').length > 0", 20)
    browser.fill("#message", "more close-ups")
    browser.click("#send")
    browser.wait("document.getElementById('chatlog').textContent.includes('director:')", 90)
    log = browser.eval("document.getElementById('chatlog').textContent")
    assert "→ add_note" in log and "more close-ups" in log
    browser.wait("document.getElementById('buffer').textContent !== '–'", 10)
    # the autopilot's state: the buffer against its target, and the segment in the making
    assert "of 9 s target" in browser.eval("document.getElementById('mode').textContent")
    # what the takes cost today: the local backends, nothing (no budget set)
    spend = browser.eval("document.getElementById('spend').textContent")
    assert spend.startswith("Spend today (UTC): $0.00") and "forecast $0.00" in spend, spend
    programme = browser.eval("document.getElementById('programme').textContent")
    assert re.match(r"Segment \d+: .+ \(\d+ of \d+ shots written\)", programme), programme
    # --faults 0.3: some takes fail their checks; the page shows which checks failed
    rejected = wait_for(channel.rejected, 60, "a rejected take")
    text = "document.getElementById('rejected').textContent"
    browser.wait(f"{text}.includes('take {rejected[0]['id']} (shot')", 10)  # next refresh
    shown = browser.eval(text)
    assert all(c["name"] in shown for c in rejected[0]["failed_checks"])
    # a model that fails every take is named with its error (three failures in a row)
    from webtv.state.datadir import DataDir
    from webtv.state.store import CallJournal

    journal = CallJournal(DataDir(channel.home))
    for _ in range(3):
        journal(endpoint="diffusers:broken-model", capability="video", attempt=1,
                arguments={}, duration_ms=10.0, outcome="error",
                error="RuntimeError: the position table is shorter than the picture")
    journal.close()
    failing = "document.getElementById('failing').textContent"
    browser.wait(f"{failing}.includes('diffusers:broken-model (video) failed its last 3')", 10)
    assert "position table is shorter" in browser.eval(failing)
    browser.screenshot(ARTIFACTS / "operator.png")


CAPTION = """(() => {
  const v = document.getElementById("video");
  return {cue: webtv.cueOnScreen(), stream: webtv.streamTime(), time: v.currentTime,
          session: webtv.session, pressed: document.getElementById("cc").ariaPressed};
})()"""
CUES = """(() => {
  const out = [];
  for (const t of document.getElementById("video").textTracks)
    if (t.mode === "showing" && t.cues)
      for (const c of t.cues) out.push([c.startTime + webtv.offset, c.endTime + webtv.offset,
                                        c.text]);
  return out;
})()"""


def check_captions(browser: Browser, channel: Channel) -> tuple[int, int]:
    """Turned on, the captions say the action of the airing on screen, and each cue starts
    on the frame its picture does (a hard cut on screen). Returns (samples checked, cuts)."""
    browser.wait("!document.getElementById('cc').hidden", 30)
    assert browser.eval("webtv.cueOnScreen()") is None  # off until the viewer asks
    browser.eval(CUTS)
    browser.click("#cc")
    browser.wait("webtv.cueOnScreen() !== null", 40)
    samples: list[dict] = []
    cuts: list[float] = []
    # watch until the picture has cut between captioned airings (a slate can fill a stretch
    # on two busy cores), for at least 10 s
    for _ in range(8):
        samples += browser.sample(CAPTION, seconds=5)
        edges = [x for a, b, _ in browser.eval(CUES) for x in (a, b)]
        cuts = [at for at, diff in browser.eval("window.cuts") if diff > 40
                and min((abs(at - e) for e in edges), default=9) < 0.5]
        if cuts and len(samples) >= 40:
            break
    log = channel.air_log(samples[-1]["session"])
    bounds = sorted({e["stream_start"] for e in log.values()})
    checked = 0
    for s in samples:
        near = min(abs(s["stream"] - 0.083 - b) for b in bounds)
        if near < 0.35:  # a sample taken while the picture changes: either may show
            continue
        entry = next((e for e in log.values() if e["stream_start"] <= s["stream"] - 0.083 <
                      (e["stream_end"] or 1e12)), None)
        if entry is None:
            continue
        expected = None if entry["kind"] == "slate" else entry["action"]
        assert s["cue"] == expected, (s, entry)
        checked += 1
    assert checked >= 20 and all(s["pressed"] == "true" for s in samples)
    # in step with the picture: where the picture cuts, a cue starts or ends, to a frame
    assert cuts, "no cut between two captioned airings was seen"
    for at in cuts:
        assert min(abs(at - e) for e in edges) < 0.03, (at, sorted(edges))
    browser.click("#cc")  # and off again
    browser.wait("webtv.cueOnScreen() === null", 5)
    return checked, len(cuts)


def test_captions_show_in_step_with_the_shot_on_screen(channel: Channel,
                                                       browser: Browser) -> None:
    browser.open(f"{channel.base}/")
    browser.wait("webtv.firstFrameMs !== null && webtv.mode === 'hls.js'", 30)
    checked, cuts = check_captions(browser, channel)
    browser.screenshot(ARTIFACTS / "captions.png")
    (ARTIFACTS / "captions.json").write_text(json.dumps(
        {"samples_checked": checked, "cuts_checked": cuts}, indent=2))
    # the viewer's choice is remembered
    browser.click("#cc")
    browser.goto(f"{channel.base}/")
    browser.wait("webtv.firstFrameMs !== null && webtv.cueOnScreen() !== null", 40)
    assert browser.eval("document.getElementById('cc').ariaPressed") == "true"
    browser.click("#cc")
    # our own loader (no hls.js) reads the caption playlist itself
    browser.open(f"{channel.base}/?player=mse")
    browser.wait("webtv.firstFrameMs !== null", 30)
    check_captions(browser, channel)


def test_the_page_recovers_from_a_stall_and_a_playout_restart(channel: Channel,
                                                               browser: Browser) -> None:
    browser.open(f"{channel.base}/")
    browser.wait("webtv.firstFrameMs !== null && webtv.session !== null", 30)
    browser.eval("window.keptAcrossTheRestart = true")
    video = "document.getElementById('video')"

    browser.offline(True)  # the network goes away for longer than the buffer lasts
    time.sleep(8)
    stalled = browser.eval(f"{video}.currentTime")
    browser.offline(False)
    browser.wait(f"{video}.currentTime > {stalled} + 4", 45)

    before = browser.eval("webtv.session")
    channel.stop()
    channel.start()
    browser.wait(f"webtv.session !== null && webtv.session !== {json.dumps(before)}", 90)
    browser.wait(f"{video}.readyState >= 2", 60)
    start = browser.eval(f"{video}.currentTime")
    browser.wait(f"{video}.currentTime > {start} + 5", 40)
    assert browser.eval("window.keptAcrossTheRestart === true")  # no reload
    assert browser.eval("webtv.restarts") >= 1


def test_a_viewer_suggests_and_votes_from_the_page_and_sees_the_credit(
        channel: Channel, browser: Browser) -> None:
    """In Chromium: the suggestion box posts (the page's own origin, its cookie), the open
    suggestions list it with a vote button that counts once, the director takes it, and the
    page says who suggested the scene on screen; the operator page lists it with remove and
    mute."""
    assert browser.open(f"{channel.base}/")["status"] == 200
    browser.fill("#suggest-name", "Fern")
    browser.fill("#suggest-text", "the llama hands a steaming bowl to a shy owl")
    browser.click("#suggest button")
    browser.wait("document.getElementById('suggest-said').textContent.startsWith('Thanks')", 15)
    browser.wait("document.querySelector('#suggestions li .vote') !== null", 15)
    browser.click("#suggestions li .vote")
    browser.wait("document.querySelector('#suggestions li .vote').textContent === '▲ 1'", 15)
    browser.wait("document.querySelector('#suggestions li .vote').disabled", 5)
    # the director takes it at once (none taken before) and its scene airs, credited
    browser.wait("document.getElementById('credit').textContent === 'Suggested by Fern'", 240)
    assert "shy owl" in browser.eval("document.getElementById('action').textContent")
    status, _, body = fetch(f"{channel.base}/api/suggestions")
    recent = json.loads(body)["recent"]
    assert recent[0]["name"] == "Fern" and recent[0]["status"] in ("taken", "aired")
    # the operator sees the open ones, with remove and mute; remove takes one off the list
    status, _, _ = fetch(f"{channel.base}/api/suggestions", method="POST", body=json.dumps(
        {"text": "a lantern parade passes the stall", "name": "Gus"}).encode(),
        headers={"Content-Type": "application/json"})  # another viewer (no cookie)
    assert status == 201
    assert browser.goto(f"{channel.base}/operator?token={TOKEN}")["status"] == 200
    browser.wait("document.getElementById('suggestions').textContent.includes('lantern')", 15)
    assert "Gus (page)" in browser.eval("document.getElementById('suggestions').textContent")
    browser.click("#suggestions button")  # remove
    browser.wait("!document.getElementById('suggestions').textContent.includes('lantern')", 15)
    assert json.loads(fetch(f"{channel.base}/api/suggestions")[2])["open"] == []
