"""The embedded text-to-video stand-in: a procedural renderer that follows the shot spec.

It cannot read the prompt (no model runs here), so it renders what the shot asks for in
measurable terms: the place's palette as sky, ground and scenery, the main character in its
colours, the camera move and its direction, the subject's motion and its direction (a shot that
holds still drawn as a video model draws one: no camera motion, a quiet live picture). Output has
Zeroscope's shape: 576x320, 24 frames at 8 fps; or, since it draws every frame itself, any
rate asked for: the pipeline asks it for the house rate and skips interpolation, which costs
several times more than drawing the frames in between.

It is one module because the renderer is one drawing: scene, character, camera and the
injected faults are composed in one loop over the frames.
"""

from __future__ import annotations

import math
import random
from dataclasses import replace
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFilter, ImageFont

from webtv.core.media import run_ffmpeg, write_frames
from webtv.inspection.motion import holds_still
from webtv.production.backends.base import Asset, ShotSpec, VideoRequest
from webtv.reading.colours import rgb

MODEL_FPS = 8  # the rate its motion is designed at (Zeroscope's): speeds are per such frame
PAN_PER_FRAME = 7  # pixels of camera travel per model frame
# What text-to-video models get wrong, injected on purpose so the checks can be measured: in
# the picture (the checks must catch them) and in the file (the clip is refused before that).
PICTURE_FAULTS = ("reversed", "wrong_palette", "text", "frozen", "black", "vertical_lines",
                  "scene_cut", "watermark", "flicker")
FILE_FAULTS = ("partial", "truncated", "wrong_aspect", "one_frame")
FAULTS = PICTURE_FAULTS + FILE_FAULTS
STRENGTHS = ("strong", "weak")  # each fault at two strengths, both plain to a viewer
SOFT_SHARE = 0.4  # share of takes rendered soft: no grain, little texture (like real footage)
ZOOM_PER_FRAME = 0.012  # relative change of the field of view per frame
SUBJECT_PER_FRAME = 5


class ProceduralVideo:
    """``fault_rate``: the share of takes that come out with one of FAULTS (as "name" or
    "name:weak"), chosen from the seed and prompt (so the same request always fails the same
    way). ``made`` keeps every generation's (seed, prompt, fault): the ground truth even for a
    file that is refused before it becomes a take; ``held``, which of them held still."""

    name = "local"
    any_rate = True  # draws at the frame rate asked for: nothing to interpolate

    def __init__(self, fault_rate: float = 0.0, faults: tuple[str, ...] = FAULTS,
                 raw: bool = False) -> None:
        self.fault_rate, self.faults = fault_rate, faults
        # raw: uncompressed NUT files, for the pipeline on this machine (no encode, no decode);
        # MP4 for anything that sends the file on (a Space's answer)
        self.raw = raw
        self.made: list[tuple[int, str, str | None]] = []
        self.held: set[tuple[int, str]] = set()  # (seed, prompt) of the shots held still

    def generate(self, request: VideoRequest, out_dir: Path) -> Asset:
        fault = pick_fault(request, self.fault_rate, self.faults)
        self.made.append((request.seed, request.prompt, fault))
        spec = request.spec
        if holds_still(spec.camera_move, spec.subject_direction, spec.subject_motion):
            self.held.add((request.seed, request.prompt))
        kind = (fault or "").split(":")[0]
        # a cut-off download keeps its MP4 index (it promises frames that are not there)
        out = out_dir / ("generated.nut" if self.raw and kind != "truncated" else "generated.mp4")
        if kind == "wrong_aspect":  # a portrait clip for a landscape channel
            request = replace(request, width=request.height, height=request.width)
        frames = render(request, fault if kind in PICTURE_FAULTS else None)
        if kind == "partial":  # the model stopped early: an honest file, short of frames
            frames = frames[:max(2, round(len(frames) * (0.7 if fault == kind else 0.85)))]
        elif kind == "one_frame":
            frames = frames[:1]
        write_frames(frames, request.fps, out)
        if kind == "truncated":  # the download stopped: the index promises what is not there
            whole = out_dir / "whole.mp4"
            out.rename(whole)
            run_ffmpeg(["-i", str(whole), "-c", "copy", "-movflags", "+faststart", str(out)])
            data = out.read_bytes()
            out.write_bytes(data[:round(len(data) * (0.6 if fault == kind else 0.8))])
            whole.unlink()
        return Asset.measure(out, (fault,) if fault else ())


