"""Who may use the operator view: the operator token ($WEBTV_OPERATOR_TOKEN), checked in
constant time, and the signed session cookie a browser gets instead of keeping the token."""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time

TOKEN_ENV = "WEBTV_OPERATOR_TOKEN"
COOKIE = "webtv_operator"
SESSION_SECONDS = 7 * 24 * 3600  # an operator signs in again after a week


class OperatorKey:
    """The operator token, checked in constant time, and signed session cookies that never
    carry it (a cookie stays valid across restarts until the token changes or it expires)."""

    def __init__(self, token: str | None) -> None:
        token = (token or "").strip()
        self._key = token.encode() if token else None

    @property
    def enabled(self) -> bool:
        return self._key is not None

    def matches(self, candidate: str | None) -> bool:
        if self._key is None or candidate is None:
            return False
        return hmac.compare_digest(candidate.strip().encode(), self._key)

    def new_cookie(self) -> str:
        session, issued = secrets.token_hex(8), str(int(time.time()))
        return f"{session}.{issued}.{self._sign(session, issued)}"

    def session(self, cookie: str | None) -> str | None:
        """The operator session a cookie names, or None if it is not one of ours."""
        parts = (cookie or "").split(".")
        if self._key is None or len(parts) != 3 or not parts[1].isdigit():
            return None
        session, issued, mac = parts
        if not hmac.compare_digest(mac.encode(), self._sign(session, issued).encode()):
            return None
        return session if time.time() - int(issued) < SESSION_SECONDS else None

    def _sign(self, session: str, issued: str) -> str:
        message = f"operator:{session}:{issued}".encode()
        return hmac.new(self._key or b"", message, hashlib.sha256).hexdigest()
