"""A run of the channel: the settings turned into a tool context, the threads the run starts
and the one stop event that ends them all (a signal, ``--duration``, or a thread that failed).

Whoever starts a run (the command line, a benchmark) hands its services to a ``Runtime`` and
runs the director in its own thread; leaving the ``with`` block stops every thread, waits for
them, then closes what was opened, last opened first.
"""

from __future__ import annotations

import logging
import signal
import threading
from collections.abc import Callable
from typing import Any

from webtv.core.settings import Settings
from webtv.inspection import checks, moderation
from webtv.production import costs
from webtv.production.backends import config as backend_config
from webtv.state.datadir import DataDir
from webtv.state.store import CallJournal, Store
from webtv.tools.context import ToolContext

log = logging.getLogger("webtv.runtime")


def open_context(settings: Settings, stop: threading.Event | None = None) -> ToolContext:
    """The store, the data dir and the backends that the flags and webtv.toml choose;
    ``stop``: production begins no new take once it is set."""
    data = DataDir(settings.data_dir)
    config = settings.config(data.root)
    backends = backend_config.build(config, settings.backends, data.root / "work",
                                    CallJournal(data), settings.fault_rate)
    gate = settings.gate or config.get("inspection", {}).get("gate", "auto")
    return ToolContext.open(store=Store(data), data=data, backends=backends,
                            moderator=moderation.from_env(), stop=stop,
                            gate=checks.gate(gate, backends.video.name),
                            prices=costs.prices(config),
                            budget=costs.budget(config, settings.budget_day,
                                                settings.budget_hour))


class Runtime:
    def __init__(self, settings: Settings, *, exclusive: bool = True) -> None:
        """``exclusive``: hold the data dir's run lock (one channel per data dir) before
        anything in it is touched."""
        self.settings = settings
        self.exclusive = exclusive
        self.stop = threading.Event()
        self.errors: dict[str, BaseException] = {}  # thread name -> what ended it
        self._threads: list[threading.Thread] = []
        self._closers: list[Callable[[], Any]] = []
        self._timer: threading.Timer | None = None
        self._context: ToolContext | None = None

    def __enter__(self) -> Runtime:
        if self.exclusive:
            self.on_close(DataDir(self.settings.data_dir).hold_run_lock().close)
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    @property
    def context(self) -> ToolContext:
        """The run's tool context, opened once (its store is closed with the run)."""
        if self._context is None:
            self._context = open_context(self.settings, self.stop)
            self.on_close(self._context.store.close)
            if self.exclusive:  # attempts in flight when the last run died: their worst case
                lost = self._context.store.costs.lose_reservations()
                if lost:
                    log.warning("%d attempt(s) were in flight at a crash; each counts at its "
                                "worst case against the budget", lost)
        return self._context

    def on_close(self, *closers: Callable[[], Any]) -> None:
        """Called after every thread has ended, in the reverse order of registration."""
        self._closers.extend(closers)

    def start(self, name: str, target: Callable[[], Any]) -> threading.Thread:
        """``target`` in a thread of its own; if it raises, the whole run stops (a channel
        that cannot air makes no more takes) and ``errors[name]`` says why."""
        def guarded() -> None:
            try:
                target()
            except BaseException as exc:  # a thread must report, not vanish
                self.errors[name] = exc
                log.exception("%s stopped", name)
                self.stop.set()

        thread = threading.Thread(target=guarded, name=name, daemon=True)
        self._threads.append(thread)
        thread.start()
        return thread

    def stop_on_signals(self) -> None:
        """SIGINT and SIGTERM end the run cleanly (the main thread only)."""
        for sig in (signal.SIGINT, signal.SIGTERM):
            signal.signal(sig, lambda *_: self.stop.set())

    def stop_after(self, seconds: float | None) -> None:
        if seconds:
            self._timer = threading.Timer(seconds, self.stop.set)
            self._timer.daemon = True
            self._timer.start()

    def close(self, timeout: float = 30.0) -> None:
        self.stop.set()
        if self._timer is not None:
            self._timer.cancel()
        for thread in self._threads:
            if thread is not threading.current_thread():
                thread.join(timeout)
        while self._closers:
            self._closers.pop()()
