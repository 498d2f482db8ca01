"""Continuity from pictures, not only words: where a take starts.

A shot the director marked as continuing the one before it, in the same place, starts from
that shot's last frame (image-to-video). A model that cannot start from words alone starts
from the main character's reference still, made once by the stills model and kept with the
character's look; so does a painter's (pictures in motion), which repaints it into the shot's
place. Everything else starts from the prompt.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

from webtv.core.errors import ConfigError, MediaError, ToolError
from webtv.core.media import read_frames
from webtv.production.compose import describe
from webtv.production.context import Production


def start_picture(ctx: Production, shot: dict[str, Any], work: Path
                  ) -> tuple[Path | None, str | None]:
    """The picture this shot's take starts from, and what it is ("take 12"); (None, None):
    words only."""
    video = ctx.backends.video
    if not getattr(video, "can_continue", False):
        return None, None
    if shot.get("continues"):
        before = ctx.store.takes.take_before(shot["id"])
        if before is not None:
            try:
                return last_frame(ctx.data.resolve(before["media"]), work / "start.png"), \
                    f"take {before['id']}"
            except MediaError:
                pass  # purged or damaged: the shot starts from words
    if getattr(video, "needs_image", False):
        return reference(ctx, shot, work)
    if getattr(video, "starts_from_reference", False) and shot["entities"]:
        # pictures in motion: the cast's still is repainted, found among the references (a
        # shot of the place alone is painted from its words)
        return None, reference(ctx, shot, work)[1]
    return None, None


def last_frame(media: Path, out: Path) -> Path:
    from PIL import Image

    frames = read_frames(media)
    if not frames:
        raise MediaError(f"{media.name}: no frames")
    Image.fromarray(frames[-1]).save(out)
    return out


def reference(ctx: Production, shot: dict[str, Any], work: Path
              ) -> tuple[Path | None, str | None]:
    """The reference still of the shot's main character (or its place), made now if it has
    none for its current look."""
    stills = ctx.backends.stills
    name = (shot["entities"] or [shot["place"]])[0]
    entity = ctx.store.show.entity(name)
    if entity.get("reference") and ctx.data.resolve(entity["reference"]).is_file():
        return ctx.data.resolve(entity["reference"]), f"reference of {name}"
    if stills is None:
        raise ConfigError(f"{ctx.backends.video.name} starts every take from a picture: give it a "
                          "stills model for the cast's reference frames (--stills "
                          "diffusers:MODEL)")
    bible = ctx.store.show.bible() or {}
    prompt = ", ".join(p for p in (describe(entity), "full figure, plain background",
                                   bible.get("visual_style") or "") if p)
    seed = int.from_bytes(hashlib.sha256(name.encode()).digest()[:4], "big") % 1_000_000
    made = stills.draw(prompt, seed, work)
    media = ctx.data.keep(made, ".png")
    ctx.store.show.set_reference(name, media)
    return ctx.data.resolve(media), f"reference of {name}"


def reference_stills(ctx: Production, shot: dict[str, Any]) -> tuple[Path, ...]:
    """The reference stills already made of the cast and place of this shot (none is made
    here): a service that takes reference images keeps them on model."""
    found = []
    for name in [*shot["entities"], shot["place"]]:
        try:
            entity = ctx.store.show.entity(name)
        except ToolError:
            continue
        if entity.get("reference") and ctx.data.resolve(entity["reference"]).is_file():
            found.append(ctx.data.resolve(entity["reference"]))
    return tuple(found)
