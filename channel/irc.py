"""Viewers in a chat: the channel joins an IRC channel (Twitch's chat is IRC:
``ircs://irc.chat.twitch.tv:6697/#CHANNEL``; any other server as ``irc://host:port/#channel``),
takes ``!suggest TEXT`` and ``!vote N`` into the same intake as the page, and says in the chat
when a suggested scene premieres.

One connection at a time, over TLS for ``ircs://``: registered (PASS with the token the
settings name, never logged; NICK, USER), joined once welcomed, answering PING with PONG,
and, when the connection drops or the server stops answering, connected again after a backoff
that doubles from 1 s to a minute. What it says goes through a token bucket held to the
server's message limit (Twitch: 20 in 30 s); a reply that would break it is dropped (a flood
gets one answer, not hundreds), an announcement waits its turn.
"""

from __future__ import annotations

import logging
import socket
import ssl
import threading
import time
from collections import deque
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from webtv.channel.suggestions import Intake, Limits
from webtv.core.errors import ConfigError, NotFound, ToolError
from webtv.core.redact import redact
from webtv.core.settings import Secrets
from webtv.state.datadir import DataDir
from webtv.state.store import Store

log = logging.getLogger("webtv.irc")
MAX_BACKOFF = 60.0
QUIET_S = 300.0  # a server silent this long is pinged; twice as long, the line is dead


@dataclass(frozen=True)
class ChatConfig:
    """``--chat URL`` and ``[chat]`` in webtv.toml."""

    host: str
    port: int
    channel: str  # "#name"
    tls: bool
    nick: str = "webtv"
    token_env: str | None = None  # the variable holding the token (Twitch: an OAuth token)
    messages: int = 20  # what the server lets the bot say ...
    per_s: float = 30.0  # ... in this many seconds

    @classmethod
    def from_url(cls, url: str, config: dict[str, Any]) -> ChatConfig:
        parts = urlsplit(url)
        if parts.scheme not in ("irc", "ircs") or not parts.hostname or not parts.fragment:
            raise ConfigError(f"--chat {redact(url)}: say ircs://HOST:PORT/#CHANNEL "
                              "(Twitch: ircs://irc.chat.twitch.tv:6697/#yourchannel)")
        table = dict(config.get("chat", {}))
        unknown = set(table) - {"nick", "token_env", "messages", "per_s"}
        if unknown:
            raise ConfigError(f"unknown key(s) in [chat]: {', '.join(sorted(unknown))} "
                              "(known: messages, nick, per_s, token_env)")
        tls = parts.scheme == "ircs"
        return cls(parts.hostname, parts.port or (6697 if tls else 6667),
                   "#" + parts.fragment.lstrip("#").lower(), tls, **table)

    @property
    def twitch(self) -> bool:
        return self.host.endswith("twitch.tv")


@dataclass(frozen=True)
class Message:
    """One line from the server: ``:prefix COMMAND params :trailing`` (tags kept)."""

    command: str
    params: tuple[str, ...]
    prefix: str = ""
    tags: tuple[tuple[str, str], ...] = ()

    @property
    def nick(self) -> str:
        return self.prefix.split("!", 1)[0]

    @property
    def host(self) -> str:
        return self.prefix.rsplit("@", 1)[-1] if "@" in self.prefix else self.nick

    def tag(self, name: str) -> str:
        return dict(self.tags).get(name, "")


def parse(line: str) -> Message | None:
    tags: tuple[tuple[str, str], ...] = ()
    if line.startswith("@"):
        raw, _, line = line[1:].partition(" ")
        tags = tuple((k, v) for k, _, v in (t.partition("=") for t in raw.split(";")))
    prefix = ""
    if line.startswith(":"):
        prefix, _, line = line[1:].partition(" ")
    head, _, trailing = line.partition(" :")
    words = head.split()
    if not words:
        return None
    params = (*words[1:], trailing) if " :" in line else tuple(words[1:])
    return Message(words[0].upper(), params, prefix, tags)


