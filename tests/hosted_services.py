"""Local stand-ins for hosted video services on 127.0.0.1, each speaking its service's documented
protocol, so the real clients (``replicate``, ``google-genai``) are driven through their own
base-URL settings: Replicate's HTTP API (a model's schema, predictions created, polled,
cancelled, outputs as URLs) and Vertex AI's Veo (``predictLongRunning``, then
``fetchPredictOperation`` until done, videos as bytes, safety-filtered counts).

They are protocol stand-ins, not the services: the clips are the local renderer's, drawn from
the prompt's colours and camera words. A ``Behaviour`` steers each one: status requests
answered "processing" before a job is done, 429s (with Retry-After) and 503s to ride out, words
its moderation refuses, clips shorter than asked; and it counts what it was sent.
"""

from __future__ import annotations

import base64
import dataclasses
import json
import re
import tempfile
import threading
import uuid
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from tests.spaces import spec_from_prompt
from webtv.core.media import write_frames
from webtv.production.backends.base import VideoRequest
from webtv.production.backends.local_video import ProceduralVideo, render

WIDTH, HEIGHT, FPS = 640, 360, 24  # 16:9, small: the tests' clips are made on two CPU cores


@dataclass
class Behaviour:
    processing_polls: int = 1  # status requests answered "still running" before a job is done
    throttle: int = 0  # answer this many submissions 429, with Retry-After
    retry_after: str = "1"
    unavailable: int = 0  # answer this many status requests 503
    refuse: tuple[str, ...] = ("gore",)  # the service's moderation refuses prompts with these
    short: bool = False  # clips of half the seconds asked
    watermark: tuple[str, ...] = ()  # prompts with these words come back with a stock
    # watermark burned in and the colours wrong (a clip from stock footage)
    data_urls: bool = False  # outputs inline, as data URLs, instead of file URLs
    submitted: list[dict[str, Any]] = field(default_factory=list)  # what each job asked for
    polls: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def take(self, counter: str) -> bool:
        """True (and one fewer left) while ``counter`` has some left."""
        with self.lock:
            left = getattr(self, counter)
            if left > 0:
                setattr(self, counter, left - 1)
            return left > 0


def clip(prompt: str, seed: int, seconds: float, short: bool, out_dir: Path,
         watermark: tuple[str, ...] = ()) -> bytes:
    """What a prompt-following model would make, as an MP4's bytes; a prompt with one of the
    ``watermark`` words gets stock footage: a watermark over colours the prompt did not ask."""
    frames = max(2, round(seconds * FPS * (0.5 if short else 1.0)))
    spec = spec_from_prompt(prompt)
    stock = bool(set(re.findall(r"[a-z]+", prompt.lower())) & set(watermark))
    if stock:
        spec = dataclasses.replace(spec, palette=["#00ff00", "#ff00ff"],
                                   subject_colours=["#00ffff"])
    request = VideoRequest(prompt, seed, spec, frames=frames, fps=FPS, width=WIDTH,
                           height=HEIGHT)
    own = Path(tempfile.mkdtemp(dir=out_dir))  # jobs run at once: a folder each
    if stock:
        write_frames(render(request, "watermark"), FPS, own / "stock.mp4")
        return (own / "stock.mp4").read_bytes()
    return ProceduralVideo().generate(request, own).path.read_bytes()


class StandIn:
    """One service on a free port; ``url`` is its base URL."""

    def __init__(self, handler: type[BaseHTTPRequestHandler], behaviour: Behaviour) -> None:
        self.behaviour = behaviour
        self.jobs: dict[str, dict[str, Any]] = {}
        self.files: dict[str, bytes] = {}
        self.work = Path(tempfile.mkdtemp(prefix="standin-"))
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.server.daemon_threads = True
        self.server.stand_in = self  # type: ignore[attr-defined]
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    @property
    def service(self) -> StandIn:
        return self.server.stand_in  # type: ignore[attr-defined]

    def log_message(self, *args: Any) -> None:
        return None

    def body(self) -> dict[str, Any]:
        size = int(self.headers.get("Content-Length") or 0)
        return json.loads(self.rfile.read(size) or b"{}") if size else {}

    def answer(self, status: int, payload: Any, headers: dict[str, str] | None = None,
               kind: str = "application/json") -> None:
        data = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(data)))
        for key, value in (headers or {}).items():
            self.send_header(key, value)
        self.end_headers()
        self.wfile.write(data)

    def refused(self, prompt: str) -> bool:
        words = set(re.findall(r"[a-z]+", prompt.lower()))
        return bool(words & set(self.service.behaviour.refuse))


