"""webtv: run the channel, talk to its director, see what is on air."""

from __future__ import annotations

import argparse
import json
import logging
import logging.handlers
import sys
import time
from pathlib import Path

from webtv.app import channels, library, serving, workers
from webtv.app.guide import guide_lines, now_and_next
from webtv.channel.chat import print_event, quiet_event
from webtv.channel.runtime import Runtime, preflight
from webtv.channel.station import Options, Station
from webtv.channel.status import format_status, status_report, when_queued
from webtv.core.errors import ConfigError, ToolError
from webtv.core.media import use_ffmpeg
from webtv.core.settings import Settings
from webtv.core.threads import name_os_threads
from webtv.director.models import chat_model
from webtv.reading.theme import checked_theme
from webtv.state.datadir import DataDir
from webtv.state.retention import Policy
from webtv.state.store import Store
from webtv.tools.programme import favourite_take

log = logging.getLogger("webtv")
BACKEND_EXAMPLES = {
    "video": "zeroscope, ltx, diffusers:MODEL (a folder or a cached hub id: Wan, LTX-Video, "
             "CogVideoX on this machine's GPU; AnimateDiff, Zeroscope on a CPU), "
             "stills:MODEL (a text-to-image model's pictures set in motion: SD-Turbo on a "
             "laptop), replicate:OWNER/NAME or veo:MODEL (hosted)",
    "upscale": "xl", "interpolate": "film",
    "music": "musicgen, or transformers:MODEL (MusicGen) / diffusers:MODEL (an audio pipeline)",
    "stills": "diffusers:MODEL (text-to-image: the cast's reference stills, for image-to-video "
              "models)"}


def data_options(p: argparse.ArgumentParser, after: bool = False) -> None:
    """--data-dir and -v; ``after``: on an action too (`webtv channel add NAME --data-dir D`)."""
    default = argparse.SUPPRESS if after else None
    p.add_argument("--data-dir", type=Path, default=default,
                   help="data directory (default $WEBTV_HOME or ./webtv-data)")
    p.add_argument("-v", "--verbose", action="store_true", default=default)


def _common(p: argparse.ArgumentParser) -> None:  # a command that runs a director
    data_options(p)
    p.add_argument("--model", help="the director: gguf:qwen2.5-coder-1.5b (embedded, installed "
                                   "with the dev extras), gguf:/path/to/model.gguf, or a model "
                                   "name at an OpenAI-compatible endpoint (default "
                                   "$WEBTV_LLM_MODEL; unset: the offline director)")
    p.add_argument("--base-url", help="OpenAI-compatible endpoint (default $WEBTV_LLM_BASE_URL)")
    p.add_argument("--review-model", help="a model that sees, to review takes by sight "
                                          "whatever the director (default $WEBTV_REVIEW_MODEL)")
    p.add_argument("--review-url", help="its OpenAI-compatible endpoint (default "
                                        "$WEBTV_REVIEW_BASE_URL, else the director's)")
    p.add_argument("--config", type=Path, help="backend configuration (default: webtv.toml in "
                                                "the data directory, if there is one)")
    for cap, examples in BACKEND_EXAMPLES.items():
        p.add_argument(f"--{cap}", metavar="BACKEND",
                       help=f"{cap} backend: local (default), {examples}, or a backend named "
                            "in webtv.toml")
    p.add_argument("--faults", type=float, default=0.0, metavar="RATE",
                   help="testing: the share of local takes made with a known fault (reversed "
                        "motion, wrong palette, burned-in text, frozen, black, vertical lines)")
    p.add_argument("--checks", choices=("auto", "all", "playable"),
                   help="which failed checks keep a take off the air: all, or only black, "
                        "frozen and burned-in text (playable); auto (default): playable for "
                        "an in-process model, all otherwise ([inspection] gate in webtv.toml)")
    p.add_argument("--budget", type=float, metavar="USD",
                   help="spend at most this many dollars a day (UTC) on takes; once spent, "
                        "the channel airs its library until the next day ([budget] day_usd)")
    p.add_argument("--budget-hour", type=float, metavar="USD",
                   help="and at most this many dollars in any clock hour ([budget] hour_usd)")


def parser() -> argparse.ArgumentParser:
    top = argparse.ArgumentParser(prog="webtv", description=__doc__)
    sub = top.add_subparsers(dest="command", required=True)
    _run_parser(sub)
    chat = sub.add_parser("chat", help="talk to the director (a REPL)")
    _common(chat)
    _eval_parser(sub)
    queue = sub.add_parser("queue", help="queue a theme for a later show (or list the queue)")
    data_options(queue)
    queue.add_argument("theme", nargs="?", help="the theme; none: list what is queued")
    fav = sub.add_parser("favourite", help="keep a take forever (retention never deletes it)")
    data_options(fav)
    fav.add_argument("take_id", type=int)
    fav.add_argument("--off", action="store_true", help="unmark it")
    serving.add_parsers(sub, data_options)
    library.add_parser(sub, data_options)
    channels.add_parsers(sub, data_options)
    workers.add_parser(sub)
    status = sub.add_parser("status", help="what is on air, what is next, take counts")
    data_options(status)
    status.add_argument("--json", action="store_true")
    return top