def pick_fault(request: VideoRequest, rate: float,
               faults: tuple[str, ...] = FAULTS) -> str | None:
    rng = random.Random(f"{request.seed}:{request.prompt}")
    if rate <= 0 or rng.random() >= rate:
        return None
    fault = rng.choice(faults)
    return fault if rng.choice(STRENGTHS) == "strong" else f"{fault}:weak"


def is_soft(request: VideoRequest) -> bool:
    """Some takes are soft, low-texture footage (a fog, a plain wall, a blurry sky)."""
    return random.Random(f"soft:{request.seed}:{request.prompt}").random() < SOFT_SHARE


def render(request: VideoRequest, fault: str | None = None) -> list[np.ndarray]:
    """The clip's frames, with ``fault`` ("name" or "name:weak") painted in."""
    fault, _, strength = (fault or "").partition(":")
    weak = strength == "weak"
    if fault == "wrong_palette":  # the model ignored the colours: complementary, or hues off
        spec = request.spec
        turn = _rotated if weak else _complement
        request = replace(request, spec=replace(
            spec, palette=[turn(c) for c in spec.palette],
            subject_colours=[turn(c) for c in spec.subject_colours],
            others=[[turn(c) for c in look] for look in spec.others]))
    frames = _render(request)
    if fault == "scene_cut":  # halfway, another scene: other colours (strong) or the same
        cut = len(frames) // 2 + (1 if weak else -1)  # place seen from elsewhere (weak)
        spec = request.spec
        other = replace(request, seed=request.seed + 7919, spec=replace(
            spec, palette=spec.palette if weak else [_rotated(c) for c in spec.palette][::-1],
            framing="wide" if spec.framing != "wide" else "close-up",
            camera_move="static"))
        frames = frames[:cut] + _render(other)[cut:]
    elif fault == "watermark":
        frames = [_watermark(f, 0.22 if weak else 0.4) for f in frames]
    elif fault == "flicker":  # the exposure pumps from one model frame to the next
        amp, per = 0.12 if weak else 0.25, _model_frame(request)
        frames = [np.clip(f.astype(np.float32) * (1 + (amp if int(i * per) % 2 else -amp)),
                          0, 255).astype(np.uint8) for i, f in enumerate(frames)]
    if fault == "reversed":
        frames = frames[::-1]
    elif fault == "frozen":  # the whole take a still, or a stall through two thirds of it
        hold = 2 * len(frames) // 3 if weak else len(frames)
        frames = [frames[0].copy() for _ in range(hold)] + frames[hold:]
    elif fault == "black":  # a fade to black that eats most (or half) of the take
        keep = len(frames) // 2 if weak else len(frames) // 3
        frames = frames[:keep] + [np.full_like(f, 4) for f in frames[keep:]]
    elif fault == "vertical_lines":
        lift = 35 if weak else 70
        for f in frames:
            for x in range(5, f.shape[1], 14):
                f[:, x:x + 2] = np.clip(f[:, x:x + 2].astype(int) + lift, 0, 255)
    elif fault == "text":  # a word of the prompt burned in, or a caption of gibberish
        words = [w for w in request.prompt.replace(",", " ").split() if w.isalpha()]
        caption = ("QUALITY FILM 4K" if weak else
                   f"{(words[1] if len(words) > 1 else 'IMAX').upper()} IMAX")
        frames = [_caption(f, caption, small=weak) for f in frames]
    return frames


def _rotated(colour: str) -> str:
    """The colour with its hue turned a third of the way round (red to green)."""
    r, g, b = rgb(colour)
    return f"#{b:02x}{r:02x}{g:02x}"


