"""Backends: what makes a take's video, music, interpolation and upscale, one interface per
capability (``base``). Embedded local ones (the defaults: no GPU, no network), Gradio Spaces
behind pools of endpoints, a cluster queue shared by hosts; ``config`` chooses among them.

Importing this package loads nothing: the backends' types are in ``base``."""


def local_backends(fault_rate: float = 0.0):
    """The embedded backends: a procedural renderer, FFmpeg interpolation and upscaling, synth
    music. ``fault_rate`` makes the renderer inject known faults (for testing the checks)."""
    from webtv.production.backends.base import Backends
    from webtv.production.backends.local_media import FFmpegInterpolate, FFmpegUpscale, SynthMusic
    from webtv.production.backends.local_video import ProceduralVideo

    return Backends(ProceduralVideo(fault_rate, raw=True), FFmpegUpscale(), FFmpegInterpolate(),
                    SynthMusic())
