"""The channel's page: the live stream, what is on air and next, and the operator's console.

Standard library HTTP server, bound to 127.0.0.1 unless told otherwise. Public: the page, the
HLS files and the takes' media out of the data directory, hls.js from node_modules, the air
log as JSON, and what other players use (iptv.py): the guide (XMLTV), the channel list (M3U),
each channel as MPEG-TS and the HDHomeRun tuner's HTTP API. Behind the operator token
($WEBTV_OPERATOR_TOKEN; unset, the operator view is off): ``/operator`` and
``/api/operator/*``, which show what the director does and talk to it.
Every address is in ``ROUTES``; the handlers live with their concern (files.py, operator.py).
"""

from __future__ import annotations

import gzip
import hashlib
import logging
import threading
import time
from http import HTTPStatus
from http.server import ThreadingHTTPServer
from pathlib import Path
from typing import Any

from webtv.app.auth import TOKEN_ENV, OperatorKey
from webtv.app.discovery import Discovery
from webtv.app.files import FileRoutes, read_hlsjs
from webtv.app.handler import Request, Route
from webtv.app.iptv import IPTVRoutes
from webtv.app.operator import OperatorRoutes
from webtv.app.reads import channel_list, now_playing, playlist_clock, recent_takes
from webtv.app.suggestions import SuggestionRoutes, ViewerKey
from webtv.app.tuner import Tuners, device_id
from webtv.channel.console import Console
from webtv.channel.health import health
from webtv.channel.suggestions import Limits, moderator
from webtv.core.errors import ConfigError
from webtv.core.settings import Settings
from webtv.state.datadir import DataDir
from webtv.state.store import Store

__all__ = ["ROUTES", "playlist_clock", "serve"]
log = logging.getLogger("webtv.web")

ROUTES = (
    Route("GET", "/", "route_index"),
    Route("GET", "/static/vendor/hls.min.js", "route_hlsjs"),
    Route("GET", "/static/*", "route_static"),
    Route("GET", "/hls/*", "route_hls"),
    Route("GET", "/ch/*", "route_channel_hls"),  # a library channel's stream
    Route("GET", "/api/channels", "route_channels"),
    Route("GET", "/media/*", "route_media"),
    Route("GET", "/api/now", "route_now"),
    Route("GET", "/api/recent", "route_recent"),
    Route("GET", "/api/suggestions", "route_suggestions"),
    Route("POST", "/api/suggestions", "route_suggest"),
    Route("POST", "/api/suggestions/*", "route_vote"),  # /api/suggestions/N/vote
    Route("GET", "/health", "route_health"),  # monitoring: 503 when the stream or director stall
    Route("GET", "/favicon.ico", "route_favicon"),
    Route("GET", "/operator", "route_operator"),
    Route("POST", "/operator", "route_sign_in"),
    Route("POST", "/operator/logout", "route_sign_out"),
    Route("GET", "/api/operator/overview", "route_overview", operator=True),
    Route("POST", "/api/operator/chat", "route_chat", operator=True),
    Route("POST", "/api/operator/favourite", "route_favourite", operator=True),
    Route("POST", "/api/operator/suggestions/*", "route_remove_suggestion", operator=True),
    Route("POST", "/api/operator/mute", "route_mute", operator=True),
    # for other players: the guide, the channel list, streams, the tuner (iptv.py)
    Route("GET", "/xmltv.xml", "route_xmltv"),
    Route("GET", "/guide.xml", "route_xmltv"),
    Route("GET", "/channels.m3u", "route_m3u"),
    Route("GET", "/guide/logo/*", "route_logo"),
    Route("GET", "/guide/show/*", "route_show_icon"),
    Route("GET", "/stream/*", "route_stream"),
    Route("GET", "/auto/*", "route_tuner_stream"),
    Route("GET", "/discover.json", "route_discover"),
    Route("GET", "/lineup.json", "route_lineup"),
    Route("GET", "/lineup_status.json", "route_lineup_status"),
    Route("POST", "/lineup.post", "route_lineup_post"),
    Route("GET", "/device.xml", "route_device_xml"),
    Route("GET", "/tuners.html", "route_tuners_html"),
)


