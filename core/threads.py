"""Threads named in the operating system as they are in Python ("playout:main", "captions",
"out-hls", "production_0"), so `top -H`, /proc/PID/task and bench/channel.py see which part of
a running channel uses the CPU. Linux only (prctl); elsewhere nothing changes."""

from __future__ import annotations

import ctypes
import ctypes.util
import sys
import threading

_PR_SET_NAME = 15


def _set_os_name(name: str) -> None:
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
        libc.prctl(_PR_SET_NAME, name.encode()[:15], 0, 0, 0)
    except (OSError, AttributeError):
        pass  # not Linux: the names stay Python's


def _name_this_thread(frame, event, arg) -> None:
    sys.setprofile(None)  # once, on the thread's first event, then out of the way
    _set_os_name(threading.current_thread().name)


def name_os_threads() -> None:
    """Every thread started from now on takes its Python name in the OS (the standard
    library's per-thread profile hook runs once in each, before its target)."""
    if sys.platform.startswith("linux"):
        threading.setprofile(_name_this_thread)