# -- Replicate ------------------------------------------------------------------------------
REPLICATE_MODELS = {
    # a model that counts seconds from an enum of lengths, its resolutions named its own way
    # and an optional first frame (as Hailuo does; the schema here is the stand-in's)
    "minimax/hailuo-02": {
        "prompt": {"type": "string"}, "prompt_optimizer": {"type": "boolean"},
        "duration": {"allOf": [{"$ref": "#/components/schemas/duration"}], "default": 6},
        "resolution": {"allOf": [{"$ref": "#/components/schemas/resolution"}]},
        "first_frame_image": {"type": "string", "format": "uri"}},
    # a model that must start from a picture (an image-to-video model)
    "stand-in/image-to-video": {
        "prompt": {"type": "string"}, "negative_prompt": {"type": "string"},
        "seed": {"type": "integer"}, "duration": {"type": "integer", "minimum": 2,
                                                 "maximum": 8},
        "aspect_ratio": {"allOf": [{"$ref": "#/components/schemas/aspect_ratio"}]},
        "start_image": {"type": "string", "format": "uri"}},
    # a model that counts frames (Wan): num_frames at frames_per_second, a resolution enum
    "wan-video/wan-2.2-t2v-fast": {
        "prompt": {"type": "string"}, "seed": {"type": "integer"},
        "num_frames": {"type": "integer", "minimum": 81, "maximum": 121, "default": 81},
        "frames_per_second": {"type": "integer", "default": 16},
        "resolution": {"type": "string", "enum": ["480p", "720p"]},
        "aspect_ratio": {"type": "string", "enum": ["16:9", "9:16"]}},
}
# community models: Replicate runs them only by a version's id (POST /v1/predictions), and the
# by-name endpoint answers 404 for them, as the service does
COMMUNITY = {
    "someone/open-wan-lora": ("c0ffee" * 10 + "beef", {
        "prompt": {"type": "string"}, "seed": {"type": "integer"},
        "num_frames": {"type": "integer", "minimum": 17, "maximum": 81, "default": 49},
        "fps": {"type": "integer", "default": 16},
        "aspect_ratio": {"type": "string", "enum": ["16:9", "1:1"]}}),
}
OLD_VERSION = "0ld" + "0" * 61  # an older version of a community model: durations in seconds
OLD_INPUTS = {"prompt": {"type": "string"}, "seed": {"type": "integer"},
              "duration": {"type": "integer", "minimum": 2, "maximum": 6}}
ENUMS = {"duration": {"type": "integer", "enum": [6, 10]},
         "resolution": {"type": "string", "enum": ["512P", "768P", "1080P"]},
         "aspect_ratio": {"type": "string", "enum": ["16:9", "9:16", "1:1"]}}
REQUIRED = {"stand-in/image-to-video": ["prompt", "start_image"]}


