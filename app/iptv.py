"""The page server's addresses for other players: the guide (XMLTV), the channel list (M3U),
logos and show icons, each channel's MPEG-TS, and the HDHomeRun tuner's HTTP API. Public, like
the page: they say what airs, never who runs it."""

from __future__ import annotations

import io
import re
from http import HTTPStatus
from typing import Any

from PIL import Image, ImageDraw, ImageFont

from webtv.app import guide, tuner, xmltv
from webtv.app.handler import TYPES, Handler, Request
from webtv.core.errors import MediaError
from webtv.core.media import read_frames

GUIDE_TTL = 30.0  # seconds an answer of the guide is reused, however many players ask
LOGO_SIZE = (400, 225)
ICON_WIDTH = 480


def logo(title: str, number: int) -> bytes:
    """A channel's logo: its number and name on the house colours."""
    img = Image.new("RGB", LOGO_SIZE, (18, 22, 38))
    draw = ImageDraw.Draw(img)
    draw.text((LOGO_SIZE[0] / 2, LOGO_SIZE[1] * 0.4), str(number), anchor="mm",
              font=ImageFont.load_default(size=90), fill=(240, 236, 220))
    draw.text((LOGO_SIZE[0] / 2, LOGO_SIZE[1] * 0.8), title[:28], anchor="mm",
              font=ImageFont.load_default(size=26), fill=(170, 180, 210))
    out = io.BytesIO()
    img.save(out, "PNG")
    return out.getvalue()


