"""A channel built from its settings, in one place: the tool context (the store, the backends,
the checks), the main playout and its RTMP outputs, the library channels, the autopilot. The
command line parses its flags into a ``Station``, attaches the page if it serves one, and
puts the station on air; a benchmark does the same without a terminal.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from webtv.channel.autopilot import Autopilot
from webtv.channel.irc import ChatBridge, ChatConfig
from webtv.channel.network import Network, reporter
from webtv.channel.runtime import Runtime
from webtv.channel.suggestions import Limits
from webtv.channel.ticker import Ticker
from webtv.core.errors import ConfigError
from webtv.core.settings import Settings
from webtv.director.loop import Event
from webtv.playout.captions import caption_mode
from webtv.playout.outputs import resolve_rtmp
from webtv.playout.playout import Playout
from webtv.playout.programme import Programme
from webtv.reading.colours import agreement
from webtv.state.retention import Policy
from webtv.tools.context import ToolContext


@dataclass
class Options:
    """How a run goes, beside the settings: `webtv run`'s flags."""

    rtmp: tuple[str, ...] = ()  # presets or URLs, {env:NAME} filled from the secrets
    chat: str | None = None  # an IRC chat whose viewers suggest and vote (--chat URL)
    buffer_seconds: float = 600.0  # how far ahead of the air the autopilot keeps the schedule
    policy: Policy | None = None  # what the retention sweep keeps
    on_event: Event | None = None  # each call and result of the director's turns
    news_every_s: float | None = None  # say what is on air this often (None: say nothing)


class Station:
    def __init__(self, run: Runtime, settings: Settings, options: Options) -> None:
        """Everything a channel airs with, built and checked before anything airs: an RTMP
        target without its key, a [[channels]] table that is wrong, a bad [programme]."""
        self.run, self.settings, self.options = run, settings, options
        rtmp = [resolve_rtmp(target, settings.secrets) for target in options.rtmp]
        self.context: ToolContext = run.context
        config = settings.config()
        self.playout = Playout(self.context.data, rtmp, channel_name=settings.channel,
                               stop=run.stop, programme=Programme.from_config(config, agreement),
                               loudness=self.context.production.loudness,
                               captions=caption_mode(config))
        self.network = Network(run, settings, config)
        self.autopilot = Autopilot(settings, buffer_seconds=options.buffer_seconds,
                                   policy=options.policy, on_event=options.on_event)
        self.chat = None if options.chat is None else ChatBridge(
            ChatConfig.from_url(options.chat, config), self.context.data,
            self.context.production.moderator, Limits.from_config(config), settings.secrets)

    def has_show(self) -> bool:
        return self.context.store.show.bible() is not None

    def sessions(self) -> dict[str, str]:
        """The library channels' playout sessions (for the page's threads)."""
        return self.network.sessions()

    def on_air(self, theme: str | None = None, duration: float | None = None,
               say: Callable[[str], None] = print) -> None:
        """Air until stopped (a signal, ``duration``, or a playout that keeps failing): the
        playout, started again with backoff (five quick failures in a row end the run), the
        library channels, and the autopilot in this thread."""
        if theme is None and not self.has_show():
            raise ConfigError("no show yet: start one with --theme \"...\"")
        self.context.data.clean_work()
        self.run.stop_after(duration)
        self.run.keep("playout", self.playout.run,
                      report=reporter(self.context.data, "main"), give_up_after=5)
        self.network.start()
        if self.chat is not None:  # a chat that fails is joined again, the air goes on
            chat = self.chat
            self.run.keep("chat", lambda: chat.run(self.run.stop))
            say(f"Chat: {chat.config.channel} on {chat.config.host} (!suggest, !vote)")
        say(f"Director: {self.settings.describe_model()}")
        if self.options.news_every_s:
            ticker = Ticker(self.context.data, say, self.options.news_every_s)
            self.run.start("news", lambda: ticker.run(self.run.stop))
        self.autopilot.run(self.context, self.run.stop, theme)
