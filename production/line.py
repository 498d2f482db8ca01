"""Production of shots, run by code: make a take, inspect it, retake with a new seed within the
shot's budget (a shot that failed one check twice is said differently first: rewrite.py),
schedule it. The director decides *what* to shoot; this has one right answer.

Shots are made two at a time (``ctx.parallel``: two endpoints make two takes) and scheduled in
shot order as soon as each is ready, so the first shot is on air before the last is made.
Every step is logged like a tool call, marked as made by the code, so the operator's view and
an audit read the same as when a model made each call itself.
"""

from __future__ import annotations

import json
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from webtv.core import errors
from webtv.core.errors import BadMedia, BudgetSpent, GateUnavailable, Refused, ToolError
from webtv.production import costs, rewrite, takes
from webtv.production.context import Production
from webtv.state.store import Store


@dataclass
class Outcome:
    shot: dict[str, Any]
    take_id: int | None = None  # the accepted take, None when the shot was dropped
    attempts: int = 0
    failures: list[str] = field(default_factory=list)  # why each failed attempt failed
    scheduled: bool = False
    generation_failed: int = 0  # attempts that made no file at all (the backends failed)
    dropped: bool = False  # the shot spent its budget (or failed its schedule step)
    refused: bool = False  # a service refused its prompt: rewritten, not retaken
    rewrites: list[str] = field(default_factory=list)  # why the code said the shot differently
    waits: bool = False  # the owner's budget has no room for it now: made later


@dataclass
class Report:
    outcomes: list[Outcome]

    @property
    def scheduled(self) -> list[Outcome]:
        return [o for o in self.outcomes if o.scheduled]

    @property
    def dropped(self) -> list[Outcome]:
        return [o for o in self.outcomes if o.dropped]

    @property
    def waiting(self) -> list[Outcome]:
        """Not tried: the backends were down, or the budget had no room; finished when they
        are back, or it has."""
        return [o for o in self.outcomes if not o.scheduled and not o.dropped]

    def summary(self, store: Store) -> dict[str, Any]:
        """What the director is told: scheduled, and which shots need rewriting and why."""
        return {
            "scheduled": len(self.scheduled),
            "retakes": sum(max(0, o.attempts - 1) for o in self.outcomes),
            "dropped": [{"shot": o.shot["position"], "action": o.shot["action"],
                         "why": o.failures[-1] if o.failures else "not made",
                         **({"refused": True} if o.refused else {})}  # say it otherwise
                        for o in self.dropped],
            **({"rewritten": [{"shot": o.shot["position"], "why": why}
                              for o in self.outcomes for why in o.rewrites]}
               if any(o.rewrites for o in self.outcomes) else {}),
            **({"waiting_for_backends": len(self.waiting)} if self.waiting else {}),
            **({"waiting_for_budget": sum(o.waits for o in self.outcomes)}
               if any(o.waits for o in self.outcomes) else {}),
            "seconds_ahead_of_air": round(store.air.queued_seconds(), 1),
        }


def produce(ctx: Production, shot_ids: list[int]) -> Report:
    """Make, inspect and schedule a take of each shot, in order; retakes within budget.

    A shot that continues the one before it is made after it, in the same thread (it starts
    from that take's last frame); other shots are made ``ctx.parallel`` at a time. When two
    shots' every attempt failed in the backends (no endpoint answered: not one bad prompt, the
    backends are down), the shots after them are left as they are, not spent: they are
    finished when the backends are back."""
    down = Outage()
    chains: list[list[int]] = []
    pictures = getattr(ctx.backends.video, "can_continue", False)
    for shot_id in shot_ids:
        if chains and pictures and ctx.store.takes.shot(shot_id).get("continues"):
            chains[-1].append(shot_id)
        else:
            chains.append([shot_id])
    if ctx.parallel <= 1 or len(chains) <= 1:
        return Report([_schedule(ctx, _shoot(ctx, shot_id, down)) for shot_id in shot_ids])

    def shoot_chain(chain: list[int]) -> list[Outcome]:
        forked = ctx.fork()  # SQLite connections are per thread
        try:  # each take accepted before the next shot of the chain starts from it
            return [_shoot(forked, shot_id, down) for shot_id in chain]
        finally:
            forked.store.close()

    outcomes: list[Outcome] = []
    with ThreadPoolExecutor(max_workers=ctx.parallel, thread_name_prefix="production") as pool:
        futures = [pool.submit(shoot_chain, chain) for chain in chains]
        for future in futures:  # in shot order: the air keeps the story's order
            outcomes += [_schedule(ctx, outcome) for outcome in future.result()]
    return Report(outcomes)


