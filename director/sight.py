"""Whether a model that is said to see really does: checked once, at start, with a picture of
known content. The picture is two flat halves in two colours drawn at random; the model is asked
to name them, left then right. A text-only model behind an endpoint that drops images (or one
that guesses) names the wrong ones, and the channel then reviews nothing by sight instead of
trusting a flag in the environment."""

from __future__ import annotations

import io
import random
import re
from dataclasses import dataclass

from PIL import Image

COLOURS = {"red": (210, 35, 35), "green": (40, 160, 70), "blue": (35, 70, 215),
           "yellow": (245, 215, 40), "black": (10, 10, 10), "white": (250, 250, 250)}
QUESTION = ("This picture is split into a left half and a right half, each one flat colour. "
            "Name the colour of the left half, then the colour of the right half, in two words.")


@dataclass(frozen=True)
class Sight:
    sees: bool
    asked: tuple[str, str]  # the colours shown, left and right
    said: str  # the model's words (or what went wrong)

    def line(self, model: str) -> str:
        if self.sees:
            return f"{model} named the test picture's colours ({' and '.join(self.asked)}): " \
                   "it reviews takes by sight"
        return (f"{model} did not name the test picture's colours ({' and '.join(self.asked)}; "
                f"it said {self.said[:80]!r}): takes are not reviewed by sight")


def picture(left: str, right: str, size: tuple[int, int] = (256, 128)) -> bytes:
    """A PNG: the left half one named colour, the right half another."""
    image = Image.new("RGB", size, COLOURS[right])
    image.paste(COLOURS[left], (0, 0, size[0] // 2, size[1]))
    out = io.BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()


def check(model, rng: random.Random | None = None) -> Sight:
    """Show ``model`` (a ChatModel with ``ask_about``) the picture; it sees when its answer
    names the two colours in order and no other."""
    left, right = (rng or random.SystemRandom()).sample(sorted(COLOURS), 2)
    try:
        said = model.ask_about(QUESTION, picture(left, right))
    except Exception as exc:  # noqa: BLE001 (any failure is "did not see"; it is said)
        return Sight(False, (left, right), f"{type(exc).__name__}: {exc}")
    named = [w for w in re.findall(r"[a-z]+", (said or "").lower()) if w in COLOURS]
    return Sight(named[:2] == [left, right] and set(named) == {left, right}, (left, right),
                 said or "")
