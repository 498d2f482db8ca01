"""A local OpenAI-compatible chat-completions server standing in for a director model that sees
images: the protocol is real (the ``openai`` client talks to it over HTTP on 127.0.0.1), the
judgement is scripted. It answers the director's requests with fixed, valid calls (a show,
episodes, new shots each time) and review requests with the next verdict of its script, and it
keeps what every review request carried: its words and the picture, decoded.

No real vision-language model installs here (none ships its weights on PyPI or npm; see the
README), so this is how the review path is tested end to end.
"""

from __future__ import annotations

import base64
import io
import itertools
import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

SHOW = {"title": "The Balloon Post", "logline": "A fox delivers letters by balloon over a "
        "hill village", "style": "storybook watercolour", "time": "day", "mood": "playful",
        "cast": [{"name": "Fox", "kind": "character", "look": "an orange fox in a blue cap"},
                 {"name": "Hill Village", "kind": "place",
                  "look": "a green hill village with red roofs"}],
        "episodes": [{"title": "First Round", "synopsis": "The fox starts the day's round"}]}
REASONS = {"keep": "the fox and the village are there, as asked",
           "retake": "the fox's face is smeared in the middle frames",
           "change": "the balloon never appears: the model draws a kite from these words"}
CHANGED = "Fox waves from the basket of a round red balloon"
# shots whose words differ (the show refuses a shot that repeats a recent one, digits aside)
DOORS = ["bakery", "mill", "school", "chapel", "forge", "tower", "barn", "dairy", "inn",
         "library", "market", "harbour", "orchard", "pottery", "station", "theatre"]
DEEDS = ["delivers a letter to", "drops a parcel on", "rings the bell of", "waves at",
         "lands beside", "flies over", "circles above", "sings outside", "knocks at",
         "leaves a postcard at", "collects a sack from", "reads a note at", "naps beside"]


class VisionServer:
    def __init__(self, verdicts: list[str] | None = None) -> None:
        self.verdicts = list(verdicts or [])  # then "keep" for every later review
        self.delay_s = 0.0  # how long each answer takes
        self.blind = False  # a model that does not see the pictures it is sent
        self.requests: list[dict[str, Any]] = []
        self.reviews: list[dict[str, Any]] = []  # {"text", "image": bytes, "media_type"}
        self._count = itertools.count(1)
        self._lock = threading.Lock()
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 (the standard library's name)
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                time.sleep(server.delay_s)  # a slow model: a stop must not wait for it
                answer = json.dumps(server.answer(body)).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(answer)))
                self.end_headers()
                self.wfile.write(answer)

            def log_message(self, *_: Any) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_port}/v1"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()

    def answer(self, body: dict[str, Any]) -> dict[str, Any]:
        with self._lock:
            self.requests.append(body)
            offered = {t["function"]["name"]: t["function"] for t in body.get("tools", [])}
            if not offered:  # a question about a picture: the sight check
                return _reply(body, self._look(body["messages"]), None)
            if "keep_take" in offered:
                name, arguments = self._review(body["messages"])
            elif "set_show" in offered:
                name, arguments = "set_show", SHOW
            elif "plan_episodes" in offered:
                n = next(self._count)
                name, arguments = "plan_episodes", {"episodes": [
                    {"title": f"Round {n}.{i}", "synopsis": "More letters"} for i in (1, 2, 3)]}
            elif "write_shots" in offered:
                items = offered["write_shots"]["parameters"]["properties"]["shots"]
                count = items.get("minItems") or 2
                name, arguments = "write_shots", {"shots": [
                    {"action": f"Fox {DEEDS[n % len(DEEDS)]} the {DOORS[n % len(DOORS)]}"}
                    for n in (next(self._count) for _ in range(count))]}
            else:
                return _reply(body, "Noted.", None)
            return _reply(body, "", (name, arguments))

    def _look(self, messages: list[dict[str, Any]]) -> str:
        """The colours of the picture's halves, read from its pixels (a text-only model
        behind an endpoint that drops pictures, when ``blind``)."""
        if self.blind:
            return "I cannot see images, but I would guess red and blue."
        from PIL import Image

        from webtv.director.sight import COLOURS

        part = next(p for p in messages[-1]["content"] if p["type"] == "image_url")
        picture = Image.open(io.BytesIO(base64.b64decode(
            part["image_url"]["url"].partition(",")[2]))).convert("RGB")
        width, height = picture.size

        def named(x: int) -> str:
            pixel = picture.getpixel((x, height // 2))
            return min(COLOURS, key=lambda c: sum((a - b) ** 2 for a, b in zip(
                COLOURS[c], pixel, strict=True)))

        return f"{named(width // 4).capitalize()}, then {named(3 * width // 4)}."

    def _review(self, messages: list[dict[str, Any]]) -> tuple[str, dict[str, Any]]:
        """What a review request carried, kept; the script's next verdict."""
        content = messages[-1]["content"]
        parts = content if isinstance(content, list) else [{"type": "text", "text": content}]
        text = " ".join(p["text"] for p in parts if p["type"] == "text")
        images = [p["image_url"]["url"] for p in parts if p["type"] == "image_url"]
        head, _, data = images[0].partition(",") if images else ("", "", "")
        self.reviews.append({"text": text, "media_type": head,
                             "image": base64.b64decode(data) if data else b""})
        verdict = self.verdicts.pop(0) if self.verdicts else "keep"
        name = {"keep": "keep_take", "retake": "retake", "change": "change_shot"}[verdict]
        arguments = {"reason": REASONS[verdict],
                     **({"action": CHANGED} if verdict == "change" else {})}
        return name, arguments


def _reply(body: dict[str, Any], content: str,
           call: tuple[str, dict[str, Any]] | None) -> dict[str, Any]:
    message: dict[str, Any] = {"role": "assistant", "content": content}
    if call is not None:
        message["tool_calls"] = [{"id": f"call_{len(json.dumps(body)) % 10_000}",
                                  "type": "function", "function": {
                                      "name": call[0], "arguments": json.dumps(call[1])}}]
    return {"id": "chatcmpl-local", "object": "chat.completion", "created": 0,
            "model": body.get("model", ""), "choices": [{
                "index": 0, "message": message,
                "finish_reason": "tool_calls" if call else "stop"}],
            "usage": {"prompt_tokens": 100, "completion_tokens": 20, "total_tokens": 120}}
