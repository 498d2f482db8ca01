"""The offline director: a deterministic planner, not a language model.

It stands in where no LLM is configured and speaks the same protocol as one: it is offered
tools, answers with tool calls and reads their results. It reads the request as data (the
kind, the show's brief, the episode, how many shots), never the words rendered for a model. It
keeps the theme's own words (webtv.reading.theme reads who, where, when, the weather and the
style), and it understands a continuity change ("make the fox's scarf green from now on"), a
standing note ("more close-ups"), a queued theme, and the autopilot's requests for shots and
episodes.

It is one module because it is one planner: reading the request, choosing the calls and
phrasing the answer from their results are the steps of every turn, and each refers to the
others.
"""

from __future__ import annotations

import hashlib
import json
import re
import tomllib
from dataclasses import dataclass
from typing import Any

from webtv import prompts
from webtv.director.llm import Reply, ToolCall
from webtv.director.protocol import Request, Step, Turn
from webtv.reading import lexicon
from webtv.reading.colours import name_in
from webtv.reading.theme import LIVING, THINGS, Theme, read_theme, weather_noun, weather_words
from webtv.reading.words import noun_kind, shorten, with_article
from webtv.tools.brief import Brief, Named

QUEUE = re.compile(r"^\s*(?:queue|next show|later)\s*:\s*(.+)$", re.I | re.S)
MORE = re.compile(r"\b(?:produce|make|write)\s+(\d+)?\s*more\s+shots\b", re.I)
NOTE_WORDS = ("more ", "less ", "fewer ", "always ", "never ", "from now on", "don't", "avoid ",
              "keep ", "no more", "stop ")


def _pick(seed_text: str, options: list[Any]) -> Any:
    digest = hashlib.sha256(seed_text.encode()).digest()
    return options[int.from_bytes(digest[:4], "big") % len(options)]


