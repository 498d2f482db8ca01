"""Models on GPU hosts for channels without one: with ``[gpu] workers = true`` and the
cluster's Redis, a channel's ``--video diffusers:MODEL`` (or music, or stills) is a job on the
``webtv-models`` queue, run by ``webtv worker --models`` on a host with a GPU.

A model worker runs its jobs in its own process, one at a time (one GPU, one job: the per-GPU
limit), so the model it loaded for the first job stays loaded for the next: a worker that
forked per job would read gigabytes of weights for every take. Its heartbeat goes on from a
thread while a job runs, so a minutes-long take is not mistaken for a dead worker; a worker
that does die is noticed in seconds and its job runs again elsewhere (rq's Retry). The clip
comes back as bytes; a failure comes back as data, and the take fails like any other.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import logging
import os
import shutil
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

from webtv.core.errors import BackendError
from webtv.production.backends import cluster, models
from webtv.production.backends.base import Asset, ShotSpec, VideoRequest
from webtv.production.backends.families import Rules
from webtv.production.backends.shapes import Shape, longest, shape

log = logging.getLogger("webtv.cluster")
QUEUE = "webtv-models"
_LOADED: dict[str, Any] = {}  # this worker's backends, kept across jobs


def run_model_job(cap: str, name: str, gpu: dict[str, Any], ask: dict[str, Any]
                  ) -> dict[str, Any]:
    """One take's video, music or still on a model worker."""
    work = Path(tempfile.mkdtemp(prefix="webtv-model-"))
    started = time.monotonic()
    try:
        key = json.dumps([cap, name, gpu], sort_keys=True)
        if key not in _LOADED:
            _LOADED[key] = models.in_process(cap, name, {**gpu, "workers": False})
        backend = _LOADED[key]
        if ask.get("about"):  # what the model is: read from its files, nothing made
            return {"ok": True, "about": about(backend), "worker": os.getpid()}
        if "spec" in ask:  # a take
            image = ask.pop("image", None)
            if image is not None:
                (work / "start.png").write_bytes(image)
            references = []
            for n, data in enumerate(ask.pop("references", None) or ()):
                references.append(work / f"reference-{n}.png")
                references[-1].write_bytes(data)
            request = VideoRequest(**{**ask, "spec": ShotSpec(**ask["spec"])},
                                   image=work / "start.png" if image is not None else None,
                                   references=tuple(references))
            made = backend.generate(request, work)
        elif "mood" in ask:
            made = backend.compose(ask["mood"], ask["seconds"], ask["seed"], work)
        else:  # a still (a painter's video backend paints its cast's too)
            made = Asset(backend.draw(ask["prompt"], ask["seed"], work), 0.0)
        return {"ok": True, "suffix": made.path.suffix, "data": made.path.read_bytes(),
                "made_frames": made.made_frames, "sound": made.sound, "worker": os.getpid(),
                "loads": backend.device.loads, "seconds": time.monotonic() - started}
    except Exception as exc:  # noqa: BLE001 - every failure goes back to the asker as data
        return {"ok": False, "error": f"{type(exc).__name__}: {exc}"[:1000],
                "worker": os.getpid(), "seconds": time.monotonic() - started}
    finally:
        shutil.rmtree(work, ignore_errors=True)


def about(backend: Any) -> dict[str, Any]:
    """What a worker's model can do, for the channel that asks: a video model's checkpoint
    rules (its shapes, whether it starts from a picture, whether it must)."""
    rules = getattr(backend, "rules", None)
    return {"rules": rules.as_dict() if rules is not None else None,
            "distilled": bool(getattr(backend, "distilled", False))}


def worker(url: str, name: str | None = None):
    """An rq worker for the models' queue that runs its jobs in its own process (the models
    stay loaded) and keeps heartbeating while one runs."""
    from rq import Queue, SimpleWorker

    class ModelWorker(SimpleWorker):
        def get_heartbeat_ttl(self, job, working_time: float = 0.0) -> int:
            return cluster.HEARTBEAT_S + cluster.ABANDONED_AFTER_S

        def perform_job(self, job, queue, execution=None) -> bool:
            done = threading.Event()

            def beat() -> None:
                while not done.wait(cluster.HEARTBEAT_S):
                    try:
                        self.maintain_heartbeats(job, execution)
                    except Exception:  # noqa: BLE001 - a missed beat is retried next time
                        pass

            thread = threading.Thread(target=beat, name="heartbeat", daemon=True)
            thread.start()
            try:
                return super().perform_job(job, queue, execution)
            finally:
                done.set()
                thread.join()

    connection = cluster.connect(url)
    return ModelWorker([Queue(QUEUE, connection=connection)], connection=connection,
                       name=name, job_monitoring_interval=cluster.HEARTBEAT_S,
                       maintenance_interval=cluster.ABANDONED_AFTER_S)


