"""Reviews by sight: what a model that sees said of a take that passed the measured checks,
shown its contact sheet beside the shot it was asked for. One row per review (and per take
not asked for one, with why), so the operator sees every verdict and its reason, and the
review budgets count what was spent."""

from __future__ import annotations

from webtv.core.clock import ago, now
from webtv.state.rows import Review
from webtv.state.tables import Tables

VERDICTS = ("keep", "retake", "change", "unreviewed")


class ReviewTables(Tables):
    def add(self, take_id: int, verdict: str, reason: str, model: str,
            action: str | None = None) -> Review:
        assert verdict in VERDICTS, verdict
        with self.transaction():
            shot = self._one("select shot_id from takes where id = ?", (take_id,))
            row_id = self.db["reviews"].insert({
                "take_id": take_id, "shot_id": shot["shot_id"], "verdict": verdict,
                "reason": reason, "action": action, "model": model,
                "created_at": now()}).last_pk
        return self._one("select * from reviews where id = ?", (row_id,))

    def of_take(self, take_id: int) -> Review | None:
        """The latest review of a take (None: never asked)."""
        return self._one("select * from reviews where take_id = ? order by id desc limit 1",
                         (take_id,))

    def spent(self, shot_id: int, hour_s: float = 3600.0) -> tuple[int, int]:
        """Reviews asked for this shot, and for any shot within the last hour."""
        asked = "verdict != 'unreviewed'"
        shot = self._one(f"select count(*) as n from reviews where shot_id = ? and {asked}",
                         (shot_id,))["n"]
        hour = self._one(f"select count(*) as n from reviews where created_at >= ? and {asked}",
                         (ago(hour_s),))["n"]
        return shot, hour

    def recent(self, limit: int = 12) -> list[dict]:
        """The latest reviews, newest first, with the take's contact sheet and the shot's
        action, for the operator page."""
        return self._all(
            "select reviews.*, takes.contact_sheet, takes.prompt, shots.action as shot_action "
            "from reviews join takes on takes.id = reviews.take_id join shots on shots.id = "
            "reviews.shot_id order by reviews.id desc limit ?", (limit,))