class OfflineDirector:
    name = "offline-director"
    sees_images = False
    strict_tools = False

    def __init__(self, shots_per_request: int = 4, strategy: dict | None = None,
                 seed: int | None = None) -> None:
        """``strategy``: a prompt strategy's [offline] table (prompts/strategies/): how this
        planner writes model prompts itself, standing in for an LLM's habits; None leaves the
        prompts to the composer. ``seed`` varies its choices of looks, for evals (the takes'
        seeds are varied by the ToolContext's)."""
        self.shots_per_request = shots_per_request
        self.strategy = strategy
        self.seed = seed
        self.words = tomllib.loads(prompts.text("offline_director.toml"))
        self._calls = 0

    # -- the protocol --------------------------------------------------------------------
    def complete(self, messages: list[dict[str, Any]], tools: list[dict[str, Any]], *,
                 require_tool: bool = False, turn: Turn | None = None) -> Reply:
        """The request is read as data (``turn``); bare words, with no request (a test's
        conversation), are taken as a person's."""
        if turn is None or turn.request is None:
            words = next((m["content"] for m in reversed(messages) if m["role"] == "user"
                          and isinstance(m.get("content"), str)), "")
            turn = Turn(Request("chat", words, said=words), turn.steps if turn else ())
        offered = [t["function"]["name"] for t in tools]
        plan = self._next(turn.request, list(turn.steps), offered)
        if isinstance(plan, str):
            return Reply(plan)
        calls = []
        for name, arguments in plan:
            self._calls += 1
            calls.append(ToolCall(f"call_{self._calls}", name, json.dumps(arguments)))
        return Reply(None, calls)

    def _next(self, request: Request, steps: list[Step], offered: list[str]):
        if steps:
            return self._follow_up(steps, offered)
        if request.kind == "theme" and request.theme and "set_show" in offered:
            return [("set_show", self.show_for(request.theme))]
        if request.kind == "produce" and "write_shots" in offered:
            shots = self._suggested(request, request.count) if request.suggestion \
                else self._shots(request, request.count)
            return [("write_shots", {"shots": shots})]
        if request.kind == "plan" and "plan_episodes" in offered:
            return [("plan_episodes", {"episodes": self._episodes(request, request.count)})]
        return self._chat(request, offered)

    def _follow_up(self, steps: list[Step], offered: list[str]):
        """After a call: rewrite a dropped shot once (the planner's judgement: a simpler,
        static shot), else say how it went."""
        last = steps[-1]
        dropped = last.result.get("dropped") if last.ok and isinstance(last.result, dict) else []
        if dropped and "rewrite_shot" in offered and not any(s.name == "rewrite_shot"
                                                             for s in steps):
            first = dropped[0]
            action = first["action"]
            if first.get("refused"):  # a service's moderation: the same words would be
                action = self._plainer(action)  # refused again
            return [("rewrite_shot", {"shot": first["shot"], "action": action,
                                      "camera": "static"})]
        if not last.ok:
            return f"That did not work: {str(last.result).removeprefix('Error: ')[:300]}"
        return said(last.name, last.result)

    def _plainer(self, action: str) -> str:
        """A refused action in plainer words: its subject, doing something quiet (the
        planner cannot know which word the service objected to, so it keeps none of the
        rest)."""
        words = action.split()
        subject = " ".join(words[:2]) if words[:1] and words[0].lower() in ("the", "a", "an") \
            else " ".join(words[:1])
        return f"{subject or 'the hero'} {_pick(action, self.words['quiet_actions'])}"

    # -- a show from a theme -------------------------------------------------------------
    def show_for(self, text: str) -> dict[str, Any]:
        """set_show's arguments for a theme: the theme's own words, cast and all. Somebody
        alive gets a coat and an accessory; a thing only what the theme says of it; a
        landscape theme is a show about its place, with what moves there as props."""
        theme = read_theme(text)
        time = theme.time if theme.time in self.words["palettes"] else "day"
        palette = self._palette(theme, time)
        shown = [c for c in theme.characters if c.kind in LIVING | THINGS]
        cast = [self._member(theme, c, i) for i, c in enumerate(shown)]
        place = theme.place or "setting"
        where = with_article(place) if theme.place else "the place of the story"
        if place in theme.glosses:  # "屋台, a stall": the English word beside the theme's
            where += f", {with_article(theme.glosses[place])}"
        if theme.glosses or theme.characters and theme.characters[0].description == \
                theme.text and theme.activity is None:  # a theme read in its own words: they
            where = f"{theme.text}, {where}"  # reach the shots of the place too
        cast.append({"name": place.title()[:60], "kind": "place",
                     "look": shorten(f"{where}{weather_words(theme, place)}, {palette[0]} sky, "
                                     f"{palette[1]} light, {palette[2]} ground"
                                     # a long theme's other sentences: how its place looks
                                     + (f". {theme.details}" if theme.details else ""), 300)})
        elements = [c.description for c in theme.characters if c.kind == "phenomenon"]
        for thing in [*elements, *theme.objects][:2]:  # waves keep their own colour
            coloured = thing not in elements and noun_kind(thing) in THINGS
            cast.append({"name": thing.title()[:60], "kind": "prop",
                         "look": f"{palette[3]} {thing}" if coloured else thing})
        ideas = [c.noun for c in theme.characters if c not in shown and c.kind not in
                 ("phenomenon", "place")]
        style = (theme.style or "storybook animation") + ", soft light, rich colour" + \
            "".join(f", a feeling of {idea}" for idea in ideas)
        who = shown[0].name if shown else place.title()
        return {
            "title": _title(theme, place)[:80], "logline": _logline(theme.first_line)[:300],
            "cast": cast[:6], "style": style[:120],
            "time": time, "mood": self.words["moods"].get(time, "calm"),
            "episodes": self._episode_list(who, place.title(), theme, 0, 2),
        }

    def _palette(self, theme: Theme, time: str) -> list[str]:
        """The time's colours, the sky, light and ground of its weather over them."""
        palette = list(self.words["palettes"][time])
        weather = weather_noun(theme.weather) if theme.weather else ""
        return [*self.words["weather_palettes"].get(weather, palette[:3]), *palette[3:]]

    def _sky(self, theme: Theme) -> str:
        """ "under a grey sky": the sky of the time and the weather, in words that never double
        the place's ("a rainy harbour in the rain")."""
        time = theme.time if theme.time in self.words["palettes"] else "day"
        return f"under a {self._palette(theme, time)[0]} sky"

    def _member(self, theme: Theme, character, index: int) -> dict[str, Any]:
        """A character's look: what the theme says of it, and, for anyone alive, colours it
        did not give (a coat and an accessory); a thing keeps the theme's words alone."""
        salt = f":{self.seed}" if self.seed else ""
        body, accent, accessory = _pick(f"{theme.text}:{index}{salt}", self.words["looks"])
        look = character.description
        if character.gloss:  # "夜の屋台でラーメンを作る猫, a cat": the English word beside it
            look += f", {with_article(character.gloss)}"
        if character.living and character.noun != "host":
            coloured = [a for a in character.attributes if name_in(a)]
            if not any(len(a.split()) == 1 for a in coloured):  # no colour of its own given
                look += f", {body} coat"
            if not any(len(a.split()) > 1 for a in coloured):  # nor clothes: one of ours
                look += f", {accent} {accessory}"
        return {"name": character.name[:60], "kind": "character", "look": look[:300]}

    # -- shots and episodes --------------------------------------------------------------
    def _shots(self, request: Request, count: int) -> list[dict[str, Any]]:
        """The next ``count`` shots of the episode: each from the subject's patterns in turn,
        with a beat of its own; every other shot carries on in the same place, framed as the
        notes ask."""
        company = _company(request.brief)
        segment = request.segment or {}
        episode, written = int(segment.get("position") or 1), int(segment.get("written") or 0)
        framing = request.brief.framing if request.brief else None
        fewer = request.brief.fewer if request.brief else ()
        shots = []
        for i in range(count):
            shot = self._shot(company, episode, written + i)
            if shot["framing"] in fewer:
                shot["framing"] = "medium"
            if framing and i % 2 == 1:
                shot["framing"] = framing
            shot["continues"] = i % 2 == 1  # every other shot carries on in the same place
            if self.strategy:
                shot["prompt"] = write_prompt(shot, request, self.strategy)
            shots.append(shot)
        return shots

    def _suggested(self, request: Request, count: int) -> list[dict[str, Any]]:
        """A viewer's suggestion as the scene: its words are every shot's action (the first
        as said, the rest with a beat of their own), shown by the cast it names (else the
        show's lead) in the show's place."""
        text = " ".join(str((request.suggestion or {}).get("text", "")).split()).rstrip(".!")
        company = _company(request.brief)
        said = text.lower()
        named = [p for p in company.people if p.lower() in said
                 or any(len(w) > 2 and w in said.split() for w in p.lower().split())]
        who = named or company.people[:1]
        patterns = self.words["suggested"]
        shots = []
        for i in range(count):
            pattern = dict(patterns[i % len(patterns)])
            beat = "" if i == 0 else ", " + self.words["beats"][(i - 1) % len(
                self.words["beats"])].format(time=company.theme.time)
            shots.append({"action": f"{text}{beat}"[:200], "who": who, "where": company.where,
                          **pattern, "seconds": 3.0, "continues": i > 0})
        return shots

    def _shot(self, company: _Company, episode: int, index: int) -> dict[str, Any]:
        """The episode's shot number ``index``: a pattern, filled in, with a beat."""
        patterns = self._patterns(company)
        turn = episode + index
        pattern = dict(patterns[turn % len(patterns)])
        others = company.people[1:]
        other = others[(episode + index) % len(others)] if others else None
        fill = self._fill(company, other)
        template, alone = pattern.pop("action"), pattern.pop("alone", None)
        wants = [k for k in ("other", "thing") if "{" + k + "}" in template]
        if any(not fill[k] for k in wants):
            template, wants = alone or template, []
        # a beat of its own for each shot of a pass and each pass over the patterns: no two
        # shots of a scene alike, and a pattern comes back with another beat
        beat = self._beat(company.subject, pattern["motion"],
                          episode + turn // len(patterns) + turn % len(patterns)).format(**fill)
        action = f"{template.format(**fill)}, {beat}"
        return {"action": action[:200], "who": _in_shot(company, template, wants, other, action),
                "where": company.where, **pattern, "seconds": 3.0}

    def _patterns(self, company: _Company) -> list[dict[str, Any]]:
        """The shot patterns of the show's subject; somebody alive at a craft the theme names
        (cooking, delivering, mending...) has that craft's actions between them."""
        patterns = self.words[company.subject]
        if company.subject != "living":
            return patterns
        crafted = []
        for craft, it in crafts(company.theme, self.words["crafts"])[:2]:
            for k, action in enumerate(craft["actions"]):
                framing, camera, motion = self.words["craft_shots"][k % len(
                    self.words["craft_shots"])]
                crafted.append({"action": action.replace("{it}", it), "framing": framing,
                                "camera": camera, "motion": motion})
        mixed = [p for pair in zip(patterns, crafted, strict=False) for p in pair]
        return mixed + patterns[len(mixed) // 2:] + crafted[len(mixed) // 2:]

    def _fill(self, company: _Company, other: str | None) -> dict[str, Any]:
        """The words a pattern's blanks take: who, the other one, the place, what they do."""
        theme, who, things = company.theme, company.who, company.things
        return {"who": who if company.subject == "living" else who.lower(), "other": other,
                "cast": " and ".join(company.people[:2]) or who, "place": company.place,
                "activity": theme.activity or _idle(company.subject),
                "thing": (things[0] if things else "").lower(), "time": theme.time,
                "sky": self._sky(theme), "element": _element(theme, things)}

    def _beat(self, subject: str, motion: str, turn: int) -> str:
        """What the shot adds to its pattern: a beat, a hurry or a hum where the shot moves."""
        beats = self.words["beats"] + (self.words["living_beats"] if subject == "living"
                                       and _moves(motion) else [])
        return beats[turn % len(beats)]

    def _episodes(self, request: Request, count: int) -> list[dict[str, str]]:
        show = request.brief
        cast = show.cast if show else ()
        place = next((m.name for m in cast if m.kind == "place"), "Setting")
        who = next((m.name for m in cast if m.kind == "character"), place)
        theme = show.reading if show and show.reading else read_theme("")
        return self._episode_list(who, place, theme, len(request.episodes), count)

    def _episode_list(self, who: str, place: str, theme: Theme, start: int,
                      count: int) -> list[dict[str, str]]:
        subject = _subject(theme)
        patterns = self.words[{"living": "segments", "thing": "thing_segments"}.get(
            subject, "scene_segments")]
        names = [c.name for c in theme.characters if c.living]
        elements = [c.description for c in theme.characters if c.kind == "phenomenon"]
        fill = {"who": who if subject == "living" else who.lower(), "place": place.lower(),
                "activity": theme.activity or _idle(subject),
                "other": names[1] if len(names) > 1 else "A stranger",
                "sky": self._sky(theme), "element": _element(theme, [*elements, *theme.objects])}
        episodes = []
        for i in range(count):
            title, synopsis = patterns[(start + i) % len(patterns)]
            episodes.append({"title": title.format(**fill)[:80],
                             "synopsis": synopsis.format(**fill)[:300]})
        return episodes

    # -- words from a person -------------------------------------------------------------
    def _chat(self, request: Request, offered: list[str]):
        text = (request.said or request.text).strip()
        queued = QUEUE.match(text)
        if queued and "queue_show" in offered:
            return [("queue_show", {"theme": queued.group(1).strip()[:300]})]
        if "update_cast" not in offered and "set_show" in offered:  # no show yet
            return [("set_show", self.show_for(text))]
        more = MORE.search(text)
        if more and "write_shots" in offered:
            count = int(more.group(1) or self.shots_per_request)
            return [("write_shots", {"shots": self._shots(request, count)})]
        change = _continuity_change(text, request.brief.cast if request.brief else ())
        if change is not None and "update_cast" in offered:
            return [("update_cast", change)]
        if any(w in text.lower() for w in NOTE_WORDS) and "add_note" in offered:
            return [("add_note", {"text": text[:300]})]
        return ("I can take a theme ('theme: ...'), a continuity change ('make the fox's scarf "
                "green'), a standing note ('more close-ups') or 'make 4 more shots'.")


@dataclass(frozen=True)
class _Company:
    """Who and what a show's shots can show, read from its brief."""

    theme: Theme  # the show's theme, as the brief read it
    subject: str  # which patterns: "living", "thing" or "scene" (a landscape)
    people: list[str]  # the characters, by name
    things: list[str]  # the props
    where: str | None  # the main place, by name
    place: str  # the same in the words of a shot ("harbour")
    who: str  # the one the camera follows: the first character, else the place


def _company(show: Brief | None) -> _Company:
    members = show.cast if show else ()
    theme = show.reading if show and show.reading else read_theme("")
    people = [m.name for m in members if m.kind == "character"]
    places = [m.name for m in members if m.kind == "place"]
    subject = _subject(theme)
    if subject == "scene" and people:  # somebody joined a landscape show
        subject = "living"
    place = (places[0] if places else "place").lower()
    return _Company(theme, subject, people, [m.name for m in members if m.kind == "prop"],
                    places[0] if places else None, place, people[0] if people else place)


def _in_shot(company: _Company, template: str, wants: list[str], other: str | None,
             action: str) -> list[str]:
    """Who and what the shot shows: its subject, the two leads or the other one as the
    pattern says, and the props its action names."""
    people = company.people
    named = [company.who] if company.who in people and "{who}" in template else []
    named += people[:2] if "{cast}" in template else []
    named += [other] if "other" in wants else []
    named = list(dict.fromkeys(named))
    return named + [t for t in company.things[:2] if t.lower() in action.lower()]


def _subject(theme: Theme) -> str:
    """Which shot patterns a show takes: "living", "thing" or "scene" (a landscape)."""
    kinds = [c.kind for c in theme.characters]
    if any(k in LIVING for k in kinds):
        return "living"
    if any(k in THINGS for k in kinds):
        return "thing"
    return "living" if any(c.noun == "host" for c in theme.characters) else "scene"


def crafts(theme: Theme, table: list[dict[str, Any]]) -> list[tuple[dict[str, Any], str]]:
    """The crafts (prompts/offline_director.toml) the theme's words name, in the table's
    order, each with what its actions handle ({it}): the theme's first thing, else the word
    that named the craft ("noodles" at a noodle stand)."""
    said = [theme.activity or "", *theme.objects, theme.place or "",
            *(c.noun for c in theme.characters)]
    words = [w.lower() for w in re.findall(r"[^\W\d_][\w'-]*", " ".join(said))]
    found = []
    for craft in table:
        hit = next((w for w in words if w in craft.get("words", ())
                    or _topic(w) in craft.get("topics", ())), None)
        if hit is None:
            continue
        by_topic = hit not in craft.get("words", ())
        thing = by_topic and _topic(hit) not in ("noun.animal", "noun.person")
        it = _plural(hit) if thing else (theme.objects[0] if theme.objects else craft["it"])
        found.append((craft, it.lower()))
    return found


def _topic(word: str) -> str | None:
    topic = lexicon.topic(word) if lexicon.available() else None
    return "vehicle" if noun_kind(word) == "vehicle" else topic


MASS = {"bread", "rice", "tea", "coffee", "soup", "food", "meat", "fish", "pasta", "ramen",
        "sushi", "honey", "milk", "cheese", "chocolate", "mail", "fruit", "candy"}


def _plural(noun: str) -> str:
    """ "noodle" -> "noodles" (as a bowl holds them); a mass noun as it is."""
    if noun in MASS or noun.endswith("s") or noun_kind(noun) == "vehicle":
        return noun
    return noun + "s"


def _element(theme: Theme, things: list[str]) -> str:
    """What moves in a landscape: the theme's waves, doing what the theme says, else light."""
    if not things:
        return "the light"
    element = things[0].lower()
    return f"{element} {theme.activity}" if theme.activity and theme.landscape else element


def _idle(subject: str) -> str:
    return {"living": "gets to work", "thing": "rests in place"}.get(subject, "stands quiet")


def _moves(motion: str) -> bool:
    """A motion a hurry or a hum can go with: walking, working, turning; not standing still."""
    return motion.split()[:1] in (["walks"], ["works"], ["turns"])


def _title(theme: Theme, place: str) -> str:
    names = [c.name for c in theme.characters if c.kind in LIVING | THINGS]
    if not re.search(r"[a-z]", theme.text, re.I):  # another script: the theme is the title
        return theme.text
    if not names:
        return f"The {place.title()}"
    if len(names) > 1:
        return f"{names[0]} and {names[1]}"
    if theme.place:
        return f"{names[0]} of the {place.title()}"
    return f"The {names[0]} Show"


def _logline(text: str) -> str:
    text = text.strip().rstrip(".!")
    return text[:1].upper() + text[1:] + "."


def _continuity_change(text: str, cast: tuple[Named, ...]) -> dict | None:
    """'make the llama's scarf green' -> update_cast(Llama, 'green scarf')."""
    colour = name_in(text)
    match = re.search(r"([\w-]+)(?:'s|’s)\s+([a-z][\w-]*)", text, re.I)
    if colour is None or match is None:
        return None
    owner, part = match.group(1).lower(), match.group(2).lower()
    for member in cast:
        if owner in member.name.lower().split() or owner == member.name.lower():
            return {"name": member.name, "look": f"{colour} {part}", "kind": member.kind}
    return None


def write_prompt(shot: dict, request: Request, knobs: dict) -> str:
    """A model prompt written the way a strategy's [offline] knobs say an LLM would write it."""
    from webtv.production.compose import CAMERA_WORDS, fit, strip_avoided

    looks = {m.name: m.look for m in (request.brief.cast if request.brief else ())}
    parts = []
    if knobs.get("details"):
        parts += [looks.get(name) or name for name in shot["who"]]
    parts.append(shot["action"])
    if knobs.get("directions"):
        move, _, direction = shot["camera"].partition(" ")  # the composer's words for it
        parts += [shot["motion"], CAMERA_WORDS.get((move, direction), "static camera")]
    parts.append(f"{shot['framing']} shot")
    if knobs.get("style_tail"):
        parts.append(knobs["style_tail"])
    prompt = ", ".join(p for p in parts if p)
    if knobs.get("critic"):  # the critique: risky words out, within the CLIP budget
        prompt = fit([strip_avoided(p) for p in parts if p])
    return prompt[:600]


def said(tool: str, result: Any) -> str:
    """What a tool did, in a sentence for the person in the chat (not its JSON)."""
    if not isinstance(result, dict):
        return f"Done: {result}"[:300]
    changed = result.get("changed") or (result if tool == "update_cast" else None)
    looks = ""
    if isinstance(changed, dict) and changed.get("name"):
        colours = ", ".join(f"{part} {colour}" for part, colour in
                            (changed.get("colours") or {}).items())
        looks = f"{changed['name']} looks like this from now on: {colours or 'as described'}."
    if tool == "add_note":
        return f"Noted: \"{result.get('note')}\". {looks}".strip()
    if tool == "update_cast":
        return looks or "The cast is updated."
    if tool == "queue_show":
        return (f"Queued \"{result.get('queued')}\" (number {result.get('position')} in the "
                "queue); it starts when this show's planned episodes are made.")
    if tool == "mark_favourite":
        return str(result.get("said", "")).capitalize() + "."
    facts = [f"{k.replace('_', ' ')}: {v}" for k, v in result.items()
             if k != "ok" and isinstance(v, str | int | float)]
    return ("Done. " + "; ".join(facts) + ".")[:300] if facts else "Done."
