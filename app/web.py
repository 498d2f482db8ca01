"""The channel's page: the live stream, what is on air and next, and the operator's console.

Standard library HTTP server, bound to 127.0.0.1 unless told otherwise. Public: the page, the
HLS files and the takes' media out of the data directory, hls.js from node_modules, and the air
log as JSON. Behind the operator token ($WEBTV_OPERATOR_TOKEN; unset, the operator view is off):
``/operator`` and ``/api/operator/*``, which show what the director does and talk to it.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import logging
import os
import re
import threading
import time
from datetime import datetime
from http import HTTPStatus
from http.cookies import CookieError, SimpleCookie
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from importlib import resources
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

from webtv.core import house
from webtv.core.errors import ConfigError, NotFound
from webtv.core.redact import redact
from webtv.director.config import Settings
from webtv.director.console import (
    SESSION_SECONDS,
    Busy,
    Console,
    OperatorKey,
    overview,
    recent_takes,
)
from webtv.director.status import health
from webtv.state.datadir import DataDir
from webtv.state.store import Store

log = logging.getLogger("webtv.web")
TOKEN_ENV = "WEBTV_OPERATOR_TOKEN"
HLSJS_ENV = "WEBTV_HLSJS"
HLSJS = Path(__file__).resolve().parents[1] / "node_modules" / "hls.js" / "dist" / "hls.min.js"
COOKIE = "webtv_operator"
SAFE_NAME = re.compile(r"^[A-Za-z0-9_.-]+$")
MEDIA_NAME = re.compile(r"^media/([0-9a-f]{2})/\1[0-9a-f]{62}\.(mp4|png|jpg)$")  # content hashes
TYPES = {".m3u8": "application/vnd.apple.mpegurl", ".m4s": "video/iso.segment",
         ".mp4": "video/mp4", ".png": "image/png", ".jpg": "image/jpeg",
         ".html": "text/html; charset=utf-8", ".js": "text/javascript; charset=utf-8",
         ".css": "text/css; charset=utf-8", ".json": "application/json"}
PAGE_POLICY = ("default-src 'self'; img-src 'self' data:; media-src 'self' blob:; "
               "worker-src 'self' blob:; frame-ancestors 'none'; base-uri 'none'; "
               "form-action 'self'")
MAX_BODY = 64 * 1024


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
        "takes": store.take_counts(), "clock": playlist_clock(store.data.hls),
    }


def playlist_clock(hls: Path) -> dict[str, float] | None:
    """One segment's program date-time (FFmpeg's wall clock) and its media time (the channel
    clock). Safari's own player reports the first; the air log speaks the second."""
    try:
        lines = (hls / "live.m3u8").read_text().splitlines()
        at = max(i for i, line in enumerate(lines) if line.startswith("#EXT-X-PROGRAM-DATE"))
        segment = next(line for line in lines[at:] if line and not line.startswith("#"))
        init = (hls / "init.mp4").read_bytes()[:8192]
        with (hls / segment).open("rb") as handle:
            head = handle.read(8192)
        pdt = datetime.fromisoformat(lines[at].split(":", 1)[1]).timestamp()
    except (OSError, ValueError, StopIteration):  # no playlist yet, or the window just rolled
        return None
    mdhd, tfdt = init.find(b"mdhd"), head.find(b"tfdt")  # the first track's: the video
    if mdhd < 0 or tfdt < 0:
        return None
    wide = init[mdhd + 4] == 1
    scale = int.from_bytes(init[mdhd + (24 if wide else 16):][:4], "big")
    width = 8 if head[tfdt + 4] == 1 else 4
    decode = int.from_bytes(head[tfdt + 8:tfdt + 8 + width], "big")
    return {"pdt": pdt, "media_time": decode / scale} if scale else None


