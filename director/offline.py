"""The offline director: a deterministic planner, not a language model.

No instruction-tuned LLM can be installed where this runs by default, so this planner stands in.
It speaks the same protocol as a real model: it reads the conversation, answers with tool calls,
reads their results and decides the next step. It understands a small vocabulary: a theme, a
continuity change ("make the fox's scarf green from now on"), a standing note ("more close-ups")
and the autopilot's request to produce more shots.
"""

from __future__ import annotations

import hashlib
import json
import re
import string
import tomllib
from dataclasses import dataclass
from typing import Any

import prompts
from director.llm import Reply, ToolCall
from tools.colours import name_in

PRODUCE = re.compile(r"produce (\d+) more shots", re.I)
SEGMENT = re.compile(r"segment_id (\d+)", re.I)
FINISH = re.compile(r"finish the shots in production: shots ([\d, ]+)", re.I)
PLAN = re.compile(r"plan (\d+) more segments", re.I)
THEME = re.compile(r"^\s*(?:theme|new show)\s*:\s*(.+)$", re.I | re.S)
QUEUE = re.compile(r"^\s*(?:queue|next show|later)\s*:\s*(.+)$", re.I | re.S)
AUTOPILOT = (PRODUCE, FINISH, PLAN)
POSSESSIVE = re.compile(r"(?:the\s+)?([a-z][\w-]*)'s\s+([a-z][\w-]*)", re.I)
STOPWORDS = {"a", "an", "the", "of", "by", "at", "in", "on", "with", "to", "from", "who",
             "that", "which", "and", "runs", "his", "her", "its", "their"}
NOTE_WORDS = ("more ", "less ", "fewer ", "always ", "never ", "from now on", "don't", "avoid ",
              "keep ", "no more", "stop ")


@dataclass
class Step:
    name: str
    arguments: dict[str, Any]
    ok: bool
    result: Any


def _vocabulary() -> dict[str, Any]:
    return tomllib.loads(prompts.text("offline_director.toml"))


def _pick(seed_text: str, options: list[Any]) -> Any:
    digest = hashlib.sha256(seed_text.encode()).digest()
    return options[int.from_bytes(digest[:4], "big") % len(options)]


