"""Burned-in text: Tesseract (Debian's tesseract-ocr) reads a few frames and what stays put
while the picture moves; any legible text the prompt did not ask for means the model painted
text into the picture (a word of the prompt, a stock-footage watermark, a caption)."""

from __future__ import annotations

import re
import shutil
import subprocess
import tempfile
from pathlib import Path

import numpy as np
from PIL import Image, ImageFilter

from webtv import prompts
from webtv.core.errors import GateUnavailable
from webtv.core.settings import child_environment
from webtv.inspection.checks import Check


def available() -> bool:
    return shutil.which("tesseract") is not None


TIMEOUT_S = 60  # for one picture; a tesseract that hangs is a gate down, not a clean take
MIN_CONFIDENCE = 60  # Tesseract's confidence (0-100) for a word of MIN_LETTERS + 1 read once
SHORT_CONFIDENCE = 80  # for a word of just MIN_LETTERS ("haut" is read into a busy texture)
LONG_CONFIDENCE = 45  # for a word of LONG_LETTERS or more (texture does not spell those)
LONG_LETTERS = 6
SEEN_TWICE_CONFIDENCE = 35  # for a word read in two of the pictures, or a word of the prompt
MIN_LETTERS = 4  # shorter runs of letters are what Tesseract reads into texture


GAP = 48  # plain rows between the pictures read at once: no line of text spans two


