"""`webtv chat`: a REPL with the director. Each tool call and its result print as they happen.

It works on the same data directory as a running channel (SQLite in WAL mode), so notes and
continuity changes made here steer what the autopilot makes next.
"""

from __future__ import annotations

from webtv.channel.answers import store_answer
from webtv.channel.runtime import open_context
from webtv.channel.status import channel_health, format_status, status_report
from webtv.core.errors import ConfigError, NotFound, StepLimitExceeded, ToolError, WebTVError
from webtv.core.settings import Settings
from webtv.director.loop import Conversation
from webtv.director.models import chat_model
from webtv.director.requests import chat_request, produce_request
from webtv.director.turn import carry_out, system_prompt
from webtv.reading.theme import checked_theme
from webtv.state.datadir import DataDir
from webtv.tools.programme import favourite_take

HELP = """Give the director a theme ("theme: a fox who delivers mail by balloon" replaces the show
now; "queue: ..." airs it after the current show), a continuity change ("make the fox's scarf
green from now on") or a note ("more close-ups").
/status shows what is on air; /queue THEME queues a show; /favourite TAKE keeps a take
(/favourite TAKE off lets it go); /quit (or Ctrl-D) leaves."""


def print_event(kind: str, data: dict) -> None:
    """A turn's progress on the terminal: each call, its result, the answer."""
    if kind == "call":
        print(f"  -> {data['name']}({data['arguments']})", flush=True)
    elif kind == "result":
        mark = "ok" if data["ok"] else "ERROR"
        text = data["content"] if len(data["content"]) < 400 else data["content"][:400] + " ..."
        print(f"  <- {mark} {data['name']} ({data['duration_ms']:.0f} ms): {text}", flush=True)
    elif kind == "answer":
        print(f"director: {data['text']}", flush=True)


def quiet_event(kind: str, data: dict) -> None:
    """`webtv run`'s terminal without -v: what went wrong, in one line each (every call and
    its result are kept in the database and shown on the operator page; -v prints them
    here too)."""
    if kind == "result" and not data["ok"]:
        text = " ".join(str(data["content"]).removeprefix("Error: ").split())
        print(f"director: {data['name']} failed: {text[:200]}", flush=True)


def repl(settings: Settings, read=input, write=print) -> int:

    try:
        DataDir(settings.data_dir, create=False)
        new = False
    except ConfigError:
        new = True  # said, so a chat started in the wrong folder is noticed at once
    ctx = open_context(settings)
    model = chat_model(settings)
    conversation = Conversation(system_prompt(settings))
    write(f"Director: {settings.describe_model()}\nData: {ctx.data.root}"
          + (" (new: no channel was here; --data-dir or $WEBTV_HOME pick one)" if new else "")
          + f"\n{HELP}")
    channel = channel_health(ctx.store)
    if channel["running"]:
        write(f"Attached to the running channel (pid {channel['pid']}, "
              f"{channel['mode']}): what you change here steers its next shots.")
    try:
        while True:
            try:
                line = read("you> ").strip()
            except (EOFError, KeyboardInterrupt):
                write("")
                return 0
            if not line:
                continue
            if line in {"/quit", "/exit"}:
                return 0
            if is_command(line):
                write(command(ctx.store, line))
                continue
            try:
                talk(model, ctx, conversation, line, print_event, attached=channel["running"])
            except (StepLimitExceeded, WebTVError) as exc:
                write(f"(stopped: {exc})")
            except KeyboardInterrupt:  # Ctrl-C stops the turn, not the session
                write("(interrupted)")
    finally:
        ctx.store.close()


def talk(model, ctx, conversation: Conversation, line: str, emit, *, attached: bool,
         stop=None) -> str:
    """One line from a person to the director. A new show made here, with no channel running
    to produce it, gets its first shots made at once. A question the store answers (on air,
    next, why a take failed, a prompt) is answered from it, with any director."""
    known = store_answer(ctx.store, line)
    if known is not None:
        emit("answer", {"text": known})
        return known
    request = chat_request(ctx, line)
    answer = carry_out(model, ctx, conversation, request, on_event=emit, stop=stop)
    segment = ctx.store.programme.current_segment()
    if request.kind == "theme" and not attached and segment is not None:
        more = produce_request(ctx, segment, 2)
        answer = carry_out(model, ctx, conversation, more, on_event=emit, stop=stop)
    return answer


COMMANDS = ("/status", "/queue", "/favourite")


def is_command(line: str) -> bool:
    return line.split(" ", 1)[0] in COMMANDS


def command(store, line: str) -> str:
    """The REPL's own commands (/status, /queue, /favourite), done without the director; the
    operator page's chat uses them too."""
    name, _, rest = line.partition(" ")
    rest = rest.strip()
    if name == "/status":
        return format_status(status_report(store))
    if name == "/queue":
        if rest:
            try:
                store.programme.queue_theme(checked_theme(rest))
            except ToolError as exc:
                return str(exc)
        queued = [q["theme"] for q in store.programme.queued_themes()]
        return "Queued: " + "; ".join(queued) if queued else "No themes queued."
    take_id, _, off = rest.partition(" ")
    if not take_id.isdigit() or off.strip() not in ("", "off"):
        return "usage: /favourite TAKE_ID [off]"
    try:
        return favourite_take(store, int(take_id), on=not off.strip())[1]
    except NotFound as exc:
        return str(exc)