def _watermark(frame: np.ndarray, alpha: float) -> np.ndarray:
    """A stock-footage watermark: a word across the middle, semi-transparent, and a line
    of small ones above and below."""
    img = Image.fromarray(frame).convert("RGBA")
    layer = Image.new("RGBA", img.size, (0, 0, 0, 0))
    draw = ImageDraw.Draw(layer)
    w, h = img.size
    big = ImageFont.load_default(size=max(20, h // 6))
    small = ImageFont.load_default(size=max(12, h // 18))
    a = round(255 * alpha)
    draw.text((w / 2, h / 2), "shutterstock", font=big, anchor="mm", fill=(255, 255, 255, a),
              stroke_width=1, stroke_fill=(60, 60, 60, a))
    for y in (h * 0.2, h * 0.8):
        draw.text((w / 2, y), "shutterstock  ·  stock footage  ·  shutterstock", font=small,
                  anchor="mm", fill=(255, 255, 255, a))
    return np.asarray(Image.alpha_composite(img, layer).convert("RGB"))


def _complement(colour: str) -> str:
    r, g, b = rgb(colour)
    return f"#{255 - r:02x}{255 - g:02x}{255 - b:02x}"


def _caption(frame: np.ndarray, text: str, small: bool = False) -> np.ndarray:
    img = Image.fromarray(frame)
    draw = ImageDraw.Draw(img)
    font = ImageFont.load_default(size=max(18 if small else 24,
                                           frame.shape[0] // (11 if small else 7)))
    draw.text((frame.shape[1] / 2, frame.shape[0] * 0.2), text, font=font, anchor="mm",
              fill=(250, 250, 250), stroke_width=3, stroke_fill=(10, 10, 10))
    return np.asarray(img)


def _model_frame(request: VideoRequest) -> float:
    """How many model frames one frame of this request spans (1 at 8 fps, 1/3 at 24)."""
    return MODEL_FPS / request.fps


def _render(request: VideoRequest) -> list[np.ndarray]:
    spec, w, h, n = request.spec, request.width, request.height, request.frames
    per = _model_frame(request)
    rng = np.random.default_rng(request.seed)
    margin_x = round(PAN_PER_FRAME * n * per) + 40
    margin_y = margin_x
    world = _world(spec, w + 2 * margin_x, h + 2 * margin_y, rng, h, soft=is_soft(request))
    held = holds_still(spec.camera_move, spec.subject_direction, spec.subject_motion)
    quiet = _Quiet(request.seed, w, h) if held else None
    frames = []
    for i in range(n):
        t = (i - (n - 1) / 2) * per  # in model frames, centred: the middle frame establishes
        box = _camera_box(spec, t, w, h, margin_x, margin_y, held)
        view = world.resize((w, h), Image.Resampling.BILINEAR, box=box)
        if quiet is not None:
            quiet.stir(view, t)
        _draw_subject(view, spec, t, box, (margin_x, margin_y), rng_seed=request.seed,
                      held=held)
        frame = np.array(view, dtype=np.uint8)
        frames.append(quiet.light(frame, t) if quiet is not None else frame)
    return frames


class _Quiet:
    """What keeps a shot that holds still alive, as a video model draws one: a few small
    things that stir in place (a leaf, a bird, a flame), light that drifts, and a shimmer of
    the texture drawn anew every model frame (blended in between)."""

    LIGHT = 0.012  # the light drifts by this share of the brightness
    SHIMMER = 2.0  # luma levels of the texture's shimmer

    def __init__(self, seed: int, width: int, height: int) -> None:
        self.seed, self.size = seed, (height, width)
        rng = np.random.default_rng([seed, 104729])
        self.phase = float(rng.uniform(0, 2 * math.pi))
        self.things = [(float(rng.uniform(0.1, 0.9) * width), float(rng.uniform(0.1, 0.6) * height),
                        float(rng.uniform(0, 2 * math.pi)),
                        tuple(int(v) for v in rng.integers(60, 230, 3)))
                       for _ in range(int(rng.integers(3, 6)))]

    def stir(self, view: Image.Image, t: float) -> None:
        draw = ImageDraw.Draw(view)
        for x, y, phase, colour in self.things:
            x, y = x + 3 * math.sin(0.7 * t + phase), y + 2 * math.cos(0.5 * t + phase)
            draw.ellipse([x - 5, y - 3, x + 5, y + 3], fill=colour)

    def light(self, frame: np.ndarray, t: float) -> np.ndarray:
        gain = 1 + self.LIGHT * math.sin(0.35 * t + self.phase)
        k, blend = math.floor(t), t - math.floor(t)
        shimmer = (1 - blend) * self._shimmer(k) + blend * self._shimmer(k + 1)
        return np.clip(frame * gain + shimmer[..., None], 0, 255).astype(np.uint8)

    def _shimmer(self, model_frame: int) -> np.ndarray:
        """One model frame's shimmer: noise a couple of pixels across, the same for a frame
        whichever frame asks."""
        rng = np.random.default_rng([self.seed, 7919, model_frame + 10_000])
        noise = rng.normal(0, self.SHIMMER, size=self.size).astype(np.float32)
        return (noise + np.roll(noise, 1, 0) + np.roll(noise, 1, 1)
                + np.roll(noise, (1, 1), (0, 1))) / 2


def _world(spec: ShotSpec, width: int, height: int, rng: np.random.Generator,
           view_height: int, soft: bool = False) -> Image.Image:
    """The static scene: a sky in the palette's first colour turning to its second at the
    horizon, a ground in its third, with textured scenery. The turn happens within what the
    camera sees, so every framing shows the sky's own colour. ``soft``: no grain, a few
    scenery shapes, a heavy blur: footage with little texture to measure motion on."""
    palette = [rgb(c) for c in spec.palette] or [(40, 60, 120), (200, 120, 60), (30, 30, 40)]
    sky_top, sky_bottom = palette[0], palette[1 % len(palette)]
    ground = palette[2 % len(palette)]
    horizon = int(height * 0.62)
    turn = min(horizon, int(view_height * 0.35))
    ramp = np.clip((np.arange(horizon) - (horizon - turn)) / turn, 0, 1)[:, None, None]
    sky = (1 - ramp) * np.array(sky_top) + ramp * np.array(sky_bottom)
    img = np.empty((height, width, 3))
    img[:horizon] = sky
    img[horizon:] = ground
    if not soft:
        img += rng.normal(0, 6, size=img.shape)  # film grain: texture for motion estimates
    world = Image.fromarray(np.clip(img, 0, 255).astype(np.uint8))
    draw = ImageDraw.Draw(world)
    if spec.time_of_day in {"night", "dusk", "evening"}:
        for _ in range(width * height // 4000):
            x, y = rng.integers(0, width), rng.integers(0, horizon)
            draw.ellipse([x, y, x + 2, y + 2], fill=(235, 235, 210))
    accents = palette[3:] or palette[:2]
    for i in range(width // (240 if soft else 45)):  # scenery: stalls, lamps, trees, rocks
        x = int(rng.integers(0, width))
        bw, bh = int(rng.integers(20, 70)), int(rng.integers(30, 120))
        colour = tuple(int(v * rng.uniform(0.55, 0.9)) for v in accents[i % len(accents)])
        draw.rectangle([x, horizon - bh, x + bw, horizon + 4], fill=colour)
        if rng.random() < 0.5:
            lx = x + bw // 2
            draw.ellipse([lx - 6, horizon - bh - 14, lx + 6, horizon - bh - 2],
                         fill=palette[1 % len(palette)])
    for _ in range(0 if soft else width // 30):  # ground texture
        x, y = int(rng.integers(0, width)), int(rng.integers(horizon + 6, height))
        shade = tuple(int(v * rng.uniform(0.7, 1.25)) for v in ground)
        draw.ellipse([x, y, x + int(rng.integers(6, 26)), y + int(rng.integers(3, 9))], fill=shade)
    return world.filter(ImageFilter.GaussianBlur(4.0 if soft else 0.6))


def _camera_box(spec: ShotSpec, t: float, w: int, h: int, mx: int, my: int,
                held: bool = False) -> tuple[float, float, float, float]:
    """The part of the world the camera sees at time t (frames from the middle of the shot)."""
    cx, cy, scale = mx + w / 2, my + h / 2, 1.0
    step = PAN_PER_FRAME * t
    move, direction = spec.camera_move, spec.camera_direction
    if move == "pan":  # pan right: the camera turns right, the scene slides left in frame
        cx += step if direction == "right" else -step
    elif move == "tilt":
        cy += -step if direction == "up" else step
    elif move == "zoom":  # zoom in: a narrowing field of view, things grow
        scale = (1 - ZOOM_PER_FRAME * t) if direction == "in" else (1 + ZOOM_PER_FRAME * t)
    elif not held:  # a static camera creeps, as a video model draws one, unless the shot
        cx += t * PAN_PER_FRAME * 0.4  # asks the picture to hold still
        cy += math.sin(t * 0.45) * PAN_PER_FRAME * 0.5
    return (cx - w * scale / 2, cy - h * scale / 2, cx + w * scale / 2, cy + h * scale / 2)


def _draw_subject(view: Image.Image, spec: ShotSpec, t: float, box: tuple, margins: tuple,
                  rng_seed: int, held: bool = False) -> None:
    """The characters: each a body in its main colour and a band (scarf, apron) in its second,
    the main one in the middle, the others a little smaller beside it. They stand in the world,
    so the camera's moves carry them like the scenery; their own motion adds."""
    if not spec.subject_colours:
        return
    w, h = view.size
    scale = (box[2] - box[0]) / w
    size = {"close-up": 0.62, "wide": 0.22}.get(spec.framing, 0.38) * h
    wx, wy = margins[0] + w / 2 + (rng_seed % 7 - 3) * 8, margins[1] + h * 0.62
    step = SUBJECT_PER_FRAME * t
    d = spec.subject_direction
    if d in {"left", "right"}:
        wx += step if d == "right" else -step
    elif d in {"up", "down"}:
        wy += -step if d == "up" else step
    elif d in {"toward", "away"}:
        size *= 1 + (0.02 if d == "toward" else -0.02) * t
    elif held:  # standing still: a breath
        wx += math.sin(t * 0.4) * 0.6
        size *= 1 + 0.006 * math.sin(t * 0.8)
    else:  # no direction is not no motion: a subject at work sways and bobs in place
        wx += math.sin(t * 0.9) * SUBJECT_PER_FRAME * 2.5
        wy += abs(math.sin(t * 1.3)) * -SUBJECT_PER_FRAME * 1.5
    draw = ImageDraw.Draw(view)
    figures = [(spec.subject_colours, 0.0, 1.0)] + [
        (look, (0.55 if i % 2 == 0 else -0.55) * (1 + i // 2), 0.8)
        for i, look in enumerate(spec.others)]
    for look, offset, shrink in reversed(figures):  # the main character in front
        x, y = (wx + offset * size - box[0]) / scale, (wy - box[1]) / scale  # world to screen
        _draw_figure(draw, x, y, size * shrink / scale, look, d)


def _draw_figure(draw: ImageDraw.ImageDraw, x: float, y: float, size: float,
                 look: list[str], direction: str) -> None:
    body, band = rgb(look[0]), rgb(look[-1])
    bw, bh = size * 0.5, size
    draw.ellipse([x - bw / 2, y - bh, x + bw / 2, y], fill=body)
    head = size * 0.32
    draw.ellipse([x - head / 2, y - bh - head * 0.8, x + head / 2, y - bh + head * 0.2], fill=body)
    draw.rectangle([x - bw / 2, y - bh * 0.78, x + bw / 2, y - bh * 0.62], fill=band)
    eye = max(2, head * 0.08)
    ex = x + (head * 0.18 if direction != "left" else -head * 0.18)
    draw.ellipse([ex - eye, y - bh - head * 0.4 - eye, ex + eye, y - bh - head * 0.4 + eye],
                 fill=(20, 20, 20))
