"""Pictures in motion: ``--video stills:MODEL``, real AI pictures from a text-to-image model
that a laptop's CPU paints in seconds, set in motion by the shot's own camera.

Each shot is one or two pictures painted from its prompt: the first, then a second repainted
from it for the shot's action (the next seed of the same family, the action first in its
words), into which the first dissolves slowly while the camera pans, tilts, zooms or pushes in
as the shot asks (camera.py). A shot that continues the one before starts from that take's
last picture, exactly, and a character's shots start from its reference still (painted once by
the same model and kept in the bible), repainted into the shot's place: the same look from
shot to shot. The frames are drawn at the house rate (nothing to interpolate), at the
painter's 16:9, and go through the house encode and the checks like any take.
"""

from __future__ import annotations

import time
from dataclasses import replace
from pathlib import Path

from webtv.core.media import write_frames
from webtv.inspection.motion import STILL, holds_still
from webtv.production.backends import camera
from webtv.production.backends.base import Asset, VideoRequest
from webtv.production.backends.families import LONGEST_S, Rules
from webtv.production.backends.inprocess import take_fault
from webtv.production.backends.shapes import Shape, longest, shape
from webtv.production.backends.still_models import DiffusersStill

FPS = 24  # the house rate: every frame is drawn, none interpolated
ACTION_STRENGTH = 0.55  # the second picture repaints this much of the first
HELD_STRENGTH = 0.3  # ... in a shot that holds still: a breath, not a new picture
REFERENCE_STRENGTH = 0.8  # a character's still repainted into the shot's place


class StillsVideo(DiffusersStill):
    library, what = "stills", "video"
    any_rate = True
    can_continue = True  # a take can start from a picture: the last one's, exactly
    needs_image = False
    starts_from_reference = True  # the main character's still, painted once, starts its shots

    @property
    def rules(self) -> Rules:
        """A shot's shape as a video model's: frames at the house rate, the painter's 16:9."""
        painter = self.painter
        return Rules(f"pictures in motion ({painter.checkpoint})", multiple=painter.multiple,
                     frame_step=1, max_frames=int(LONGEST_S * FPS) + 1, fps=FPS,
                     size=self.size(), steps=painter.steps or 0,
                     guidance=painter.guidance or 0.0, max_seconds=LONGEST_S,
                     can_continue=True)

    @property
    def longest_s(self) -> float:
        return longest(self.rules, self.options.video)

    def plan(self, seconds: float) -> Shape:
        return shape(self.rules, seconds, replace(self.options.video, width=None, height=None,
                                                  fps=None))

    @take_fault("video")
    def generate(self, request: VideoRequest, out_dir: Path) -> Asset:
        from PIL import Image

        seconds = request.seconds or request.frames / max(request.fps, 1)
        planned = self.plan(seconds)
        size = (planned.width, planned.height)
        spec = request.spec
        started = time.monotonic()
        if request.image is not None:  # the shot before's last picture, exactly
            from PIL import ImageOps

            with Image.open(request.image) as last:  # cropped to the painter's shape
                first = ImageOps.fit(last.convert("RGB"), size, Image.Resampling.LANCZOS)
            how = "continued"
        elif request.references:  # the main character's look, repainted into this place
            with Image.open(request.references[0]) as still:
                first = self.paint(request.prompt, request.seed, size, still.convert("RGB"),
                                   REFERENCE_STRENGTH)
            how = "from reference"
        else:
            first, how = self.paint(request.prompt, request.seed, size), "painted"
        held = holds_still(spec.camera_move, spec.subject_direction, spec.subject_motion)
        second = self.paint(action_prompt(request), request.seed + 1, size, first,
                            HELD_STRENGTH if held else ACTION_STRENGTH)
        moving = camera.frames(first, second, spec, planned.frames, FPS,
                               (planned.out_width, planned.out_height))
        path = out_dir / "video.nut"
        write_frames(moving, FPS, path)
        self._journal(request, planned, how, time.monotonic() - started,
                      1 if how == "continued" else 2)
        return Asset(path, len(moving) / FPS, planned.out_width, planned.out_height,
                     float(FPS), len(moving), made_frames=len(moving))

    def _journal(self, request: VideoRequest, planned: Shape, how: str, seconds: float,
                 pictures: int) -> None:
        self.journal(endpoint=self.name, capability="video", attempt=1,
                     arguments={"seed": request.seed, "prompt": request.prompt[:120],
                                "frames": planned.frames, "fps": planned.fps,
                                "size": f"{planned.width}x{planned.height}",
                                "steps": planned.steps, "pictures": pictures,
                                "start": how, "camera": f"{request.spec.camera_move} "
                                                        f"{request.spec.camera_direction}"},
                     duration_ms=seconds * 1000, outcome="ok", error="")


def action_prompt(request: VideoRequest) -> str:
    """The second picture's words: the shot's action first, where its subject does something
    (a painter reads its first words hardest), then the shot's prompt."""
    action = request.spec.subject_motion.strip()
    if not action or STILL.fullmatch(action) or action in request.prompt:
        return request.prompt
    return f"{action}, {request.prompt}"