class OfflineDirector:
    name = "offline-director"
    sees_images = False

    def __init__(self, shots_per_request: int = 4, strategy: dict | None = None,
                 seed: int | None = None) -> None:
        """``strategy``: a prompt strategy's [offline] table (prompts/strategies/): how this
        planner writes model prompts itself, standing in for an LLM's habits; None leaves the
        prompts to the composer. ``seed``: varies the takes' seeds, for evals."""
        self.shots_per_request = shots_per_request
        self.strategy = strategy
        self.seed = seed
        self.words = _vocabulary()
        self._calls = 0

    # -- the protocol --------------------------------------------------------------------
    def complete(self, messages: list[dict[str, Any]], tools: list[dict[str, Any]]) -> Reply:
        request, steps = _current_turn(messages)
        plan = self._next(request, steps)
        if isinstance(plan, str):
            return Reply(plan)
        calls = []
        for name, arguments in plan:
            self._calls += 1
            calls.append(ToolCall(f"call_{self._calls}", name, json.dumps(arguments)))
        return Reply(None, calls)

    def _next(self, request: str, steps: list[Step]) -> str | list[tuple[str, dict]]:
        if not steps:
            return [("read_bible", {})]
        bible = steps[0].result if steps[0].name == "read_bible" else {}
        show = (bible or {}).get("show")
        theme, queue = THEME.match(request), QUEUE.match(request)
        autopilot = any(p.search(request) for p in AUTOPILOT)
        if queue:
            return self._once("queue_show", {"theme": queue.group(1).strip()[:300]}, steps)
        if theme or show is None and not autopilot:
            return self._make_show(theme.group(1) if theme else request, steps)
        if show is None:
            return "There is no show yet: give me a theme first."
        if FINISH.search(request):
            ids = [int(i) for i in re.findall(r"\d+", FINISH.search(request).group(1))]
            return self._work_on(ids, {}, bible, steps)
        if PLAN.search(request):
            return self._plan(show, bible, steps, int(PLAN.search(request).group(1)))
        if PRODUCE.search(request):
            count = int(PRODUCE.search(request).group(1))
            segment = SEGMENT.search(request)
            return self._produce(show, bible, steps, count,
                                 int(segment.group(1)) if segment else None)
        return self._note(request, bible, steps)

    @staticmethod
    def _once(name: str, arguments: dict, steps: list[Step]) -> str | list[tuple[str, dict]]:
        """A request answered by one tool call: make it, then report how it went."""
        done = [s for s in steps if s.name == name]
        if not done:
            return [(name, arguments)]
        return ("Done: " if done[-1].ok else "That did not work: ") + str(done[-1].result)[:300]

    # -- requests ------------------------------------------------------------------------
    def _make_show(self, theme: str, steps: list[Step]) -> str | list[tuple[str, dict]]:
        if not any(s.name == "set_show" for s in steps):
            return self._bible_calls(theme.strip())
        failed = [s for s in steps if not s.ok and s.name in {"set_show", "set_entity"}]
        if failed:
            return f"I could not set up the show: {failed[0].result}"
        made = [s.arguments for s in steps if s.name == "set_entity"]
        bible = {"show": {"theme": theme.strip()}, "notes": [], "next_sequence": None,
                 "entities": made}
        if not any(s.name == "plan_segments" for s in steps):  # a show starts with a plan
            return self._segment_plan(bible["show"], bible, 2)
        return self._produce(bible["show"], bible, steps, self.shots_per_request)

    def _produce(self, show: dict, bible: dict, steps: list[Step], count: int,
                 segment_id: int | None = None):
        written = [s for s in steps if s.name == "write_shots"]
        if not written:
            return [("write_shots", {"shots": self._shot_list(show, bible, count),
                                     "sequence": None, "segment_id": segment_id})]
        if not written[-1].ok:
            return f"The shot list was refused: {written[-1].result}"
        shot_ids = [s["id"] for s in written[-1].result["shots"]]
        shots = dict(zip(shot_ids, written[-1].arguments["shots"], strict=False))
        return self._work_on(shot_ids, shots, bible, steps)

    def _work_on(self, shot_ids: list[int], shots: dict[int, dict], bible: dict,
                 steps: list[Step]):
        """Make, inspect and schedule a take of each shot, in order."""
        # Makes and inspections go out together (the loop runs them side by side); a take is
        # scheduled only once every earlier shot is scheduled or dropped, so the air keeps the
        # shot order even when one shot needs a retake.
        work, scheduling, blocked = [], [], False
        for shot_id in shot_ids:
            action = _take_step(shot_id, steps)
            if action is None:
                continue
            if action[0] != "schedule_take":
                work.append(action)
                blocked = True
            elif not blocked:
                scheduling.append(action)
        if work or scheduling:
            # Two shots at a time (what the loop runs side by side): the earliest shots are
            # scheduled, and on air, as soon as they pass, not after the whole list is made.
            return [self._dress(a, shots, bible, steps) for a in work[:2]] + scheduling
        scheduled = sum(1 for s in steps if s.name == "schedule_take" and s.ok)
        rejected = sum(1 for s in steps if s.name == "inspect_take" and s.ok
                       and s.result.get("verdict") == "rejected")
        verb = "Wrote" if shots else "Finished"
        return (f"{verb} {len(shot_ids)} shots; scheduled {scheduled} takes, "
                f"rejected {rejected} on inspection.")

    def _plan(self, show: dict, bible: dict, steps: list[Step], count: int):
        """The next segments of the show, from the vocabulary's segment patterns in turn."""
        planned = [s for s in steps if s.name == "plan_segments"]
        if planned:
            titles = ", ".join(s["title"] for s in planned[-1].result["segments"]) \
                if planned[-1].ok else ""
            return (f"Planned: {titles}." if planned[-1].ok
                    else f"The segments were refused: {planned[-1].result}")
        return self._segment_plan(show, bible, count)

    def _segment_plan(self, show: dict, bible: dict, count: int) -> list[tuple[str, dict]]:
        t, who, place, _ = self._cast(show, bible)
        patterns = self.words["segments"]
        start = len(bible.get("segments") or []) + (bible.get("next_sequence") or 1) - 1
        segments = []
        for i in range(count):
            title, synopsis = patterns[(start + i) % len(patterns)]
            fill = {"who": who, "place": place, "activity": t["activity"]}
            segments.append({"title": title.format(**fill)[:80],
                             "synopsis": synopsis.format(**fill)[:300],
                             "shots": self.shots_per_request * 2})
        return [("plan_segments", {"segments": segments})]

    def _dress(self, action: tuple[str, dict], shots: dict[int, dict], bible: dict,
               steps: list[Step]) -> tuple[str, dict]:
        """A make_take as this planner's strategy and seed would send it."""
        name, arguments = action
        if name != "make_take":
            return action
        shot_id = arguments["shot_id"]
        if self.seed is not None:
            tries = sum(1 for s in steps if s.name == "make_take"
                        and s.arguments.get("shot_id") == shot_id)
            arguments = {**arguments, "seed": self.seed * 100_003 + shot_id * 31 + tries}
        if self.strategy and shot_id in shots:
            entities = _entities(bible, steps)
            arguments = {**arguments, "prompt": write_prompt(shots[shot_id], entities,
                                                             self.strategy)}
        return name, arguments

    def _note(self, request: str, bible: dict, steps: list[Step]):
        if len(steps) > 1:
            last = steps[-1]
            return ("Done: " if last.ok else "That did not work: ") + str(last.result)[:300]
        change = self._continuity_change(request, bible)
        if change is not None:
            return [("set_entity", change)]
        if any(w in request.lower() for w in NOTE_WORDS):
            return [("add_note", {"text": request.strip()[:300]})]
        return ("I can take a theme ('theme: ...'), a continuity change ('make the fox's scarf "
                "green') or a standing note ('more close-ups').")

    def _continuity_change(self, request: str, bible: dict) -> dict | None:
        colour = name_in(request)
        match = POSSESSIVE.search(request)
        if colour is None or match is None:
            return None
        owner, part = match.group(1).lower(), match.group(2).lower()
        for entity in bible.get("entities", []):
            if owner in entity["name"].lower().split() or owner == entity["name"].lower():
                return {"kind": entity["kind"], "name": entity["name"], "description": None,
                        "colours": [{"part": part, "colour": colour}], "wardrobe": None,
                        "marks": None}
        return None

    # -- making things up, deterministically ---------------------------------------------
    def _read_theme(self, theme: str) -> dict[str, str]:
        words = re.findall(r"[a-z][a-z'-]*", theme.lower())
        who = next((w for w in words if w in self.words["characters"]),
                   next((w for w in words if w not in {"a", "an", "the"}), "host"))
        time = "day"
        for key, lexicon in (("night", "night_words"), ("dusk", "dusk_words"),
                             ("dawn", "dawn_words")):
            if any(w in self.words[lexicon] for w in words):
                time = key
                break
        place_word = next((w for w in words if w in self.words["places"]), None)
        if place_word:
            i = words.index(place_word)
            qualifiers = [w for w in words[max(0, i - 2):i]
                          if w not in STOPWORDS and w not in
                          self.words["night_words"] + self.words["dusk_words"]]
            place = " ".join([*qualifiers[-1:], place_word])
        else:
            place = f"{who}'s world"
        clause = re.search(r"\b(?:who|that|which)\s+(.+)$", theme.strip(), re.I)
        activity = clause.group(1).rstrip(".!") if clause else "goes about the day"
        mood = "upbeat" if any(w in self.words["upbeat_words"] for w in words) and time == "day" \
            else self.words["moods"][time]
        return {"who": who, "place": place, "time": time, "activity": activity, "mood": mood}

    def _bible_calls(self, theme: str) -> list[tuple[str, dict]]:
        t = self._read_theme(theme)
        who, place = string.capwords(t["who"]), string.capwords(t["place"])
        palette = self.words["palettes"][t["time"]]
        body, accent, accessory = _pick(theme, self.words["looks"])
        accent = name_in(theme) or accent
        prop = "lantern" if t["time"] in {"night", "dusk"} else "basket"
        after_dark = " After Dark" if t["time"] == "night" else ""
        title = place if place.startswith(f"{who}'s") else f"{who}'s {place}"
        show = {"title": f"{title}{after_dark}"[:80],
                "logline": f"A {t['who']} {t['activity']}, one {t['time']} at a time.",
                "visual_style": "storybook animation, soft light, rich colour",
                "palette": palette, "music_mood": t["mood"], "theme": theme}
        none = {"description": None, "wardrobe": None, "marks": None}
        return [
            ("set_show", show),
            ("set_entity", {**none, "kind": "character", "name": who,
                            "description": f"a friendly {t['who']}",
                            "colours": [{"part": "body", "colour": body},
                                        {"part": accessory, "colour": accent}],
                            "wardrobe": f"a {accent} {accessory}"}),
            ("set_entity", {**none, "kind": "location", "name": place,
                            "description": f"a {t['time']}-time {t['place']}",
                            "colours": [{"part": "sky", "colour": palette[0]},
                                        {"part": "light", "colour": palette[1]},
                                        {"part": "ground", "colour": palette[2]}]}),
            ("set_entity", {**none, "kind": "prop", "name": prop.title(),
                            "description": f"a glowing {prop}" if prop == "lantern" else prop,
                            "colours": [{"part": "body", "colour": palette[3]}]}),
        ]

    def _cast(self, show: dict, bible: dict) -> tuple[dict[str, str], str, str, str | None]:
        """The theme as read, and the bible's main character, location and prop by name."""
        t = self._read_theme(show.get("theme") or show.get("title") or "")
        entities = bible.get("entities") or []

        def first(kind: str, default: str | None) -> str | None:
            return next((e["name"] for e in entities if e["kind"] == kind), default)

        return (t, first("character", string.capwords(t["who"])),
                first("location", string.capwords(t["place"])), first("prop", None))

    def _shot_list(self, show: dict, bible: dict, count: int) -> list[dict]:
        t, who, place, prop = self._cast(show, bible)
        notes = " ".join(bible.get("notes") or []).lower()
        patterns = self.words["shots"]
        start = ((bible.get("next_sequence") or 1) - 1) * count
        shots = []
        for i in range(count):
            p = dict(patterns[(start + i) % len(patterns)])
            if "close" in notes and i % 2 == 1:
                p["framing"] = "close-up"
            elif "wide" in notes and i % 2 == 1:
                p["framing"] = "wide"
            action = p.pop("action").format(who=who, place=place, activity=t["activity"],
                                            prop=(prop or "light").lower())
            in_shot = [who] + ([prop] if prop and "{prop}" in patterns[(start + i) %
                                                                       len(patterns)]["action"]
                                else [])
            shots.append({**p, "action": action[:200], "entities": in_shot, "location": place,
                          "time_of_day": t["time"], "mood": t["mood"], "duration_s": 3.0})
        return shots


