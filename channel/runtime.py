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
import time
from collections.abc import Callable
from typing import Any

from webtv.core.clock import now
from webtv.core.loudness import Loudness
from webtv.core.redact import redact
from webtv.core.settings import Settings
from webtv.inspection import checks, moderation
from webtv.production import costs
from webtv.production.backends import config as backend_config
from webtv.state.datadir import DataDir
from webtv.state.store import CallJournal, Store
from webtv.tools.context import ToolContext

log = logging.getLogger("webtv.runtime")
MAX_BACKOFF = 60.0  # the longest a failed channel waits before it is started again
STEADY_S = 60.0  # a thread that ran this long before it failed starts again at once


def open_context(settings: Settings, stop: threading.Event | None = None) -> ToolContext:
    """The store, the data dir and the backends that the flags and webtv.toml choose;
    ``stop``: production begins no new take once it is set (and waits for no cluster job)."""
    data = DataDir(settings.data_dir)
    config = settings.config()
    backends = backend_config.build(config, settings.backends, data.root / "work",
                                    CallJournal(data), settings.fault_rate, stop,
                                    settings.secrets)
    gate = settings.gate or config.get("inspection", {}).get("gate", "auto")
    return ToolContext.open(store=Store(data), data=data, backends=backends,
                            moderator=moderation.chosen(settings), stop=stop,
                            # a shot failing a check twice: back to the model, else the code
                            rewrites="director" if settings.llm_model else "code",
                            gate=checks.gate(gate, getattr(backends.video, "costly", False)),
                            prices=costs.prices(config),
                            loudness=Loudness.from_config(config),
                            budget=costs.budget(config, settings.budget_day,
                                                settings.budget_hour))


def preflight(settings: Settings) -> None:
    """A start that would be refused (a model, an extra or a key missing) is refused before
    the data dir is made or its run lock taken: nothing is left behind."""
    backend_config.preflight(settings.config(), settings.backends, settings.secrets)
    moderation.chosen(settings)


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

    def keep(self, name: str, target: Callable[[], Any], *, stop: threading.Event | None = None,
             report: Callable[[dict[str, Any]], None] | None = None,
             give_up_after: int | None = None) -> threading.Thread:
        """``target`` in a thread of its own, started again whenever it raises, after a backoff
        that doubles from 1 s to MAX_BACKOFF (a target that had run STEADY_S starts again at
        once): one channel's trouble stays its own. It ends when the run or ``stop`` ends.
        ``report`` hears of each failure and each start; ``give_up_after``: that many failures
        in a row, each before it ran STEADY_S, and the whole run stops (``errors[name]``)."""
        ended = stop or self.stop

        def kept() -> None:
            health: dict[str, Any] = {"state": "on air", "restarts": 0, "last_error": None}
            quick = 0
            while not (ended.is_set() or self.stop.is_set()):
                began = time.monotonic()
                try:
                    target()
                    return
                except Exception as exc:  # noqa: BLE001 - reported, then started again
                    ran = time.monotonic() - began
                    quick = quick + 1 if ran < STEADY_S else 1
                    wait = 0.0 if ran >= STEADY_S else min(MAX_BACKOFF, 2.0 ** (quick - 1))
                    log.exception("%s failed after %.0f s; starting it again in %.0f s",
                                  name, ran, wait)
                    health.update(state="restarting", restarts=health["restarts"] + 1,
                                  last_error=redact(f"{type(exc).__name__}: {exc}")[:300],
                                  failed_at=now(), retry_in_s=wait)
                    if report is not None:
                        report(dict(health))
                    if give_up_after is not None and quick >= give_up_after:
                        raise
                    if ended.wait(wait) or self.stop.is_set():
                        return
                    health["state"] = "on air"
                    if report is not None:
                        report(dict(health))

        return self.start(name, kept)

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
