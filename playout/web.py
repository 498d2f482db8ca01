"""The channel's page: the live HLS stream, what is on air and what comes next.

Standard library HTTP server, bound to 127.0.0.1 unless told otherwise. It serves the page, the
HLS files out of the data directory, and the air log as JSON.
"""

from __future__ import annotations

import json
import logging
import re
import threading
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from importlib import resources
from typing import Any

from playout import house
from state.datadir import DataDir
from state.store import Store

log = logging.getLogger("webtv.web")
SAFE_NAME = re.compile(r"^[A-Za-z0-9_.-]+$")
TYPES = {".m3u8": "application/vnd.apple.mpegurl", ".m4s": "video/iso.segment",
         ".mp4": "video/mp4", ".html": "text/html; charset=utf-8",
         ".js": "text/javascript; charset=utf-8", ".css": "text/css; charset=utf-8"}


def now_playing(store: Store, session: str | None) -> dict[str, Any]:
    """What the page shows: the show, this session's recent airings, and what comes next."""
    bible = store.bible() or {}
    recent = store.air_log(session, limit=30) if session else []
    fields = ("id", "kind", "take_id", "shot_id", "action", "prompt", "stream_start",
              "stream_end", "started_at", "ended_at")
    return {
        "title": bible.get("title") or "AI WebTV", "logline": bible.get("logline") or "",
        "session": session, "codecs": house.CODECS,
        "on_air": [{k: r.get(k) for k in fields} for r in recent],
        "next": [{"take_id": u["id"], "action": u["action"], "prompt": u["prompt"],
                  "duration_s": u["duration_s"]} for u in store.upcoming(5)],
        "takes": store.take_counts(),
    }


class _Handler(BaseHTTPRequestHandler):
    server: _Server

    def log_message(self, fmt: str, *args: Any) -> None:
        log.debug("%s " + fmt, self.address_string(), *args)

    def do_GET(self) -> None:  # noqa: N802 (the stdlib's name)
        path = self.path.split("?", 1)[0]
        if path == "/":
            self._static("index.html")
        elif path.startswith("/static/"):
            self._static(path.removeprefix("/static/"))
        elif path.startswith("/hls/"):
            self._hls(path.removeprefix("/hls/"))
        elif path == "/api/now":
            with self.server.lock:
                self._json(now_playing(self.server.store, self.server.session()))
        elif path == "/favicon.ico":
            self.send_response(HTTPStatus.NO_CONTENT)
            self.end_headers()
        elif path == "/health":
            with self.server.lock:
                self._json({"ok": True, "session": self.server.session()})
        else:
            self.send_error(HTTPStatus.NOT_FOUND)

    def _send(self, body: bytes, content_type: str, cache: str = "no-cache") -> None:
        self.send_response(HTTPStatus.OK)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", cache)
        self.end_headers()
        self.wfile.write(body)

    def _json(self, value: Any) -> None:
        self._send(json.dumps(value).encode(), "application/json")

    def _static(self, name: str) -> None:
        if not SAFE_NAME.match(name):
            return self.send_error(HTTPStatus.NOT_FOUND)
        item = resources.files("playout").joinpath("static", name)
        if not item.is_file():
            return self.send_error(HTTPStatus.NOT_FOUND)
        suffix = "." + name.rsplit(".", 1)[-1]
        self._send(item.read_bytes(), TYPES.get(suffix, "application/octet-stream"))

    def _hls(self, name: str) -> None:
        if not SAFE_NAME.match(name):
            return self.send_error(HTTPStatus.NOT_FOUND)
        file = self.server.data.hls / name
        try:
            body = file.read_bytes()
        except OSError:  # deleted by the rolling window between playlist and request
            return self.send_error(HTTPStatus.NOT_FOUND)
        suffix = file.suffix
        self._send(body, TYPES.get(suffix, "application/octet-stream"),
                   "no-cache" if suffix == ".m3u8" else "max-age=60")


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, address: tuple[str, int], data: DataDir, session_of) -> None:
        super().__init__(address, _Handler)
        self.data = data
        self._session_of = session_of
        # One connection shared by the handler threads (a thread per request), one at a time.
        self.store = Store(data)
        self.lock = threading.Lock()

    def session(self) -> str | None:
        return self._session_of() or self.store.latest_session()

    def server_close(self) -> None:
        super().server_close()
        self.store.close()


def serve(data: DataDir, host: str = "127.0.0.1", port: int = 8080,
          session_of=lambda: None) -> _Server:
    """Start the page's server in a background thread; returns it (call ``shutdown()``)."""
    server = _Server((host, port), data, session_of)
    threading.Thread(target=server.serve_forever, name="web", daemon=True).start()
    return server
