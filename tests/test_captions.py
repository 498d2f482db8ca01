"""Captions: a WebVTT track in each channel's HLS stream saying what is on screen, segment by
segment in step with the picture, read back by FFmpeg as a player does."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest

from tests.test_playout import scheduled_take
from webtv.core.errors import ConfigError
from webtv.core.media import ffmpeg_exe, fragment_time, presentation_delay
from webtv.playout.captions import Cue, caption_mode, master_playlist, vtt_segment, vtt_time
from webtv.playout.playout import Playout
from webtv.state.datadir import DataDir
from webtv.state.store import Store

ACTIONS = ["a red kite climbs over the hill", "the keeper waves & smiles <at last>",
           "rain runs down the window", "the cat curls up by the stove"]
TIME = r"((?:\d+:)?\d\d:\d\d\.\d{3})"
CUE = re.compile(rf"{TIME} --> {TIME}[^\n]*\n(.+)")


def seconds(stamp: str) -> float:
    parts = [float(p) for p in stamp.split(":")]
    return sum(p * 60 ** i for i, p in enumerate(reversed(parts)))


def cues_of(text: str) -> list[tuple[float, float, str]]:
    return [(seconds(a), seconds(b), words) for a, b, words in CUE.findall(text)]


def on_air(data: DataDir, store: Store, mode: str = "action") -> tuple[Playout, dict]:
    """Four takes of four shots, each with its own action, aired with captions ``mode``."""
    store.show.set_bible(title="Captions")
    shots = store.takes.add_shots(1, [{"action": a, "duration_s": 3.0} for a in ACTIONS])
    for shot, (colour, length) in zip(shots, [("red", 3.0), ("blue", 2.5), ("green", 4.0),
                                              ("orange", 3.0)], strict=True):
        scheduled_take(store, data, shot["id"], colour, length)
    playout = Playout(data, pace=False, captions=mode)
    playout.run(max_entries=4)
    log = {e["id"]: e for e in store.air.air_log(playout.session, 50)}
    return playout, log


def test_each_segment_says_what_its_picture_shows(data: DataDir, store: Store) -> None:
    playout, log = on_air(data, store)
    hls = playout.hls
    video = (hls / "live.m3u8").read_text().splitlines()
    captions = (hls / "captions.m3u8").read_text().splitlines()
    # the caption playlist mirrors the picture's: same sequence, durations and dates
    keep = ("#EXT-X-MEDIA-SEQUENCE", "#EXTINF", "#EXT-X-PROGRAM-DATE-TIME", "#EXT-X-ENDLIST")
    assert [line for line in video if line.startswith(keep)] == \
        [line for line in captions if line.startswith(keep)]
    segments = [line for line in video if line.endswith(".m4s")]
    assert [line for line in captions if line.endswith(".vtt")] == \
        [s.replace(".m4s", ".vtt") for s in segments]
    durations = [float(line[8:].rstrip(",")) for line in video if line.startswith("#EXTINF")]
    init = (hls / "init.mp4").read_bytes()
    takes = [e for e in log.values() if e["kind"] == "take"]
    assert len(takes) == 4
    covered = set()
    for name, length in zip(segments, durations, strict=True):
        head = (hls / name).read_bytes()[:8192]
        start, delay = fragment_time(init, head), presentation_delay(init, head)
        assert 0.04 < delay < 0.2  # B-frames: each picture is shown a little after decoding
        text = (hls / name.replace(".m4s", ".vtt")).read_text()
        assert text.startswith("WEBVTT\nX-TIMESTAMP-MAP=MPEGTS:")
        # a cue lasts exactly while its airing's pictures are shown
        expected = {(round(e["stream_start"] + delay, 3), round(e["stream_end"] + delay, 3),
                     e["action"])
                    for e in takes if e["stream_start"] < start + length
                    and e["stream_end"] > start}
        found = {(round(a, 3), round(b, 3), words.replace("&amp;", "&").replace(
            "&lt;", "<").replace("&gt;", ">")) for a, b, words in cues_of(text)}
        assert found == expected, (name, start, found, expected)
        covered |= {words for _, _, words in found}
    assert covered == set(ACTIONS)


def test_ffmpeg_reads_the_captions_from_the_master_playlist(data: DataDir, store: Store,
                                                           tmp_path: Path) -> None:
    playout, log = on_air(data, store)
    master = (playout.hls / "master.m3u8").read_text()
    assert 'TYPE=SUBTITLES' in master and 'SUBTITLES="cc"' in master
    out = tmp_path / "read.vtt"
    done = subprocess.run([ffmpeg_exe(), "-hide_banner", "-loglevel", "error", "-y",
                           "-i", str(playout.hls / "master.m3u8"), "-map", "0:s",
                           "-c:s", "webvtt", str(out)], capture_output=True, timeout=60)
    assert done.returncode == 0, done.stderr.decode()[-800:]
    read = cues_of(out.read_text())
    # FFmpeg starts its subtitle stream after its first picture, so the cue shown with that
    # picture is not read through the master playlist; every later one is
    assert {words for _, _, words in read} == set(ACTIONS[1:])
    # on FFmpeg's timeline (which starts at the first picture) a cue starts with its airing
    takes = sorted(e["stream_start"] for e in log.values() if e["kind"] == "take")
    assert sorted({round(a, 2) for a, _, _ in read}) == [round(t, 2) for t in takes[1:]]
    # the caption playlist on its own: all four, each where its pictures are shown
    done = subprocess.run([ffmpeg_exe(), "-hide_banner", "-loglevel", "error", "-y", "-i",
                           str(playout.hls / "captions.m3u8"), "-c:s", "webvtt", str(out)],
                          capture_output=True, timeout=60)
    assert done.returncode == 0, done.stderr.decode()[-800:]
    alone = list(dict.fromkeys(cues_of(out.read_text())))  # a cue is in each segment it spans
    assert [words for _, _, words in alone] == ACTIONS
    delay = alone[0][0]
    assert 0.04 < delay < 0.2
    assert [round(a - delay, 2) for a, _, _ in alone] == [round(t, 2) for t in takes]


def test_the_operator_chooses_what_captions_say(data: DataDir, store: Store) -> None:
    playout, log = on_air(data, store, mode="prompt")
    said = " ".join((playout.hls / n).read_text() for n in
                    sorted(p.name for p in playout.hls.glob("*.vtt")))
    assert "a red clip" in said and ACTIONS[0] not in said  # the prompt, not the action
    assert caption_mode({}) == "action"
    with pytest.raises(ConfigError, match="one of action, prompt, off"):
        caption_mode({"captions": {"text": "subtitles"}})


def test_captions_off_leave_the_picture_alone(data: DataDir, store: Store) -> None:
    playout, _ = on_air(data, store, mode="off")
    assert not (playout.hls / "captions.m3u8").exists()
    assert not list(playout.hls.glob("*.vtt"))
    assert "SUBTITLES" not in (playout.hls / "master.m3u8").read_text()
    assert master_playlist(False).endswith("live.m3u8\n")


def test_a_cue_is_plain_text_with_exact_times() -> None:
    text = vtt_segment(3725.5, [Cue(3724.0, 3727.25, "fish <&> chips\n  here")])
    assert vtt_time(3725.5) == "01:02:05.500"
    assert "X-TIMESTAMP-MAP=MPEGTS:335295000,LOCAL:01:02:05.500" in text
    assert "01:02:04.000 --> 01:02:07.250" in text
    assert "fish &lt;&amp;&gt; chips here" in text


@pytest.mark.slow
def test_captions_stay_with_the_picture_after_the_hls_output_restarts(data: DataDir,
                                                                     store: Store) -> None:
    """The HLS output's FFmpeg dies mid-air and is started again at a keyframe: its segments'
    times start again at 0 while the cues stay on the channel clock. Every segment after the
    restart still captions the take its pictures show (each take a colour of its own)."""
    import threading
    import time

    import av

    def middle(path: Path) -> tuple[int, ...]:
        with av.open(str(path)) as clip:
            frames = list(clip.decode(video=0))
        return tuple(int(v) for v in frames[len(frames) // 2].to_ndarray(
            format="rgb24")[180, 320])

    store.show.set_bible(title="Captions")
    names = ["red", "blue", "green", "orange"]
    shots = store.takes.add_shots(1, [{"action": f"the {c} one", "duration_s": 3.0}
                                      for c in names])
    colours = {}  # each take's picture, as decoded
    for shot, colour in zip(shots, names, strict=True):
        take = store.takes.take(scheduled_take(store, data, shot["id"], colour, 4.0))
        colours[colour] = middle(data.resolve(take["media"]))
    playout = Playout(data, pace=True, captions="action")
    airing = threading.Thread(target=playout.run, kwargs={"max_entries": 4})
    airing.start()
    time.sleep(6.0)  # into the second take
    hls = next(o for o in playout.transmitter.outputs if o.name == "hls")
    hls._proc.kill()
    airing.join(60)
    assert hls.restarts >= 1
    video = (playout.hls / "live.m3u8").read_text().splitlines()
    segments = [line for line in video if line.endswith(".m4s")]
    assert segments
    checked = 0
    for name in segments:
        path = data.workspace() / "joined.mp4"
        path.write_bytes((playout.hls / "init.mp4").read_bytes()
                         + (playout.hls / name).read_bytes())
        pixel = middle(path)
        shown = min(colours, key=lambda c: sum((a - b) ** 2 for a, b in zip(
            pixel, colours[c], strict=True)))
        said = {words for _, _, words in cues_of(
            (playout.hls / name.replace(".m4s", ".vtt")).read_text())}
        assert f"the {shown} one" in said, (name, shown, said)
        checked += 1
    assert checked >= 3
