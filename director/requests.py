"""What the director is asked, and what each request offers it.

A request carries what the model needs inline (the bible in a few lines, the names it may
use) and offers only the tools that request needs, with the cast's names as the only values
``who`` and ``where`` may take. Each request that asks for work says when it is done, so the
turn ends as soon as the work is, without a model call for a closing sentence.
"""

from __future__ import annotations

import re

from webtv import prompts
from webtv.director.protocol import Offer, Request, Step
from webtv.reading.theme import checked_theme
from webtv.tools.brief import brief
from webtv.tools.context import ToolContext

THEME = re.compile(r"^\s*(?:theme|new show)\s*:\s*(.+)$", re.I | re.S)
# what people ask for in chat; /favourite and the autopilot cover the rest
CHAT_TOOLS = ["update_cast", "add_note", "write_shots", "queue_show", "set_show"]


def _ok(steps: list[Step], name: str) -> Step | None:
    return next((s for s in reversed(steps) if s.name == name and s.ok), None)


def _show_done(steps: list[Step]) -> str | None:
    step = _ok(steps, "set_show")
    return None if step is None else (f"The show is set up: {step.result.get('show')} "
                                      f"(cast: {', '.join(step.result.get('cast', []))}).")


def _shots_done(steps: list[Step]) -> str | None:
    written = _ok(steps, "write_shots")
    if written is None:
        return None
    if written.result.get("dropped") and not any(s.name == "rewrite_shot" for s in steps):
        return None  # some shots failed: the model may rewrite them (its judgement)
    result = written.result
    return (f"Wrote {result['written']} shots; scheduled {result['scheduled']} takes"
            f"{', dropped ' + str(len(result['dropped'])) if result.get('dropped') else ''}.")


def _plan_done(steps: list[Step]) -> str | None:
    step = _ok(steps, "plan_episodes")
    return None if step is None else "Planned: " + ", ".join(step.result["episodes"]) + "."


def context_for(request: Request, ctx: ToolContext) -> ToolContext:
    """The context the tools get for a request: what they read from it instead of from the
    model's arguments."""
    return ctx.for_request(request.theme, request.segment_id,
                           (request.suggestion or {}).get("id"))


def names(ctx: ToolContext) -> dict[str, list[str]]:
    entities = ctx.store.show.entities()
    return {"who": [e["name"] for e in entities if e["kind"] != "place"],
            "where": [e["name"] for e in entities if e["kind"] == "place"]}


def theme_request(theme: str, queue_id: int | None = None) -> Request:
    theme = checked_theme(theme)
    text = prompts.render("request.md.j2", kind="theme", theme=theme)
    return Request("theme", text, Offer(["set_show"], done=_show_done), theme=theme,
                   queue_id=queue_id)


def produce_request(ctx: ToolContext, segment: dict, shots: int, writes_prompts: bool = False,
                    suggestion: dict | None = None) -> Request:
    """The next ``shots`` of the episode; with ``suggestion``, a viewer's suggestion is the
    scene they show."""
    choices, show = names(ctx), brief(ctx)
    suggested = None if suggestion is None else {k: suggestion[k] for k in ("id", "text", "name")}
    text = prompts.render("request.md.j2", kind="produce", brief=show,
                          segment=segment, shots=shots, cast=", ".join(choices["who"]),
                          places=", ".join(choices["where"]), suggestion=suggested)
    hide = frozenset() if writes_prompts else frozenset({"prompt"})
    offer = Offer(["write_shots", "rewrite_shot"], choices, hide, done=_shots_done,
                  counts={"shots": shots})
    return Request("produce", text, offer, segment_id=segment["id"], brief=show,
                   segment=dict(segment), count=shots, suggestion=suggested)


PLAN_AHEAD = 3  # episodes planned per request: 36 shots, one model call


def plan_request(ctx: ToolContext, segments: int = PLAN_AHEAD) -> Request:
    """The next episodes: a title and a sentence each, as many as asked (the grammar holds a
    small model to it); their length is the house's (EPISODE_SHOTS), not the model's: a model
    that plans two-shot episodes would spend a call on every two takes."""
    episodes, show = [s["title"] for s in ctx.store.programme.segments()], brief(ctx)
    text = prompts.render("request.md.j2", kind="plan", brief=show,
                          segments=segments, episodes=episodes)
    return Request("plan", text, Offer(["plan_episodes"], hide=frozenset({"prompt", "shots"}),
                                       done=_plan_done, counts={"episodes": segments}),
                   brief=show, count=segments, episodes=tuple(episodes))


def chat_request(ctx: ToolContext, line: str) -> Request:
    """Words from a person: a theme, or anything else with every chat tool on offer."""
    theme = THEME.match(line)
    if theme:
        return theme_request(theme.group(1))
    show = brief(ctx)
    text = prompts.render("request.md.j2", kind="chat", brief=show, text=line)
    tools = CHAT_TOOLS if show is not None else ["set_show", "queue_show"]
    return Request("chat", text, Offer(tools, names(ctx)), theme=line.strip(), brief=show,
                   said=line.strip())