class ReplicateHandler(_Handler):
    def do_GET(self) -> None:  # noqa: N802 - http.server's name
        path = self.path.split("?")[0]
        if path.startswith("/files/"):  # output URLs need no token (replicate.delivery)
            data = self.service.files.get(path.removeprefix("/files/"))
            return self.answer(200, data, kind="video/mp4") if data else self.answer(404, {})
        if not self.headers.get("Authorization", "").startswith("Bearer "):
            return self.answer(401, {"title": "Unauthenticated", "status": 401,
                                     "detail": "You did not pass an authentication token"})
        if path.startswith("/v1/models/") and "/versions/" in path:
            owner_name, _, version = path.removeprefix("/v1/models/").partition("/versions/")
            return self.version(owner_name, version)
        if path.startswith("/v1/models/"):
            return self.model(path.removeprefix("/v1/models/"))
        if path.startswith("/v1/predictions/"):
            return self.status(path.removeprefix("/v1/predictions/"))
        return self.answer(404, {"title": "Not found", "status": 404, "detail": path})

    def do_POST(self) -> None:  # noqa: N802
        path = self.path.split("?")[0]
        body = self.body()
        if path.endswith("/cancel"):
            job = self.service.jobs.get(path.split("/")[3])
            if job:
                job["status"] = "canceled"
            return self.answer(200, self.prediction(job) if job else {})
        if path == "/v1/predictions":  # any model, by a version's id
            found = self.by_version(str(body.get("version", "")))
            if found is None:
                return self.answer(422, {"title": "Invalid version", "status": 422,
                                         "detail": "The specified version does not exist (or "
                                                   "perhaps you don't have permission to use "
                                                   "it?)"})
            owner_name, props = found
        else:
            owner_name = path.removeprefix("/v1/models/").removesuffix("/predictions")
            if owner_name not in REPLICATE_MODELS:  # community models are not run by name
                return self.answer(404, {"detail": "The requested resource could not be "
                                                   "found.", "status": 404})
            props = REPLICATE_MODELS[owner_name]
        b = self.service.behaviour
        if b.take("throttle"):
            return self.answer(429, {"title": "Too Many Requests", "status": 429,
                                     "detail": "Request was throttled."},
                               {"Retry-After": b.retry_after})
        inputs = body.get("input", {})
        unknown = set(inputs) - set(props)
        if unknown:
            return self.answer(422, {"title": "Input validation failed", "status": 422,
                                     "detail": f"unknown inputs {sorted(unknown)}"})
        with b.lock:
            b.submitted.append({"model": owner_name, **inputs,
                                **({"version": body["version"]} if "version" in body else {})})
        job = {"id": uuid.uuid4().hex[:12], "model": owner_name, "input": inputs,
               "version": body.get("version", "v1" * 8),
               "status": "starting", "polls": 0, "output": None, "error": None}
        self.service.jobs[job["id"]] = job
        return self.answer(201, self.prediction(job))

    @staticmethod
    def by_version(version: str) -> tuple[str, dict[str, Any]] | None:
        for owner_name, (latest, props) in COMMUNITY.items():
            if version == latest:
                return owner_name, props
            if version == OLD_VERSION:
                return owner_name, OLD_INPUTS
        return None

    @staticmethod
    def schema(owner_name: str, props: dict[str, Any]) -> dict[str, Any]:
        return {"openapi": "3.0.2", "components": {"schemas": {
            "Input": {"type": "object", "required": REQUIRED.get(owner_name, ["prompt"]),
                      "properties": props}, **ENUMS}}}

    def version(self, owner_name: str, version: str) -> None:
        found = self.by_version(version)
        if found is None or found[0] != owner_name:
            return self.answer(404, {"detail": "Not found.", "status": 404})
        return self.answer(200, {"id": version, "created_at": "2026-01-01T00:00:00Z",
                                 "cog_version": "0.10",
                                 "openapi_schema": self.schema(owner_name, found[1])})

    def model(self, owner_name: str) -> None:
        latest = "v1" * 8
        props = REPLICATE_MODELS.get(owner_name)
        if owner_name in COMMUNITY:
            latest, props = COMMUNITY[owner_name]
        if props is None:
            return self.answer(404, {"title": "Not found", "status": 404,
                                     "detail": f"model {owner_name} not found"})
        owner, name = owner_name.split("/")
        schema = self.schema(owner_name, props)
        return self.answer(200, {
            "url": f"https://replicate.com/{owner_name}", "owner": owner, "name": name,
            "description": "stand-in", "visibility": "public", "github_url": None,
            "paper_url": None, "license_url": None, "run_count": 1, "cover_image_url": None,
            "default_example": None,
            "latest_version": {"id": latest, "created_at": "2026-01-01T00:00:00Z",
                               "cog_version": "0.10", "openapi_schema": schema}})

    def status(self, job_id: str) -> None:
        b = self.service.behaviour
        job = self.service.jobs.get(job_id)
        if job is None:
            return self.answer(404, {"title": "Not found", "status": 404, "detail": job_id})
        with b.lock:
            b.polls += 1
        if b.take("unavailable"):
            return self.answer(503, {"title": "Service Unavailable", "status": 503,
                                     "detail": "try again"}, {"Retry-After": "0"})
        if job["status"] in ("starting", "processing"):
            job["polls"] += 1
            if job["polls"] <= b.processing_polls:
                job["status"] = "processing"
            else:
                self.complete(job)
        return self.answer(200, self.prediction(job))

    def complete(self, job: dict[str, Any]) -> None:
        inputs = job["input"]
        if self.refused(inputs["prompt"]):
            job["status"] = "failed"
            job["error"] = ("The input or output was flagged as sensitive. Please try again "
                            "with different inputs. (E005)")
            return
        b = self.service.behaviour
        if "duration" in inputs:
            seconds = float(inputs["duration"])
        else:
            fps = inputs.get("frames_per_second", inputs.get("fps", 16))
            seconds = (inputs.get("num_frames", 81) - 1) / fps
        data = clip(inputs["prompt"], int(inputs.get("seed") or 0), seconds, b.short,
                    self.service.work, b.watermark)
        job["status"] = "succeeded"
        if b.data_urls:
            job["output"] = "data:video/mp4;base64," + base64.b64encode(data).decode()
            return
        self.service.files[f"{job['id']}.mp4"] = data
        job["output"] = f"{self.service.url}/files/{job['id']}.mp4"

    def prediction(self, job: dict[str, Any]) -> dict[str, Any]:
        return {"id": job["id"], "model": job["model"], "version": job.get("version", "v1" * 8),
                "status": job["status"], "input": {k: v if not str(v).startswith("data:")
                                                   else "data:..." for k, v in
                                                   job["input"].items()},
                "output": job["output"], "logs": "", "error": job["error"], "metrics": {},
                "created_at": "2026-12-04T00:00:00Z", "started_at": None, "completed_at": None,
                "urls": {"get": f"{self.service.url}/v1/predictions/{job['id']}",
                         "cancel": f"{self.service.url}/v1/predictions/{job['id']}/cancel"}}


