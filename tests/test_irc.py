"""Viewers in a chat, against a real IRC server on 127.0.0.1 (Debian's ngircd, started here):
the channel joins, takes !suggest and !vote from viewers, answers the server's PINGs, says in
the chat when a suggested scene premieres, and connects again when the server comes back; a
flood from one viewer changes nothing for the others and gets one answer, not hundreds."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import threading
import time
from pathlib import Path

import pytest

from tests.channel import free_port
from webtv.channel.irc import ChatBridge, ChatConfig, parse
from webtv.channel.suggestions import Limits
from webtv.core.errors import ConfigError
from webtv.core.settings import Secrets
from webtv.inspection.moderation import LocalModerator
from webtv.state.datadir import DataDir
from webtv.state.store import Store

NGIRCD = shutil.which("ngircd") or "/usr/sbin/ngircd"
# WEBTV_REQUIRE_IRC=1 (CI) turns the skip into a failure
needs_ngircd = pytest.mark.skipif(
    not Path(NGIRCD).exists() and not os.environ.get("WEBTV_REQUIRE_IRC"),
    reason="ngircd is not installed (apt-get install ngircd)")


class Server:
    """ngircd on 127.0.0.1, in the foreground, with a config of the test's own."""

    def __init__(self, folder: Path, port: int) -> None:
        self.folder, self.port = folder, port
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "ngircd.conf").write_text(
            f"[Global]\nName = irc.test.local\nInfo = test\nPorts = {port}\n"
            f"Listen = 127.0.0.1\nMotdPhrase = \"test\"\nPidFile = {folder}/ngircd.pid\n"
            "[Limits]\nPingTimeout = 3\nPongTimeout = 5\nMaxNickLength = 30\n"
            "[Options]\nPAM = no\nIdent = no\nDNS = no\n")
        self.proc: subprocess.Popen | None = None

    def start(self) -> Server:
        self.proc = subprocess.Popen([NGIRCD, "-n", "-f", str(self.folder / "ngircd.conf")],
                                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
                return self
            except OSError:
                time.sleep(0.1)
        raise RuntimeError("ngircd did not start")

    def stop(self) -> None:
        if self.proc is not None:
            self.proc.terminate()
            self.proc.wait(10)
            self.proc = None


class Viewer:
    """A person in the chat: a plain IRC client whose reader answers the server's PINGs."""

    def __init__(self, port: int, nick: str) -> None:
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=10)
        self.nick, self.heard = nick, []
        self.lock = threading.Lock()
        threading.Thread(target=self._read, daemon=True).start()
        self.send(f"NICK {nick}")
        self.send(f"USER {nick} 0 * :{nick}")
        self.wait_for(" 001 ")
        self.send("JOIN #webtv")
        self.wait_for("JOIN :#webtv")

    def _read(self) -> None:
        buffer = b""
        self.sock.settimeout(None)
        while True:
            try:
                data = self.sock.recv(65536)
            except OSError:
                return
            if not data:
                return
            *lines, buffer = (buffer + data).split(b"\r\n")
            for line in lines:
                decoded = line.decode("utf-8", "replace")
                if decoded.startswith("PING"):
                    self.send("PONG" + decoded[4:])
                with self.lock:
                    self.heard.append(decoded)

    def send(self, line: str) -> None:
        self.sock.sendall(line.encode() + b"\r\n")

    def say(self, text: str) -> None:
        self.send(f"PRIVMSG #webtv :{text}")

    def wait_for(self, text: str, timeout: float = 20) -> str:
        """The first line heard (and not yet taken) that says ``text``, taken."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self.lock:
                for line in self.heard:
                    if text in line:
                        self.heard.remove(line)
                        return line
            time.sleep(0.1)
        raise AssertionError(f"{self.nick} never heard {text!r}; heard {self.heard[-5:]}")

    def drain(self, seconds: float) -> None:
        """Listen for ``seconds``."""
        time.sleep(seconds)

    def close(self) -> None:
        try:
            self.sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        self.sock.close()


@pytest.fixture
def irc(tmp_path: Path):
    server = Server(tmp_path / "ngircd", free_port()).start()
    yield server
    server.stop()


def bridge_for(data: DataDir, port: int, **limits) -> tuple[ChatBridge, threading.Event]:
    config = ChatConfig.from_url(f"irc://127.0.0.1:{port}/#webtv", {"chat": {"nick": "webtvbot"}})
    bridge = ChatBridge(config, data, LocalModerator(), Limits(**limits), Secrets({}))
    stop = threading.Event()
    threading.Thread(target=bridge.run, args=(stop,), daemon=True).start()
    assert bridge.joined.wait(15), "the bridge never joined"
    return bridge, stop


@pytest.fixture
def bridge(irc: Server, data: DataDir):
    """The channel in the chat, over a data dir of its own."""
    Store(data).close()
    joined, stop = bridge_for(data, irc.port)
    yield joined
    stop.set()


@pytest.fixture
def viewers(irc: Server):
    """``join(nick)``: a viewer in the chat, gone at the end of the test."""
    joined: list[Viewer] = []

    def join(nick: str) -> Viewer:
        joined.append(Viewer(irc.port, nick))
        return joined[-1]

    yield join
    for viewer in joined:
        viewer.close()


@pytest.mark.slow
@needs_ngircd
def test_viewers_suggest_and_vote_in_the_chat_and_hear_the_premiere(
        bridge: ChatBridge, viewers, data: DataDir) -> None:
    ana, bo = viewers("ana"), viewers("bo")
    ana.say("!suggest the llama serves noodles to a hungry fox")
    assert "@ana suggestion 1 is listed" in bo.wait_for("PRIVMSG #webtv :@ana")
    bo.say("!vote 1")
    assert "@bo voted: suggestion 1 has 1" in ana.wait_for("PRIVMSG #webtv :@bo")
    bo.say("!vote 1")
    assert "already" in ana.wait_for("PRIVMSG #webtv :@bo")
    ana.say("hello everyone")  # not a command: nothing said
    with Store(data) as store:
        [listed] = store.suggestions.listed()
        assert (listed["name"], listed["source"], listed["votes"]) == ("ana", "chat", 1)
        assert listed["viewer"] == "chat:127.0.0.1:ana"
        # its scene airs: the chat is told, once
        store.suggestions.take(listed["id"])
        store.db.execute("update suggestions set status = 'aired', aired_at = 'now' "
                         "where id = ?", (listed["id"],))
    heard = bo.wait_for("Now on air")
    assert "ana's suggestion" in heard and "hungry fox" in heard
    bo.drain(9)  # the server PINGs every 3 s and drops who does not answer in 5
    cy = viewers("cy")
    cy.say("!suggest a paper lantern parade at midnight")
    assert "suggestion 2 is listed" in cy.wait_for("@cy suggestion 2")  # still here
    cy.say("!suggest and another one at once")
    assert "one suggestion every 30 s" in cy.wait_for("PRIVMSG #webtv :@cy")


@pytest.mark.slow
@needs_ngircd
def test_a_flood_from_one_viewer_gets_one_answer_and_crowds_out_nobody(
        bridge: ChatBridge, viewers, data: DataDir) -> None:
    loud, quiet = viewers("loud"), viewers("quiet")
    for i in range(30):  # the server relays them at its own pace (about 4 a second)
        loud.say(f"!suggest flood number {i}")
        time.sleep(0.05)
    quiet.say("!suggest the fox and the llama share a bowl")
    quiet.wait_for("@quiet suggestion")
    quiet.drain(12)  # until every line of the flood has reached the channel
    with Store(data) as store:
        listed = store.suggestions.listed(100)
    assert sorted(s["name"] for s in listed) == ["loud", "quiet"]
    answers = [line for line in quiet.heard if "PRIVMSG #webtv :@loud" in line]
    assert len(answers) <= 2, answers  # listed, then one "please wait"


@pytest.mark.slow
@needs_ngircd
def test_the_bridge_connects_again_when_the_server_comes_back(irc: Server, bridge: ChatBridge,
                                                              viewers) -> None:
    irc.stop()
    deadline = time.monotonic() + 10
    while bridge.joined.is_set() and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not bridge.joined.is_set()
    irc.start()
    assert bridge.joined.wait(20), "the bridge did not come back"
    viewer = viewers("back")
    viewer.say("!suggest we are back on air")
    assert "suggestion 1 is listed" in viewer.wait_for("@back")


def test_chat_urls_and_tokens(data: DataDir) -> None:
    twitch = ChatConfig.from_url("ircs://irc.chat.twitch.tv:6697/#MyChannel",
                                 {"chat": {"nick": "mybot", "token_env": "TWITCH_OAUTH_TOKEN"}})
    assert (twitch.host, twitch.port, twitch.channel, twitch.tls) == (
        "irc.chat.twitch.tv", 6697, "#mychannel", True)
    with pytest.raises(ConfigError, match="TWITCH_OAUTH_TOKEN is not set"):
        ChatBridge(twitch, data, LocalModerator(), Limits(), Secrets({}))
    bare = ChatConfig.from_url("ircs://irc.chat.twitch.tv/#x", {})
    with pytest.raises(ConfigError, match="needs a token"):
        ChatBridge(bare, data, LocalModerator(), Limits(), Secrets({}))
    for wrong in ("http://x/#y", "irc://host", "ircs:///#c"):
        with pytest.raises(ConfigError, match="ircs://HOST:PORT/#CHANNEL"):
            ChatConfig.from_url(wrong, {})
    with pytest.raises(ConfigError, match="unknown key"):
        ChatConfig.from_url("irc://h/#c", {"chat": {"nik": "x"}})
    tagged = parse("@display-name=Ana;color=#fff :ana!ana@ana.tmi.twitch.tv PRIVMSG #c :!vote 3")
    assert (tagged.command, tagged.nick, tagged.tag("display-name"), tagged.params) == (
        "PRIVMSG", "ana", "Ana", ("#c", "!vote 3"))
    assert parse("PING :tmi.twitch.tv").params == ("tmi.twitch.tv",)


@pytest.mark.slow
@needs_ngircd
def test_a_suggestion_from_the_page_and_one_from_the_chat_air_credited(
        irc: Server, tmp_path: Path) -> None:
    """`webtv run --chat`: a viewer's suggestion from the page and another's from the chat each
    become a scene that airs, credited on the page, in the captions and in the guide, and the
    chat is told."""
    import json
    import signal
    import sqlite3

    from tests.channel import get, start, wait_for
    from tests.test_suggestions import post

    home, port = tmp_path / "home", free_port()
    home.mkdir()
    (home / "webtv.toml").write_text('[chat]\nnick = "webtvbot"\n[suggestions]\nevery_s = 5\n')
    proc = start(home, "--theme", "a llama who runs a night-time noodle stand", "--port",
                 str(port), "--buffer", "12", "--chat", f"irc://127.0.0.1:{irc.port}/#webtv")
    base = f"http://127.0.0.1:{port}"
    try:
        wait_for(lambda: json.loads(get(f"{base}/api/now"))["on_air"], 120, "the first airing")
        made = post(f"{base}/api/suggestions", {"text": "the llama juggles three bowls of "
                                                        "noodles", "name": "Dee"})[2]
        viewer = Viewer(irc.port, "eve")
        viewer.say("!suggest a fox orders the biggest bowl at the stall")
        viewer.wait_for("@eve suggestion")

        def credited(name: str):
            return [e for e in json.loads(get(f"{base}/api/now"))["on_air"]
                    if e.get("suggested_by") == name and e["kind"] == "take"]

        [first, *_] = wait_for(lambda: credited("Dee"), 180, "Dee's scene on air")
        assert "juggles three bowls of noodles" in first["action"]
        wait_for(lambda: credited("eve"), 180, "eve's scene on air")
        heard = viewer.wait_for("Now on air", 60)
        assert "suggestion" in heard
        guide = get(f"{base}/xmltv.xml").decode()
        assert "Suggested by Dee" in guide
        vtt = " ".join(p.read_text() for p in (home / "hls").glob("*.vtt"))
        assert "(suggested by Dee)" in vtt
        with urllib_open(f"{base}/api/suggestions") as listed:
            recent = json.loads(listed.read())["recent"]
        assert {s["name"] for s in recent} >= {"Dee", "eve"}
        viewer.close()
    finally:
        proc.send_signal(signal.SIGTERM)
        output = proc.communicate(timeout=60)[0].decode()
    assert proc.returncode == 0, output
    assert "Chat: #webtv on 127.0.0.1" in output
    db = sqlite3.connect(home / "webtv.db")
    assert db.execute("select status from suggestions where id = ?", (made["id"],)
                      ).fetchone()[0] == "aired"


def urllib_open(url: str):
    import urllib.request

    return urllib.request.urlopen(url, timeout=10)
