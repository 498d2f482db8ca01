"""How themes are read, and what the offline director makes of them: per theme, the cast, place,
time and weather the reader found beside what the theme says (bench/themes.toml, labelled by
hand), then the seams of the show it wrote and the faults of the prompts its shots compose to.

    python bench/themes.py [--shots 12] [--file bench/themes.toml] [--quiet]
    python bench/themes.py --file bench/themes_world.toml   # other languages and scripts

Columns: "cast" the nouns the camera follows with their kind (living, thing; a landscape has
none), "place", "time" (day unless the theme says), "weather" (as a noun); a field that differs
from the label is marked with the label after "≠". Then, for each theme's show:
  seams    a face, smile, voice or hands on a thing or a landscape; a prop the theme lacks; a
           hurry on a shot that stands still; a word twice in a row
  faults   composed prompts with a fault (production.compose.prompt_faults): a cast member
           left out, a look pasted as sentences, a clause cut, words glued, the action late
The table below counts the fields read as labelled, the theme's words in the composed prompts
(reading.words.fidelity: what reaches the screen), and the shots with a seam or a fault.
"""

from __future__ import annotations

import argparse
import re
import sys
import tomllib
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from bench.table import print_table  # noqa: E402
from webtv.director.offline import OfflineDirector
from webtv.director.protocol import Request
from webtv.production.compose import compose, prompt_faults
from webtv.reading.theme import LIVING, THINGS, Theme, read_theme, weather_noun
from webtv.reading.words import content_words, fidelity
from webtv.tools.brief import Brief, Named

LABELS = Path(__file__).with_name("themes.toml")
FACE = re.compile(r"\b(?:face|smile|smiles|eyes|humming|hums|hands|voice|nods|waves hello)\b")
PROPS = ("lantern", "basket", "visitor", "letter", "stranger")  # the templates' old stand-ins


def reading(theme: Theme) -> dict[str, object]:
    def kind(k: str) -> str:
        return "living" if k in LIVING else "thing" if k in THINGS else "none"

    return {"cast": [f"{c.noun}:{kind(c.kind)}" for c in theme.characters
                     if kind(c.kind) != "none"],
            "place": theme.place or "-", "time": theme.time if theme.time != "day" else "-",
            "weather": weather_noun(theme.weather) if theme.weather else "-"}


def matches(field: str, got: object, want: object) -> bool:
    if field != "cast":
        return got == want
    # a cast member matches on its head noun and kind: "robot gardener:living" is "gardener"
    return len(got) == len(want) and all(
        g.split(":")[1] == w.split(":")[1] and g.split(":")[0].endswith(w.split(":")[0])
        for g, w in zip(got, want, strict=True))


def variety(text: str, episodes: int = 8, per_episode: int = 12) -> tuple[int, int, int]:
    """(distinct actions, shots, scenes of four with two shots alike) in a show of
    ``episodes`` episodes, as the autopilot asks for them (four shots a request)."""
    director = OfflineDirector()
    show = director.show_for(text)
    cast = tuple(Named(m["name"], m["kind"], m["look"]) for m in show["cast"])
    brief = Brief(title=show["title"], logline=show["logline"], style=show["style"],
                  time=show["time"], cast=cast, notes=(), latest=(), reading=read_theme(text))
    actions, alike = [], 0
    for episode in range(1, episodes + 1):
        for start in range(0, per_episode, 4):
            request = Request("produce", "", brief=brief, count=4,
                              segment={"position": episode, "written": start})
            scene = [shot["action"] for shot in director._shots(request, 4)]
            alike += len(set(scene)) < len(scene)
            actions += scene
    return len(set(actions)), len(actions), alike


def show_and_shots(text: str, count: int) -> tuple[dict, list[dict], dict]:
    """The offline director's show for a theme, ``count`` shots and the entities they name."""
    director = OfflineDirector()
    show = director.show_for(text)
    cast = tuple(Named(m["name"], m["kind"], m["look"]) for m in show["cast"])
    brief = Brief(title=show["title"], logline=show["logline"], style=show["style"],
                  time=show["time"], cast=cast, notes=(), latest=(),
                  reading=read_theme(text))
    shots = []
    for start in range(0, count, 4):
        request = Request("produce", "", brief=brief, count=4,
                          segment={"position": 1, "written": start})
        shots += director._shots(request, 4)
    entities = {m.name: {"name": m.name, "kind": m.kind, "description": m.look, "colours": {},
                         "wardrobe": "", "marks": ""} for m in cast}
    return show, shots[:count], entities


