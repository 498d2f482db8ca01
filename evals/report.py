"""The eval report: a Markdown table with 95% confidence intervals and a ranking, a CSV, one PNG
bar chart per metric (drawn with Pillow), and optionally one self-contained HTML page."""

from __future__ import annotations

import base64
import csv
import html
import math
from pathlib import Path
from typing import Any

from PIL import Image, ImageDraw, ImageFont

METRICS = [  # name, higher is better?
    ("theme_fidelity", True), ("aired_share", True), ("continuity_retention", True),
    ("token_overflow_rate", False), ("risky_word_rate", False),
    ("motion_specified_rate", True), ("check_pass_rate", True),
    ("retakes_per_aired_take", False), ("tool_call_validity", True),
    ("llm_tokens_per_aired_minute", False), ("wall_s_per_aired_minute", False)]
RANKED_BY = ["theme_fidelity", "aired_share", "continuity_retention", "token_overflow_rate",
             "risky_word_rate", "motion_specified_rate", "check_pass_rate"]
COLOURS = [(70, 110, 190), (220, 120, 50), (60, 160, 100), (170, 80, 160), (120, 120, 120)]


def mean_ci(values: list[float]) -> tuple[float, float]:
    """Mean and the half-width of a normal-approximation 95% interval (0 for one value)."""
    values = [v for v in values if v is not None and not math.isnan(v)]
    if not values:
        return float("nan"), float("nan")
    mean = sum(values) / len(values)
    if len(values) < 2:
        return mean, 0.0
    sd = math.sqrt(sum((v - mean) ** 2 for v in values) / (len(values) - 1))
    return mean, 1.96 * sd / math.sqrt(len(values))


def summarize(rows: list[dict[str, Any]]) -> dict[str, dict[str, tuple[float, float]]]:
    names = list(dict.fromkeys(r["strategy"] for r in rows))
    return {s: {m: mean_ci([r.get(m) for r in rows if r["strategy"] == s]) for m, _ in METRICS}
            for s in names}


def score(summary: dict[str, tuple[float, float]]) -> float:
    """The ranking: the mean of the prompt-quality metrics, each turned so that 1 is best."""
    better = dict(METRICS)
    parts = [summary[m][0] if better[m] else 1 - summary[m][0] for m in RANKED_BY]
    return sum(parts) / len(parts)


def write(rows: list[dict[str, Any]], out: Path, with_html: bool = False) -> Path:
    summary = summarize(rows)
    ranking = sorted(summary, key=lambda s: -score(summary[s]))
    with (out / "results.csv").open("w", newline="") as handle:
        fields = ["strategy", "case", "seed", *[m for m, _ in METRICS], "takes", "aired",
                  "finished"]
        writer = csv.DictWriter(handle, fieldnames=fields, extrasaction="ignore")
        writer.writeheader()
        writer.writerows(rows)
    plots = out / "plots"
    plots.mkdir(exist_ok=True)
    for metric, _ in METRICS:
        bar_chart(metric, {s: summary[s][metric] for s in ranking}, plots / f"{metric}.png")
    runs = len(rows) // max(1, len(summary))
    lines = [f"# Prompt strategies: {len(summary)} strategies, {runs} runs each "
             "(themes x seeds); mean ± 95% CI", "",
             "| rank | strategy | score | " + " | ".join(m for m, _ in METRICS) + " |",
             "|---|---|---|" + "---|" * len(METRICS)]
    for rank, s in enumerate(ranking, 1):
        cells = [f"{summary[s][m][0]:.3g} ± {summary[s][m][1]:.2g}" for m, _ in METRICS]
        lines.append(f"| {rank} | {s} | {score(summary[s]):.3f} | " + " | ".join(cells) + " |")
    lines += ["", "Score: the mean of " + ", ".join(RANKED_BY) + " (rates where lower is "
              "better counted as 1 - rate)."]
    report = out / "report.md"
    report.write_text("\n".join(lines) + "\n")
    if with_html:
        write_html(rows, out, ranking, "\n".join(lines))
    return report


def bar_chart(metric: str, values: dict[str, tuple[float, float]], out: Path) -> None:
    width, height, pad = 640, 360, 50
    img = Image.new("RGB", (width, height), "white")
    draw = ImageDraw.Draw(img)
    font = ImageFont.load_default(size=14)
    draw.text((width / 2, 16), metric.replace("_", " "), font=ImageFont.load_default(size=18),
              fill="black", anchor="mm")
    finite = [m + c for m, c in values.values() if not math.isnan(m)]
    top = max(finite + [1e-9]) * 1.15
    slot = (width - 2 * pad) / max(1, len(values))
    draw.line([(pad, height - pad), (width - pad, height - pad)], fill="black")
    for i, (name, (mean, ci)) in enumerate(values.items()):
        x0 = pad + i * slot + slot * 0.2
        x1 = x0 + slot * 0.6
        if not math.isnan(mean):
            y = height - pad - (height - 2 * pad) * mean / top
            draw.rectangle([x0, y, x1, height - pad], fill=COLOURS[i % len(COLOURS)])
            yl = height - pad - (height - 2 * pad) * (mean - ci) / top
            yh = height - pad - (height - 2 * pad) * (mean + ci) / top
            xc = (x0 + x1) / 2
            draw.line([(xc, yl), (xc, yh)], fill="black", width=2)
            draw.text((xc, y - 12), f"{mean:.3g}", font=font, fill="black", anchor="mm")
        draw.text(((x0 + x1) / 2, height - pad + 14), name, font=font, fill="black",
                  anchor="mm")
    img.save(out)


def _inline(path: Path) -> str:
    data = base64.b64encode(path.read_bytes()).decode()
    return f'<img src="data:image/png;base64,{data}" alt="{html.escape(path.stem)}">'


def write_html(rows: list[dict[str, Any]], out: Path, ranking: list[str], table: str) -> None:
    charts = "".join(_inline(p) for p in sorted((out / "plots").glob("*.png")))
    samples = []
    for s in ranking:
        sheets = [Path(r["sample_sheet"]) for r in rows
                  if r["strategy"] == s and r.get("sample_sheet")]
        sheet = next((p for p in sheets if p.exists()), None)
        samples.append(f"<h3>{html.escape(s)}</h3>" + (_inline(sheet) if sheet else
                                                        "<p>no aired take</p>"))
    page = ("<!doctype html><meta charset='utf-8'><title>AI WebTV eval</title>"
            "<style>body{font-family:sans-serif;max-width:1400px;margin:auto}"
            "img{max-width:640px;margin:4px}pre{overflow-x:auto}</style>"
            f"<h1>Prompt strategies</h1><pre>{html.escape(table)}</pre><h2>Metrics</h2>"
            f"{charts}<h2>Sample takes (contact sheets)</h2>{''.join(samples)}")
    (out / "report.html").write_text(page)
