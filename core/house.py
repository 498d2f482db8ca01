"""The house format: what every file that may go on air is normalized to, once, on acceptance.

Fixed size, frame rate, time bases and a closed GOP whose length equals the HLS segment, so the
playout copies packets and never re-encodes. Audio is always present (silence when a take has
none), at the channel's loudness (loudness.py), and runs a little past the picture, so the
playout can cut it on the video boundary.
"""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

from webtv.core.loudness import STREAMING, Loudness, gain_filter, measure
from webtv.core.media import probe, run_ffmpeg

WIDTH, HEIGHT = 1024, 576
FPS = 24
SEGMENT_SECONDS = 2
GOP = FPS * SEGMENT_SECONDS
SAMPLE_RATE = 48_000
AAC_FRAME = 1024  # samples per AAC-LC packet
VIDEO_TIMESCALE = 12_288  # 512 ticks per frame at 24 fps: every frame boundary is exact
AUDIO_TAIL = 0.1  # seconds of audio past the last frame, cut at air time
CODECS = "avc1.64001f,mp4a.40.2"  # H.264 High@3.1 + AAC-LC, for the page's MediaSource

FRAME = Fraction(1, FPS)
AUDIO_PACKET = Fraction(AAC_FRAME, SAMPLE_RATE)

_VIDEO_ARGS = [
    "-c:v", "libx264", "-preset", "veryfast", "-crf", "21", "-profile:v", "high",
    "-level:v", "3.1", "-pix_fmt", "yuv420p", "-g", str(GOP), "-keyint_min", str(GOP),
    "-sc_threshold", "0", "-x264-params", "open-gop=0:scenecut=0",
    "-video_track_timescale", str(VIDEO_TIMESCALE),
]
_AUDIO_ARGS = ["-c:a", "aac", "-b:a", "128k", "-ar", str(SAMPLE_RATE), "-ac", "2"]


def frames_for(seconds: float) -> int:
    return max(1, round(seconds * FPS))


def normalize(video: Path, audio: Path | None, out: Path, seconds: float,
              prefilter: str = "", loudness: Loudness = STREAMING) -> None:
    """Encode ``video`` (+ ``audio``) into the house format, exactly ``seconds`` of picture, the
    sound at ``loudness``. ``prefilter``: FFmpeg filters for the picture first (local
    interpolation, upscaling), so a take is encoded once."""
    frames = frames_for(seconds)
    picture = (
        f"[0:v]{prefilter + ',' if prefilter else ''}fps={FPS},"
        f"scale={WIDTH}:{HEIGHT}:flags=lanczos,setsar=1,format=yuv420p,"
        f"tpad=stop_mode=clone:stop_duration={seconds + 1},trim=end_frame={frames},"
        "setpts=PTS-STARTPTS[v]"
    )
    if audio is None:
        inputs = ["-i", str(video), "-f", "lavfi", "-i", f"anullsrc=r={SAMPLE_RATE}:cl=stereo"]
        sound = _sound(None, frames, loudness)
    else:
        inputs = ["-i", str(video), "-i", str(audio)]
        sound = _sound(audio, frames, loudness)
    run_ffmpeg([
        *inputs, "-filter_complex", f"{picture};{sound}", "-map", "[v]", "-map", "[a]",
        *_VIDEO_ARGS, *_AUDIO_ARGS, "-movflags", "+faststart", "-f", "mp4", str(out),
    ])


def _sound(audio: Path | None, frames: int, loudness: Loudness) -> str:
    """Input 1's sound as the house has it: stereo at the house rate, exactly as long as the
    picture plus its tail, at the channel's loudness (measured first, the gain applied here)."""
    chain = (f"aresample={SAMPLE_RATE},aformat=channel_layouts=stereo,apad,"
             f"atrim=0:{frames / FPS + AUDIO_TAIL},asetpts=PTS-STARTPTS")
    gain = gain_filter(loudness, measure(audio, chain, loudness)) if audio else ""
    # loudnorm works at 192 kHz: back to the house rate, and the length exact again
    level = (f",{gain},aresample={SAMPLE_RATE},atrim=end_sample="
             f"{round((frames / FPS + AUDIO_TAIL) * SAMPLE_RATE)}" if gain else "")
    return f"[1:a]{chain}{level}[a]"


