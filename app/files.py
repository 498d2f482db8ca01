"""The page's files: its own static files, hls.js, the live HLS window and the takes' media
(by content hash, with byte ranges for Safari's player), all out of the data directory or the
package, never through a link or a name that is not ours."""

from __future__ import annotations

import re
from http import HTTPStatus
from importlib import resources
from pathlib import Path

from webtv.app.handler import PAGE_POLICY, TYPES, Handler, Request
from webtv.core.errors import ConfigError

HLSJS = Path(__file__).resolve().parents[1] / "node_modules" / "hls.js" / "dist" / "hls.min.js"
CHANNEL = re.compile(r"^[a-z0-9][a-z0-9-]{0,31}$")
SAFE_NAME = re.compile(r"^[A-Za-z0-9_.-]+$")
MEDIA_NAME = re.compile(r"^media/([0-9a-f]{2})/\1[0-9a-f]{62}\.(mp4|png|jpg)$")  # content hashes


def read_hlsjs(path: Path | None = None) -> bytes | None:
    """hls.js from node_modules (or ``path``: the settings' $WEBTV_HLSJS); None: the page uses
    its own loader."""
    try:
        return Path(path or HLSJS).read_bytes()
    except OSError:
        return None


class FileRoutes(Handler):
    def route_index(self, request: Request) -> None:
        self._static("index.html")

    def route_static(self, request: Request) -> None:
        if request.rest.endswith(".html"):  # pages go through their routes
            return self.send_error(HTTPStatus.NOT_FOUND)
        self._static(request.rest)

    def route_hlsjs(self, request: Request) -> None:
        body = self.server.hlsjs()
        if body is None:  # the page falls back to its own loader
            return self.send_error(HTTPStatus.NOT_FOUND, "hls.js is not installed (npm ci)")
        self._send(body, TYPES[".js"], "max-age=86400")

    def route_hls(self, request: Request) -> None:
        self._hls_file("main", request.rest)

    def route_channel_hls(self, request: Request) -> None:
        """A library channel's stream: /ch/NAME/live.m3u8 and its segments."""
        channel, _, name = request.rest.partition("/")
        if not CHANNEL.match(channel) or channel == "main":
            return self.send_error(HTTPStatus.NOT_FOUND)
        self._hls_file(channel, name)

    def _hls_file(self, channel: str, name: str) -> None:
        if not SAFE_NAME.match(name):
            return self.send_error(HTTPStatus.NOT_FOUND)
        file = self.server.data.channel_hls(channel) / name
        if file.is_symlink():  # only what the muxer wrote: never a link out of the data dir
            return self.send_error(HTTPStatus.NOT_FOUND)
        try:
            body = file.read_bytes()
        except OSError:  # deleted by the rolling window between playlist and request
            return self.send_error(HTTPStatus.NOT_FOUND)
        suffix = file.suffix
        self._send(body, TYPES.get(suffix, "application/octet-stream"),
                   "no-cache" if suffix == ".m3u8" else "max-age=60")

    def route_media(self, request: Request) -> None:
        """A take's file or contact sheet, by content hash; byte ranges for Safari's player."""
        relative = request.path.removeprefix("/")
        if not MEDIA_NAME.match(relative):
            return self.send_error(HTTPStatus.NOT_FOUND)
        try:
            file = self.server.data.resolve(relative)
            size = file.stat().st_size
        except (ConfigError, OSError):  # purged by the retention policy
            return self.send_error(HTTPStatus.NOT_FOUND)
        first, last = 0, size - 1
        ranged = re.fullmatch(r"bytes=(\d*)-(\d*)", self.headers.get("Range", "").strip())
        if ranged and ranged.group(1):
            first = int(ranged.group(1))
            last = min(int(ranged.group(2)), size - 1) if ranged.group(2) else size - 1
        elif ranged and ranged.group(2):  # the last N bytes
            first = max(0, size - int(ranged.group(2)))
        if ranged and (first > last or first >= size):
            self.send_response(HTTPStatus.REQUESTED_RANGE_NOT_SATISFIABLE)
            self.send_header("Content-Range", f"bytes */{size}")
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        with file.open("rb") as handle:
            handle.seek(first)
            body = handle.read(last - first + 1)
        headers = {"Accept-Ranges": "bytes"}
        if ranged:
            headers["Content-Range"] = f"bytes {first}-{last}/{size}"
        self._send(body, TYPES["." + relative.rsplit(".", 1)[1]],
                   "public, max-age=31536000, immutable",
                   HTTPStatus.PARTIAL_CONTENT if ranged else HTTPStatus.OK, headers)

    def _static(self, name: str, cache: str = "no-cache") -> None:
        if not SAFE_NAME.match(name):
            return self.send_error(HTTPStatus.NOT_FOUND)
        item = resources.files("webtv.app").joinpath("static", name)
        if not item.is_file():
            return self.send_error(HTTPStatus.NOT_FOUND)
        suffix = "." + name.rsplit(".", 1)[-1]
        headers = {"Content-Security-Policy": PAGE_POLICY} if suffix == ".html" else {}
        self._send(item.read_bytes(), TYPES.get(suffix, "application/octet-stream"), cache,
                   headers=headers)
