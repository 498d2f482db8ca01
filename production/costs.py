"""What production spends, and the owner's budget.

Every backend has a price (``Price``: per second of video or audio made, per call, per GPU
second of the job's wall time), from ``[prices]`` in webtv.toml over the dated defaults in
``backends/prices.toml``. An attempt at a take reserves its worst case before anything starts
(``attempt``): every priced call it could make, at the longest the service bills for the shot,
a GPU-second price at the job's deadline. When that could take the day's or the hour's spend
past the budget, the attempt is not started (``BudgetSpent``: the shot waits). Its calls'
real costs, failed and refused calls included, replace the reservation when it ends.

As the day's spend runs high, production spends less per aired second (``thrift``): at half
the budget, at most two takes per shot; at three quarters, one take per shot and shorter shots.
"""

from __future__ import annotations

import fnmatch
import threading
import time
import tomllib
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from importlib import resources
from typing import Any, TypeVar

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from webtv.core.errors import BudgetSpent, ConfigError, Refused
from webtv.state.costs import day_and_hour

T = TypeVar("T")
CAPABILITIES = ("video", "music", "upscale", "interpolate")
DEADLINE_S = 900.0  # a GPU-second price's worst case, for a backend that names no deadline
SHORT_S = 3.0  # the longest shot once three quarters of the day's budget is spent