class _Handler(BaseHTTPRequestHandler):
    server: _Server
    timeout = 20  # seconds a socket may sit idle: a silent or short-bodied client lets go
    head = False  # a HEAD request: headers only

    def log_message(self, fmt: str, *args: Any) -> None:
        log.debug("%s %s", self.address_string(), redact(fmt % args))

    # -- routes --------------------------------------------------------------------------
    def do_GET(self) -> None:  # noqa: N802 (the stdlib's name)
        url = urlsplit(self.path)
        path, query = url.path, parse_qs(url.query)
        if path == "/":
            self._static("index.html")
        elif path == "/static/vendor/hls.min.js":
            self._hlsjs()
        elif path.startswith("/static/") and not path.endswith(".html"):
            self._static(path.removeprefix("/static/"))  # pages go through their routes
        elif path.startswith("/hls/"):
            self._hls(path.removeprefix("/hls/"))
        elif path.startswith("/media/"):
            self._media(path.removeprefix("/"))
        elif path == "/api/now":
            self._json(self.server.cached("now", 0.5, lambda store: now_playing(
                store, self.server.session())))
        elif path == "/api/recent":
            self._json(self.server.cached("recent", 3.0, lambda store: recent_takes(store)))
        elif path == "/health":  # for monitoring: 503 when the stream or the director stalls
            with self.server.lock:
                report = {**health(self.server.store, self.server.data.hls),
                          "session": self.server.session()}
            self._json(report, HTTPStatus.OK if report["ok"] else HTTPStatus.SERVICE_UNAVAILABLE)
        elif path == "/favicon.ico":
            self.send_response(HTTPStatus.NO_CONTENT)
            self.end_headers()
        elif path == "/operator":
            self._operator_page(query.get("token", [None])[0])
        elif path == "/operator/logout":  # a link must not sign anyone out: POST only
            self.send_error(HTTPStatus.METHOD_NOT_ALLOWED, "sign out with POST")
        elif path.startswith("/api/operator/"):
            if self._operator_api() is None:
                return
            if path == "/api/operator/overview":
                self._json(self.server.cached("overview", 1.0, overview))
            else:
                self.send_error(HTTPStatus.NOT_FOUND)
        else:
            self.send_error(HTTPStatus.NOT_FOUND)

    def do_HEAD(self) -> None:  # noqa: N802 - monitoring probes /health with HEAD
        self.head = True
        self.do_GET()

    def do_POST(self) -> None:  # noqa: N802
        path = urlsplit(self.path).path
        if not self._same_site():
            return self._json({"error": "cross-site request refused"}, HTTPStatus.FORBIDDEN)
        if path == "/operator":
            form = parse_qs(self._body().decode("utf-8", "replace"))
            self._operator_page(form.get("token", [""])[0])
        elif path == "/operator/logout":
            self._redirect("/", f"{COOKIE}=; Path=/; Max-Age=0; HttpOnly; SameSite=Strict")
        elif path.startswith("/api/operator/"):
            session = self._operator_api()
            if session is None:
                return
            if session != "bearer" and not self.headers.get(
                    "Content-Type", "").lower().startswith("application/json"):
                # a form cannot send JSON: a page elsewhere cannot post for a signed-in operator
                return self._json({"error": "send JSON (Content-Type: application/json)"},
                                  HTTPStatus.UNSUPPORTED_MEDIA_TYPE)
            if path == "/api/operator/chat":
                self._chat(session)
            elif path == "/api/operator/favourite":
                self._favourite()
            else:
                self.send_error(HTTPStatus.NOT_FOUND)
        else:
            self.send_error(HTTPStatus.NOT_FOUND)

    # -- the operator --------------------------------------------------------------------
    def _operator_page(self, token: str | None) -> None:
        key = self.server.key
        if not key.enabled:
            return self._text(HTTPStatus.NOT_FOUND, "The operator view is off (set "
                              f"{TOKEN_ENV} to turn it on).\n")
        if token is not None:  # logging in: the token once, a cookie from then on
            if not key.matches(token):
                time.sleep(0.25)  # guessing costs time
                return self._login(HTTPStatus.FORBIDDEN, "That token is not right.")
            cookie = (f"{COOKIE}={key.new_cookie()}; Path=/; Max-Age={SESSION_SECONDS}; "
                      "HttpOnly; SameSite=Strict")
            return self._redirect("/operator", cookie)
        if key.session(self._cookie()) is None:
            return self._login(HTTPStatus.UNAUTHORIZED, "")
        self._static("operator.html", cache="no-store")

    def _operator_api(self) -> str | None:
        """The operator session for this API request, or None once it has been answered."""
        key = self.server.key
        if not key.enabled:
            self._text(HTTPStatus.NOT_FOUND, "The operator view is off.\n")
            return None
        auth = self.headers.get("Authorization", "")
        if auth.lower().startswith("bearer "):
            if key.matches(auth[7:]):
                return "bearer"
            time.sleep(0.25)
            self._json({"error": "wrong operator token"}, HTTPStatus.FORBIDDEN)
            return None
        session = key.session(self._cookie())
        if session is None:
            self._json({"error": "operator token required"}, HTTPStatus.UNAUTHORIZED)
        return session

    def _same_site(self) -> bool:
        """A browser says where a request comes from: a page on another origin (another port
        of this host too, which SameSite cookies do not tell apart) is refused."""
        site = self.headers.get("Sec-Fetch-Site")
        if site is not None and site not in ("same-origin", "none"):
            return False
        origin = self.headers.get("Origin")
        if origin is None:
            return True  # not a browser's cross-site request (curl, a monitor, a script)
        host = self.headers.get("Host", "")
        return origin != "null" and bool(host) and urlsplit(origin).netloc == host

    def _json_body(self) -> dict[str, Any] | None:
        """The request's JSON object, or None once a 400 saying what is wrong was sent."""
        try:
            body = json.loads(self._body() or b"{}")
        except ValueError as exc:
            self._json({"error": f"the body is not JSON ({exc})"}, HTTPStatus.BAD_REQUEST)
            return None
        if not isinstance(body, dict):
            self._json({"error": "the body must be a JSON object"}, HTTPStatus.BAD_REQUEST)
            return None
        return body

    def _chat(self, session: str) -> None:
        """One director turn; its tool calls, results and answer stream back as NDJSON."""
        console = self.server.console
        body = self._json_body()
        if body is None:
            return
        message = body.get("message")
        if console is None:
            return self._json({"error": "no director here"}, HTTPStatus.SERVICE_UNAVAILABLE)
        if not isinstance(message, str) or not message.strip():
            return self._json({"error": 'say something: {"message": "..."}'},
                              HTTPStatus.BAD_REQUEST)
        message = message.strip()
        if console.busy:
            return self._json({"error": "the director is busy; try again when it answers"},
                              HTTPStatus.CONFLICT)
        self.send_response(HTTPStatus.OK)
        self.send_header("Content-Type", "application/x-ndjson")
        self.send_header("Cache-Control", "no-store")
        self.end_headers()
        write_lock, gone = threading.Lock(), threading.Event()

        def emit(kind: str, data: dict[str, Any]) -> None:
            if kind == "result" and len(data.get("content", "")) > 4000:
                data = {**data, "content": data["content"][:4000] + " ..."}
            line = json.dumps({"event": kind, **data}, default=str).encode() + b"\n"
            with write_lock:
                if gone.is_set():
                    return  # the operator left; the turn still finishes
                try:
                    self.wfile.write(line)
                    self.wfile.flush()
                except OSError:
                    gone.set()

        emit("started", {"director": console.describe()})
        try:
            console.turn(session, message, emit)
        except Busy as exc:
            emit("error", {"text": str(exc)})
        emit("done", {})

    def _favourite(self) -> None:
        body = self._json_body()
        if body is None:
            return
        take_id, favourite = body.get("take_id"), body.get("favourite", True)
        if (type(take_id) is not int or not 0 < take_id < 2**63
                or not isinstance(favourite, bool)):  # "no" is not False, 2**70 no take
            return self._json({"error": "expected {take_id: a take number, favourite: true or "
                               "false}"}, HTTPStatus.BAD_REQUEST)
        with self.server.lock:
            try:
                take = self.server.store.set_favourite(take_id, favourite)
            except NotFound as exc:
                return self._json({"error": str(exc)}, HTTPStatus.NOT_FOUND)
            self.server.forget()
        self._json({"take_id": take_id, "favourite": bool(take["favourite"])})

    def _login(self, status: HTTPStatus, message: str) -> None:
        page = resources.files("webtv.app").joinpath("static", "login.html").read_text()
        body = page.replace("{{message}}", message).encode()
        self._send(body, TYPES[".html"], "no-store", status, {"Content-Security-Policy":
                                                            PAGE_POLICY})

    # -- files ---------------------------------------------------------------------------
    def _static(self, name: str, cache: str = "no-cache") -> None:
        if not SAFE_NAME.match(name):
            return self.send_error(HTTPStatus.NOT_FOUND)
        item = resources.files("webtv.app").joinpath("static", name)
        if not item.is_file():
            return self.send_error(HTTPStatus.NOT_FOUND)
        suffix = "." + name.rsplit(".", 1)[-1]
        headers = {"Content-Security-Policy": PAGE_POLICY} if suffix == ".html" else {}
        self._send(item.read_bytes(), TYPES.get(suffix, "application/octet-stream"), cache,
                   headers=headers)

    def _hlsjs(self) -> None:
        body = self.server.hlsjs()
        if body is None:  # the page falls back to its own loader
            return self.send_error(HTTPStatus.NOT_FOUND, "hls.js is not installed (npm ci)")
        self._send(body, TYPES[".js"], "max-age=86400")

    def _hls(self, name: str) -> None:
        if not SAFE_NAME.match(name):
            return self.send_error(HTTPStatus.NOT_FOUND)
        file = self.server.data.hls / name
        if file.is_symlink():  # only what the muxer wrote: never a link out of the data dir
            return self.send_error(HTTPStatus.NOT_FOUND)
        try:
            body = file.read_bytes()
        except OSError:  # deleted by the rolling window between playlist and request
            return self.send_error(HTTPStatus.NOT_FOUND)
        suffix = file.suffix
        self._send(body, TYPES.get(suffix, "application/octet-stream"),
                   "no-cache" if suffix == ".m3u8" else "max-age=60")

    def _media(self, relative: str) -> None:
        """A take's file or contact sheet, by content hash; byte ranges for Safari's player."""
        if not MEDIA_NAME.match(relative):
            return self.send_error(HTTPStatus.NOT_FOUND)
        try:
            file = self.server.data.resolve(relative)
            size = file.stat().st_size
        except (ConfigError, OSError):  # purged by the retention policy
            return self.send_error(HTTPStatus.NOT_FOUND)
        first, last = 0, size - 1
        ranged = re.fullmatch(r"bytes=(\d*)-(\d*)", self.headers.get("Range", "").strip())
        if ranged and ranged.group(1):
            first = int(ranged.group(1))
            last = min(int(ranged.group(2)), size - 1) if ranged.group(2) else size - 1
        elif ranged and ranged.group(2):  # the last N bytes
            first = max(0, size - int(ranged.group(2)))
        if ranged and (first > last or first >= size):
            self.send_response(HTTPStatus.REQUESTED_RANGE_NOT_SATISFIABLE)
            self.send_header("Content-Range", f"bytes */{size}")
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        with file.open("rb") as handle:
            handle.seek(first)
            body = handle.read(last - first + 1)
        headers = {"Accept-Ranges": "bytes"}
        if ranged:
            headers["Content-Range"] = f"bytes {first}-{last}/{size}"
        self._send(body, TYPES["." + relative.rsplit(".", 1)[1]],
                   "public, max-age=31536000, immutable",
                   HTTPStatus.PARTIAL_CONTENT if ranged else HTTPStatus.OK, headers)

    # -- plumbing ------------------------------------------------------------------------
    def _send(self, body: bytes, content_type: str, cache: str = "no-cache",
              status: HTTPStatus = HTTPStatus.OK, headers: dict[str, str] | None = None) -> None:
        textual = content_type.startswith(("text/", "application/json"))
        if (textual and len(body) > 1024 and status == HTTPStatus.OK
                and "gzip" in self.headers.get("Accept-Encoding", "")):
            body = self.server.gzipped(body)
            headers = {**(headers or {}), "Content-Encoding": "gzip"}
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", cache)
        self.send_header("X-Content-Type-Options", "nosniff")
        self.send_header("Referrer-Policy", "no-referrer")
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        if not self.head:
            self.wfile.write(body)

    def _json(self, value: Any, status: HTTPStatus = HTTPStatus.OK) -> None:
        cache = "no-store" if self.path.startswith("/api/operator/") else "no-cache"
        self._send(json.dumps(value, default=str).encode(), "application/json", cache, status)

    def _text(self, status: HTTPStatus, text: str) -> None:
        self._send(text.encode(), "text/plain; charset=utf-8", "no-store", status)

    def _redirect(self, location: str, cookie: str) -> None:
        self.send_response(HTTPStatus.SEE_OTHER)
        self.send_header("Location", location)
        self.send_header("Set-Cookie", cookie)
        self.send_header("Cache-Control", "no-store")
        self.send_header("Content-Length", "0")
        self.end_headers()

    def _cookie(self) -> str | None:
        try:
            morsel = SimpleCookie(self.headers.get("Cookie", "")).get(COOKIE)
        except CookieError:
            return None
        return morsel.value if morsel else None

    def _body(self) -> bytes:
        """The body, up to MAX_BODY; a client that promises more than it sends is cut off by
        the socket timeout."""
        try:
            length = int(self.headers.get("Content-Length") or 0)
        except ValueError:
            length = 0
        return self.rfile.read(min(length, MAX_BODY)) if length > 0 else b""


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, address: tuple[str, int], data: DataDir, session_of,
                 settings: Settings | None, key: OperatorKey) -> None:
        self.console, self.store = None, None  # what server_close closes, if binding fails
        super().__init__(address, _Handler)
        self.data = data
        self._session_of = session_of
        self.key = key
        self.console = Console(settings) if settings is not None and key.enabled else None
        # One connection shared by the handler threads (a thread per request), one at a time.
        self.store = Store(data)
        self.lock = threading.Lock()
        self._answers: dict[str, tuple[float, Any]] = {}
        self._gzip: dict[bytes, bytes] = {}  # digest -> compressed, for the files that repeat
        self._hlsjs: bytes | None = None

    def session(self) -> str | None:
        return self._session_of() or self.store.latest_session()

    def cached(self, name: str, ttl: float, read) -> Any:
        """A public answer is read from the store at most once per ``ttl``, however many
        viewers poll it."""
        with self.lock:
            at, value = self._answers.get(name, (0.0, None))
            if time.monotonic() - at >= ttl:
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
            path = Path(os.environ.get(HLSJS_ENV) or HLSJS)
            try:
                self._hlsjs = path.read_bytes()
            except OSError:
                return None
        return self._hlsjs

    def server_close(self) -> None:
        super().server_close()
        if self.console is not None:
            self.console.close()
        if self.store is not None:
            self.store.close()


def serve(data: DataDir, host: str = "127.0.0.1", port: int = 8080, session_of=lambda: None,
          settings: Settings | None = None, operator_token: str | None = None) -> _Server:
    """Start the page's server in a background thread; returns it (call ``shutdown()``).

    The operator token defaults to $WEBTV_OPERATOR_TOKEN; without one the operator view is off.
    Without ``settings`` the operator page shows the director's work but cannot chat."""
    key = OperatorKey(operator_token if operator_token is not None else os.environ.get(TOKEN_ENV))
    try:
        server = _Server((host, port), data, session_of, settings, key)
    except OSError as exc:  # in use, or not an address of this machine
        raise ConfigError(f"cannot serve the page on {host}:{port}: {exc.strerror or exc}; "
                          "choose another with --port (0: no page)") from None
    if server.hlsjs() is None:
        log.info("hls.js not found (npm ci, or set %s): the page uses its own loader", HLSJS_ENV)
    log.info("operator view %s", "on (/operator)" if key.enabled else f"off ({TOKEN_ENV} unset)")
    threading.Thread(target=server.serve_forever, name="web", daemon=True).start()
    return server
