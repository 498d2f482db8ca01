"""Burned-in text: Tesseract (Debian's tesseract-ocr) reads a few frames; words that match the
prompt, or any run of real letters, mean the model painted text into the picture."""

from __future__ import annotations

import re
import shutil
import subprocess
import tempfile
from difflib import SequenceMatcher
from pathlib import Path

import numpy as np
from PIL import Image

import prompts
from tools.checks import Check


def available() -> bool:
    return shutil.which("tesseract") is not None


def read_text(frame: np.ndarray) -> str:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "frame.png"
        Image.fromarray(frame).convert("L").save(path)
        done = subprocess.run(["tesseract", str(path), "stdout", "--psm", "11"],
                              capture_output=True, timeout=60)
    return done.stdout.decode(errors="replace")


def words_of(text: str) -> list[str]:
    return [w.lower() for w in re.findall(r"[A-Za-z]{3,}", text)]


def burned_text(frames: list[np.ndarray], prompt: str) -> tuple[Check, str]:
    """(check, the text read). Value: words read that match a word of the prompt or of the
    list of words models are known to burn in (prompts/avoid_words.txt); none may be there.
    Tesseract reads scenery as stray letters, so only such matches count."""
    if not available():
        return Check("burned_text", 0.0, 0.0, True,
                     "not measured: tesseract is not installed"), ""
    picks = [frames[i] for i in np.linspace(0, len(frames) - 1, 3).round().astype(int)]
    text = " ".join(read_text(f) for f in picks)
    risky = {w for phrase in prompts.word_list("avoid_words.txt") for w in words_of(phrase)}
    targets = set(words_of(prompt)) | risky
    found = [word for word in words_of(text)
             if any(SequenceMatcher(None, word, t).ratio() >= 0.8 for t in targets)]
    detail = f"read {' '.join(sorted(set(found)))!r}" if found else "no legible text"
    return Check("burned_text", float(len(found)), 0.0, not found, detail), text
