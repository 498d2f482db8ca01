"""HTTP plumbing for the page's server: a route table, answers with the right headers (gzip,
caching, content security policy), request bodies read within limits, and the checks every
POST passes (same site; JSON for the operator API)."""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler
from typing import Any
from urllib.parse import parse_qs, urlsplit

from webtv.core.redact import redact

log = logging.getLogger("webtv.web")
TYPES = {".m3u8": "application/vnd.apple.mpegurl", ".m4s": "video/iso.segment",
         ".mp4": "video/mp4", ".png": "image/png", ".jpg": "image/jpeg",
         ".html": "text/html; charset=utf-8", ".js": "text/javascript; charset=utf-8",
         ".css": "text/css; charset=utf-8", ".json": "application/json",
         ".vtt": "text/vtt; charset=utf-8", ".xml": "application/xml; charset=utf-8",
         ".m3u": "audio/x-mpegurl; charset=utf-8", ".ts": "video/mp2t"}
PAGE_POLICY = ("default-src 'self'; img-src 'self' data:; media-src 'self' blob:; "
               "worker-src 'self' blob:; frame-ancestors 'none'; base-uri 'none'; "
               "form-action 'self'")
MAX_BODY = 64 * 1024


@dataclass(frozen=True)
class Route:
    method: str
    path: str  # exact, or a prefix when it ends in "*" ("/hls/*")
    handler: str  # the handler's method, called with a Request
    operator: bool = False  # behind the operator token (and, for a POST, JSON only)

    def matches(self, path: str) -> bool:
        if self.path.endswith("*"):
            return path.startswith(self.path[:-1])
        return path == self.path


@dataclass(frozen=True)
class Request:
    path: str
    rest: str  # what follows a prefix route's path
    query: dict[str, list[str]]
    session: str | None = None  # the operator session ("bearer" for a token), operator routes


class Handler(BaseHTTPRequestHandler):
    """Dispatches through ``routes``: no route for the path is 404, a route for another method
    405 (with Allow)."""

    routes: tuple[Route, ...] = ()
    timeout = 20  # seconds a socket may sit idle: a silent or short-bodied client lets go
    head = False  # a HEAD request: headers only

    def log_message(self, fmt: str, *args: Any) -> None:
        log.debug("%s %s", self.address_string(), redact(fmt % args))

    def do_GET(self) -> None:  # noqa: N802 (the stdlib's name)
        self._dispatch("GET")

    def do_HEAD(self) -> None:  # noqa: N802 - monitoring probes /health with HEAD
        self.head = True
        self._dispatch("GET")

    def do_POST(self) -> None:  # noqa: N802
        if not self._same_site():
            return self._json({"error": "cross-site request refused"}, HTTPStatus.FORBIDDEN)
        self._dispatch("POST")

    def _dispatch(self, method: str) -> None:
        url = urlsplit(self.path)
        matching = [r for r in self.routes if r.matches(url.path)]
        route = next((r for r in matching if r.method == method), None)
        if route is None:
            if not matching:
                return self.send_error(HTTPStatus.NOT_FOUND)
            self.send_response(HTTPStatus.METHOD_NOT_ALLOWED)
            self.send_header("Allow", ", ".join(sorted({r.method for r in matching})))
            self.send_header("Content-Length", "0")
            return self.end_headers()
        session = None
        if route.operator:
            session = self.operator_session()
            if session is None:
                return
            if method == "POST" and session != "bearer" and not self.headers.get(
                    "Content-Type", "").lower().startswith("application/json"):
                # a form cannot send JSON: a page elsewhere cannot post for a signed-in operator
                return self._json({"error": "send JSON (Content-Type: application/json)"},
                                  HTTPStatus.UNSUPPORTED_MEDIA_TYPE)
        rest = url.path.removeprefix(route.path[:-1]) if route.path.endswith("*") else ""
        getattr(self, route.handler)(Request(url.path, rest, parse_qs(url.query), session))

    def operator_session(self) -> str | None:
        """The operator session of this request, or None once it has been answered."""
        raise NotImplementedError

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

    def _body(self) -> bytes:
        """The body, up to MAX_BODY; a client that promises more than it sends is cut off by
        the socket timeout."""
        try:
            length = int(self.headers.get("Content-Length") or 0)
        except ValueError:
            length = 0
        return self.rfile.read(min(length, MAX_BODY)) if length > 0 else b""

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

    def _send(self, body: bytes, content_type: str, cache: str = "no-cache",
              status: HTTPStatus = HTTPStatus.OK, headers: dict[str, str] | None = None) -> None:
        textual = content_type.startswith(("text/", "application/json", "application/xml",
                                           "audio/x-mpegurl"))
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
