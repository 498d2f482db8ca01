"""Watching the channels anywhere: the programme guide (XMLTV, validated by xmltv-util), the
channel list (M3U, played by FFmpeg and VLC), each channel as MPEG-TS, and the HDHomeRun
tuner (its HTTP API, and network discovery found by libhdhomerun's own client), against a
real `webtv run` on 127.0.0.1 with a library channel beside the director's."""

from __future__ import annotations

import json
import os
import pwd
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
import xml.etree.ElementTree as ET
from datetime import datetime
from pathlib import Path

import pytest

from tests.channel import THEME, free_port, get, query, run_webtv, start, wait_for
from tests.conftest import need
from webtv.app.discovery import DISCOVER_REPLY, TAG_BASE_URL, TAG_DEVICE_ID, parse_packet
from webtv.app.tuner import TUNERS, valid_device_id
from webtv.core.media import ffmpeg_exe, probe

pytestmark = pytest.mark.slow  # xmltv-util, VLC and hdhomerun_config against `webtv run`

DTD = Path("/usr/share/xmltv/xmltv.dtd")


class Running:
    def __init__(self, home: Path) -> None:
        self.home, self.port = home, free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        home.mkdir(parents=True)
        (home / "webtv.toml").write_text('[[channels]]\nname = "best"\npolicy = "best"\n'
                                         'repeat_after_s = 0\n')
        self.log = (home.parent / "run.log").open("wb")
        self.proc = start(home, "--theme", THEME, "--port", str(self.port), "--buffer", "12",
                          "--discover", stdout=self.log)

    def output(self) -> str:
        return (self.home.parent / "run.log").read_text()[-3000:]


@pytest.fixture(scope="module")
def running(tmp_path_factory: pytest.TempPathFactory):
    channel = Running(tmp_path_factory.mktemp("guide") / "home")
    try:
        wait_for(lambda: any(e["kind"] == "take" for e in json.loads(
            get(f"{channel.base}/api/now"))["on_air"]), 180, "a premiere on air")
        # the library channel has a take to air once one has premiered
        wait_for(lambda: query(channel.home, "select count(*) from air_log where channel = "
                               "'best' and kind = 'take'")[0][0] > 0, 120, "the best channel")
        yield channel
    finally:
        channel.proc.send_signal(signal.SIGTERM)
        assert channel.proc.wait(timeout=60) == 0, channel.output()