class Outage:
    """Shots of one production run whose every attempt failed in the backends."""

    def __init__(self, limit: int = 2) -> None:
        self.limit, self.shots, self._lock = limit, 0, threading.Lock()

    def add(self) -> None:
        with self._lock:
            self.shots += 1

    def is_set(self) -> bool:
        return self.shots >= self.limit


def _shoot(ctx: Production, shot_id: int, down: Outage) -> Outcome:
    """Takes of one shot until one is accepted or the budget is spent. Every attempt is counted
    on the shot (in the store: a restart does not reset it) and gets a seed of its own, and
    every failure (a backend error, a refused file, a failed check) spends the budget. A check
    failed twice with the same words is not tried a third time: the shot is said differently
    by the code, or goes back to the director (``ctx.rewrites``)."""
    shot = ctx.store.takes.shot(shot_id)
    outcome = Outcome(shot)
    if shot["status"] == "scheduled":
        outcome.scheduled = True  # finished work is never made again
        return outcome
    if down.is_set():
        outcome.failures.append("not made: the backends are failing")
        return outcome
    if ctx.budget.limited and not costs.room(ctx, shot["duration_s"]):
        outcome.failures.append("not made: " + costs.budget_line(ctx.store, ctx.budget))
        outcome.waits = True
        return outcome
    # made before a crash or a stop: inspect it rather than make it again (its attempt is
    # already counted)
    resumable = [(t["id"], t["status"]) for t in ctx.store.takes.takes_for_shot(shot_id)
                 if t["status"] in ("made", "accepted")]
    emphasis, failed = None, Counter()  # how often each check failed with the shot's words

    def budget_left() -> bool:
        return bool(resumable) or shot["attempts"] < costs.thrift(ctx, shot["duration_s"])[0]

    while budget_left():
        if ctx.stopping():  # the channel is going off air: the shot waits, unspent
            outcome.failures.append("not made: the channel stopped")
            return outcome
        outcome.attempts += 1
        take = resumable.pop() if resumable else _make(ctx, shot, outcome, emphasis)
        if outcome.waits:  # the budget is spent: the shot waits for it, unspent
            return outcome
        if outcome.refused:  # another seed would be refused too: the director rewrites it
            break
        if take is None:
            continue
        done, emphasis, rejected_by = _judge(ctx, *take, outcome, emphasis)
        if done:
            return outcome
        failed.update(rejected_by)
        twice = [name for name in rejected_by if failed[name] >= rewrite.TWICE]
        if twice:  # a third take with the same words would fail it again: say it differently
            rewritten, why = rewrite.say_differently(ctx, shot, twice, take[0], _step,
                                                     budget_left())
            (outcome.rewrites if rewritten else outcome.failures).append(why)
            if not rewritten:  # the director says it differently: its shot is dropped
                break
            shot, emphasis, failed = ctx.store.takes.shot(shot_id), None, Counter()
    return _drop(ctx, shot, outcome, down)


def _make(ctx: Production, shot: dict[str, Any], outcome: Outcome,
          emphasis: str | None) -> tuple[int, str] | None:
    """A new take of the shot, with the next attempt's seed: (take id, status), or None when
    no take came of it (the reason is in the outcome)."""
    shot["attempts"] = ctx.store.takes.count_attempt(shot["id"])
    seed = takes.seed_for(shot["id"], shot["attempts"], ctx.seed)
    made = _step(ctx, "make_take", takes.make_take, shot_id=shot["id"], seed=seed,
                 emphasis=emphasis)
    # nothing started, or a worker makes it on (a restart's same ask gets it): not an attempt
    if isinstance(made, BudgetSpent | errors.LeftToCluster | errors.Abandoned):
        outcome.failures.append(f"not made: {made}")
        outcome.waits, outcome.attempts = True, outcome.attempts - 1
        ctx.store.takes.uncount_attempt(shot["id"])
        return None
    if isinstance(made, ToolError):
        outcome.failures.append(str(made))
        if isinstance(made, Refused):  # the service answered: the prompt's fault
            outcome.refused = True
            ctx.answers.file_came_back()
        elif isinstance(made, BadMedia):  # a bad file is the answer's fault
            ctx.answers.file_came_back()
        else:
            outcome.generation_failed += 1
        return None
    ctx.answers.file_came_back()
    return made["take_id"], made["status"]