def read_each(pictures: list[np.ndarray]) -> list[list[tuple[str, float]]]:
    """(word, confidence) for every word Tesseract reads, picture by picture. The pictures are
    stacked into one page and read by one Tesseract run (starting it costs as much as reading
    a picture); each word goes back to the picture its box lies in."""
    height = max(p.shape[0] for p in pictures) + GAP
    width = max(p.shape[1] for p in pictures)
    page = np.full((height * len(pictures), width), 128, dtype=np.uint8)
    for i, picture in enumerate(pictures):
        grey = np.asarray(Image.fromarray(picture).convert("L"))
        page[i * height:i * height + grey.shape[0], :grey.shape[1]] = grey
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "page.png"
        Image.fromarray(page).save(path)
        # one thread: takes are inspected two at a time, and Tesseract's own threads would
        # only fight them for the cores
        try:
            done = subprocess.run(["tesseract", str(path), "stdout", "--psm", "11", "tsv"],
                                  capture_output=True, timeout=TIMEOUT_S,
                                  env=child_environment(OMP_THREAD_LIMIT="1"),
                                  process_group=0)
        except subprocess.TimeoutExpired as exc:  # unread is not "no text": the take waits
            raise GateUnavailable(f"tesseract read nothing in {TIMEOUT_S} s") from exc
    if done.returncode != 0:
        said = done.stderr.decode(errors="replace").strip().splitlines()
        raise GateUnavailable(f"tesseract failed (exit {done.returncode}): "
                              f"{said[-1] if said else 'no message'}")
    words: list[list[tuple[str, float]]] = [[] for _ in pictures]
    for line in done.stdout.decode(errors="replace").splitlines()[1:]:
        cells = line.split("\t")
        if len(cells) == 12 and cells[11].strip():
            middle = int(cells[7]) + int(cells[9]) / 2
            which = min(int(middle // height), len(pictures) - 1)
            words[which].append((cells[11].strip(), float(cells[10])))
    return words


def words_of(text: str) -> list[str]:
    return [w.lower() for w in re.findall(r"[A-Za-z]{3,}", text)]


WIDTH = 800  # the still is read at this width: small watermark lines need it
FRAME_WIDTH = 640  # single frames at this one (Tesseract's time grows with the pixels)
BRIGHT = 215  # grey level from which a pixel may be a white (or yellow) caption's letter


def _fit(frames: list[np.ndarray], width: int) -> list[np.ndarray]:
    if frames[0].shape[1] <= width:
        return frames
    height = round(frames[0].shape[0] * width / frames[0].shape[1])
    return [np.asarray(Image.fromarray(f).resize((width, height), Image.Resampling.BILINEAR))
            for f in frames]


def pictures(frames: list[np.ndarray]) -> list[np.ndarray]:
    """What to read: three frames across the clip, their temporal median (what stays put
    while the picture moves: a watermark, a logo, a caption) and its fine detail stretched
    (a faint, semi-transparent watermark), and its near-white parts as black on white (a
    caption in white letters with a dark outline, which Tesseract reads as hollow shapes, and
    misreads where something passes in front of it); no wider than WIDTH, the frames no wider
    than FRAME_WIDTH (an upscaler adds no letters)."""
    frames = _fit(frames, WIDTH)
    picks = _fit([frames[i] for i in np.linspace(0, len(frames) - 1, 3).round().astype(int)],
                 FRAME_WIDTH)
    still = np.median(np.stack(frames), axis=0).astype(np.uint8)
    grey = still.astype(np.float32).mean(axis=2)
    blur = np.asarray(Image.fromarray(grey.astype(np.uint8)).filter(
        ImageFilter.GaussianBlur(12)), dtype=np.float32)
    detail = np.clip(128 + (grey - blur) * 4, 0, 255).astype(np.uint8)
    bright = np.where(grey >= BRIGHT, 0, 255).astype(np.uint8)
    return [*picks, still, np.stack([detail] * 3, axis=2), np.stack([bright] * 3, axis=2)]


def burned_text(frames: list[np.ndarray], prompt: str) -> tuple[Check, str]:
    """(check, the text read). Any legible text the prompt did not ask for (in quotes) is a
    fault: a word of the prompt burned in, a watermark, a logo, a caption, gibberish. Legible
    means a run of at least MIN_LETTERS letters read with confidence, or read in two of the
    pictures (texture does not repeat its stray letters), or a word of the prompt or of the
    list of words models are known to burn in, read exactly (texture does not spell those)."""
    if not available():
        return Check("burned_text", 0.0, 0.0, True,
                     "not measured: tesseract is not installed"), ""
    reads = read_each(pictures(frames))
    quoted = re.findall(r'"([^"]+)"', prompt)
    asked = {w for q in quoted for w in words_of(q)}
    asked_run = "".join(re.findall(r"[a-z]+", " ".join(quoted).lower()))
    risky = {w for phrase in prompts.word_list("avoid_words.txt") for w in words_of(phrase)}
    known = (set(words_of(prompt)) | risky) - asked
    seen: dict[str, int] = {}
    for read in reads:
        for word in {w.lower() for w, c in _letters(read) if c >= SEEN_TWICE_CONFIDENCE}:
            seen[word] = seen.get(word, 0) + 1
    found = set()
    for read in reads:
        for word, confidence in _letters(read):
            low = word.lower()
            if any(w in low for w in asked) or low in asked_run:
                continue  # the text the prompt asks for, however Tesseract splits it
            sure = confidence >= (SHORT_CONFIDENCE if len(low) == MIN_LETTERS else
                                  LONG_CONFIDENCE if len(low) >= LONG_LETTERS else
                                  MIN_CONFIDENCE)
            twice = seen.get(low, 0) >= 2
            if (len(low) >= MIN_LETTERS and (sure or twice)
                    or low in known and confidence >= (
                        SEEN_TWICE_CONFIDENCE if len(low) > MIN_LETTERS else MIN_CONFIDENCE)):
                found.add(low)
    text = " ".join(w for w, c in reads[3] if c >= SEEN_TWICE_CONFIDENCE) or " ".join(
        w for read in reads[:3] for w, c in read if c >= MIN_CONFIDENCE)
    detail = f"read {' '.join(sorted(found))!r}" if found else "no legible text"
    return Check("burned_text", float(len(found)), 0.0, not found, detail), text


def _letters(read: list[tuple[str, float]]) -> list[tuple[str, float]]:
    """The runs of letters in what was read (punctuation stripped), with their confidence."""
    return [(run, c) for word, c in read for run in re.findall(r"[A-Za-z]{3,}", word)]
