"""Google's Veo (``--video veo:MODEL``, e.g. ``veo:veo-3.0-fast-generate-001``) through
``google-genai``: a long-running operation on Vertex AI (express mode: an API key), polled
until done. Veo makes 4, 6 or 8 seconds (Veo 2: 5 to 8), 16:9, at 720p or 1080p; the
channel adds its own music, so Veo 3's audio is not asked for. A shot that continues the one
before starts from its last frame; otherwise the cast's reference stills, where they were made,
go as Veo's reference images. Videos its safety filters removed are a refusal of the prompt.
"""

from __future__ import annotations

import mimetypes
import threading
from pathlib import Path
from typing import Any

from webtv.production.backends.base import VideoRequest
from webtv.production.backends.hosted import (
    HostedSettings,
    HostedVideo,
    ServiceError,
    ServiceRefused,
)
from webtv.production.backends.outputs import download
from webtv.production.backends.space import Journal

LENGTHS = {"veo-2": [5.0, 6.0, 7.0, 8.0]}  # a model family's lengths; the rest: 4, 6, 8
REFUSED_CODES = {"INVALID_ARGUMENT", "FAILED_PRECONDITION"}  # with the filter's words


class VeoVideo(HostedVideo):
    service = "veo"
    fps = 24
    can_continue = True  # image-to-video: a first frame

    def __init__(self, model: str, settings: HostedSettings, journal: Journal | None) -> None:
        super().__init__(model, settings, journal)
        self._client: Any = None
        self._lock = threading.Lock()

    def client(self) -> Any:
        from google import genai
        from google.genai import types

        with self._lock:
            if self._client is None:
                options = types.HttpOptions(base_url=self.settings.base_url) \
                    if self.settings.base_url else None
                self._client = genai.Client(vertexai=True, api_key=self.settings.key("veo"),
                                            http_options=options)
            return self._client

    def allowed_seconds(self) -> list[float]:
        family = next((f for f in LENGTHS if self.model.startswith(f)), None)
        return LENGTHS[family] if family else [4.0, 6.0, 8.0]

    def submit(self, request: VideoRequest, seconds: float) -> Any:
        from google.genai import types

        references = None
        if request.image is None and request.references:
            references = [types.VideoGenerationReferenceImage(
                image=_image(types, p), reference_type="asset") for p in request.references[:3]]
        config = types.GenerateVideosConfig(
            number_of_videos=1, duration_seconds=int(seconds), aspect_ratio="16:9",
            resolution=self.settings.resolution, seed=request.seed,
            negative_prompt="text, watermark, words, letters, blurry, distorted",
            generate_audio=False if self.model.startswith("veo-3") else None,
            reference_images=references)
        source = types.GenerateVideosSource(
            prompt=request.prompt,
            image=_image(types, request.image) if request.image is not None else None)
        return self.client().models.generate_videos(model=self.model, source=source,
                                                    config=config)

    def poll(self, job: Any) -> tuple[bool, Any]:
        job = self.client().operations.get(job)
        if not job.done:
            return False, job
        if job.error:
            message = str(job.error.get("message") or job.error)
            refused = self.refusal(message) if job.error.get("status", "") in REFUSED_CODES \
                or job.error.get("code") in (3, 9) else None
            raise refused or ServiceError(f"{self.name}: the operation failed: {message[:300]}")
        result = job.response or job.result
        videos = getattr(result, "generated_videos", None) or []
        if not videos:
            reasons = "; ".join(getattr(result, "rai_media_filtered_reasons", None) or [])
            if getattr(result, "rai_media_filtered_count", 0):
                why = reasons or "its safety filters"
                raise ServiceRefused(f"{self.name} filtered the video out ({why}); rewrite "
                                     "the shot in plainer words")
            raise ServiceError(f"{self.name}: the operation finished without a video")
        return True, job

    def fetch(self, job: Any, out: Path) -> Path:
        video = (job.response or job.result).generated_videos[0].video
        if video.video_bytes:
            out.write_bytes(video.video_bytes)
            return out
        if video.uri and video.uri.startswith(("https://", "http://")):
            return download(video.uri, out)
        raise ServiceError(f"{self.name}: the video is at {video.uri!r}, which this channel "
                           "cannot read (leave output_gcs_uri unset: Veo returns the bytes)")

    def cancel(self, job: Any) -> None:
        # Vertex's predict operations have no cancel call; the channel stops waiting for it
        return None

    def transient(self, exc: BaseException) -> bool:
        from google.genai import errors

        if isinstance(exc, errors.APIError):
            return exc.code == 429 or (exc.code or 0) >= 500
        return super().transient(exc)

    def retry_after(self, exc: BaseException) -> float | None:
        response = getattr(exc, "response", None)
        value = getattr(response, "headers", {}).get("Retry-After") if response else None
        try:
            return float(value) if value is not None else None
        except (TypeError, ValueError):
            return None


def _image(types: Any, path: Path) -> Any:
    mime = mimetypes.guess_type(str(path))[0] or "image/png"
    return types.Image(image_bytes=Path(path).read_bytes(), mime_type=mime)
