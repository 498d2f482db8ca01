"""Viewers' suggestions on the page: the open ones with their votes, a suggestion box (no
sign-in) and a vote per viewer per suggestion, and the operator's remove and mute.

A viewer is a signed cookie (a random id, signed with the data dir's viewer key), set at a
viewer's first suggestion or vote; the cap per address counts the client's address, kept only
as a keyed hash. POSTs pass the page's same-site rule like every other; the limits and the
moderation are the channel's (channel/suggestions.py).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import secrets
from http import HTTPStatus
from http.cookies import CookieError, SimpleCookie
from pathlib import Path

from webtv.app.handler import Handler, Request
from webtv.channel.suggestions import Intake, TooMany
from webtv.core.errors import NotFound, ToolError

VIEWER_COOKIE = "webtv_viewer"
VIEWER_DAYS = 365


class ViewerKey:
    """The data dir's key for viewers' cookies and addresses (made once, readable by the
    channel's user only): a viewer stays one viewer across restarts."""

    def __init__(self, path: Path) -> None:
        if not path.exists():
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "wb") as out:
                out.write(secrets.token_bytes(32))
        self._key = path.read_bytes()

    def sign(self, viewer: str) -> str:
        return hmac.new(self._key, f"viewer:{viewer}".encode(), hashlib.sha256).hexdigest()[:32]

    def viewer(self, cookie: str | None) -> str | None:
        value, _, mac = (cookie or "").partition(".")
        if not value or not hmac.compare_digest(mac.encode(), self.sign(value).encode()):
            return None
        return value

    def address(self, host: str) -> str:
        return "page:" + hmac.new(self._key, f"address:{host}".encode(),
                                  hashlib.sha256).hexdigest()[:16]


def public(row: dict) -> dict:
    """What anyone may see of a suggestion: never the viewer's id or address."""
    return {"id": row["id"], "text": row["text"], "name": row["name"], "votes": row["votes"],
            "status": row["status"], "source": row["source"]}


class SuggestionRoutes(Handler):
    def route_suggestions(self, request: Request) -> None:
        def read(store):
            return {"open": [public(r) for r in store.suggestions.listed(
                        self.server.limits.listed)],
                    "recent": [public(r) for r in store.suggestions.recent(limit=5)],
                    "max_chars": self.server.limits.max_chars}
        self._json(self.server.cached("suggestions", 1.0, read))

    def route_suggest(self, request: Request) -> None:
        body = self._json_body()
        if body is None:
            return
        text, name = body.get("text"), body.get("name") or ""
        if not isinstance(text, str) or not isinstance(name, str):
            return self._json({"error": 'send {"text": "...", "name": "..."}'},
                              HTTPStatus.BAD_REQUEST)
        viewer, cookie = self._viewer()
        self._intake(lambda intake: public(intake.suggest(
            text, viewer, name, "page", self._address())), cookie, HTTPStatus.CREATED)

    def route_vote(self, request: Request) -> None:
        number = request.rest.removesuffix("/vote")
        if not request.rest.endswith("/vote") or not number.isdigit():
            return self.send_error(HTTPStatus.NOT_FOUND)
        viewer, cookie = self._viewer()
        self._intake(lambda intake: {"id": int(number), "votes": intake.vote(
            int(number), viewer, self._address())}, cookie, HTTPStatus.OK)

    def route_remove_suggestion(self, request: Request) -> None:
        number = request.rest.removesuffix("/remove")
        if not number.isdigit():
            return self.send_error(HTTPStatus.NOT_FOUND)
        self._operator_act(lambda store: store.suggestions.remove(int(number)))

    def route_mute(self, request: Request) -> None:
        """Mute the viewer who made suggestion ``{"suggestion": N}`` (``"off": true``: unmute)."""
        body = self._json_body()
        if body is None:
            return
        number = body.get("suggestion")
        if not isinstance(number, int):
            return self._json({"error": 'send {"suggestion": N}'}, HTTPStatus.BAD_REQUEST)
        self._operator_act(lambda store: store.suggestions.mute(
            store.suggestions.get(number)["viewer"], on=not body.get("off")))

    def _operator_act(self, act) -> None:
        try:
            with self.server.lock:
                act(self.server.store)
        except NotFound as exc:
            return self._json({"error": str(exc)}, HTTPStatus.NOT_FOUND)
        self.server.forget()
        self._json({"ok": True})

    def _intake(self, act, cookie: str | None, status: HTTPStatus) -> None:
        try:
            with self.server.lock:
                answer = act(Intake(self.server.store, self.server.moderator,
                                    self.server.limits))
        except NotFound as exc:
            return self._json({"error": str(exc)}, HTTPStatus.NOT_FOUND)
        except TooMany as exc:
            return self._json({"error": str(exc)}, HTTPStatus.TOO_MANY_REQUESTS)
        except ToolError as exc:
            return self._json({"error": str(exc)}, HTTPStatus.BAD_REQUEST)
        self.server.forget()
        self._send(json.dumps(answer).encode(), "application/json", "no-store", status,
                   {"Set-Cookie": cookie} if cookie else None)

    def _viewer(self) -> tuple[str, str | None]:
        """This viewer's id, and the cookie to set when they had none."""
        try:
            jar = SimpleCookie(self.headers.get("Cookie", ""))
        except CookieError:
            jar = SimpleCookie()
        key = self.server.viewer_key
        found = key.viewer(jar[VIEWER_COOKIE].value if VIEWER_COOKIE in jar else None)
        if found is not None:
            return f"page:{found}", None
        viewer = secrets.token_hex(12)
        return f"page:{viewer}", (f"{VIEWER_COOKIE}={viewer}.{key.sign(viewer)}; Path=/; "
                                  f"Max-Age={VIEWER_DAYS * 86400}; HttpOnly; SameSite=Strict")

    def _address(self) -> str:
        return self.server.viewer_key.address(self.client_address[0])