def _judge(ctx: Production, take_id: int, status: str, outcome: Outcome,
           emphasis: str | None) -> tuple[bool, str | None, list[str]]:
    """Inspect a take: (whether the shot is done with for now, the emphasis of its next take,
    the checks that rejected it). Done: accepted, or it waits (the channel stops, the
    moderation gate is down)."""
    if status == "accepted":
        outcome.take_id = take_id
        return True, emphasis, []
    if ctx.stopping():  # made: inspected on the next run
        outcome.failures.append("not inspected: the channel stopped")
        return True, emphasis, []
    seen = _step(ctx, "inspect_take", takes.inspect_take, take_id=take_id)
    if isinstance(seen, GateUnavailable):  # not the take's fault: it waits, made
        outcome.failures.append(str(seen))
        return True, emphasis, []
    if isinstance(seen, ToolError):
        outcome.failures.append(str(seen))
        return False, emphasis, []
    if seen["verdict"] == "accepted":
        return _by_sight(ctx, take_id, outcome), None, []
    failed = [c for c in seen["checks"] if not c["passed"]]
    outcome.failures.append("failed " + ", ".join(
        f"{c['name']} ({c['value']:.2f}, limit {c['threshold']:.2f})" for c in failed))
    rejected_by = [c["name"] for c in failed if ctx.gate is None or c["name"] in ctx.gate]
    shot = ctx.store.takes.shot(ctx.store.takes.take(take_id)["shot_id"])
    entities = {e["name"]: e for e in ctx.store.show.entities()}
    return False, rewrite.emphasis_for({c["name"] for c in failed}, shot, entities), rejected_by


def _by_sight(ctx: Production, take_id: int, outcome: Outcome) -> bool:
    """A take that passed its measured checks, judged by sight where a model that sees reviews
    takes: kept, or rejected for a retake, or its shot's action changed first. True: kept."""
    verdict = ctx.review(ctx, take_id) if ctx.review is not None else None
    if verdict is None or verdict["verdict"] in ("keep", "unreviewed"):
        outcome.take_id = take_id
        return True
    why = f"by sight ({verdict['model']}): {verdict['reason']}"
    with ctx.store.transaction():  # the verdict acted on at once: a crash never half does it
        if verdict["verdict"] == "change":
            ctx.store.takes.change_action(outcome.shot["id"], verdict["action"])
            why += f"; the shot now reads {verdict['action']!r}"
        ctx.store.takes.set_take_status(take_id, "rejected", why)
    outcome.failures.append(f"rejected {why}")
    return False


def _drop(ctx: Production, shot: dict[str, Any], outcome: Outcome, down: Outage) -> Outcome:
    """The shot spent its budget: dropped, with the reason of its last failure."""
    if outcome.failures and outcome.generation_failed == outcome.attempts:
        down.add()  # no endpoint answered for any attempt: not this shot's fault
    if not outcome.failures:
        outcome.failures.append(f"no take budget left ({shot['attempts']} attempts made)")
    ctx.store.takes.set_shot_status(shot["id"], "dropped", outcome.failures[-1])
    outcome.dropped = True
    return outcome


def _schedule(ctx: Production, outcome: Outcome) -> Outcome:
    if outcome.take_id is None:
        return outcome
    done = _step(ctx, "schedule_take", takes.schedule_take, take_id=outcome.take_id)
    if isinstance(done, GateUnavailable):  # accepted, not yet cleared: it waits for the gate
        outcome.failures.append(str(done))
    elif isinstance(done, ToolError):
        outcome.failures.append(str(done))
        ctx.store.takes.set_shot_status(outcome.shot["id"], "dropped", str(done))
        outcome.dropped = True
    else:
        outcome.scheduled = True
    return outcome


def _step(ctx: Production, name: str, fn, **arguments: Any) -> dict[str, Any] | ToolError:
    """One production step, logged as a tool call made by the code; a ToolError comes back as
    the value (its message says what went wrong), anything else is a bug and propagates."""
    text = json.dumps(arguments)
    ctx.emit("call", {"name": name, "arguments": text, "by": "code"})
    started = time.perf_counter()
    try:
        value: dict[str, Any] | ToolError = fn(ctx, **arguments)
        ok, content = True, json.dumps({k: v for k, v in value.items() if k != "_image"},
                                       ensure_ascii=False)
    except ToolError as exc:
        value = exc
        ok, content = False, f"Error: {exc}"
    ms = (time.perf_counter() - started) * 1000
    ctx.store.calls.log_tool_call(conversation=ctx.conversation, llm_call_id=None, name=name,
                                  arguments=text, result=content, ok=ok, duration_ms=ms,
                                  made_by="code")
    ctx.emit("result", {"name": name, "ok": ok, "content": content, "duration_ms": ms,
                        "by": "code"})
    return value