def _run_parser(sub) -> None:
    run = sub.add_parser("run", help="put the channel on air and keep it there")
    _common(run)
    run.add_argument("--theme", help="theme for a new show (kept if the show exists)")
    run.add_argument("--chat", metavar="URL",
                     help="take viewers' !suggest and !vote from an IRC chat: "
                          "ircs://irc.chat.twitch.tv:6697/#CHANNEL for Twitch (its token from "
                          "the variable [chat] token_env names), irc://HOST:PORT/#CHANNEL")
    run.add_argument("--rtmp", action="append", default=[], metavar="URL",
                     help="also push FLV to this RTMP URL, or to 'twitch' / 'youtube' with the "
                          "key from $TWITCH_STREAM_KEY / $YOUTUBE_STREAM_KEY; {env:NAME} in a "
                          "URL is filled from the environment (repeatable)")
    run.add_argument("--host", default="127.0.0.1",
                     help="page server address (default 127.0.0.1; 0.0.0.0: every interface)")
    run.add_argument("--port", type=int, default=8080,
                     help="page server port (default 8080; 0: no page)")
    run.add_argument("--discover", action="store_true", help=serving.DISCOVER_HELP)
    run.add_argument("--buffer", type=float, default=600.0,
                     help="seconds of accepted takes to keep scheduled ahead of the air "
                          "(default 600)")
    run.add_argument("--duration", type=float, help="stop after this many seconds")
    run.add_argument("--keep-hours", type=float, default=Policy.keep_hours,
                     help="retention: keep media of takes used within this many hours "
                          f"(default {Policy.keep_hours:g})")
    run.add_argument("--keep-gb", type=float, default=Policy.keep_gb,
                     help="retention: keep media/ under this size, oldest takes going first "
                          f"(default {Policy.keep_gb:g}); favourites are always kept")
    run.add_argument("--log-days", type=float, default=Policy.log_days,
                     help=f"keep model, tool and endpoint call logs this long "
                          f"(default {Policy.log_days:g})")


def _eval_parser(sub) -> None:
    ev = sub.add_parser("eval", help="compare prompt strategies over the shipped themes")
    _common(ev)
    ev.add_argument("--strategies", default="raw,guide,bible,critic",
                    help="comma-separated names from prompts/strategies/")
    ev.add_argument("--themes", type=int, help="use only the first N themes of evals/cases/")
    ev.add_argument("--seeds", type=int, default=1)
    ev.add_argument("--shots", type=int, default=3, help="shots per run")
    ev.add_argument("--out", type=Path, default=Path("eval-report"))
    ev.add_argument("--record", action="store_true",
                    help="record the LLM traffic (vcrpy) from the live endpoint; without it an "
                         "LLM eval replays its cassettes")
    ev.add_argument("--html", action="store_true", help="also write one self-contained page")


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    logging.basicConfig(level=logging.DEBUG if args.verbose else logging.INFO,
                        format="%(asctime)s %(name)s %(levelname)s %(message)s")
    given = vars(args)  # a command without the director's options leaves them unset
    # the one reading of the environment; webtv.toml is read once, by settings.config()
    settings = Settings.from_env(
        data_dir=given.get("data_dir"), llm_model=given.get("model"),
        llm_base_url=given.get("base_url"), config_path=given.get("config"),
        review_model=given.get("review_model"), review_base_url=given.get("review_url"),
        fault_rate=given.get("faults") or 0.0, gate=given.get("checks"),
        budget_day=given.get("budget"), budget_hour=given.get("budget_hour"),
        backends={cap: given.get(cap) for cap in BACKEND_EXAMPLES})
    use_ffmpeg(settings.ffmpeg)
    commands = {"run": cmd_run, "chat": cmd_chat, "serve": serving.cmd_serve,
                "worker": workers.cmd_worker,
                "status": cmd_status, "eval": cmd_eval, "queue": cmd_queue,
                "favourite": cmd_favourite, "channel": channels.cmd_channel,
                "tag": channels.cmd_tag, "guide": serving.cmd_guide,
                "loudness": library.cmd_loudness}
    try:
        return commands[args.command](args, settings)
    except (ConfigError, ToolError) as exc:  # a mistake in what was asked: one line, no trace
        print(f"webtv: {exc}", file=sys.stderr)
        return 2


