"""What the channel spends: a row per priced backend call of every attempt (aired or not), and
the reservations that keep a budget exact while attempts are in flight.

An attempt reserves its worst case before it starts (``reserve``: refused when that could take
the day's or the hour's spend past the budget), and settles it when it ends (``settle``: the
reservation becomes the calls' real costs, which are never more than the worst case). The
budget's day and hour are UTC; an attempt counts in the day and hour it started.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from webtv.core.clock import now
from webtv.state.rows import Cost
from webtv.state.tables import Tables

SLACK = 1e-9  # floating point: a budget met to the cent is not passed


def day_and_hour(stamp: str | None = None) -> tuple[str, str]:
    """The budget's day (YYYY-MM-DD) and hour (YYYY-MM-DDTHH) of a store time, UTC."""
    stamp = stamp or now()
    return stamp[:10], stamp[:13]


class CostTables(Tables):
    """Store methods for spend: reservations, charges, and what they add up to."""

    def reserve(self, estimate: float, *, shot_id: int | None, backend: str,
                day_usd: float | None = None, hour_usd: float | None = None) -> int | None:
        """Hold ``estimate`` dollars for an attempt about to start, or None when that could
        take this day's (or hour's) spend, reservations included, past its limit. One
        transaction: two threads cannot both take the last dollar."""
        stamp = now()
        day, hour = day_and_hour(stamp)
        with self.transaction():
            if not self.fits(estimate, day_usd, hour_usd, stamp):
                return None
            return self.db["costs"].insert({
                "created_at": stamp, "day": day, "hour": hour, "shot_id": shot_id,
                "take_id": None, "capability": "attempt", "backend": backend,
                "units": 1.0, "unit": "attempt", "usd": round(estimate, 6),
                "outcome": "reserved"}).last_pk

    def fits(self, estimate: float, day_usd: float | None, hour_usd: float | None,
             stamp: str | None = None) -> bool:
        """Whether ``estimate`` more dollars keep this day's and this hour's spend (attempts in
        flight included) within their limits (None: no limit)."""
        day, hour = day_and_hour(stamp)
        return ((day_usd is None or self.spent(day=day) + estimate <= day_usd + SLACK)
                and (hour_usd is None or self.spent(hour=hour) + estimate <= hour_usd + SLACK))

    def settle(self, reservation: int, charges: list[dict[str, Any]],
               take_id: int | None = None) -> float:
        """The attempt ended: its reservation becomes its calls' costs (capability, backend,
        units, unit, usd, outcome each), in the day and hour it started. Returns the total."""
        with self.transaction():
            held = self._one("select * from costs where id = ?", (reservation,))
            if held is None:
                return 0.0
            self.db["costs"].delete(reservation)
            for charge in charges:
                self.db["costs"].insert({
                    "created_at": now(), "day": held["day"], "hour": held["hour"],
                    "shot_id": held["shot_id"], "take_id": take_id, **charge})
        return round(sum(c["usd"] for c in charges), 6)

    def lose_reservations(self) -> int:
        """Attempts that were in flight at a crash: their work may have been billed, so each
        counts at its worst case (the budget is never passed by a crash)."""
        with self.transaction():
            return self.db.execute("update costs set outcome = 'lost' where outcome = "
                                   "'reserved'").rowcount

    def spent(self, *, day: str | None = None, hour: str | None = None) -> float:
        """Dollars charged and reserved in a day or an hour (UTC)."""
        column, value = ("day", day) if day is not None else ("hour", hour)
        row = self._one(f"select coalesce(sum(usd), 0) as usd from costs where {column} = ?",
                        (value,))
        return round(row["usd"], 6)

    def rows(self, day: str | None = None) -> list[Cost]:
        return self._all("select * from costs where day = ? order by id",
                         (day or day_and_hour()[0],))

    def today(self, day_usd: float | None = None) -> dict[str, Any]:
        """Spend today: dollars (charged, and reserved by attempts in flight), attempts, per
        backend, per aired minute of new takes, and the forecast for the whole day (the last
        hour's rate for the hours left, held to the budget where there is one)."""
        stamp = now()
        day, _ = day_and_hour(stamp)
        total = self.spent(day=day)
        reserved = self._one("select coalesce(sum(usd), 0) as usd from costs where day = ? "
                             "and outcome = 'reserved'", (day,))["usd"]
        by_backend = {r["backend"]: round(r["usd"], 4) for r in self._all(
            "select backend, sum(usd) as usd from costs where day = ? and outcome != "
            "'reserved' group by backend order by backend", (day,))}
        attempts = self._one("select count(*) as n from costs where day = ? and capability = "
                             "'video'", (day,))["n"]  # one video call per attempt
        aired = self._one("select coalesce(sum(stream_end - stream_start), 0) as s from air_log "
                          "where kind = 'take' and started_at >= ? and stream_end is not null",
                          (day,))["s"]
        clock = datetime.fromisoformat(stamp)
        hour_ago = (clock - timedelta(hours=1)).isoformat(timespec="milliseconds")
        last_hour = self._one("select coalesce(sum(usd), 0) as usd from costs where "
                              "created_at >= ? and day = ?", (hour_ago, day))["usd"]
        midnight = datetime(clock.year, clock.month, clock.day, tzinfo=UTC) + timedelta(days=1)
        forecast = total + last_hour * (midnight - clock).total_seconds() / 3600
        if day_usd is not None:
            forecast = min(forecast, day_usd)
        return {"day": day, "spent_usd": round(total, 4), "in_flight_usd": round(reserved, 4),
                "attempts": attempts, "by_backend": by_backend,
                "aired_new_s": round(aired, 1),
                "per_aired_minute_usd": round(total / (aired / 60), 4) if aired else None,
                "forecast_usd": round(forecast, 2)}
