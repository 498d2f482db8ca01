"""Viewers' suggestions, from asking to airing: how long a suggestion from the page or from
the chat takes to premiere as a scene, at local speed and at a real model's pace, and what a
flood from one viewer changes for the others.

A real IRC server (ngircd) runs on 127.0.0.1; `webtv run --chat irc://...` joins it. The page's
API takes a suggestion, a viewer in the chat suggests another; each is timed from the moment it
was sent to the moment its first take went on air (the air log) and to the moment the chat
was told. Then one viewer floods: FLOOD suggestions through the page with one cookie, and
lines through the chat, while five others suggest once each; the table says how many of the
flooder's were listed, whether every other one was, and what each refusal cost.

    python bench/suggestions.py [--seconds-per-take 0] [--flood 500]
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from datetime import datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
os.environ.setdefault("HF_HUB_OFFLINE", "1")
THEME = "a llama who runs a night-time noodle stand"


def post(url: str, body: dict, cookie: str | None = None) -> tuple[int, dict, str | None]:
    headers = {"Content-Type": "application/json", **({"Cookie": cookie} if cookie else {})}
    request = urllib.request.Request(url, json.dumps(body).encode(), headers, method="POST")
    try:
        with urllib.request.urlopen(request, timeout=30) as answer:
            return answer.status, json.loads(answer.read()), answer.headers.get("Set-Cookie")
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read() or b"{}"), None


def aired_at(db: Path, suggestion_id: int) -> float | None:
    with sqlite3.connect(db) as conn:
        row = conn.execute(
            "select min(air_log.started_at) from air_log join takes on takes.id = "
            "air_log.take_id join shots on shots.id = takes.shot_id where shots.suggestion_id "
            "= ? and air_log.kind = 'take'", (suggestion_id,)).fetchone()
    return datetime.fromisoformat(row[0]).timestamp() if row and row[0] else None


def wait_for(what, timeout: float, every: float = 0.5):
    deadline = time.time() + timeout
    while time.time() < deadline:
        found = what()
        if found:
            return found
        time.sleep(every)
    return None


def main() -> None:
    from bench.table import print_table
    from tests.channel import free_port
    from tests.test_irc import Server, Viewer

    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds-per-take", type=float, default=0.0,
                        help="0: the local backends; else a Space that takes this long a take")
    parser.add_argument("--flood", type=int, default=500)
    args = parser.parse_args()
    home = Path(tempfile.mkdtemp(prefix="webtv-suggestions-"))
    irc = Server(home / "ngircd", free_port()).start()
    space = None
    command = [sys.executable, "-m", "webtv.app.cli", "run", "--theme", THEME, "--port",
               str(port := free_port()), "--chat", f"irc://127.0.0.1:{irc.port}/#webtv"]
    config = '[chat]\nnick = "webtvbot"\n'
    if args.seconds_per_take:
        from tests.spaces import Space

        space = Space("zeroscope-576w", concurrency=1)
        space.behaviour.delay = args.seconds_per_take
        config += (f'[[endpoints]]\nbackend = "zeroscope"\npreset = "zeroscope-576w"\n'
                   f'url = "{space.url}"\n')
        command += ["--video", "zeroscope"]
    (home / "webtv.toml").write_text(config)
    env = {**os.environ, "WEBTV_HOME": str(home)}
    env.pop("WEBTV_LLM_MODEL", None)
    proc = subprocess.Popen(command, env=env, cwd=ROOT, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    base, db = f"http://127.0.0.1:{port}", home / "webtv.db"
    rows = [("video", f"a Space at {args.seconds_per_take:g} s a take (one job at a time)"
             if args.seconds_per_take else "the local backends")]
    try:
        first = wait_for(lambda: db.exists() and sqlite3.connect(db).execute(
            "select count(*) from air_log where kind = 'take'").fetchone()[0], 600)
        if not first:
            raise SystemExit(f"no take aired; see {home}")
        ana = Viewer(irc.port, "ana")
        sent = time.time()
        made = post(f"{base}/api/suggestions", {"text": "the llama juggles three bowls of "
                                                        "noodles", "name": "Page viewer"})[1]
        page_aired = wait_for(lambda: aired_at(db, made["id"]), 900)
        rows.append(("page: suggestion to its first take on air (s)",
                     f"{page_aired - sent:.0f}" if page_aired else "never"))
        sent = time.time()
        ana.say("!suggest a fox orders the biggest bowl of noodles")
        listed = ana.wait_for("suggestion", 30)
        number = int(listed.split("suggestion ")[1].split()[0])
        chat_aired = wait_for(lambda: aired_at(db, number), 900)
        told = ana.wait_for("Now on air", 120)
        rows.append(("chat: suggestion to its first take on air (s)",
                     f"{chat_aired - sent:.0f}" if chat_aired else "never"))
        rows.append(("chat: suggestion to the chat told it is on air (s)",
                     f"{time.time() - sent:.0f}" if told else "never"))
        flood_rows(rows, base, db, irc, args.flood)
        ana.close()
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=120)
        irc.stop()
        if space is not None:
            space.close()
    print_table(rows)


def flood_rows(rows: list, base: str, db: Path, irc, flood: int) -> None:
    from tests.test_irc import Viewer

    status, made, cookie = post(f"{base}/api/suggestions", {"text": "flood number 0"})
    cookie = (cookie or "").split(";")[0]
    began, refused = time.time(), 0
    for i in range(1, flood):
        refused += post(f"{base}/api/suggestions", {"text": f"flood number {i}"},
                        cookie)[0] == 429
    page_s = time.time() - began
    loud = Viewer(irc.port, "loud")
    for i in range(60):
        loud.say(f"!suggest chat flood {i}")
        time.sleep(0.05)
    others = []
    for i in range(5):
        others.append(post(f"{base}/api/suggestions", {"text": f"viewer {i}: a lantern parade",
                                                       "name": f"viewer{i}"})[0])
    loud.drain(20)
    with sqlite3.connect(db) as conn:
        page = conn.execute("select count(*) from suggestions where text like 'flood number%'"
                            ).fetchone()[0]
        chat = conn.execute("select count(*) from suggestions where text like 'chat flood%'"
                            ).fetchone()[0]
    answers = [line for line in loud.heard if "PRIVMSG #webtv :@loud" in line]
    rows += [
        (f"page flood: {flood} suggestions from one viewer, listed", str(page)),
        ("page flood: refused with 429", str(refused)),
        ("page flood: ms per refused request", f"{1000 * page_s / max(1, flood - 1):.1f}"),
        ("chat flood: 60 lines from one viewer, listed", str(chat)),
        ("chat flood: the bot's answers to the flooder", str(len(answers))),
        ("five other viewers during the floods: listed", f"{others.count(201)} of 5"),
    ]
    loud.close()


if __name__ == "__main__":
    main()