class Bucket:
    """At most ``messages`` in any ``per_s`` seconds."""

    def __init__(self, messages: int, per_s: float) -> None:
        self.messages, self.per_s = messages, per_s
        self.sent: deque[float] = deque()

    def wait_s(self) -> float:
        now = time.monotonic()
        while self.sent and now - self.sent[0] >= self.per_s:
            self.sent.popleft()
        return 0.0 if len(self.sent) < self.messages else self.per_s - (now - self.sent[0])

    def take(self) -> None:
        self.sent.append(time.monotonic())


class Connection:
    """One connection to the server: lines in, lines out (a line is never over 510 bytes)."""

    def __init__(self, config: ChatConfig, timeout: float = 30.0) -> None:
        raw = socket.create_connection((config.host, config.port), timeout=timeout)
        if config.tls:
            raw = ssl.create_default_context().wrap_socket(raw, server_hostname=config.host)
        self.sock, self.buffer = raw, b""
        self.lock = threading.Lock()

    def send(self, line: str) -> None:
        data = line.replace("\r", " ").replace("\n", " ").encode()[:510] + b"\r\n"
        with self.lock:
            self.sock.sendall(data)

    def lines(self, wait_s: float) -> list[str]:
        """What arrived within ``wait_s`` (nothing: []); ConnectionError when it is closed."""
        self.sock.settimeout(wait_s)
        try:
            data = self.sock.recv(65536)
        except TimeoutError:
            return []
        if not data:
            raise ConnectionError("the server closed the connection")
        self.buffer += data
        *done, self.buffer = self.buffer.split(b"\n")
        return [d.rstrip(b"\r").decode("utf-8", "replace") for d in done if d.strip()]

    def close(self) -> None:
        try:
            self.sock.close()
        except OSError:
            pass


