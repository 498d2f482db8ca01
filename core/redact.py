"""One rule for secrets in text that leaves the process (logs, the page, /health, errors)."""

from __future__ import annotations

import re

SECRETS = [
    # a stream key is the last path part of an RTMP URL
    (re.compile(r"(rtmps?://[^\s/]+/[^\s/]+/)[^\s'\"]+"), r"\1***"),
    # API keys by their vendors' prefixes (OpenAI, Hugging Face, ...)
    (re.compile(r"\b(sk|hf|pk|rk)[-_][A-Za-z0-9_-]{8,}"), r"\1-***"),
    # query strings and settings: an operator token in a request line, a key in a URL
    (re.compile(r"((?:key|token|secret|password)=)[^&\s'\"]*", re.I), r"\1***"),
]


def redact(text: str) -> str:
    """The text with stream keys, API keys and tokens replaced by ***."""
    for pattern, replacement in SECRETS:
        text = pattern.sub(replacement, text)
    return text
