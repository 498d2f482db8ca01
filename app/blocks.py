"""The guide's runs of air as programmes: blocks of the clock's half hours, as media servers and
their viewers expect (an episode, an hour of reruns of a show), not a programme per run of 12 s
premieres and reruns between them."""

from __future__ import annotations

from dataclasses import dataclass, field, replace

SLOT_S = 1800.0  # a programme is a half hour of the clock, or more of the same


@dataclass
class Listing:
    """One programme of the guide."""

    key: tuple  # what kind of run it is: ("new", episode) | ("rerun",) | ("slate",)
    start: float  # epoch seconds
    stop: float
    title: str
    sub_title: str | None = None
    desc: str | None = None
    show_id: int | None = None
    episode_no: int | None = None
    categories: list[str] = field(default_factory=list)
    new: bool = False
    estimated: bool = False  # its times come from the measured pace, not the schedule
    shows: list[str] = field(default_factory=list)  # rerun runs: the shows in it
    actions: list[str] = field(default_factory=list)
    credits: list[str] = field(default_factory=list)  # viewers whose suggestions aired in it
def blocks(runs: list[Listing], slot_s: float = SLOT_S) -> list[Listing]:
    """Runs of air as the programmes players and viewers expect: each half hour of the clock
    (slot_s, on the hour and half past) is one programme, named for the episode that
    premieres in it (its reruns between new scenes are part of it), else for the show its
    reruns are of, else "From the library"; neighbouring slots of the same programme are one.
    A channel's first programme starts with its first airing."""
    slots: dict[int, list[Listing]] = {}
    for run in runs:
        at = run.start
        while at < run.stop:
            index = int(at // slot_s)
            until = min(run.stop, (index + 1) * slot_s)
            slots.setdefault(index, []).append(replace(run, start=at, stop=until, actions=list(
                run.actions), shows=list(run.shows), credits=list(run.credits)))
            at = until
    out: list[Listing] = []
    for index in sorted(slots):
        programme = _programme(slots[index])
        last = out[-1] if out else None
        if last and last.key == programme.key and last.shows == programme.shows \
                and programme.start - last.stop < 1:
            last.stop, last.estimated = programme.stop, last.estimated or programme.estimated
            last.actions += [a for a in programme.actions if a not in last.actions]
            last.credits += [c for c in programme.credits if c not in last.credits]
        else:
            out.append(programme)
    return out


def _programme(pieces: list[Listing]) -> Listing:
    """One slot's programme: its first premiere's episode, with all the slot holds."""
    lead = next((p for p in pieces if p.key[0] == "new"), None) or max(
        pieces, key=lambda p: (p.key != ("slate",), p.stop - p.start))
    programme = replace(lead, start=pieces[0].start, stop=pieces[-1].stop,
                        actions=[], shows=[], credits=[],
                        estimated=any(p.estimated for p in pieces),
                        new=any(p.new for p in pieces))
    for piece in pieces:
        programme.actions += [a for a in piece.actions if a not in programme.actions]
        programme.credits += [c for c in piece.credits if c not in programme.credits]
        if lead.key[0] != "new":
            programme.shows += [s for s in piece.shows if s not in programme.shows]
    episodes = list(dict.fromkeys(p.sub_title for p in pieces if p.key[0] == "new"
                                  and p.sub_title))
    if len(episodes) > 1:  # more than one episode premieres in the half hour: said so
        programme.sub_title = " · ".join(episodes[:2]) + (
            f" and {len(episodes) - 2} more" if len(episodes) > 2 else "")
    if lead.key[0] == "new" and any(p.key == ("rerun",) for p in pieces):
        programme.desc = (programme.desc or "New scenes.").rstrip(".") + \
            ", with reruns from the library between its new scenes."
    return programme