class _Handler(FileRoutes, OperatorRoutes, IPTVRoutes, SuggestionRoutes):
    server: _Server
    routes = ROUTES

    def route_now(self, request: Request) -> None:
        channel = request.query.get("channel", ["main"])[0]
        if channel != "main" and channel not in self.server.cached(
                "names", 2.0, lambda store: [c["name"] for c in store.network.channels()]):
            return self._json({"error": f"no channel named {channel!r}"}, HTTPStatus.NOT_FOUND)
        self._json(self.server.cached(f"now:{channel}", 0.5, lambda store: now_playing(
            store, self.server.session(channel), channel)))

    def route_channels(self, request: Request) -> None:
        self._json(self.server.cached("channels", 1.0, lambda store: channel_list(
            store, self.server.sessions())))

    def route_recent(self, request: Request) -> None:
        self._json(self.server.cached("recent", 3.0, recent_takes))

    def route_health(self, request: Request) -> None:
        with self.server.lock:
            report = {**health(self.server.store, self.server.data.hls),
                      "session": self.server.session()}
        self._json(report, HTTPStatus.OK if report["ok"] else HTTPStatus.SERVICE_UNAVAILABLE)

    def route_favicon(self, request: Request) -> None:
        self.send_response(HTTPStatus.NO_CONTENT)
        self.end_headers()


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, address: tuple[str, int], data: DataDir, session_of,
                 settings: Settings | None, key: OperatorKey, sessions_of) -> None:
        self.console, self.store = None, None  # what server_close closes, if binding fails
        super().__init__(address, _Handler)
        self.data = data
        self._session_of = session_of
        self._sessions_of = sessions_of
        self.key = key
        self.console_settings = settings
        self.console = Console(settings) if settings is not None and key.enabled else None
        self.tuners = Tuners()
        self.device_id = device_id(str(data.root.resolve()))
        self.discovery: Discovery | None = None  # answers tuner searches (--discover)
        # One connection shared by the handler threads (a thread per request), one at a time.
        self.store = Store(data)
        self.lock = threading.Lock()
        self._answers: dict[str, tuple[float, Any]] = {}
        self._gzip: dict[bytes, bytes] = {}  # digest -> compressed, for the files that repeat
        self._hlsjs: bytes | None = None
        self.hlsjs_path: Path | None = None  # the settings' hls.js, else node_modules'
        # viewers' suggestions: their cookies' key, the limits and the channel's moderation
        self.viewer_key = ViewerKey(data.root / "viewer.key")
        self.limits = Limits.from_config(settings.config()) if settings else Limits()
        self.moderator = moderator(settings)

    def session(self, channel: str = "main") -> str | None:
        """The playout session of a channel in this process, or the channel's latest."""
        mine = self._session_of() if channel == "main" else self._sessions_of().get(channel)
        return mine or self.store.air.latest_session(channel)

    def sessions(self) -> dict[str, str | None]:
        return {"main": self._session_of(), **self._sessions_of()}

    def cached(self, name: str, ttl: float, read) -> Any:
        """A public answer is read from the store at most once per ``ttl``, however many
        viewers poll it."""
        with self.lock:
            at, value = self._answers.get(name, (None, None))
            if at is None or time.monotonic() - at >= ttl:
                value = read(self.store)
                self._answers[name] = (time.monotonic(), value)
            return value

    def forget(self) -> None:
        self._answers.clear()

    def gzipped(self, body: bytes) -> bytes:
        if len(body) < 64 * 1024:  # answers and our own files: cheap to compress each time
            return gzip.compress(body, 6)
        digest = hashlib.sha256(body).digest()
        if digest not in self._gzip:
            self._gzip[digest] = gzip.compress(body, 6)
        return self._gzip[digest]

    def hlsjs(self) -> bytes | None:
        if self._hlsjs is None:
            self._hlsjs = read_hlsjs(self.hlsjs_path)
        return self._hlsjs

    def server_close(self) -> None:
        self.tuners.close()
        if self.discovery is not None:
            self.discovery.close()
        super().server_close()
        if self.console is not None:
            self.console.close()
        if self.store is not None:
            self.store.close()


def serve(data: DataDir, host: str = "127.0.0.1", port: int = 8080, session_of=lambda: None,
          settings: Settings | None = None, operator_token: str | None = None,
          sessions_of=dict, discover: bool = False, hlsjs: Path | None = None) -> _Server:
    """Start the page's server in a background thread; returns it (call ``shutdown()``).
    ``discover``: also answer tuner discovery on the network (HDHomeRun's UDP, SSDP).

    The operator token defaults to the settings' ($WEBTV_OPERATOR_TOKEN); without one the
    operator view is off. Without ``settings`` the operator page shows the director's work but
    cannot chat. ``hlsjs``: the page's hls.js (default: the settings', else node_modules')."""
    if operator_token is None and settings is not None:
        operator_token = settings.operator_token
    key = OperatorKey(operator_token)
    try:
        server = _Server((host, port), data, session_of, settings, key, sessions_of)
        server.hlsjs_path = hlsjs or (settings.hlsjs if settings is not None else None)
    except OSError as exc:  # in use, or not an address of this machine
        raise ConfigError(f"cannot serve the page on {host}:{port}: {exc.strerror or exc}; "
                          "choose another with --port (0: no page)") from None
    if discover:
        title = settings.channel if settings is not None else "AI WebTV"
        server.discovery = Discovery(host, server.server_port, server.device_id, title)
        try:
            server.discovery.start()
        except OSError as exc:
            server.server_close()
            raise ConfigError(f"cannot answer tuner discovery on {host} (UDP ports "
                              f"{server.discovery.discover_port} and "
                              f"{server.discovery.ssdp_port}): {exc.strerror or exc}") from None
    if server.hlsjs() is None:
        log.info("hls.js not found (npm ci, or set $WEBTV_HLSJS): the page uses its own "
                 "loader")
    log.info("operator view %s", "on (/operator)" if key.enabled else f"off ({TOKEN_ENV} unset)")
    threading.Thread(target=server.serve_forever, name="web", daemon=True).start()
    return server


def port_free(host: str, port: int) -> None:
    """A port another program holds is said before anything is made (the page binds it
    again a moment later; a race with another program is reported then)."""
    import socket

    with socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError as exc:
            raise ConfigError(f"cannot serve the page on {host}:{port} ({exc.strerror}): "
                              "another program (another webtv run?) holds it; use --port N, "
                              "or --port 0 for no page") from None