def _current_turn(messages: list[dict[str, Any]]) -> tuple[str, list[Step]]:
    """The latest user request and the tool calls made for it so far, with their results."""
    start = max(i for i, m in enumerate(messages) if m["role"] == "user"
                and isinstance(m.get("content"), str))
    request = messages[start]["content"]
    pending: dict[str, tuple[str, dict]] = {}
    steps = []
    for message in messages[start + 1:]:
        for call in message.get("tool_calls") or []:
            try:
                arguments = json.loads(call["function"]["arguments"] or "{}")
            except json.JSONDecodeError:
                arguments = {}
            pending[call["id"]] = (call["function"]["name"], arguments)
        if message["role"] == "tool" and message["tool_call_id"] in pending:
            name, arguments = pending[message["tool_call_id"]]
            content = message["content"]
            ok = not content.startswith("Error:")
            steps.append(Step(name, arguments, ok, json.loads(content) if ok else content))
    return request, steps


def _take_step(shot_id: int, steps: list[Step]) -> tuple[str, dict] | None:
    """The next tool call for one shot: make, inspect, schedule, or retake; None when done."""
    makes = [s for s in steps if s.name == "make_take" and s.arguments.get("shot_id") == shot_id]
    if not makes:
        return ("make_take", {"shot_id": shot_id, "seed": None, "emphasis": None})
    if not makes[-1].ok:
        return None  # the shot used its take budget or the backend failed: move on
    take_id = makes[-1].result["take_id"]
    inspected = [s for s in steps if s.name == "inspect_take"
                 and s.arguments.get("take_id") == take_id]
    if not inspected:
        return ("inspect_take", {"take_id": take_id})
    if not inspected[-1].ok or inspected[-1].result["verdict"] == "rejected":
        return ("make_take", {"shot_id": shot_id, "seed": None,
                              "emphasis": _emphasis(inspected[-1], makes[-1])})
    if not any(s.name == "schedule_take" and s.arguments.get("take_id") == take_id
               for s in steps):
        return ("schedule_take", {"take_id": take_id})
    return None


