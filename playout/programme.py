"""What the director's channel airs next, at the speed production really has: premieres of
whole scenes, and reruns of whole scenes from the library between them.

A real video model makes far less than a second of video per second, so the channel airs much
more than it makes. A scene (one shot list, in story order) premieres when all of it is made,
or earlier when the pace measured on this backend says its last shots will be made before the
part already made has aired, or when its first take has waited ``premiere_wait_s`` (a take is
never held back longer). Between premieres the channel reruns whole scenes of takes that have
premiered, by the rerun policy, the one aired least often first. The slate airs only when
there is nothing else at all: a new channel's first seconds, or a library with nothing in it.

The choice is made at once at each block's end, from the store: nothing waits for a take that
is "seconds away".
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from webtv.core.clock import age
from webtv.core.errors import ConfigError
from webtv.state.air import RERUNS
from webtv.state.store import Store

PREMIERE_WAIT_S = 600.0  # the longest a made take waits for the rest of its scene
MARGIN = 1.5  # the pace estimate is trusted this much less when airing part of a scene early
# from the bible's entities, whether a take agrees with their looks (reading.colours.agreement)
Agreement = Callable[[list[dict[str, Any]]], Callable[[dict[str, Any]], bool]]


@dataclass
class Block:
    """One item of the programme: takes that air back to back, in story order."""

    kind: str  # "take" (a premiere) | "replay" (a rerun) | "slate"
    scene: int | None = None
    entries: list[dict[str, Any]] = field(default_factory=list)  # premieres: schedule rows
    takes: list[dict[str, Any]] = field(default_factory=list)  # reruns: take rows
    note: str = ""


class Programme:
    def __init__(self, reruns: str = "even", premiere_wait_s: float = PREMIERE_WAIT_S,
                 agreement: Agreement | None = None) -> None:
        """``agreement``: from the bible's entities, whether a take agrees with their looks as
        they are now (reading.colours.agreement); reruns leave out the takes that do not while
        others can air."""
        self.agreement = agreement
        if reruns not in RERUNS:
            raise ConfigError(f"[programme] reruns {reruns!r}: one of {', '.join(RERUNS)}")
        if not 0 <= float(premiere_wait_s) <= 86400:
            raise ConfigError("[programme] premiere_wait_s: 0 to 86400 seconds")
        self.reruns = reruns
        self.premiere_wait_s = float(premiere_wait_s)

    @classmethod
    def from_config(cls, config: dict[str, Any], agreement: Agreement | None = None
                    ) -> Programme:
        """webtv.toml's ``[programme]``: ``reruns`` (a policy of RERUNS) and
        ``premiere_wait_s``, checked."""
        table = config.get("programme", {})
        extra = set(table) - {"reruns", "premiere_wait_s"}
        if extra:
            raise ConfigError(f"[programme]: unknown keys {', '.join(sorted(extra))}")
        return cls(table.get("reruns", "even"), table.get("premiere_wait_s", PREMIERE_WAIT_S),
                   agreement)

    def next_block(self, store: Store, reruns: str | None = None) -> Block:
        """The block to air now. ``reruns``: a policy for this choice (a spent budget's)."""
        scene = store.air.next_scene()
        agrees = self.agreement(store.show.entities()) if self.agreement else None
        rerun = store.air.rerun_scene(reruns or self.reruns, agrees=agrees)
        if scene is not None:
            premiere = self._premiere(store, scene, has_library=bool(rerun))
            if premiere is not None:
                return premiere
        if rerun:
            return Block("replay", rerun[0]["scene"], takes=rerun)
        if scene is not None and scene["queued"]:  # nothing else to air: what is made
            return Block("take", scene["scene"], entries=scene["queued"])
        return Block("slate")

    def _premiere(self, store: Store, scene: dict[str, Any], has_library: bool) -> Block | None:
        ready, pending = scene["ready"], scene["pending"]
        waited = max((age(q["created_at"]) or 0.0 for q in scene["queued"]), default=0.0)
        if waited >= self.premiere_wait_s:  # no take waits longer: what is made airs now
            return Block("take", scene["scene"], entries=ready or scene["queued"],
                         note="" if not pending else "premiere of a scene still in the making")
        if not ready:
            return None
        if not pending or not has_library or scene["started"]:
            return Block("take", scene["scene"], entries=ready)
        pace = store.takes.pace()
        if pace is None:
            return None
        airs_for = sum(q["duration_s"] or 0.0 for q in ready)
        if pace["seconds_per_take"] * len(pending) * MARGIN <= airs_for:
            return Block("take", scene["scene"], entries=ready)  # the rest is made in time
        return None