def cmd_run(args: argparse.Namespace, settings: Settings) -> int:
    from webtv.app.web import port_free, serve

    theme = checked_theme(args.theme) if args.theme is not None else None
    name_os_threads()  # `top -H` and bench/channel.py see which part uses the CPU
    if args.port:
        port_free(args.host, args.port)  # before the data dir is made or the lock taken
    # a model, an extra or a key that is missing: refused before the data dir is touched
    preflight(settings)
    started = time.monotonic()
    with Runtime(settings) as run:  # the run lock first: before scratch, HLS or show is touched
        station = Station(run, settings, Options(
            rtmp=tuple(args.rtmp), chat=args.chat, buffer_seconds=args.buffer,
            policy=Policy(keep_hours=args.keep_hours, keep_gb=args.keep_gb,
                          log_days=args.log_days),
            on_event=print_event if args.verbose else quiet_event, news_every_s=60.0))
        if not station.has_show() and not theme:
            raise ConfigError("no show yet: start one with --theme \"...\"")
        if args.port:  # a port in use fails here, before the playout wipes hls/
            server = serve(station.context.data, args.host, args.port,
                           lambda: station.playout.session, settings=settings,
                           sessions_of=station.sessions, discover=args.discover)
            run.on_close(server.server_close, server.shutdown)  # shut down, then close
            page = f"http://{args.host}:{server.server_port}/"
            print(f"On air at {page}  (Ctrl-C to stop)\nFor media servers: {page}channels.m3u "
                  f"and {page}xmltv.xml, or an HDHomeRun tuner at {page}", flush=True)
        log_to_file(station.context.data.root / "logs")
        run.stop_on_signals()
        station.on_air(theme, args.duration, say=lambda line: print(line, flush=True))
    if "playout" in run.errors:
        print(f"playout failed: {run.errors['playout']}", file=sys.stderr)
        return 1
    print(f"Off air after {time.monotonic() - started:.0f} s.", flush=True)
    return 0


def log_to_file(folder: Path) -> None:
    """Weeks of air: the log rotates at 10 MB and keeps five old files."""
    folder.mkdir(exist_ok=True)
    handler = logging.handlers.RotatingFileHandler(folder / "webtv.log", maxBytes=10 << 20,
                                                   backupCount=5, encoding="utf-8")
    handler.setFormatter(logging.Formatter("%(asctime)s %(name)s %(levelname)s %(message)s"))
    logging.getLogger().addHandler(handler)


def cmd_queue(args: argparse.Namespace, settings: Settings) -> int:
    theme = checked_theme(args.theme) if args.theme else None
    # the channel's own store; never a new one here
    with Store(DataDir(settings.data_dir, create=False)) as store:
        if theme:
            store.programme.queue_theme(theme)
        queued = store.programme.queued_themes()
        print("\n".join(f"{i}. {q['theme']} ({when_queued(store, i)})"
                        for i, q in enumerate(queued, 1)) or "No themes queued.")
    return 0


def cmd_favourite(args: argparse.Namespace, settings: Settings) -> int:
    with Store(DataDir(settings.data_dir, create=False)) as store:
        print(favourite_take(store, args.take_id, on=not args.off)[1])
    return 0


def cmd_chat(args: argparse.Namespace, settings: Settings) -> int:
    from webtv.channel.chat import repl

    return repl(settings)


def cmd_eval(args: argparse.Namespace, settings: Settings) -> int:
    from webtv.evals.harness import run_eval
    from webtv.evals.report import write

    names = [n.strip() for n in args.strategies.split(",") if n.strip()]
    cassettes = None
    if settings.llm_model:  # an LLM: its traffic is recorded with --record, replayed without
        import vcr

        recorder = vcr.VCR(cassette_library_dir=str(args.out / "cassettes"),
                           record_mode="all" if args.record else "none",
                           filter_headers=["authorization"], match_on=["method", "path"])
        cassettes = recorder.use_cassette

        def model_for(strategy, seed):
            return chat_model(settings)
    else:
        from webtv.director.offline import OfflineDirector

        def model_for(strategy, seed):
            return OfflineDirector(shots_per_request=args.shots, seed=seed,
                                   strategy=strategy.offline if strategy.writes_prompts
                                   else None)
    rows = run_eval(names, args.out, model_for, themes=args.themes, seeds=args.seeds,
                    shots=args.shots, fault_rate=args.faults or 0.3, cassettes=cassettes)
    report = write(rows, args.out, with_html=args.html)
    print(report.read_text())
    print(f"Report: {report}  CSV: {args.out / 'results.csv'}  plots: {args.out / 'plots'}"
          + (f"  page: {args.out / 'report.html'}" if args.html else ""))
    return 0


def cmd_status(args: argparse.Namespace, settings: Settings) -> int:
    """Looks only: the channel's database opened read-only, no backends built."""
    with Store(DataDir(settings.data_dir, create=False), read_only=True) as store:
        report = status_report(store)
        # what the guide lists airs only while the channel runs
        report["guide"] = now_and_next(store, settings.channel) \
            if report["channel"]["running"] else []
    print(json.dumps(report, indent=2) if args.json else "\n".join(
        [format_status(report), *guide_lines(report["guide"])]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