def _emphasis(inspection: Step, made: Step) -> str | None:
    """What to say first in the retake's prompt, from the checks the last take failed: the
    camera move when the motion went the wrong way, the colours when the palette was off."""
    if not inspection.ok:
        return None
    failed = {c["name"] for c in inspection.result["checks"] if not c["passed"]}
    prompt = made.result.get("prompt", "") if made.ok else ""
    words = []
    if "motion_direction" in failed:
        words += re.findall(r"camera (?:pans|tilts) \w+|slow zoom \w+", prompt)[:1]
    if "palette" in failed:
        words += re.findall(r"\(([^)]*)\)", prompt)[:1]  # the first entity's colours
    return ", ".join(words)[:120] or None


def _entities(bible: dict, steps: list[Step]) -> dict[str, dict]:
    """Bible entries by name, from read_bible's result or from this turn's set_entity calls."""
    found = {e["name"]: dict(e) for e in bible.get("entities") or []}
    for step in steps:
        if step.name == "set_entity" and step.ok:
            entry = dict(step.arguments)
            colours = entry.get("colours") or []
            entry["colours"] = ({c["part"]: c["colour"] for c in colours}
                                if isinstance(colours, list) else colours)
            found[entry["name"]] = {**found.get(entry["name"], {}), **entry}
    return found