def seams(theme: Theme, shot: dict) -> list[str]:
    found = []
    action = shot["action"].lower()
    living = any(c.kind in LIVING for c in theme.characters)
    if not living and FACE.search(action):
        found.append("a face or voice on a thing or a landscape")
    theme_words = set(content_words(theme.text))
    found += [f"a {p} the theme lacks" for p in PROPS if p in action and p not in theme_words]
    if "hurry" in action and shot.get("motion", "").startswith("stands"):
        found.append("a hurry that stands still")
    words = re.findall(r"[\w'-]+", action)
    if any(a == b for a, b in zip(words, words[1:], strict=False)):
        found.append("a word twice in a row")
    return found


def prompt_of(shot: dict, entities: dict, style: str) -> tuple[str, dict]:
    move, _, direction = shot["camera"].partition(" ")
    row = {"entities": [n for n in shot["who"] if n in entities], "place": shot["where"],
           "camera_move": move, "camera_direction": direction,
           "subject_motion": shot.get("motion", ""), "subject_direction": "",
           "action": shot["action"], "time_of_day": "day", "framing": shot["framing"]}
    return compose(row, entities, {"visual_style": style}), row


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--file", type=Path, default=LABELS)
    parser.add_argument("--shots", type=int, default=12)
    parser.add_argument("--quiet", action="store_true", help="the summary table only")
    args = parser.parse_args()
    labelled = tomllib.loads(args.file.read_text())["theme"]
    fields = ("cast", "place", "time", "weather")
    right = dict.fromkeys(fields, 0)
    shots_seen = shots_with_seams = prompts_with_faults = bare = 0
    on_screen: list[float] = []
    for case in labelled:
        theme = read_theme(case["text"])
        got = reading(theme)
        cells = []
        for field in fields:
            ok = matches(field, got[field], case[field])
            right[field] += ok
            value = ", ".join(got[field]) if field == "cast" else got[field]
            want = ", ".join(case[field]) if field == "cast" else case[field]
            cells.append(f"{value or 'none'}" + ("" if ok else f" ≠ {want or 'none'}"))
        show, shots, entities = show_and_shots(case["text"], args.shots)
        bad_shots = [(s, f) for s in shots if (f := seams(theme, s))]
        faulty, composed = [], []
        for shot in shots:
            prompt, row = prompt_of(shot, entities, show["style"])
            composed.append(prompt)
            if faults := prompt_faults(prompt, row, entities):
                faulty.append((prompt, faults))
        on_screen.append(fidelity(case["text"], composed))
        bare += sum(fidelity(case["text"], [p]) == 0 for p in composed)
        shots_seen += len(shots)
        shots_with_seams += len(bad_shots)
        prompts_with_faults += len(faulty)
        if not args.quiet:
            print(f"{case['text']}\n  read:   " + " | ".join(cells))
            print(f"  show:   {show['title']}; {len(bad_shots)} of {len(shots)} shots with a "
                  f"seam, {len(faulty)} prompts with a fault")
            for shot, found in bad_shots[:2]:
                print(f"    seam: {shot['action']} ({'; '.join(found)})")
            for prompt, found in faulty[:2]:
                print(f"    fault: {prompt} ({'; '.join(found)})")
    made = [variety(case["text"]) for case in labelled]
    rows = [(f"{field} read as labelled", f"{right[field]}/{len(labelled)}") for field in fields]
    rows += [("distinct actions in a show of 96 shots (mean, min)",
              f"{sum(m[0] for m in made) / len(made):.0f}, {min(m[0] for m in made)}"),
             ("scenes of 4 shots with two alike", f"{sum(m[2] for m in made)}/"
                                                  f"{sum(m[1] for m in made) // 4}")]
    rows += [("the theme's words in its prompts (mean, min over themes)",
              f"{sum(on_screen) / len(on_screen):.2f}, {min(on_screen):.2f}"),
             ("prompts with none of the theme's words", f"{bare}/{shots_seen}"),
             ("shots with a seam", f"{shots_with_seams}/{shots_seen}"),
             ("prompts with a fault", f"{prompts_with_faults}/{shots_seen}")]
    print()
    print_table(rows)


if __name__ == "__main__":
    main()