class ChatBridge:
    """The channel's presence in one chat: it takes suggestions and votes into the data dir's
    store (through an ``Intake`` of its own thread) and announces premieres, until ``stop``."""

    def __init__(self, config: ChatConfig, data: DataDir, moderator: Any, limits: Limits,
                 secrets: Secrets) -> None:
        self.config, self.data, self.moderator, self.limits = config, data, moderator, limits
        self.intake: Intake | None = None
        self._token = secrets.get(config.token_env) if config.token_env else None
        if config.token_env and not self._token:
            raise ConfigError(f"the chat's token variable {config.token_env} is not set")
        if config.twitch and not self._token:
            raise ConfigError("Twitch's chat needs a token: [chat] token_env names the "
                              "variable holding it (an OAuth token of the bot's account)")
        self.bucket = Bucket(config.messages, config.per_s)
        self.queue: deque[str] = deque()  # announcements waiting for the bucket
        self.refused: dict[str, float] = {}  # viewer -> when they were last told no
        self.connected = threading.Event()
        self.joined = threading.Event()

    def run(self, stop: threading.Event) -> None:
        with Store(self.data) as store:  # this thread's own connection
            self.intake = Intake(store, self.moderator, self.limits)
            self._run(stop)

    def _run(self, stop: threading.Event) -> None:
        failures = 0
        while not stop.is_set():
            began = time.monotonic()
            try:
                self._session(stop)
                return
            except (OSError, ConnectionError, ssl.SSLError) as exc:
                self.connected.clear()
                self.joined.clear()
                failures = 1 if time.monotonic() - began > MAX_BACKOFF else failures + 1
                wait = min(MAX_BACKOFF, 2.0 ** (failures - 1))
                log.warning("chat %s: %s; connecting again in %.0f s", self.config.channel,
                            exc, wait)
                if stop.wait(wait):
                    return

    def _session(self, stop: threading.Event) -> None:
        conn = Connection(self.config)
        try:
            self.connected.set()
            if self._token:
                token = self._token if not self.config.twitch or self._token.startswith(
                    "oauth:") else f"oauth:{self._token}"
                conn.send(f"PASS {token}")
            if self.config.twitch:
                conn.send("CAP REQ :twitch.tv/tags twitch.tv/commands")
            conn.send(f"NICK {self.config.nick}")
            conn.send(f"USER {self.config.nick} 0 * :AI WebTV")
            heard = time.monotonic()
            while not stop.is_set():
                for line in conn.lines(1.0):
                    heard = time.monotonic()
                    message = parse(line)
                    if message is not None:
                        self._on(conn, message)
                self._announce(conn)
                quiet = time.monotonic() - heard
                if quiet > 2 * QUIET_S:
                    raise ConnectionError(f"no word from the server in {quiet:.0f} s")
                if quiet > QUIET_S:
                    conn.send(f"PING :{self.config.host}")
            conn.send("QUIT :off air")
        finally:
            conn.close()

    def _on(self, conn: Connection, message: Message) -> None:
        if message.command == "PING":
            conn.send("PONG :" + (message.params[-1] if message.params else self.config.host))
        elif message.command == "001":  # welcome: registered
            conn.send(f"JOIN {self.config.channel}")
        elif message.command == "433":  # the nick is taken
            conn.send(f"NICK {self.config.nick}_{int(time.time()) % 1000}")
        elif message.command == "JOIN" and message.nick.lower().startswith(
                self.config.nick.lower()):
            self.joined.set()
            log.info("chat: joined %s on %s", self.config.channel, self.config.host)
        elif message.command == "RECONNECT":  # Twitch: the server is going away
            raise ConnectionError("the server asked for a reconnect")
        elif message.command == "PRIVMSG" and len(message.params) == 2 \
                and message.params[0].lower() == self.config.channel:
            self._command(conn, message)

    def _command(self, conn: Connection, message: Message) -> None:
        text = message.params[1].strip()
        word, _, rest = text.partition(" ")
        word = word.lower()
        if word not in ("!suggest", "!vote"):
            return
        viewer = f"chat:{self.config.host}:{message.nick.lower()}"
        name = message.tag("display-name") or message.nick
        address = f"chat:{self.config.host}:{message.host.lower()}"
        try:
            if word == "!suggest":
                made = self.intake.suggest(rest, viewer, name, "chat", address)
                self._reply(conn, viewer, f"@{name} suggestion {made['id']} is listed: "
                                          f"!vote {made['id']} to back it")
            else:
                number = rest.strip().lstrip("#")
                if not number.isdigit():
                    raise ToolError("say !vote N (the suggestion's number)")
                votes = self.intake.vote(int(number), viewer, address)
                self._reply(conn, viewer, f"@{name} voted: suggestion {number} has {votes}")
        except (ToolError, NotFound) as exc:
            self._reply(conn, viewer, f"@{name} {exc}", refusal=True)

    def _reply(self, conn: Connection, viewer: str, text: str, refusal: bool = False) -> None:
        """A reply now, if the bucket has room; a refusal at most once a minute a viewer."""
        if refusal:
            if time.monotonic() - self.refused.get(viewer, -1e9) < 60:
                return
            self.refused[viewer] = time.monotonic()
        if self.bucket.wait_s() > 0 or self.queue:
            return  # a flood is not answered line by line
        self._say(conn, text)

    def _announce(self, conn: Connection) -> None:
        for row in self.intake.store.suggestions.unannounced():
            self.queue.append(f"Now on air: {row['name']}'s suggestion, "
                              f"\"{row['text'][:300]}\"")
            self.intake.store.suggestions.announced(row["id"])
        while self.queue and self.joined.is_set() and self.bucket.wait_s() == 0:
            self._say(conn, self.queue.popleft())

    def _say(self, conn: Connection, text: str) -> None:
        self.bucket.take()
        conn.send(f"PRIVMSG {self.config.channel} :{text}")