BED_LU = 12.0  # the music sits this far under a model's own sound (dialogue, effects)


def bed_under(sound: Path, music: Path, out: Path, loudness: Loudness = STREAMING) -> Path:
    """A model's own sound (speech, effects) with the music bed mixed BED_LU under it, as one
    WAV; the house pass then brings the mix to the channel's loudness. Each is measured first,
    so the bed sits under the sound whatever level each came at; a silent sound leaves the
    music as it is, silent music leaves the sound."""
    chain = f"aresample={SAMPLE_RATE},aformat=channel_layouts=stereo"
    heard, bed = measure(sound, chain, loudness), measure(music, chain, loudness)
    if heard.silent:
        gain = 0.0
    elif bed.silent:
        gain = -60.0
    else:
        gain = heard.integrated - BED_LU - bed.integrated
    run_ffmpeg([
        "-i", str(sound), "-i", str(music), "-filter_complex",
        f"[0:a]{chain}[s];[1:a]{chain},volume={gain:.2f}dB[m];"
        "[s][m]amix=inputs=2:duration=longest:normalize=0[a]",
        "-map", "[a]", "-c:a", "pcm_s16le", str(out)])
    return out


# A quiet chord under the slate, at the channel's loudness like everything else on air: every
# partial repeats a whole number of times in two seconds, so the looped slate has no seam.
SLATE_BED = ("aevalsrc='(0.5+0.1*sin(PI*t))*(0.10*sin(2*PI*220*t)+0.07*sin(2*PI*277.5*t)"
             "+0.06*sin(2*PI*330*t))|(0.5+0.1*sin(PI*t))*(0.10*sin(2*PI*220.5*t)"
             "+0.07*sin(2*PI*277*t)+0.06*sin(2*PI*329.5*t))':s=48000")


def still(image: Path, out: Path, seconds: float = SEGMENT_SECONDS,
          loudness: Loudness = STREAMING) -> None:
    """A house-format clip of one still picture over a quiet chord (the slate)."""
    frames = frames_for(seconds)
    bed = out.with_name(out.stem + "-bed.wav")
    run_ffmpeg(["-f", "lavfi", "-i", f"{SLATE_BED}:d={frames / FPS + AUDIO_TAIL}",
                "-c:a", "pcm_s16le", str(bed)])
    try:
        run_ffmpeg([
            "-loop", "1", "-framerate", str(FPS), "-i", str(image), "-i", str(bed),
            "-filter_complex",
            f"[0:v]scale={WIDTH}:{HEIGHT},setsar=1,format=yuv420p,trim=end_frame={frames}[v];"
            f"{_sound(bed, frames, loudness)}",
            "-map", "[v]", "-map", "[a]", *_VIDEO_ARGS, *_AUDIO_ARGS,
            "-movflags", "+faststart", "-f", "mp4", str(out),
        ])
    finally:
        bed.unlink(missing_ok=True)


def relevel(take: Path, out: Path, loudness: Loudness = STREAMING) -> float | None:
    """A house-format file with its sound brought to ``loudness``, the picture copied as it is
    (takes made before the channel had this level). Returns the sound's loudness before, or
    None when it is near silence (nothing is written: it is never raised)."""
    measured = measure(take, "anull", loudness)
    if measured.silent:
        return None
    samples = round((probe(take).frames / FPS + AUDIO_TAIL) * SAMPLE_RATE)
    run_ffmpeg([
        "-i", str(take), "-map", "0:v", "-map", "0:a", "-c:v", "copy",
        "-af", f"{gain_filter(loudness, measured)},aresample={SAMPLE_RATE},"
               f"atrim=end_sample={samples}",
        *_AUDIO_ARGS, "-video_track_timescale", str(VIDEO_TIMESCALE),
        "-movflags", "+faststart", "-f", "mp4", str(out),
    ])
    return measured.integrated
