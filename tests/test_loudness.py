"""Loudness: every take and the slate at the channel's level, and the aired stream measured with
FFmpeg's ebur128 as a viewer hears it."""

from __future__ import annotations

import statistics
from pathlib import Path

import pytest

from bench.loudness import aired
from webtv.core import house
from webtv.core.errors import ConfigError
from webtv.core.loudness import STREAMING, Loudness, measure_stream
from webtv.core.media import probe, run_ffmpeg
from webtv.production.backends.base import ShotSpec
from webtv.production.backends.local_media import synthesize, write_wav
from webtv.production.pipeline import make_media
from webtv.state.datadir import DataDir
from webtv.tools.context import ToolContext


@pytest.fixture(scope="module")
def picture(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("picture") / "picture.mp4"
    run_ffmpeg(["-f", "lavfi", "-i", "testsrc2=s=576x320:r=24:d=4", "-c:v", "libx264",
                "-preset", "ultrafast", str(out)])
    return out


def music(out: Path, mood: str, seconds: float, gain_db: float) -> Path:
    write_wav(synthesize(mood, seconds, seed=3) * 10 ** (gain_db / 20), out)
    return out


@pytest.mark.parametrize(("mood", "gain_db"), [("calm", -30), ("epic", -6), ("upbeat", 6),
                                                ("tense", 0)])
def test_a_take_airs_at_the_target_whatever_its_music_level(picture: Path, tmp_path: Path,
                                                            mood: str, gain_db: float) -> None:
    source = music(tmp_path / "music.wav", mood, 3.0, gain_db)
    before = measure_stream(source).integrated
    house.normalize(picture, source, tmp_path / "take.mp4", 3.0)
    after = measure_stream(tmp_path / "take.mp4")
    assert abs(after.integrated - STREAMING.target) <= 0.5, (before, after.integrated)
    assert after.true_peak <= STREAMING.true_peak + 0.3
    found = probe(tmp_path / "take.mp4")  # the house format is untouched by the gain
    assert found.frames == 72 and found.sample_rate == house.SAMPLE_RATE
    assert found.duration == pytest.approx(3.0 + house.AUDIO_TAIL, abs=0.03)


def test_broadcast_users_choose_their_standard(picture: Path, tmp_path: Path) -> None:
    ebu = Loudness.from_config({"loudness": {"standard": "ebu-r128"}})
    assert (ebu.target, ebu.true_peak) == (-23.0, -1.0)
    own = Loudness.from_config({"loudness": {"target_lufs": -18, "true_peak_dbtp": -2}})
    assert (own.target, own.true_peak) == (-18.0, -2.0)
    house.normalize(picture, music(tmp_path / "m.wav", "playful", 3.0, 0), tmp_path / "t.mp4",
                    3.0, loudness=ebu)
    assert measure_stream(tmp_path / "t.mp4").integrated == pytest.approx(-23.0, abs=0.5)
    for bad, says in [({"standard": "loud"}, "one of streaming"),
                      ({"target_lufs": -3}, "-31 to -9"), ({"true_peak_dbtp": 2}, "-9 to 0")]:
        with pytest.raises(ConfigError, match=says):
            Loudness.from_config({"loudness": bad})


def test_near_silence_is_never_raised_to_programme_level(picture: Path, tmp_path: Path) -> None:
    house.normalize(picture, music(tmp_path / "hiss.wav", "calm", 3.0, -75),
                    tmp_path / "t.mp4", 3.0)
    assert measure_stream(tmp_path / "t.mp4").integrated < -60


def test_the_slate_has_a_quiet_chord_at_the_target(data: DataDir) -> None:
    from webtv.playout.slate import slate

    made = slate(data, "A show", "Coming up: a scene")
    measured = measure_stream(made)
    assert measured.integrated == pytest.approx(STREAMING.target, abs=0.5)
    assert measured.true_peak <= STREAMING.true_peak
    # another level is another slate, not the old one with the old sound
    other = slate(data, "A show", "Coming up: a scene", Loudness(-23.0, -1.0))
    assert other != made and measure_stream(other).integrated == pytest.approx(-23, abs=0.5)


def test_the_production_line_brings_takes_to_the_channels_level(ctx: ToolContext,
                                                                tmp_path: Path) -> None:
    quiet = ctx.with_production(loudness=Loudness(-23.0, -1.0)).production
    spec = ShotSpec(palette=["#cc2222", "#22aa44"])
    out, _ = make_media(quiet, "a red kite over a green hill", 5, spec, 3.0, "epic", tmp_path)
    assert measure_stream(out).integrated == pytest.approx(-23.0, abs=0.5)


def check_aired(minutes: float, root: Path) -> dict:
    got = aired(minutes, 12.0, STREAMING, root)
    series, jumps = got["series"], got["jumps"]
    assert got["missed"] == 0 and series.times[-1] >= minutes * 60 - 5
    assert max(got["levels"]) - min(got["levels"]) > 30  # the music spread over 30 LU
    assert abs(series.integrated - STREAMING.target) <= 1.0, series.integrated
    assert len(jumps) >= minutes * 10 and max(jumps) <= 3.0, sorted(jumps)[-5:]
    assert series.true_peak <= STREAMING.true_peak + 0.5
    return {"integrated": series.integrated, "max_jump": max(jumps),
            "median_jump": statistics.median(jumps)}


@pytest.mark.slow
def test_two_minutes_of_aired_hls_hold_the_target_with_no_jumps(tmp_path: Path) -> None:
    check_aired(2.0, tmp_path)


@pytest.mark.long
def test_ten_minutes_of_aired_hls_hold_the_target_with_no_jumps(tmp_path: Path) -> None:
    check_aired(10.0, tmp_path)


@pytest.mark.slow
def test_webtv_loudness_brings_an_old_library_to_the_level(data: DataDir, store,
                                                            picture: Path,
                                                            tmp_path: Path) -> None:
    from tests.channel import run_webtv
    from webtv.playout.transmitter import load

    shot = store.takes.add_shots(1, [{"action": "a", "duration_s": 3.0}])[0]
    takes = []
    for i, level in enumerate((Loudness(-23.0, -1.0), STREAMING, Loudness(-28.0, -1.0))):
        out = tmp_path / f"take{i}.mp4"
        house.normalize(picture, music(tmp_path / f"m{i}.wav", "calm", 3.0, 0), out, 3.0,
                        loudness=level)
        take = store.takes.add_take(shot_id=shot["id"], seed=i, prompt="p", duration_s=3.0,
                                    media=data.keep(out, ".mp4"))
        store.takes.set_take_status(take["id"], "aired")
        takes.append(take)
    looked = run_webtv(data.root, "loudness")
    assert looked.returncode == 0, looked.stderr
    assert "Takes measured: 3 against -16 LUFS, true peak -1.5 dBTP: 1 at it" in looked.stdout
    assert "2 off it, from -28.0 to -23.0 LUFS" in looked.stdout
    before = [store.takes.take(t["id"])["media"] for t in takes]
    fixed = run_webtv(data.root, "loudness", "--fix")
    assert "Brought to -16 LUFS: 2" in fixed.stdout, fixed.stdout + fixed.stderr
    after = [store.takes.take(t["id"])["media"] for t in takes]
    assert after[1] == before[1] and after[0] != before[0] and after[2] != before[2]
    for old, new in zip(before, after, strict=True):
        path = data.resolve(new)
        assert measure_stream(path).integrated == pytest.approx(-16.0, abs=0.5)
        video, audio = load(path)  # still the house format the playout airs
        old_video, old_audio = load(data.resolve(old))
        assert [bytes(p) for p in video] == [bytes(p) for p in old_video]  # picture copied
        assert len(audio) == len(old_audio)
    assert "3 at it" in run_webtv(data.root, "loudness").stdout


def test_webtv_toml_takes_the_programme_loudness_and_captions_tables(tmp_path: Path) -> None:
    from webtv.core.settings import load_config

    path = tmp_path / "webtv.toml"
    path.write_text('[programme]\nreruns = "best"\n[loudness]\nstandard = "atsc-a85"\n'
                    '[captions]\ntext = "prompt"\n')
    config = load_config(path)
    assert Loudness.from_config(config) == Loudness(-24.0, -2.0)
    path.write_text('[loudness]\ntarget = -16\n')
    with pytest.raises(ConfigError, match="did you mean 'target_lufs'"):
        load_config(path)