class ModelClient:
    """The asking side: a model backend whose work is done by the model workers."""

    any_rate = False
    costly = True  # a worker's GPU minutes

    def __init__(self, cap: str, name: str, gpu: dict[str, Any], url: str, journal: Any,
                 deadline_s: float = 900.0, stop: threading.Event | None = None) -> None:
        from rq import Queue

        from webtv.production.backends.inprocess import short_name

        self.cap, self.spec, self.gpu, self.journal = cap, name, gpu, journal
        library, _, model = name.partition(":")
        self.name = f"{library}:{short_name(model)} (workers)"
        self.deadline_s, self.stop = deadline_s, stop  # stop: no job is waited for after it
        self.queue = Queue(QUEUE, connection=cluster.connect(url))
        self._about: dict[str, Any] | None = None

    # -- what the workers' model is (asked once, the answer kept) ----------------------------
    def rules(self) -> Rules | None:
        """The video checkpoint's rules, as a worker read them from its files."""
        if self.cap != "video":
            return None
        if self._about is None:
            from rq import Retry

            started = time.monotonic()
            job = self.queue.enqueue(run_model_job, self.cap, self.spec, self.gpu,
                                     {"about": True}, retry=Retry(max=cluster.RETRIES),
                                     result_ttl=60, failure_ttl=60,
                                     job_timeout=int(self.deadline_s) + 60,
                                     description=f"{self.spec} about")
            answer = cluster.answer(job, self.queue, started + self.deadline_s, self.stop)
            if not answer["ok"]:
                raise BackendError(f"{self.spec} on the model workers: {answer['error']}")
            self._about = answer["about"]
        found = self._about.get("rules")
        return Rules.from_dict(found) if found else None

    @property
    def can_continue(self) -> bool:
        rules = self._known()
        return bool(rules and rules.can_continue)

    @property
    def needs_image(self) -> bool:
        rules = self._known()
        return bool(rules and rules.needs_image)

    def _known(self) -> Rules | None:
        try:
            return self.rules()
        except BackendError as exc:  # asked again at the next take
            log.warning("%s: %s", self.name, exc)
            return None

    @property
    def longest_s(self) -> float | None:
        rules = self._known()
        return longest(rules, self._options().video) if rules else None

    def _options(self) -> Any:
        from webtv.production.backends.inprocess import GpuOptions

        return GpuOptions.from_config({k: v for k, v in self.gpu.items() if k != "workers"})

    def plan(self, seconds: float) -> Shape:
        """The shape the workers' model makes a shot of ``seconds`` at (its own rules)."""
        rules = self.rules()
        if rules is None:
            raise BackendError(f"{self.name}: the workers could not say what the model is")
        return shape(rules, seconds, self._options().video, bool(self._about.get("distilled")))

    @property
    def starts_from_reference(self) -> bool:
        """A painter's (``stills:MODEL``): its cast's stills start their shots."""
        return self.cap == "video" and self.spec.startswith("stills:")

    def generate(self, request: VideoRequest, out_dir: Path) -> Asset:
        ask = {**dataclasses.asdict(request), "image": request.image.read_bytes()
               if request.image else None,
               "references": [p.read_bytes() for p in request.references]}
        ask["spec"] = dataclasses.asdict(request.spec)
        return self._run({k: v for k, v in ask.items() if k != "image" or v}, out_dir)

    def compose(self, mood: str, seconds: float, seed: int, out_dir: Path) -> Asset:
        return self._run({"mood": mood, "seconds": seconds, "seed": seed}, out_dir)

    def draw(self, prompt: str, seed: int, out_dir: Path) -> Path:
        return self._run({"prompt": prompt, "seed": seed}, out_dir, measure=False).path

    def _run(self, ask: dict[str, Any], out_dir: Path, measure: bool = True) -> Asset:
        from rq import Retry

        started = time.monotonic()
        text = json.dumps([self.cap, self.spec, self.gpu, ask], sort_keys=True, default=str)
        job_id = "webtv-model-" + hashlib.sha256(text.encode()).hexdigest()[:32]
        job = self.queue.fetch_job(job_id) or self.queue.enqueue(
            run_model_job, self.cap, self.spec, self.gpu, ask, job_id=job_id,
            retry=Retry(max=cluster.RETRIES), result_ttl=cluster.RESULT_TTL_S,
            failure_ttl=cluster.RESULT_TTL_S, job_timeout=int(self.deadline_s) + 60,
            description=f"{self.spec} {self.cap}")
        answer = cluster.answer(job, self.queue, started + self.deadline_s, self.stop)
        self.journal(endpoint=self.name, capability=self.cap, attempt=1,
                     arguments={"via": "model workers", "worker": answer.get("worker"),
                                "loads": answer.get("loads")},
                     duration_ms=(time.monotonic() - started) * 1000,
                     outcome="ok" if answer["ok"] else "error",
                     error=answer.get("error", "")[:500])
        if not answer["ok"]:
            job.delete()  # asked again, it runs again
            raise BackendError(f"{self.spec} on the model workers: {answer['error']}")
        path = out_dir / f"{self.cap}{answer['suffix']}"
        path.write_bytes(answer["data"])
        if not measure:
            return Asset(path, 0.0)
        return dataclasses.replace(Asset.measure(path), made_frames=answer["made_frames"],
                                   sound=bool(answer.get("sound")))
