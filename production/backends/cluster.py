"""Endpoints shared by several processes and hosts: the jobs and each endpoint's concurrency
limit live in Redis, run by rq (https://python-rq.org), not in a protocol of our own.

With ``[cluster] redis = "redis://..."`` in webtv.toml (or $WEBTV_REDIS_URL), a remote
backend's pool hands each job to rq instead of calling the Space itself:

- a job is queued once: its id is the content key of what it asks (the endpoint, the values,
  the bytes of any input file), so two channels or a restarted process asking for the same
  clip wait on the same job, and a finished one is answered from its result;
- any worker host (``webtv worker``) runs it; rq's rate limit holds the endpoint's
  ``concurrency`` across every host (jobs over it wait in Redis, not on the Space);
- a worker that dies mid-job stops heartbeating; rq finds the job abandoned and queues it again
  (``Retry``), and another worker runs it;
- the clip comes back as bytes in the job's result; the caller validates it and keeps it under
  its content hash, as today; a failure (not a dead worker) comes back as data, so the caller
  fails over to the pool's next endpoint as the in-process pool does;
- when the channel stops, the asker stops waiting at once and the job goes on: a restart that
  asks the same again is answered from its result (``LeftToCluster``).

Without the setting nothing here is imported: one host stays in-process and needs no Redis.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import shutil
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from webtv.core.errors import BackendError, ConfigError, LeftToCluster
from webtv.production.backends.space import BadOutput, Endpoint, EndpointConfig, Journal

log = logging.getLogger("webtv.cluster")
QUEUE = "webtv-endpoints"  # one queue: any worker runs any endpoint's job
RESULT_TTL_S = 3600  # a finished job answers a late asker for this long
ABANDONED_AFTER_S = 10  # a job whose worker stopped heartbeating this long is run again
HEARTBEAT_S = 2
RETRIES = 3  # times a job is run again after its worker died
CLAIM, CLAIM_S = "webtv:claim:", 10  # who queues a job: one asker, for this long


def redis_url(config: dict[str, Any]) -> str | None:
    """``[cluster] redis`` (the settings put $WEBTV_REDIS_URL over it)."""
    return config.get("cluster", {}).get("redis")


def connect(url: str):
    try:
        from redis import Redis
    except ImportError:
        raise ConfigError("the cluster needs rq and redis: pip install 'ai-webtv[cluster]'") \
            from None
    connection = Redis.from_url(url)
    try:
        connection.ping()
    except Exception as exc:  # noqa: BLE001 - redis raises several kinds; all mean "not there"
        raise ConfigError(f"cannot reach Redis at {shown_url(url)}: {exc}") from None
    return connection


def shown_url(url: str) -> str:
    """A Redis URL without its password."""
    head, at, tail = url.rpartition("@")
    return f"{head.split('://')[0]}://***@{tail}" if at else url


# -- what a worker runs ---------------------------------------------------------------------
def run_job(config: dict[str, Any], values: dict[str, Any], seconds: float) -> dict[str, Any]:
    """One call of one endpoint, on a worker: the input files arrive as bytes, the output
    leaves as bytes. A failure is returned, not raised: rq runs a job again only when its
    worker died; the caller decides where a failed job goes next."""
    work = Path(tempfile.mkdtemp(prefix="webtv-job-"))
    started = time.monotonic()
    try:
        here = {k: _materialize(v, work) for k, v in values.items()}
        endpoint = Endpoint(EndpointConfig(**config), work / "downloads", _log_attempt)
        path = endpoint.call(here, work, started + seconds, _not_empty)
        return {"ok": True, "suffix": path.suffix, "data": path.read_bytes(),
                "worker": os.getpid(), "seconds": time.monotonic() - started}
    except Exception as exc:  # noqa: BLE001 - every failure goes back to the asker as data
        return {"ok": False, "bad_output": isinstance(exc, BadOutput),
                "error": f"{type(exc).__name__}: {exc}"[:1000], "worker": os.getpid(),
                "seconds": time.monotonic() - started}
    finally:
        shutil.rmtree(work, ignore_errors=True)


def _materialize(value: Any, work: Path) -> Any:
    if isinstance(value, dict) and "__file__" in value:
        path = work / value["__file__"]
        path.write_bytes(value["data"])
        return path
    return value


def _not_empty(path: Path) -> None:
    if not path.is_file() or path.stat().st_size == 0:
        raise BadOutput(f"{path.name} is empty")


def _log_attempt(**fields: Any) -> None:
    log.info("%s %s attempt %s: %s %s", fields["endpoint"], fields["capability"],
             fields["attempt"], fields["outcome"], fields.get("error", ""))


def worker(url: str, name: str | None = None):
    """An rq worker for the endpoints' queue whose dead jobs are found in seconds, not the
    minute rq allows by default."""
    from rq import Queue, Worker

    class EndpointWorker(Worker):
        def get_heartbeat_ttl(self, job, working_time: float = 0.0) -> int:
            return HEARTBEAT_S + ABANDONED_AFTER_S

    connection = connect(url)
    return EndpointWorker([Queue(QUEUE, connection=connection)], connection=connection,
                          name=name, job_monitoring_interval=HEARTBEAT_S,
                          maintenance_interval=ABANDONED_AFTER_S)


# -- the asking side --------------------------------------------------------------------------
class ClusterPool:
    """The endpoints of one backend, shared through Redis; the same interface as ``Pool``."""

    def __init__(self, backend: str, configs: list[EndpointConfig], url: str,
                 journal: Journal, deadline_s: float = 900.0,
                 stop: threading.Event | None = None) -> None:
        """``stop``: the run's; once it is set, no job is waited for (see ``answer``)."""
        if not configs:
            raise ConfigError(f"backend {backend!r} has no endpoints")
        from rq import Queue

        self.backend, self.configs, self.deadline_s = backend, configs, deadline_s
        self.journal, self.stop = journal, stop
        self.queue = Queue(QUEUE, connection=connect(url))
        self._turn = 0
        self._lock = threading.Lock()

    def run(self, values: dict[str, Any], out_dir: Path, validate: Callable[[Path], None]) -> Path:
        deadline = time.monotonic() + self.deadline_s
        shipped = {k: ({"__file__": v.name, "data": v.read_bytes()} if isinstance(v, Path) else v)
                   for k, v in values.items()}
        last = "no endpoint was tried"
        for config in self._in_turn():
            if time.monotonic() >= deadline:
                break
            started = time.monotonic()
            answer = self._answer(config, shipped, deadline)
            self._record(config, started, answer)
            if answer["ok"]:
                path = out_dir / f"{config.capability}-{config.name}{answer['suffix'] or '.bin'}"
                path.write_bytes(answer["data"])
                try:
                    validate(path)
                except BadOutput as exc:
                    raise BadOutput(f"{self.backend}: {config.name} answered with a bad file: "
                                    f"{exc}") from exc
                return path
            if answer.get("bad_output"):  # it answered: a new seed is the cure
                raise BadOutput(f"{self.backend}: {config.name} answered with a bad file: "
                                f"{answer['error']}")
            last = f"{config.name}: {answer['error']}"
            log.warning("%s failed over from %s", self.backend, last)
        raise BackendError(f"{self.backend}: no endpoint delivered before the deadline; "
                           f"last failure {last}")

    def _in_turn(self) -> list[EndpointConfig]:
        """Every endpoint once, starting with the next in turn (the load spreads)."""
        with self._lock:
            start, self._turn = self._turn, self._turn + 1
        n = len(self.configs)
        return [self.configs[(start + i) % n] for i in range(n)]

    def _answer(self, config: EndpointConfig, values: dict[str, Any],
                deadline: float) -> dict[str, Any]:
        """The job's answer: an existing job for the same ask is joined, else one is queued."""
        from rq import Retry
        from rq.rate_limit import RateLimit

        job_id = job_key(config, values)
        job = self._existing(job_id)
        if job is None and not self.queue.connection.set(
                CLAIM + job_id, os.getpid(), nx=True, ex=CLAIM_S):
            # another asker is queueing this very job now (rq's rate-limited enqueue has no
            # "unique"): wait for it rather than queue it twice, which would let it run twice
            job = self._queued_by_another(job_id, config.name)
        if job is None:
            job = self.queue.enqueue(
                run_job, config.model_dump(), values, max(1.0, deadline - time.monotonic()),
                job_id=job_id, retry=Retry(max=RETRIES), result_ttl=RESULT_TTL_S,
                failure_ttl=RESULT_TTL_S, job_timeout=int(config.timeout_s * config.attempts)
                + 60, rate_limit=RateLimit(endpoint_key(config), config.concurrency),
                description=f"{config.name} {config.capability}")
        return answer(job, self.queue, deadline, self.stop)

    def _queued_by_another(self, job_id: str, name: str):
        for _ in range(int(CLAIM_S / 0.1)):
            left_to_cluster(self.stop, name)
            job = self._existing(job_id)
            if job is not None:
                return job
            time.sleep(0.1)
        return None  # its asker died before queueing it: queue it here

    def _existing(self, job_id: str):
        from rq.exceptions import NoSuchJobError
        from rq.job import Job, JobStatus

        try:
            job = Job.fetch(job_id, connection=self.queue.connection)
        except NoSuchJobError:
            return None
        failed = job.get_status() in (JobStatus.FAILED, JobStatus.STOPPED, JobStatus.CANCELED)
        if failed or (job.get_status() == JobStatus.FINISHED
                      and not (job.return_value() or {}).get("ok")):
            job.delete()  # asked again: it runs again (its endpoint may do better now)
            self.queue.connection.delete(CLAIM + job_id)
            return None
        return job

    def _record(self, config: EndpointConfig, started: float, answer: dict[str, Any]) -> None:
        self.journal(endpoint=config.name, capability=config.capability, attempt=1,
                     arguments={"via": "cluster", "worker": answer.get("worker")},
                     duration_ms=(time.monotonic() - started) * 1000,
                     outcome="ok" if answer["ok"] else "bad_output" if answer.get(
                         "bad_output") else "error", error=answer.get("error", "")[:500])