def write_prompt(shot: dict, entities: dict[str, dict], knobs: dict) -> str:
    """A model prompt written the way a strategy's [offline] knobs say an LLM would write it."""
    from tools.compose import CAMERA_WORDS, SUBJECT_WORDS, fit, strip_avoided

    parts = []
    if knobs.get("details"):
        for name in shot["entities"]:
            entity = entities.get(name, {})
            colours = ", ".join(f"{c} {p}" for p, c in (entity.get("colours") or {}).items())
            parts.append(f"{entity.get('description') or name} with {colours}" if colours
                         else entity.get("description") or name)
    parts.append(shot["action"])
    if knobs.get("directions"):
        parts.append(f"{shot['subject_motion']} {SUBJECT_WORDS.get(shot['subject_direction'], '')}"
                     .strip())
        parts.append(CAMERA_WORDS.get((shot["camera_move"], shot["camera_direction"]),
                                      "static camera"))
    parts.append(f"{shot['time_of_day']}, {shot['framing']} shot")
    if knobs.get("style_tail"):
        parts.append(knobs["style_tail"])
    prompt = ", ".join(p for p in parts if p)
    if knobs.get("critic"):  # the critique: risky words out, within the CLIP budget
        prompt = fit([strip_avoided(p) for p in parts if p])
    return prompt[:1000]
