"""Motion in a take, measured: how the picture moves between frames (phase correlation per
block, per axis), where the main character goes (its colour's track), and the checks built on
them (the camera's move played the right way, the character walking the way the shot says, a
take that moves at all)."""

from __future__ import annotations

import re

import numpy as np

from webtv.inspection.checks import Check, luma


def global_shift(a: np.ndarray, b: np.ndarray) -> tuple[float, float]:
    """Phase correlation: how far the picture moved from ``a`` to ``b`` (dx, dy in pixels)."""
    dx, dy, _ = _phase(luma(a), luma(b), window=False)
    return dx, dy


def _phase(a: np.ndarray, b: np.ndarray, window: bool = True) -> tuple[float, float, float]:
    """(dx, dy, peak): the shift from luma ``a`` to ``b`` and how sure it is (the height of the
    correlation peak, 0-1). Windowed, the block's edges do not pull the answer to zero."""
    if window:
        win = np.outer(np.hanning(a.shape[0]), np.hanning(a.shape[1]))
        a, b = (a - a.mean()) * win, (b - b.mean()) * win
    fa, fb = np.fft.fft2(a), np.fft.fft2(b)
    cross = fb * np.conj(fa)
    corr = np.fft.ifft2(cross / (np.abs(cross) + 1e-9)).real
    dy, dx = np.unravel_index(np.argmax(corr), corr.shape)
    h, w = corr.shape
    return (float(dx - w if dx > w // 2 else dx), float(dy - h if dy > h // 2 else dy),
            float(corr.max()))


MIN_PEAK = 0.12  # a block's correlation peak under this: too little texture to say how it moved
MIN_DETAIL = 0.5  # luma gradient (0-255 per pixel) a block needs across an axis to measure it


def block_shifts(a: np.ndarray, b: np.ndarray, rows: int = 3, cols: int = 4
                 ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Windowed phase-correlation shifts of each block of a grid: (dx, dy, x weight, y weight),
    each rows x cols. A block answers for an axis only where it has detail across that axis: a
    lone horizon shows up-and-down motion but not sideways, the edge of a house sideways but
    not up-and-down, a plain sky neither (weight 0); else the weight is the correlation peak
    (how sure the answer is)."""
    la, lb = luma(a.astype(np.float32)), luma(b.astype(np.float32))
    h, w = la.shape[0] // rows, la.shape[1] // cols
    dx, dy = np.zeros((rows, cols)), np.zeros((rows, cols))
    wx, wy = np.zeros((rows, cols)), np.zeros((rows, cols))
    for r in range(rows):
        for c in range(cols):
            block = (slice(r * h, (r + 1) * h), slice(c * w, (c + 1) * w))
            dx[r, c], dy[r, c], peak = _phase(la[block], lb[block])
            if peak >= MIN_PEAK:  # detail inside the block: the window hides its borders
                seen = la[r * h + h // 5:(r + 1) * h - h // 5, c * w + w // 5:(c + 1) * w - w // 5]
                wx[r, c] = peak if np.abs(np.diff(seen, axis=1)).mean() >= MIN_DETAIL else 0.0
                wy[r, c] = peak if np.abs(np.diff(seen, axis=0)).mean() >= MIN_DETAIL else 0.0
    return dx, dy, wx, wy


def _weighted_median(values: np.ndarray, weights: np.ndarray) -> float:
    order = np.argsort(values)
    v, w = values[order], weights[order]
    cumulative = np.cumsum(w)
    return float(v[np.searchsorted(cumulative, cumulative[-1] / 2)])


def motion(frames: list[np.ndarray], stride: int = 6) -> dict[str, float] | None:
    """The camera's motion per frame: dx, dy, and the divergence (right columns minus left
    columns) that a zoom shows. Measured on a grid of windowed blocks, each weighted by how
    sure its answer is, and taken as weighted medians, so a subject crossing the frame, a
    caption, or a plain sky does not stand in for the camera; between frames ``stride``
    apart, because phase correlation finds whole pixels. Each axis is measured where blocks
    have detail across it (``x_measured``, ``y_measured``, ``zoom_measured`` say which were).
    None when no axis can be (soft, plain footage): not measurable is not wrong."""
    stride = max(1, min(stride, len(frames) - 1))
    dx, dy, div = [], [], []
    rows, cols = 3, 4
    height, width = frames[0].shape[:2]  # the outer rows' centres sit closer than the columns'
    rows_to_columns = ((cols - 1) / cols * width) / ((rows - 1) / rows * height)
    for a, b in zip(frames[::stride], frames[stride::stride], strict=False):
        bx, by, wx, wy = block_shifts(a, b, rows, cols)
        if (wx > 0).sum() >= 3:
            dx.append(_weighted_median(bx.ravel(), wx.ravel()))
        if (wy > 0).sum() >= 3:
            dy.append(_weighted_median(by.ravel(), wy.ravel()))
        spread = []  # a zoom moves the halves apart: the right from the left, the bottom
        left, right = wx[:, 0] > 0, wx[:, -1] > 0  # from the top
        if left.any() and right.any():
            spread.append(_weighted_median(bx[:, -1][right], wx[:, -1][right])
                          - _weighted_median(bx[:, 0][left], wx[:, 0][left]))
        top, bottom = wy[0] > 0, wy[-1] > 0
        if top.any() and bottom.any():
            spread.append((_weighted_median(by[-1][bottom], wy[-1][bottom])
                           - _weighted_median(by[0][top], wy[0][top])) * rows_to_columns)
        if spread:
            div.append(float(np.mean(spread)))
    need = max(1, max(1, (len(frames) - 1) // stride) // 2)  # half the pairs answered
    x, y, zoom = len(dx) >= need, len(dy) >= need, len(div) >= need
    if not (x or y):
        return None
    return {"dx": float(np.median(dx)) / stride if x else 0.0,
            "dy": float(np.median(dy)) / stride if y else 0.0,
            "divergence": float(np.median(div)) / stride if zoom else 0.0,
            "x_measured": x, "y_measured": y, "zoom_measured": zoom}


MIN_MOTION = 0.2  # px/frame at the inspection width (384) along the asked direction
MIN_GROWTH = 0.002  # relative growth of the character's area per frame (a zoom's sign)
TRACK_AXIS = {"dx": "dx", "dy": "dy", "divergence": "growth"}  # the camera's axis, the track's
SUBJECT_WAYS = {"right": ("dx", 1), "left": ("dx", -1), "down": ("dy", 1), "up": ("dy", -1),
                "toward": ("growth", 1), "away": ("growth", -1)}


# Words of a subject that stays where it is ("stands still", "sits and watches the sky"): with
# a held camera, a shot that asks the picture to hold still.
STILL = re.compile(r"\b(?:still|motionless|unmoving|stands?|standing|sits?|sitting|waits?|"
                   r"waiting|rests?|resting|sleeps?|sleeping|pauses?|poses?|watch(?:es|ing)?|"
                   r"gazes?|stares?|listens?)\b", re.I)


def holds_still(camera_move: str | None, subject_direction: str | None,
                subject_motion: str | None, action: str = "") -> bool:
    """Whether a shot asks the picture to hold still: a static camera on a subject that goes
    nowhere and whose motion (or action) says it stays put ("stands still"). A video model
    draws such a shot quiet: no camera motion at all, a breath, the light, a leaf;
    frozen_frames tells that from a frozen copy of one frame."""
    return ((camera_move or "static") == "static"
            and (subject_direction or "none") == "none"
            and bool(STILL.search(f"{subject_motion or 'still'} {action}")))


def expected_motion(camera_move: str, camera_direction: str) -> tuple[str, int] | None:
    """The measured axis and sign a camera move must show; None for a static camera."""
    table = {("pan", "right"): ("dx", -1), ("pan", "left"): ("dx", 1),
             ("tilt", "up"): ("dy", 1), ("tilt", "down"): ("dy", -1),
             ("zoom", "in"): ("divergence", 1), ("zoom", "out"): ("divergence", -1)}
    return table.get((camera_move, camera_direction))


def motion_direction(frames: list[np.ndarray], camera_move: str, camera_direction: str,
                     measured: dict[str, float] | None | str = "measure",
                     track: dict[str, float] | None = None,
                     subject_direction: str = "none") -> Check:
    """The picture moves the way the shot asked: the sign of the global flow for pans and tilts,
    of the divergence for zooms (a reversed take moves the other way). ``measured``: motion()
    of these frames, when already measured; ``track``: subject_track() of the main character,
    read when the scene is too plain to measure (a take fails on it only when the character
    clearly goes the other way)."""
    wanted = expected_motion(camera_move, camera_direction)
    if wanted is None:
        return Check("motion_direction", 0.0, 0.0, True, "static camera: no direction to check")
    axis, sign = wanted
    if measured == "measure":
        measured = motion(frames)
    measurable = {"dx": "x_measured", "dy": "y_measured", "divergence": "zoom_measured"}[axis]
    if measured is None or not measured[measurable]:
        # the scene carries the characters: where it has too little texture, their track
        # still shows which way the camera went, unless they move along that way themselves
        own = {"dx": {"left", "right"}, "dy": {"up", "down"},
               "divergence": {"toward", "away"}}[axis]
        if track is not None and subject_direction not in own:
            along = track[TRACK_AXIS[axis]] * sign
            limit = MIN_GROWTH if axis == "divergence" else MIN_MOTION
            if along <= -limit:
                return Check("motion_direction", along, -limit, False,
                             f"{camera_move} {camera_direction}: the character moves "
                             f"{along:+.3f} along the asked direction, the other way (the "
                             "scene has too little texture to measure)")
        return Check("motion_direction", 0.0, MIN_MOTION, True,
                     f"{camera_move} {camera_direction}: not measurable (too little texture)")
    along = measured[axis] * sign
    return Check("motion_direction", along, MIN_MOTION, along >= MIN_MOTION,
                 f"{camera_move} {camera_direction}: {along:+.2f} px/frame along the asked "
                 f"direction ({axis} {measured[axis]:+.2f})")


def subject_track(frames: list[np.ndarray], colour: tuple[int, int, int],
                  tolerance: float = 12.0, stride: int = 3) -> dict[str, float] | None:
    """How the main character moves on screen: per frame, the shift of the centroid of the
    pixels of its main colour (dx, dy in px) and the relative growth of their area (growth),
    fitted over the model frames (``stride`` apart). None when that colour is not one thing
    in the picture: too little or too much of it, or gone from some frames."""
    from webtv.inspection.colours import near

    picks = frames[::stride]
    small = [f[::2, ::2] for f in picks]
    h, w = small[0].shape[:2]
    mask = near(np.concatenate([f.reshape(-1, 3) for f in small]), colour, tolerance)
    mask = mask.reshape(len(small), h, w)
    areas = mask.sum(axis=(1, 2)) / (h * w)
    if not np.all((areas > 0.002) & (areas < 0.5)):
        return None
    ys, xs = np.mgrid[0:h, 0:w]
    cx = (mask * xs).sum(axis=(1, 2)) / mask.sum(axis=(1, 2)) * 2  # back to frame pixels
    cy = (mask * ys).sum(axis=(1, 2)) / mask.sum(axis=(1, 2)) * 2
    t = np.arange(len(small)) * stride
    return {"dx": float(np.polyfit(t, cx, 1)[0]), "dy": float(np.polyfit(t, cy, 1)[0]),
            "growth": float(np.polyfit(t, np.log(areas), 1)[0])}


def subject_direction(track: dict[str, float] | None, direction: str,
                      camera_move: str) -> Check:
    """With the camera held, the main character moves the way the shot says (a reversed take
    walks it backwards). Fails only when it clearly goes the other way: a model may keep a
    walker centred, and a track is a rougher measure than the scene's motion."""
    way = SUBJECT_WAYS.get(direction)
    if way is None or camera_move != "static":
        return Check("subject_direction", 0.0, 0.0, True,
                     "no direction to check" if way is None else "the camera moves too")
    if track is None:
        return Check("subject_direction", 0.0, 0.0, True,
                     "not measurable (the character's colour is not one thing on screen)")
    axis, sign = way
    along = track[axis] * sign
    limit = MIN_GROWTH if axis == "growth" else MIN_MOTION
    return Check("subject_direction", along, -limit, along > -limit,
                 f"moves {direction}: {along:+.3f} along that way ({axis})")


def dynamic_degree(frames: list[np.ndarray], limit: float = 0.1,
                   measured: dict[str, float] | None | str = "measure",
                   camera_move: str = "") -> Check:
    """How much moves, px/frame: the global motion plus half the divergence (VBench's dynamic
    degree uses optical-flow magnitude; phase correlation is its cheap global part). That is
    the camera's motion, so it is demanded only of a shot whose camera moves (``camera_move``;
    "" when the shot is not known): a held camera ("static": a shot that stands still, or a
    character who moves in a still frame) shows none, as a video model draws it. Its picture
    is judged by frozen_frames (live, not one frame repeated) and subject_direction."""
    m = motion(frames) if measured == "measure" else measured
    if m is None:
        return Check("dynamic_degree", 0.0, limit, True, "not measurable (too little texture)")
    value = float(np.hypot(m["dx"], m["dy"]) + abs(m["divergence"]) / 2)
    if camera_move == "static":
        return Check("dynamic_degree", value, 0.0, True,
                     f"{value:.2f} px/frame of global motion; a held camera: none demanded")
    unmeasured = [name for name, key in (("sideways", "x_measured"), ("up-and-down",
                  "y_measured"), ("a zoom", "zoom_measured")) if not m[key]]
    if value < limit and unmeasured:  # motion on plain parts of the picture cannot be ruled out
        return Check("dynamic_degree", value, limit, True,
                     f"{value:.2f} px/frame; {', '.join(unmeasured)} not measurable (too "
                     "little texture)")
    return Check("dynamic_degree", value, limit, value >= limit,
                 f"{value:.2f} px/frame of global motion")
