"""Review by sight: a take that passed every measured check is shown, as its contact sheet, to
the director's model when that model sees images, beside the shot it was asked for, in a short
request of its own with three tools (keep it, retake it with a new seed, change the shot). A
model that does not see is never asked, and nothing pretends it was.

Reviews have a budget: at most ``per_shot`` for one shot and ``per_hour`` for the channel; a
take past either, or whose review failed (the model erred, gave no verdict), is kept as the
checks judged it, with a row that says why it was not reviewed.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

import openai

from webtv import prompts, tools
from webtv.core.errors import ConfigError, WebTVError
from webtv.core.settings import Settings
from webtv.director import sight
from webtv.director.loop import Conversation, run_turn
from webtv.director.models import review_model
from webtv.director.protocol import ChatModel, Offer, Request, Step
from webtv.production.context import Production
from webtv.state.rows import Review
from webtv.state.store import Store
from webtv.tools.brief import brief
from webtv.tools.context import ToolContext

log = logging.getLogger("webtv.review")
VERDICT_TOOLS = ["keep_take", "retake", "change_shot"]


def _reviewed(steps: list[Step]) -> str | None:
    done = next((s for s in steps if s.name in VERDICT_TOOLS and s.ok), None)
    return None if done is None else f"Reviewed: {done.result['verdict']}."


def review_request(ctx: ToolContext, take: dict[str, Any], shot: dict[str, Any]) -> Request:
    text = prompts.render("request.md.j2", kind="review", brief=brief(ctx),
                          action=shot["action"], prompt=take["prompt"])
    return Request("review", text, Offer(VERDICT_TOOLS, hide=frozenset(), done=_reviewed),
                   brief=brief(ctx), images=(take["contact_sheet"],))


@dataclass(frozen=True)
class Limits:
    per_shot: int = 2  # reviews of one shot's takes
    per_hour: int = 30  # reviews of the channel's takes in any hour

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> Limits:
        table = config.get("review", {})
        extra = set(table) - {"per_shot", "per_hour"}
        if extra:
            raise ConfigError(f"[review]: unknown keys {', '.join(sorted(extra))}")
        limits = cls(int(table.get("per_shot", 2)), int(table.get("per_hour", 30)))
        if limits.per_shot < 0 or limits.per_hour < 0:
            raise ConfigError("[review]: per_shot and per_hour are counts, 0 or more")
        return limits


class Reviewer:
    """Production's review step (``Production.review``): the verdict on one take."""

    def __init__(self, model: ChatModel, system: str, limits: Limits = Limits()) -> None:
        if not model.sees_images:
            raise ConfigError(f"{model.name} does not see images: it cannot review by sight")
        self.model, self.system, self.limits = model, system, limits

    def __call__(self, production: Production, take_id: int) -> Review:
        store, name = production.store, self.model.name
        take = store.takes.take(take_id)
        shot = store.takes.shot(take["shot_id"])
        for_shot, this_hour = store.reviews.spent(shot["id"])
        why = (f"this shot's review budget ({self.limits.per_shot}) is spent"
               if for_shot >= self.limits.per_shot else
               f"the hour's review budget ({self.limits.per_hour}) is spent"
               if this_hour >= self.limits.per_hour else
               "no contact sheet" if not take["contact_sheet"] else None)
        if why is not None:
            return store.reviews.add(take_id, "unreviewed", why, name)
        ctx = ToolContext(production).for_review(take_id, name)
        try:
            run_turn(self.model, tools.load(), ctx, Conversation(self.system),
                     review_request(ctx, take, shot), max_steps=3, stop=production.stop)
            if production.stopping():  # the answer is not awaited
                return store.reviews.add(take_id, "unreviewed",
                                         "the channel stopped before the model answered", name)
        except (WebTVError, openai.OpenAIError) as exc:  # a step limit, a gave-up, HTTP
            log.warning("the review of take %s failed: %s", take_id, exc)
            return store.reviews.add(take_id, "unreviewed", f"the review failed: {exc}"[:300],
                                     name)
        return store.reviews.of_take(take_id) or store.reviews.add(
            take_id, "unreviewed", "the model gave no verdict", name)


def seeing_reviewer(settings: Settings, director: ChatModel, store: Store,
                    system: str) -> Reviewer | None:
    """The review by sight of a channel: by the model --review-model names, else by a director
    said to see, once that model has named the colours of a test picture (director.sight);
    the check's outcome is kept for `webtv status` and logged."""
    model = review_model(settings, director)
    if model is None:
        return None
    seen = sight.check(model)
    store.programme.set_channel(sight={"model": model.name, "sees": seen.sees,
                                       "line": seen.line(model.name)})
    (log.info if seen.sees else log.warning)("%s", seen.line(model.name))
    return Reviewer(model, system, Limits.from_config(settings.config())) if seen.sees \
        else None
