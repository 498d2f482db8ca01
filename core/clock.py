"""The channel's clock: every time the store keeps is UTC ISO 8601 to the millisecond, made and
read here only, so the strings compare in time order."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta


def now() -> str:
    """This moment, as the store keeps times."""
    return datetime.now(UTC).isoformat(timespec="milliseconds")


def ago(seconds: float) -> str:
    """The moment ``seconds`` before now, as the store keeps times."""
    return (datetime.now(UTC) - timedelta(seconds=seconds)).isoformat(timespec="milliseconds")


def at(epoch: float) -> str:
    """A Unix time, as the store keeps times."""
    return datetime.fromtimestamp(epoch, UTC).isoformat(timespec="milliseconds")


def age(iso: str | None) -> float | None:
    """Seconds since a time the store kept (None for none), to a tenth."""
    if not iso:
        return None
    return round((datetime.now(UTC) - datetime.fromisoformat(iso)).total_seconds(), 1)
