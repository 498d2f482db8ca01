"""The commands that serve a channel to others without airing it: ``webtv serve`` (the page,
the guide and the tuner, for a channel whose playout runs in another process) and ``webtv
guide`` (the programme guide or the channel list, written once)."""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

from webtv.channel.runtime import Runtime
from webtv.core.errors import ConfigError
from webtv.core.settings import Settings
from webtv.state.datadir import DataDir
from webtv.state.store import Store

DISCOVER_HELP = ("also answer tuner discovery on the network (HDHomeRun's UDP 65001 and SSDP "
                 "1900), so media servers find the channels; the guide, the M3U and the "
                 "tuner's HTTP API are on the page's address either way")


def add_parsers(sub, data_options) -> None:
    serve = sub.add_parser("serve", help="serve the channel's page for a data dir")
    data_options(serve)
    serve.add_argument("--host", default="127.0.0.1", help="address (default 127.0.0.1)")
    serve.add_argument("--port", type=int, default=8080, help="port (default 8080)")
    serve.add_argument("--discover", action="store_true", help=DISCOVER_HELP)
    guide = sub.add_parser("guide", help="write the programme guide (XMLTV) or the channel "
                           "list (M3U) that the page serves at /xmltv.xml and /channels.m3u")
    data_options(guide)
    guide.add_argument("--m3u", action="store_true", help="the channel list, not the guide")
    guide.add_argument("--base-url", default="http://127.0.0.1:8080",
                       help="where the page answers, for the links in it (default "
                       "http://127.0.0.1:8080)")
    guide.add_argument("--out", type=Path, help="a file in the data dir (default: stdout)")


def cmd_serve(args: argparse.Namespace, settings: Settings) -> int:
    """The page alone, for a channel whose playout runs in another process."""
    from webtv.app.web import serve

    with Runtime(settings, exclusive=False) as run:  # the channel's own process holds the lock
        server = serve(DataDir(settings.data_dir), args.host, args.port, settings=settings,
                       discover=args.discover)
        run.on_close(server.server_close, server.shutdown)
        print(f"Serving http://{args.host}:{server.server_port}/  (Ctrl-C to stop)", flush=True)
        run.stop_on_signals()
        run.stop.wait()
    return 0


def cmd_guide(args: argparse.Namespace, settings: Settings) -> int:
    """The guide (or the channel list) as the page serves it, from the channel's store."""
    from webtv.app.xmltv import m3u, xmltv

    data = DataDir(settings.data_dir, create=False)
    base = args.base_url.rstrip("/")
    if not re.fullmatch(r"https?://[^\s/]+(/\S*)?", base):
        raise ConfigError(f"--base-url {base!r}: an http(s) URL, like http://192.168.1.5:8080")
    with Store(data, read_only=True) as store:
        body = (m3u(store, settings.channel, base).encode() if args.m3u
                else xmltv(store, settings.channel, base))
    if args.out is None:
        sys.stdout.buffer.write(body)
        return 0
    out = args.out if args.out.is_absolute() else data.root / args.out
    if not out.resolve().is_relative_to(data.root.resolve()):
        raise ConfigError(f"--out {args.out}: a file in the data dir ({data.root}); for "
                          "anywhere else, leave --out off and redirect the output")
    out.parent.mkdir(parents=True, exist_ok=True)
    temp = out.with_name(f".{out.name}.tmp")
    temp.write_bytes(body)
    temp.replace(out)
    print(f"Wrote {out}", file=sys.stderr)
    return 0
