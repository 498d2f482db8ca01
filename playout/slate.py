"""The slate: what airs when nothing is scheduled, so the channel never goes to dead air (nor
to silence: a quiet chord at the channel's loudness)."""

from __future__ import annotations

import hashlib
import os
import shutil
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

from webtv.core import house
from webtv.core.errors import MediaError
from webtv.core.loudness import STREAMING, Loudness
from webtv.core.media import probe
from webtv.state.datadir import DataDir


def _font(size: int) -> ImageFont.ImageFont:
    return ImageFont.load_default(size=size)  # Pillow's bundled font: no system fonts needed


def slate_image(title: str, line: str, out: Path) -> Path:
    img = Image.new("RGB", (house.WIDTH, house.HEIGHT), (18, 22, 38))
    draw = ImageDraw.Draw(img)
    for y in range(house.HEIGHT):  # a quiet vertical gradient
        shade = int(18 + 30 * y / house.HEIGHT)
        draw.line([(0, y), (house.WIDTH, y)], fill=(shade, shade + 4, shade + 22))
    draw.text((house.WIDTH / 2, house.HEIGHT * 0.42), title, font=_font(54), anchor="mm",
              fill=(240, 236, 220))
    draw.text((house.WIDTH / 2, house.HEIGHT * 0.58), line, font=_font(28), anchor="mm",
              fill=(170, 180, 210))
    img.save(out)
    return out


def slate(data: DataDir, title: str, line: str = "We'll be right back",
          loudness: Loudness = STREAMING) -> Path:
    """A house-format slate clip for this title, made once and kept under media/slates/ (each
    use marks it, so retention removes only slates not aired for keep_hours)."""
    key = hashlib.sha256(f"{title}\n{line}\n{loudness}".encode()).hexdigest()[:16]
    out = data.root / "media" / "slates" / f"{key}.mp4"
    if _whole(out):
        os.utime(out)  # in use: retention keeps a slate aired within keep_hours
    else:  # not made yet, or damaged on disk: made (again)
        out.parent.mkdir(parents=True, exist_ok=True)
        work = data.workspace()
        try:
            house.still(slate_image(title, line, work / "slate.png"), work / "slate.mp4",
                        loudness=loudness)
            (work / "slate.mp4").replace(out)
        finally:
            shutil.rmtree(work, ignore_errors=True)
    return out


def _whole(path: Path) -> bool:
    """The slate file is there with its picture and its sound (a cut-off file is not)."""
    try:
        found = probe(path)
    except (MediaError, FileNotFoundError):
        return False
    return bool(found.video_codec and found.audio_codec and found.frames)