def answer(job, queue, deadline: float, stop: threading.Event | None = None) -> dict[str, Any]:
    """A queued job's answer, waited for until ``deadline`` or the run's ``stop``
    (LeftToCluster: the job goes on); a failure as data."""
    from rq.job import JobStatus
    from rq.registry import StartedJobRegistry

    started = StartedJobRegistry(queue=queue)
    while time.monotonic() < deadline:
        left_to_cluster(stop, job.description or job.id)
        status = job.get_status(refresh=True)
        if status == JobStatus.FINISHED:
            return job.return_value(refresh=True)
        if status in (JobStatus.FAILED, JobStatus.STOPPED, JobStatus.CANCELED, None):
            reason = (job.latest_result().exc_string or "")[-300:] if job.latest_result() \
                else status
            return {"ok": False, "error": f"the job failed on its worker: {reason}"}
        started.cleanup()  # a dead worker's job goes back on the queue (rq's Retry)
        time.sleep(0.2)
    return {"ok": False, "error": "no answer before the job's deadline"}


def left_to_cluster(stop: threading.Event | None, what: str) -> None:
    """LeftToCluster once the run stops: a stop is not held by a clip another host makes."""
    if stop is not None and stop.is_set():
        raise LeftToCluster(f"{what}: the channel stopped; the job goes on in the cluster and "
                            "a restart that asks the same is answered from its result")


def endpoint_key(config: EndpointConfig) -> str:
    """The same Space behind the same API is one endpoint, whatever each host calls it."""
    return "webtv:" + hashlib.sha256(
        f"{config.url}|{config.api_name or config.fn_index}".encode()).hexdigest()[:16]


def job_key(config: EndpointConfig, values: dict[str, Any]) -> str:
    """What a job asks, as a content key: the endpoint, its inputs, and the bytes of files."""
    plain = {k: (hashlib.sha256(v["data"]).hexdigest() if isinstance(v, dict) else v)
             for k, v in values.items()}
    text = json.dumps({"endpoint": endpoint_key(config), "values": plain}, sort_keys=True,
                      default=str)
    return "webtv-" + hashlib.sha256(text.encode()).hexdigest()[:32]