# -- Veo on Vertex AI -------------------------------------------------------------------------
class VeoHandler(_Handler):
    def do_POST(self) -> None:  # noqa: N802
        path = self.path.split("?")[0]
        if not self.headers.get("x-goog-api-key"):
            return self.answer(401, {"error": {"code": 401, "status": "UNAUTHENTICATED",
                                               "message": "API key not valid."}})
        body = self.body()
        if path.endswith(":predictLongRunning"):
            return self.submit(path, body)
        if path.endswith(":fetchPredictOperation"):
            return self.fetch(body.get("operationName", ""))
        return self.answer(404, {"error": {"code": 404, "status": "NOT_FOUND",
                                           "message": path}})

    def submit(self, path: str, body: dict[str, Any]) -> None:
        b = self.service.behaviour
        model = path.split("/models/")[-1].removesuffix(":predictLongRunning")
        if b.take("throttle"):
            return self.answer(429, {"error": {"code": 429, "status": "RESOURCE_EXHAUSTED",
                                               "message": "Quota exceeded."}},
                               {"Retry-After": b.retry_after})
        instance, parameters = body["instances"][0], body.get("parameters", {})
        seconds = parameters.get("durationSeconds")
        allowed = (5, 6, 7, 8) if model.startswith("veo-2") else (4, 6, 8)
        if seconds not in allowed or parameters.get("aspectRatio") not in ("16:9", "9:16"):
            return self.answer(400, {"error": {"code": 400, "status": "INVALID_ARGUMENT",
                                               "message": f"durationSeconds {seconds} or "
                                                          "aspectRatio not supported"}})
        with b.lock:
            b.submitted.append({"model": model, "prompt": instance.get("prompt"),
                                "image": "image" in instance,
                                "references": len(instance.get("referenceImages", [])),
                                **parameters})
        name = (f"projects/standin/locations/us-central1/publishers/google/models/{model}/"
                f"operations/{uuid.uuid4().hex[:12]}")
        self.service.jobs[name] = {"prompt": instance.get("prompt", ""), "seconds": seconds,
                                   "seed": parameters.get("seed", 0), "polls": 0}
        return self.answer(200, {"name": name})

    def fetch(self, name: str) -> None:
        b = self.service.behaviour
        job = self.service.jobs.get(name)
        if job is None:
            return self.answer(404, {"error": {"code": 404, "status": "NOT_FOUND",
                                               "message": f"no operation {name}"}})
        with b.lock:
            b.polls += 1
        if b.take("unavailable"):
            return self.answer(503, {"error": {"code": 503, "status": "UNAVAILABLE",
                                               "message": "The service is unavailable."}})
        job["polls"] += 1
        if job["polls"] <= b.processing_polls:
            return self.answer(200, {"name": name, "done": False})
        kind = "type.googleapis.com/cloud.ai.large_models.vision.GenerateVideoResponse"
        if self.refused(job["prompt"]):
            return self.answer(200, {"name": name, "done": True, "response": {
                "@type": kind, "raiMediaFilteredCount": 1,
                "raiMediaFilteredReasons": ["The prompt could not be submitted: it may violate "
                                            "our policies (17301594)."]}})
        data = clip(job["prompt"], int(job["seed"] or 0), float(job["seconds"]), b.short,
                    self.service.work)
        return self.answer(200, {"name": name, "done": True, "response": {
            "@type": kind, "raiMediaFilteredCount": 0,
            "videos": [{"bytesBase64Encoded": base64.b64encode(data).decode(),
                        "mimeType": "video/mp4"}]}})


def replicate(behaviour: Behaviour | None = None) -> StandIn:
    return StandIn(ReplicateHandler, behaviour or Behaviour())


def veo(behaviour: Behaviour | None = None) -> StandIn:
    return StandIn(VeoHandler, behaviour or Behaviour())