def validate(path: Path) -> str:
    need(shutil.which("tv_validate_file") is not None and DTD.exists(),
         "WEBTV_REQUIRE_XMLTV", "xmltv-util is not installed (apt-get install xmltv-util)")
    done = subprocess.run(["tv_validate_file", "--dtd-file", str(DTD), str(path)],
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


def when(stamp: str) -> float:
    return datetime.strptime(stamp, "%Y%m%d%H%M%S %z").timestamp()


def test_the_guide_is_valid_xmltv_of_what_aired_and_what_is_planned(running: Running,
                                                                    tmp_path: Path) -> None:
    body = get(f"{running.base}/xmltv.xml")
    (tmp_path / "guide.xml").write_bytes(body)
    assert "Validated ok" in validate(tmp_path / "guide.xml")
    tv = ET.fromstring(body)
    ids = [c.get("id") for c in tv.findall("channel")]
    assert ids == ["main.ai-webtv", "best.ai-webtv"]
    for channel in tv.findall("channel"):  # each channel's logo is there
        assert get(channel.find("icon").get("src"))[:8] == b"\x89PNG\r\n\x1a\n"
    now = time.time()
    shows = {title for (title,) in query(running.home, "select title from shows")}
    episodes = {title for (title,) in query(running.home, "select title from segments")}
    for channel_id in ids:
        programmes = [p for p in tv.findall("programme") if p.get("channel") == channel_id]
        spans = [(when(p.get("start")), when(p.get("stop"))) for p in programmes]
        assert all(a < b for a, b in spans), "a programme ends before it starts"
        assert all(b1 <= a2 for (_, b1), (a2, _) in zip(spans, spans[1:], strict=False)), \
            "programmes overlap"
        assert spans[-1][1] >= now + 20 * 3600  # a day ahead, as players want
        assert any(a <= now < b for a, b in spans), "nothing is on now"
    main = [p for p in tv.findall("programme") if p.get("channel") == "main.ai-webtv"]
    # what aired: the first programme is the show's premiere, named by the bible, from the
    # channel's first airing (the seconds of slate before its first take are part of it)
    first_air = query(running.home, "select started_at from air_log where channel = 'main' "
                      "order by id limit 1")[0][0]
    premiere = next(p for p in main if p.find("new") is not None)
    assert premiere.findtext("title") in shows
    said = re.sub(r" and \d+ more$", "", premiere.findtext("sub-title"))
    assert set(said.split(" · ")) <= episodes
    # programmes are blocks of the clock's half hours, not a programme per 12 s run
    starts = [when(p.get("start")) for p in main]
    assert all(int(start) % 1800 == 0 for start in starts[1:]), starts
    assert abs(when(premiere.get("start")) - datetime.fromisoformat(first_air).timestamp()) < 1.5
    assert premiere.findtext("desc")
    icon = premiere.find("icon").get("src")
    assert get(icon)[:3] == b"\xff\xd8\xff"  # a frame of one of the show's takes, as a JPEG
    categories = {c.text for c in premiere.findall("category")}
    tags = {t for (t,) in query(running.home, "select tag from tags where show_id is not null")}
    assert categories <= tags and (categories or not tags)
    # what is planned: an estimated premiere names an episode of the bible, and says it is
    # an estimate; reruns fill the time between
    ahead = [p for p in main if when(p.get("start")) > now + 1]
    for p in ahead:
        if p.find("new") is not None and "estimated" in (p.findtext("desc") or ""):
            said = re.sub(r" and \d+ more$", "", p.findtext("sub-title"))
            assert set(said.split(" · ")) <= episodes | {"A new show"}
    assert any(p.findtext("sub-title") == "From the library" for p in ahead)


def test_the_page_and_webtv_status_say_the_guides_programme(running: Running) -> None:
    """The programme on now and next, as the XMLTV has them, on the page's /api/now and in
    `webtv status` of the running channel."""
    now = json.loads(get(f"{running.base}/api/now"))["guide"]
    tv = ET.fromstring(get(f"{running.base}/xmltv.xml"))
    on = next(p for p in tv.findall("programme") if p.get("channel") == "main.ai-webtv"
              and when(p.get("start")) <= time.time() < when(p.get("stop")))
    assert now[0]["title"] == on.findtext("title") and len(now) == 2
    assert abs(now[0]["stop"] - when(on.get("stop"))) < 1
    status = subprocess.run([sys.executable, "-m", "webtv.app.cli", "status"],
                            env={**os.environ, "WEBTV_HOME": str(running.home)},
                            capture_output=True, text=True, timeout=60).stdout
    assert f"Guide:     now {now[0]['title']}" in status and "           next " in status


def test_webtv_guide_writes_it_into_the_data_dir_only(running: Running) -> None:
    done = run_webtv(running.home, "guide", "--out", "guide/xmltv.xml",
                     "--base-url", "http://192.168.1.5:8080")
    assert done.returncode == 0, done.stderr
    written = running.home / "guide" / "xmltv.xml"
    assert 'src="http://192.168.1.5:8080/guide/logo/main.png"' in written.read_text()
    validate(written)
    listed = run_webtv(running.home, "guide", "--m3u")
    assert listed.returncode == 0 and listed.stdout.startswith("#EXTM3U")
    outside = run_webtv(running.home, "guide", "--out", "/tmp/elsewhere.xml")
    assert outside.returncode == 2 and "a file in the data dir" in outside.stderr
    assert not Path("/tmp/elsewhere.xml").exists()


def entries(m3u: str) -> list[tuple[dict[str, str], str, str]]:
    lines = m3u.splitlines()
    out = []
    for info, url in zip(lines[1::2], lines[2::2], strict=True):
        attrs = dict(re.findall(r'([a-z-]+)="([^"]*)"', info))
        out.append((attrs, info.rsplit(",", 1)[1], url))
    return out


def record(url: str, out: Path, seconds: int = 6) -> subprocess.CompletedProcess:
    return subprocess.run([ffmpeg_exe(), "-hide_banner", "-loglevel", "error", "-y", "-i", url,
                           "-t", str(seconds), "-map", "0", "-c", "copy", str(out)],
                          capture_output=True, timeout=90)


def test_the_m3u_lists_every_channel_and_ffmpeg_plays_them(running: Running,
                                                         tmp_path: Path) -> None:
    m3u = get(f"{running.base}/channels.m3u").decode()
    assert m3u.startswith(f'#EXTM3U url-tvg="{running.base}/xmltv.xml"')
    listed = entries(m3u)
    assert [(a["tvg-id"], a["tvg-chno"], name) for a, name, _ in listed] == [
        ("main.ai-webtv", "1", "AI WebTV"), ("best.ai-webtv", "2", "AI WebTV best")]
    for attrs, _, url in listed:
        assert get(attrs["tvg-logo"])[:4] == b"\x89PNG"
        done = record(url, tmp_path / "channel.ts")
        assert done.returncode == 0, done.stderr.decode()[-500:]
        found = probe(tmp_path / "channel.ts")
        assert (found.video_codec, found.audio_codec) == ("h264", "aac")
        assert found.width == 1024 and found.duration >= 5.0
    # the HLS variant: the master playlist, captions included
    hls = entries(get(f"{running.base}/channels.m3u?stream=hls").decode())
    assert hls[0][2] == f"{running.base}/hls/master.m3u8"
    done = subprocess.run([ffmpeg_exe(), "-hide_banner", "-i", hls[0][2]],
                          capture_output=True, text=True, timeout=60)
    assert "Subtitle: webvtt" in done.stderr and "Video: h264" in done.stderr
    # a viewer that leaves gives its tuner back
    wait_for(lambda: free_tuners(running) == TUNERS,
             20, "the tuners given back")


def free_tuners(running: Running) -> int:
    return get(f"{running.base}/tuners.html").decode().count("<td>none</td>")


def test_vlc_plays_a_channel_from_the_m3u(running: Running) -> None:
    need(shutil.which("cvlc") is not None, "WEBTV_REQUIRE_VLC",
         "VLC is not installed (apt-get install vlc-bin vlc-plugin-base)")
    folder = Path(tempfile.mkdtemp(prefix="webtv-vlc-"))  # where VLC's own user may write
    folder.chmod(0o777)
    out = folder / "vlc.ts"
    argv = ["cvlc", "-I", "dummy", "--no-video-title-show", "--run-time", "8",
            "--play-and-exit", f"{running.base}/channels.m3u",
            f"--sout=#std{{access=file,mux=ts,dst={out}}}", "vlc://quit"]
    if os.geteuid() == 0:  # VLC refuses to run as root
        nobody = pwd.getpwnam("nobody")
        argv = ["setpriv", f"--reuid={nobody.pw_uid}", f"--regid={nobody.pw_gid}",
                "--clear-groups", "env", f"HOME={folder}", *argv]
    try:
        done = subprocess.run(argv, capture_output=True, text=True, timeout=120)
        assert out.exists() and out.stat().st_size > 100_000, done.stdout + done.stderr
        found = probe(out)
        assert (found.video_codec, found.audio_codec) == ("h264", "aac")
        assert found.duration >= 4.0
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def test_the_hdhomerun_api_answers_as_silicondust_gives_it(running: Running) -> None:
    device = json.loads(get(f"{running.base}/discover.json"))
    assert device["BaseURL"] == running.base
    assert device["LineupURL"] == f"{running.base}/lineup.json"
    assert device["TunerCount"] == TUNERS and device["ModelNumber"]
    assert re.fullmatch(r"[0-9A-F]{8}", device["DeviceID"])
    assert valid_device_id(int(device["DeviceID"], 16))  # libhdhomerun's check digit
    lineup = json.loads(get(device["LineupURL"]))
    assert [(c["GuideNumber"], c["GuideName"]) for c in lineup] == [
        ("1", "AI WebTV"), ("2", "AI WebTV best")]
    assert lineup[0]["URL"] == f"{running.base}/auto/v1"
    status = json.loads(get(f"{running.base}/lineup_status.json"))
    assert status["ScanInProgress"] == 0 and status["SourceList"]
    request = urllib.request.Request(f"{running.base}/lineup.post?scan=start", data=b"",
                                     method="POST")
    with urllib.request.urlopen(request, timeout=5) as answer:
        assert answer.status == 200
    upnp = ET.fromstring(get(f"{running.base}/device.xml"))
    ns = {"u": "urn:schemas-upnp-org:device-1-0"}
    assert upnp.findtext("u:device/u:serialNumber", namespaces=ns) == device["DeviceID"]
    assert upnp.findtext("u:URLBase", namespaces=ns) == running.base
    # the tuner's own stream address plays, like /stream/NAME.ts
    with urllib.request.urlopen(f"{running.base}/auto/v2", timeout=10) as stream:
        assert stream.headers["Content-Type"] == "video/mp2t"
        head = stream.read(188 * 20)
    assert head[0] == 0x47 and head[188] == 0x47  # MPEG-TS packets
    with pytest.raises(urllib.error.HTTPError) as missing:
        get(f"{running.base}/auto/v9")
    assert missing.value.code == 404


def test_a_busy_tuner_says_so_like_a_real_box(running: Running) -> None:
    wait_for(lambda: free_tuners(running) == TUNERS,
             20, "free tuners")
    streams = [urllib.request.urlopen(f"{running.base}/stream/main.ts", timeout=10)
               for _ in range(TUNERS)]
    try:
        for stream in streams:
            assert stream.read(188)[0] == 0x47
        with pytest.raises(urllib.error.HTTPError) as busy:
            get(f"{running.base}/stream/best.ts")
        assert busy.value.code == 503
        assert "<td>main</td>" in get(f"{running.base}/tuners.html").decode()
    finally:
        for stream in streams:
            stream.close()
    wait_for(lambda: free_tuners(running) == TUNERS,
             20, "the tuners given back")


def test_libhdhomerun_finds_the_tuner_and_ssdp_points_at_it(running: Running) -> None:
    device = json.loads(get(f"{running.base}/discover.json"))
    need(shutil.which("hdhomerun_config") is not None, "WEBTV_REQUIRE_HDHOMERUN",
         "libhdhomerun's client is not installed (apt-get install hdhomerun-config)")
    found = subprocess.run(["hdhomerun_config", "discover", "127.0.0.1"], capture_output=True,
                           text=True, timeout=30)
    assert f"hdhomerun device {device['DeviceID']} found at 127.0.0.1" in found.stdout, \
        found.stdout + found.stderr
    # its control channel says what the box is, and that it streams over HTTP only
    def ask(*args: str) -> str:
        return subprocess.run(["hdhomerun_config", "127.0.0.1", *args], capture_output=True,
                              text=True, timeout=30).stdout.strip()

    assert ask("get", "/sys/hwmodel") == device["ModelNumber"]
    assert ask("get", "/sys/model") == device["FirmwareName"]
    assert ask("get", "/tuner0/status").startswith("ch=none lock=none")
    assert ask("set", "/tuner0/channel", "auto:5") == (
        f"ERROR: this tuner streams over HTTP only: {running.base}/lineup.json")
    # its reply carries where the HTTP API is
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as udp:
        udp.settimeout(5)
        request = bytes.fromhex("00020000")  # a bare discover request (no tags)
        import struct
        import zlib
        udp.sendto(request + struct.pack("<I", zlib.crc32(request)), ("127.0.0.1", 65001))
        kind, tags = parse_packet(udp.recvfrom(2048)[0])
    assert kind == DISCOVER_REPLY
    assert tags[TAG_BASE_URL].decode() == running.base
    assert tags[TAG_DEVICE_ID].hex().upper() == device["DeviceID"]
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as udp:
        udp.settimeout(5)
        udp.sendto(b"M-SEARCH * HTTP/1.1\r\nHOST: 239.255.255.250:1900\r\nMAN: "
                   b"\"ssdp:discover\"\r\nMX: 1\r\nST: urn:schemas-upnp-org:device:"
                   b"MediaServer:1\r\n\r\n", ("127.0.0.1", 1900))
        answer = udp.recvfrom(2048)[0].decode()
    assert answer.startswith("HTTP/1.1 200 OK")
    assert f"LOCATION: {running.base}/device.xml" in answer


# -- the plan, from a store set up by hand ---------------------------------------------------
def test_the_plan_airs_made_scenes_at_once_and_the_rest_at_the_measured_pace(
        store, data, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    from webtv.app.guide import channels, guide_lines, listings, now_and_next, planned
    from webtv.app.xmltv import xmltv

    show = store.programme.begin_show("a kite festival", "Kites")
    first, later = store.programme.add_segments([
        {"title": "Up and Away", "synopsis": "The kites go up.", "shots": 5},
        {"title": "Landing", "synopsis": "The kites come down.", "shots": 4}])
    made = store.takes.add_shots(None, [{"action": f"kite {i}", "duration_s": 3.0,
                                         "segment_id": first["id"]} for i in range(3)])
    for shot in made:
        take = store.takes.add_take(shot_id=shot["id"], seed=1, prompt="p", media=None,
                                    duration_s=3.0)
        store.takes.set_take_status(take["id"], "accepted")
        store.air.schedule_take(take["id"])
    store.takes.add_shots(None, [{"action": f"wind {i}", "duration_s": 3.0,
                                  "segment_id": first["id"]} for i in range(2)])
    store.network.save_channel("calm", "favourites", None, 0)
    monkeypatch.setattr(store.takes, "pace", lambda: {"seconds_per_take": 60.0})
    now = 2_000_000_000.0
    main, calm = channels(store, "AI WebTV")
    got = listings(store, main, now)
    # made scenes air now, the rest at 60 s a take, an episode not yet written after them,
    # reruns between: as programmes, the half hour of the clock they fall in (now is 200 s
    # past the half hour), then the library's reruns as one
    assert [(g.sub_title, g.start - now, g.stop - now, g.new) for g in got] == [
        ("Up and Away · Landing", 0, 1600, True),
        ("From the library", 1600, 24 * 3600, False)]
    assert "with reruns from the library between" in got[0].desc
    assert "estimated" in got[0].desc and got[0].actions[:2] == ["kite 0", "wind 0"]
    assert got[0].title == "Kites" and got[0].show_id == show
    # the page (/api/now's "guide") and `webtv status` say the same programmes
    said = now_and_next(store, "AI WebTV", now=now)
    assert [(g["sub_title"], g["stop"] - now) for g in said] == [
        ("Up and Away · Landing", 1600), ("From the library", 24 * 3600)]
    assert guide_lines(said)[0].startswith(
        "Guide:     now Kites — Up and Away · Landing (until")
    assert "From the library (from" in guide_lines(said)[1]
    runs = planned(store, main, now, now)  # the runs under the programmes, as before
    assert [(r.sub_title, r.start - now, r.stop - now) for r in runs][:3] == [
        ("Up and Away", 0, 9), ("From the library", 9, 120), ("Up and Away", 120, 126)]
    assert "estimated" not in runs[0].desc
    library = listings(store, calm, now)
    assert len(library) == 1 and "favourite" in library[0].desc
    (tmp_path / "guide.xml").write_bytes(xmltv(store, "AI WebTV", "http://127.0.0.1:8080",
                                               now))
    validate(tmp_path / "guide.xml")
    # with no pace measured yet, nothing is given a time it cannot have
    monkeypatch.setattr(store.takes, "pace", lambda: None)
    unsure = listings(store, main, now)
    assert [g.sub_title for g in unsure] == ["Up and Away", "From the library"]
    assert "In the making: wind 0" in unsure[1].desc


def test_no_stream_outlives_the_server(data, tmp_path: Path) -> None:
    from webtv.app.web import serve

    server = serve(data, "127.0.0.1", 0)
    base = f"http://127.0.0.1:{server.server_port}"
    try:
        with pytest.raises(urllib.error.HTTPError) as off_air:  # no playout, no stream
            get(f"{base}/stream/main.ts")
        assert off_air.value.code == 503 and b"off air" in off_air.value.read()
        hls = data.channel_hls("main")
        hls.mkdir(parents=True, exist_ok=True)
        subprocess.run([ffmpeg_exe(), "-hide_banner", "-loglevel", "error", "-f", "lavfi",
                        "-i", "testsrc2=s=320x180:r=24:d=8", "-f", "lavfi", "-i", "sine=d=8",
                        "-c:v", "libx264", "-g", "48", "-c:a", "aac", "-f", "hls",
                        "-hls_time", "2", "-hls_list_size", "0",
                        "-hls_flags", "omit_endlist",  # a live playlist: it never ends
                        "-hls_segment_type", "fmp4", str(hls / "live.m3u8")], check=True)
        stream = urllib.request.urlopen(f"{base}/stream/main.ts", timeout=10)
        assert stream.read(188)[0] == 0x47
        assert len(server.tuners._procs) == 1
        proc = next(iter(server.tuners._procs))
    finally:
        server.shutdown()
        server.server_close()
    wait_for(lambda: proc.poll() is not None, 10, "the stream's FFmpeg to end")
    assert server.discovery is None  # network discovery only when asked
