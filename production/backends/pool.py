"""The endpoints that serve one backend form a pool: a job goes to whichever has a free slot
(each endpoint's concurrency), a job that one endpoint cannot deliver fails over to the next,
all within the job's deadline."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from webtv.core.errors import Abandoned, BackendError, ConfigError
from webtv.production.backends.space import BadOutput, Endpoint, outside

log = logging.getLogger("webtv.remote")


class Pool:
    """The endpoints of one backend: a job goes to a free, healthy one and fails over."""

    def __init__(self, backend: str, endpoints: list[Endpoint], deadline_s: float = 900.0):
        if not endpoints:
            raise ConfigError(f"backend {backend!r} has no endpoints")
        self.backend = backend
        self.endpoints = endpoints
        self.deadline_s = deadline_s
        self._free = threading.Condition()
        self._slots = {e.name: e.config.concurrency for e in endpoints}

    def run(self, values: dict[str, Any], out_dir: Path, validate: Callable[[Path], None]) -> Path:
        deadline = time.monotonic() + self.deadline_s
        tried: set[str] = set()
        last = "no endpoint was available"
        while time.monotonic() < deadline:
            endpoint = self._acquire(tried, deadline)
            if endpoint is None:
                break
            tried.add(endpoint.name)
            try:
                return endpoint.call(values, out_dir, deadline, validate)
            except BadOutput as exc:  # it answered: a new seed is the cure, not another endpoint
                raise BadOutput(f"{self.backend}: {endpoint.name} answered with a bad file: "
                                f"{exc}") from exc
            except (ConfigError, Abandoned):
                raise
            except Exception as exc:
                if not outside(exc):
                    raise  # a bug of ours: no endpoint would do better
                last = f"{endpoint.name}: {type(exc).__name__}: {exc}"
                log.warning("%s failed over from %s", self.backend, last)
            finally:
                self._release(endpoint)
        raise BackendError(f"{self.backend}: no endpoint delivered before the deadline; "
                           f"last failure {last}")

    def _acquire(self, tried: set[str], deadline: float) -> Endpoint | None:
        """A healthy endpoint not yet tried for this job with a free slot (waits for one)."""
        with self._free:
            while True:
                candidates = [e for e in self.endpoints
                              if e.name not in tried and e.breaker.allow()]
                if not candidates:
                    return None
                free = [e for e in candidates if self._slots[e.name] > 0]
                if free:
                    chosen = min(free, key=lambda e: e.in_flight)
                    self._slots[chosen.name] -= 1
                    chosen.in_flight += 1
                    return chosen
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return None
                self._free.wait(timeout=min(remaining, 1.0))

    def _release(self, endpoint: Endpoint) -> None:
        with self._free:
            self._slots[endpoint.name] += 1
            endpoint.in_flight -= 1
            self._free.notify_all()