def frame_icon(path) -> bytes:
    """A frame from the middle of a take, as a JPEG: a show's icon."""
    frames = read_frames(path, width=ICON_WIDTH, every=12)
    out = io.BytesIO()
    Image.fromarray(frames[len(frames) // 2]).save(out, "JPEG", quality=82)
    return out.getvalue()


class IPTVRoutes(Handler):
    def _base(self) -> str:
        """The address this player reached us by: links in the guide and lineup use it."""
        host = self.headers.get("Host") or "{}:{}".format(*self.server.server_address[:2])
        if not re.fullmatch(r"[A-Za-z0-9.\-]+(:\d+)?|\[[0-9A-Fa-f:.]+\](:\d+)?", host):
            host = "{}:{}".format(*self.server.server_address[:2])
        return f"http://{host}"

    def _title(self) -> str:
        settings = self.server.console_settings
        return settings.channel if settings is not None else "AI WebTV"

    def route_xmltv(self, request: Request) -> None:
        base = self._base()
        body = self.server.cached(f"xmltv:{base}", GUIDE_TTL,
                                  lambda store: xmltv.xmltv(store, self._title(), base))
        self._send(body, TYPES[".xml"])

    def route_m3u(self, request: Request) -> None:
        base, kind = self._base(), request.query.get("stream", ["ts"])[0]
        if kind not in ("ts", "hls"):
            return self._text(HTTPStatus.BAD_REQUEST, "stream: ts or hls")
        body = self.server.cached(f"m3u:{base}:{kind}", GUIDE_TTL,
                                  lambda store: xmltv.m3u(store, self._title(), base, kind))
        self._send(body.encode(), TYPES[".m3u"])

    def _network(self) -> list[guide.Channel]:
        return self.server.cached("network", 2.0,
                                  lambda store: guide.channels(store, self._title()))

    def route_logo(self, request: Request) -> None:
        name = request.rest.removesuffix(".png")
        channel = next((c for c in self._network() if c.name == name), None)
        if channel is None or not request.rest.endswith(".png"):
            return self.send_error(HTTPStatus.NOT_FOUND)
        body = self.server.cached(f"logo:{name}", 3600.0,
                                  lambda store: logo(channel.title, channel.number))
        self._send(body, TYPES[".png"], "max-age=3600")

    def route_show_icon(self, request: Request) -> None:
        found = re.fullmatch(r"(\d+)\.jpg", request.rest)
        if found is None:
            return self.send_error(HTTPStatus.NOT_FOUND)
        body = self.server.cached(f"icon:{found.group(1)}", 3600.0,
                                  lambda store: self._icon(store, int(found.group(1))))
        if body is None:
            return self.send_error(HTTPStatus.NOT_FOUND)
        self._send(body, TYPES[".jpg"], "max-age=3600")

    def _icon(self, store, show_id: int) -> bytes | None:
        for take in store.guide.show_takes(show_id, limit=3):
            try:
                return frame_icon(store.data.resolve(take["media"]))
            except (MediaError, OSError, ValueError):
                continue  # purged or damaged: the next take
        return None

    # -- streams ---------------------------------------------------------------------------
    def route_stream(self, request: Request) -> None:
        """``/stream/NAME.ts``: a channel as MPEG-TS."""
        name = request.rest.removesuffix(".ts")
        if not request.rest.endswith(".ts") or name not in {c.name for c in self._network()}:
            return self.send_error(HTTPStatus.NOT_FOUND)
        self._stream(name)

    def route_tuner_stream(self, request: Request) -> None:
        """``/auto/vN``: channel number N, as an HDHomeRun gives it."""
        found = re.fullmatch(r"v(\d+)", request.rest)
        channel = next((c for c in self._network() if found and c.number == int(
            found.group(1))), None)
        if channel is None:
            return self.send_error(HTTPStatus.NOT_FOUND, "no such channel")
        self._stream(channel.name)

    def _stream(self, name: str) -> None:
        if self.head:
            self._send(b"", TYPES[".ts"], "no-store")
            return
        if not (self.server.data.channel_hls(name) / "live.m3u8").exists():
            return self._text(HTTPStatus.SERVICE_UNAVAILABLE, "The channel is off air.")
        tuners: tuner.Tuners = self.server.tuners
        taken = tuners.take(name)
        if taken is None:  # as a real box says it: every tuner is in use
            return self._text(HTTPStatus.SERVICE_UNAVAILABLE, "All tuners are in use.")
        try:
            self.close_connection = True  # the stream ends when the viewer goes
            self.send_response(HTTPStatus.OK)
            self.send_header("Content-Type", TYPES[".ts"])
            self.send_header("Cache-Control", "no-store")
            self.send_header("Connection", "close")
            self.end_headers()
            self.connection.settimeout(None)  # a paused player may not read for a while
            tuners.stream(self.server.data.channel_hls(name), self.wfile)
        finally:
            tuners.give_back(taken)

    # -- the HDHomeRun HTTP API ----------------------------------------------------------------
    def _device(self) -> str:
        return self.server.device_id

    def route_discover(self, request: Request) -> None:
        self._json(tuner.discover(self._base(), self._device(), self._title()))

    def route_lineup(self, request: Request) -> None:
        numbered = [(c.number, c.title, c.name) for c in self._network()]
        self._json(tuner.lineup(numbered, self._base()))

    def route_lineup_status(self, request: Request) -> None:
        self._json(tuner.LINEUP_STATUS)

    def route_lineup_post(self, request: Request) -> None:
        """A player asks for a channel scan: there is nothing to scan, it is done at once."""
        self._send(b"", "text/plain", "no-store")

    def route_device_xml(self, request: Request) -> None:
        self._send(tuner.device_xml(self._base(), self._device(), self._title()), TYPES[".xml"])

    def route_tuners_html(self, request: Request) -> None:
        """What each tuner plays (Jellyfin reads this page to count free tuners)."""
        busy: dict[int, Any] = dict(self.server.tuners.busy)
        rows = "".join(f"<tr><td>Tuner {i} Channel</td><td>{busy.get(i, 'none')}</td></tr>"
                       for i in range(self.server.tuners.count))
        self._send(f"<html><body><table>{rows}</table></body></html>".encode(),
                   TYPES[".html"])
