"""The operator view: signing in with the token (a cookie from then on), the overview of what
the director does, the chat with it, and favourites."""

from __future__ import annotations

import json
import threading
import time
from http import HTTPStatus
from http.cookies import CookieError, SimpleCookie
from importlib import resources
from typing import Any
from urllib.parse import parse_qs

from webtv.app.auth import COOKIE, SESSION_SECONDS, TOKEN_ENV
from webtv.app.handler import PAGE_POLICY, TYPES, Handler, Request
from webtv.app.reads import overview
from webtv.channel.console import Busy
from webtv.core.errors import NotFound
from webtv.tools.programme import favourite_take


class OperatorRoutes(Handler):
    def route_operator(self, request: Request) -> None:
        self._operator_page(request.query.get("token", [None])[0])

    def route_sign_in(self, request: Request) -> None:
        form = parse_qs(self._body().decode("utf-8", "replace"))
        self._operator_page(form.get("token", [""])[0])

    def route_sign_out(self, request: Request) -> None:  # POST only: a link signs nobody out
        self._redirect("/", f"{COOKIE}=; Path=/; Max-Age=0; HttpOnly; SameSite=Strict")

    def route_overview(self, request: Request) -> None:
        self._json(self.server.cached("overview", 1.0, overview))

    def route_chat(self, request: Request) -> None:
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
            console.turn(request.session, message, emit)
        except Busy as exc:
            emit("error", {"text": str(exc)})
        emit("done", {})

    def route_favourite(self, request: Request) -> None:
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
                take, said = favourite_take(self.server.store, take_id, favourite)
            except NotFound as exc:
                return self._json({"error": str(exc)}, HTTPStatus.NOT_FOUND)
            self.server.forget()
        self._json({"take_id": take_id, "favourite": bool(take["favourite"]), "said": said})

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

    def operator_session(self) -> str | None:
        """The operator session for this API request (a cookie, or "bearer" for the token),
        or None once it has been answered."""
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

    def _login(self, status: HTTPStatus, message: str) -> None:
        page = resources.files("webtv.app").joinpath("static", "login.html").read_text()
        body = page.replace("{{message}}", message).encode()
        self._send(body, TYPES[".html"], "no-store", status, {"Content-Security-Policy":
                                                            PAGE_POLICY})

    def _cookie(self) -> str | None:
        try:
            morsel = SimpleCookie(self.headers.get("Cookie", "")).get(COOKIE)
        except CookieError:
            return None
        return morsel.value if morsel else None
