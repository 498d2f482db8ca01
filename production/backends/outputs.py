"""A hosted service's clip, fetched: from the URL its answer gives (streamed, with a cap on
its size) or from a data URL (a service that answers inline)."""

from __future__ import annotations

import base64
from pathlib import Path
from urllib.parse import unquote_to_bytes

import httpx

from webtv.core.errors import BadMedia
from webtv.production.backends.hosted import ServiceError

MAX_DOWNLOAD = 2 * 1024**3  # bytes: a clip of a few seconds is megabytes


def download(url: str, out: Path, timeout: float = 120.0) -> Path:
    """A service's output URL, streamed to ``out`` (no more than MAX_DOWNLOAD bytes), or a
    data URL (a service asked for inline outputs, or one that sends small files so) decoded."""
    if url.startswith("data:"):
        return _data_url(url, out)
    if not url.startswith(("https://", "http://")):
        raise ServiceError(f"the output is not a URL: {url[:120]!r}")
    size = 0
    with httpx.stream("GET", url, follow_redirects=True, timeout=timeout) as response:
        response.raise_for_status()
        with out.open("wb") as handle:
            for chunk in response.iter_bytes():
                size += len(chunk)
                if size > MAX_DOWNLOAD:
                    raise BadMedia(f"the output is larger than {MAX_DOWNLOAD} bytes")
                handle.write(chunk)
    return out


def _data_url(url: str, out: Path) -> Path:
    """``data:[type][;base64],payload`` written to ``out``."""
    head, comma, payload = url.partition(",")
    if not comma:
        raise ServiceError(f"the output is a malformed data URL: {url[:60]!r}")
    if len(payload) * 3 // 4 > MAX_DOWNLOAD:
        raise BadMedia(f"the output is larger than {MAX_DOWNLOAD} bytes")
    try:
        data = base64.b64decode(payload, validate=True) if head.endswith(";base64") \
            else unquote_to_bytes(payload)
    except ValueError as exc:
        raise BadMedia(f"the output's data URL does not decode: {exc}") from exc
    out.write_bytes(data)
    return out
