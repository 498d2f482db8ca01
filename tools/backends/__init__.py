"""Generation backends: the interfaces every local or remote backend implements.

The local backends (the defaults) need no GPU and no network. Remote ones (Gradio Spaces)
implement the same protocols, so the take pipeline never knows which it is talking to.
"""

from __future__ import annotations

from webtv.tools.backends.base import (
    Asset,
    Backends,
    InterpolateBackend,
    MusicBackend,
    ShotSpec,
    UpscaleBackend,
    VideoBackend,
    VideoRequest,
    refuse_bad_clip,
)

__all__ = ["Asset", "Backends", "InterpolateBackend", "MusicBackend", "ShotSpec", "UpscaleBackend",
           "VideoBackend", "VideoRequest", "local_backends", "refuse_bad_clip"]


def local_backends(fault_rate: float = 0.0) -> Backends:
    from webtv.tools.backends.local_media import FFmpegInterpolate, FFmpegUpscale, SynthMusic
    from webtv.tools.backends.local_video import ProceduralVideo

    return Backends(ProceduralVideo(fault_rate, raw=True), FFmpegUpscale(), FFmpegInterpolate(),
                    SynthMusic())