class Price(BaseModel):
    """What one call of a backend costs. Prices add up: a service may charge per call and per
    second. ``as_of``: the day a shipped default was read from the service's price page."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    usd_per_second: float = Field(0.0, ge=0)  # of video (or audio) made, as the service bills it
    usd_per_call: float = Field(0.0, ge=0)
    usd_per_gpu_second: float = Field(0.0, ge=0)  # of the job's wall time
    as_of: str = ""
    note: str = ""

    @property
    def free(self) -> bool:
        return not (self.usd_per_second or self.usd_per_call or self.usd_per_gpu_second)

    def cost(self, media_s: float, wall_s: float) -> float:
        return (self.usd_per_call + self.usd_per_second * media_s
                + self.usd_per_gpu_second * wall_s)

    def unit(self, media_s: float, wall_s: float) -> tuple[float, str]:
        """The units a call is counted in, for the store: its main way of charging."""
        if self.usd_per_second:
            return media_s, "second"
        if self.usd_per_gpu_second:
            return wall_s, "gpu_second"
        return 1.0, "call"


@dataclass(frozen=True)
class Budget:
    """The owner's limit on spend, in dollars per UTC day and (optionally) per clock hour;
    ``policy``: what the main channel airs from the library once it is spent."""

    day_usd: float | None = None
    hour_usd: float | None = None
    policy: str = "best"

    @property
    def limited(self) -> bool:
        return self.day_usd is not None or self.hour_usd is not None

    def describe(self) -> dict[str, Any]:
        return {"day_usd": self.day_usd, "hour_usd": self.hour_usd, "policy": self.policy}


def default_prices() -> dict[str, Price]:
    text = resources.files("webtv.production.backends").joinpath("prices.toml").read_text("utf-8")
    return {name: Price(**table) for name, table in tomllib.loads(text).items()}


def prices(config: dict[str, Any]) -> dict[str, Price]:
    """The shipped defaults, with ``[prices."BACKEND"]`` tables of webtv.toml over them (a
    backend name, or a pattern such as ``"replicate:*"``)."""
    table = default_prices()
    for name, values in config.get("prices", {}).items():
        try:
            table[name] = Price(**values)
        except (ValidationError, TypeError) as exc:
            raise ConfigError(f'[prices."{name}"]: {exc}') from None
    return table


def budget(config: dict[str, Any], day_usd: float | None = None,
           hour_usd: float | None = None) -> Budget:
    """--budget and --budget-hour, else ``[budget] day_usd, hour_usd`` in webtv.toml."""
    from webtv.state.channels import POLICIES

    table = config.get("budget", {})
    policy = table.get("policy", "best")
    if policy not in POLICIES or policy == "tag":
        raise ConfigError(f"[budget] policy {policy!r}: one of "
                          f"{', '.join(p for p in POLICIES if p != 'tag')}")
    day = day_usd if day_usd is not None else table.get("day_usd")
    hour = hour_usd if hour_usd is not None else table.get("hour_usd")
    for what, value in (("the day's budget", day), ("the hour's budget", hour)):
        if value is not None and (not isinstance(value, int | float) or value < 0):
            raise ConfigError(f"{what} must be a number of dollars, 0 or more: {value!r}")
    return Budget(None if day is None else float(day), None if hour is None else float(hour),
                  policy)


def price_of(table: dict[str, Price], backend: str) -> Price:
    """A backend's price: its own entry, else the most specific pattern that matches it, else
    free (the embedded backends, a Space)."""
    if backend in table:
        return table[backend]
    patterns = sorted((n for n in table if any(c in n for c in "*?[")), key=len, reverse=True)
    for pattern in patterns:
        if fnmatch.fnmatchcase(backend, pattern):
            return table[pattern]
    return Price()


def billed_seconds(backend: Any, seconds: float) -> float:
    """The seconds a service bills for a shot of ``seconds`` (it may round up to the lengths
    it makes)."""
    bill = getattr(backend, "billed_seconds", None)
    return float(bill(seconds)) if bill is not None else seconds


def worst_case(ctx: Any, seconds: float) -> float:
    """The most one attempt at a take of ``seconds`` can cost: every priced backend called
    once (the production line never sends one attempt to a service twice)."""
    total = 0.0
    for cap in CAPABILITIES:
        backend = getattr(ctx.backends, cap)
        price = price_of(ctx.prices, backend.name)
        if not price.free:
            media = billed_seconds(backend, seconds) if cap in ("video", "music") else seconds
            total += price.cost(media, float(getattr(backend, "deadline_s", DEADLINE_S)))
    return round(total, 6)


class Bill:
    """The priced calls of one attempt, as they end (from the attempt's own thread)."""

    def __init__(self, table: dict[str, Price]) -> None:
        self.table = table
        self.charges: list[dict[str, Any]] = []
        self.take_id: int | None = None
        self._lock = threading.Lock()

    def run(self, capability: str, backend: Any, seconds: float, make: Callable[[], T]) -> T:
        """``make()``, charged at the backend's price: made or not (a failed or refused job
        is billed by the services), unless the service never took the job."""
        price = price_of(self.table, backend.name)
        started = time.monotonic()
        try:
            made = make()
        except Exception as exc:
            if not price.free and getattr(exc, "billed", True):
                self._add(capability, backend, price, seconds, time.monotonic() - started,
                          "refused" if isinstance(exc, Refused) else "failed")
            raise
        if not price.free:
            self._add(capability, backend, price, seconds, time.monotonic() - started, "ok")
        return made

    def _add(self, capability: str, backend: Any, price: Price, seconds: float, wall: float,
             outcome: str) -> None:
        media = billed_seconds(backend, seconds) if capability in ("video", "music") \
            else seconds
        wall = min(wall, float(getattr(backend, "deadline_s", DEADLINE_S)))
        units, unit = price.unit(media, wall)
        with self._lock:
            self.charges.append({"capability": capability, "backend": backend.name,
                                 "units": round(units, 3), "unit": unit,
                                 "usd": round(price.cost(media, wall), 6), "outcome": outcome})


@contextmanager
def attempt(ctx: Any, shot_id: int, seconds: float) -> Iterator[Bill]:
    """One attempt at a take, within the budget: its worst case is reserved first (or
    ``BudgetSpent``, and nothing starts), its real costs recorded when it ends."""
    bill = Bill(ctx.prices)
    estimate = worst_case(ctx, seconds)
    if estimate <= 0:  # nothing priced: nothing to hold or record
        yield bill
        return
    limit = ctx.budget
    held = ctx.store.costs.reserve(estimate, shot_id=shot_id, backend=ctx.backends.video.name,
                                   day_usd=limit.day_usd, hour_usd=limit.hour_usd)
    if held is None:
        raise BudgetSpent(budget_line(ctx.store, limit, estimate))
    try:
        yield bill
    finally:
        ctx.store.costs.settle(held, bill.charges, bill.take_id)


def budget_line(store: Any, limit: Budget, estimate: float | None = None) -> str:
    day, hour = day_and_hour()
    spent_day, spent_hour = store.costs.spent(day=day), store.costs.spent(hour=hour)
    which = ("this hour's" if limit.hour_usd is not None and limit.day_usd is not None
             and limit.hour_usd - spent_hour < limit.day_usd - spent_day
             or limit.day_usd is None else "today's")
    told = (f"${spent_hour:.2f} of ${limit.hour_usd:.2f} this hour" if which == "this hour's"
            else f"${spent_day:.2f} of ${limit.day_usd:.2f} today")
    need = f"; a take costs up to ${estimate:.2f}" if estimate is not None else ""
    return f"{which} budget is spent ({told}{need}): fresh takes resume when it allows"


def room(ctx: Any, seconds: float = 4.0) -> bool:
    """Whether the budget has room for an attempt at a shot of ``seconds`` now."""
    limit = ctx.budget
    if not limit.limited:
        return True
    estimate = worst_case(ctx, seconds)
    return estimate <= 0 or ctx.store.costs.fits(estimate, limit.day_usd, limit.hour_usd)


def thrift(ctx: Any, seconds: float) -> tuple[int, float]:
    """(takes per shot, seconds of this shot) for the spend so far: fewer retakes from half
    the budget, one take of a shorter shot from three quarters."""
    limit = ctx.budget
    if not limit.limited or worst_case(ctx, seconds) <= 0:
        return ctx.takes_per_shot, seconds
    day, hour = day_and_hour()
    shares = [ctx.store.costs.spent(day=day) / limit.day_usd if limit.day_usd else 0.0,
              ctx.store.costs.spent(hour=hour) / limit.hour_usd if limit.hour_usd else 0.0]
    if limit.day_usd == 0 or limit.hour_usd == 0:
        shares.append(1.0)
    share = max(shares)
    if share >= 0.75:
        return 1, min(seconds, SHORT_S)
    if share >= 0.5:
        return min(ctx.takes_per_shot, 2), seconds
    return ctx.takes_per_shot, seconds
