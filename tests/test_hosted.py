"""Hosted video services through their official clients (``replicate``, ``google-genai``),
against local stand-ins that speak each service's protocol (tests/hosted_services.py), reached
through each client's own base-URL setting; and what a channel spends, within its budget."""

from __future__ import annotations

import dataclasses
import json
import os
import signal
import time
from pathlib import Path

import pytest

from tests import hosted_services
from tests.channel import THEME, free_port, get, query, start, wait_for, webtv
from tests.test_checks import need_tesseract
from tests.test_production import a_show, written
from webtv.core.errors import BackendError, ConfigError, Refused
from webtv.director.offline import OfflineDirector
from webtv.director.protocol import Request, Step
from webtv.production import costs
from webtv.production import line as production
from webtv.production.backends import config as backend_config
from webtv.production.backends.base import ShotSpec, VideoRequest
from webtv.production.backends.hosted import HostedSettings, ServiceError
from webtv.production.backends.replicate_video import ReplicateVideo
from webtv.production.backends.veo_video import VeoVideo
from webtv.tools.context import ToolContext

TOKEN, KEY = "r8_test_token_never_logged", "veo_test_key_never_logged"
HAILUO, WAN, VEO = "minimax/hailuo-02", "wan-video/wan-2.2-t2v-fast", "veo-3.0-fast-generate-001"
I2V, COMMUNITY = "stand-in/image-to-video", "someone/open-wan-lora"
PROMPT = "a fox, orange fur, red scarf, walks, at a wood, green trees"


@pytest.fixture
def keys(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("REPLICATE_API_TOKEN", TOKEN)
    monkeypatch.setenv("GOOGLE_API_KEY", KEY)


@pytest.fixture
def replicate_service():
    service = hosted_services.replicate()
    yield service
    service.close()


@pytest.fixture
def veo_service():
    service = hosted_services.veo()
    yield service
    service.close()


def replicate(service, model: str = HAILUO, journal=None, **options) -> ReplicateVideo:
    return ReplicateVideo(model, HostedSettings(base_url=service.url, key_env="REPLICATE_API_TOKEN",
                                                poll_s=0.05, **options), journal)


def veo(service, journal=None, **options) -> VeoVideo:
    return VeoVideo(VEO, HostedSettings(base_url=service.url + "/", key_env="GOOGLE_API_KEY",
                                        poll_s=0.05, **options), journal)


def ask(seconds: float, prompt: str = PROMPT, image: Path | None = None,
        references: tuple[Path, ...] = ()) -> VideoRequest:
    return VideoRequest(prompt, 7, ShotSpec(palette=[]), seconds=seconds, image=image,
                        references=references)


def test_replicate_maps_the_shot_onto_the_models_own_schema_and_rides_out_429_and_503(
        keys, replicate_service, tmp_path: Path) -> None:
    journal: list[dict] = []
    b = replicate_service.behaviour
    b.throttle, b.retry_after, b.unavailable = 1, "1", 1
    backend = replicate(replicate_service, journal=lambda **row: journal.append(row))
    started = time.monotonic()
    clip = backend.generate(ask(3.0), tmp_path)
    assert time.monotonic() - started >= 1.0  # Retry-After was honoured
    assert len(b.submitted) == 1  # a job is never submitted twice
    sent = b.submitted[0]
    # it counts seconds from an enum (6 or 10): a 3-second shot is asked for (and billed) 6;
    # it names its resolutions its own way (768P is the nearest to 720p); no seed, no negative
    assert sent == {"model": HAILUO, "prompt": PROMPT, "duration": 6, "resolution": "768P"}
    assert (clip.width, clip.height, round(clip.duration)) == (640, 360, 6)
    assert backend.billed_seconds(3.0) == 6 and backend.billed_seconds(7.0) == 10
    assert backend.can_continue and not backend.needs_image  # first_frame_image, optional
    assert [row["outcome"] for row in journal] == ["ok"]
    assert TOKEN not in json.dumps(journal, default=str)

    wan = replicate(replicate_service, WAN)  # Wan counts frames at its frame rate
    wan.generate(ask(3.0), tmp_path)
    sent = b.submitted[-1]
    assert sent["num_frames"] == 81 and sent["resolution"] == "720p"  # 81 frames at 16 fps: 5 s
    assert "seed" in sent and "negative_prompt" not in sent and not wan.can_continue

    i2v = replicate(replicate_service, I2V)  # must start from a picture: a range of seconds
    assert i2v.needs_image and i2v.billed_seconds(3.0) == 3 and i2v.billed_seconds(1) == 2
    from PIL import Image

    still = tmp_path / "still.png"
    Image.new("RGB", (64, 36), (200, 80, 40)).save(still)
    i2v.generate(ask(3.0, image=still), tmp_path)
    sent = b.submitted[-1]
    assert sent["start_image"].startswith("data:image/png;base64,") and sent["duration"] == 3
    assert sent["aspect_ratio"] == "16:9" and sent["seed"] == 7 and "negative_prompt" in sent


def test_replicate_runs_a_community_model_by_its_latest_version_or_a_pinned_one(
        keys, replicate_service, tmp_path: Path) -> None:
    """Replicate runs only its official models by name; any other public model runs by a
    version's id. The by-name try answers 404, and the model runs by its latest version from
    then on; OWNER/NAME:VERSION pins one (its own schema); outputs may come as data URLs."""
    b = replicate_service.behaviour
    latest, _ = hosted_services.COMMUNITY[COMMUNITY]
    backend = replicate(replicate_service, COMMUNITY)
    clip = backend.generate(ask(3.0), tmp_path)
    assert b.submitted[-1] == {"model": COMMUNITY, "version": latest, "prompt": PROMPT,
                               "seed": 7, "num_frames": 49, "aspect_ratio": "16:9"}
    assert round(clip.duration) == 3 and backend.version == latest
    backend.generate(ask(4.0), tmp_path)  # straight to the version now: one request a take
    assert len(b.submitted) == 2 and b.submitted[-1]["num_frames"] == 65

    b.data_urls = True
    pinned = replicate(replicate_service, f"{COMMUNITY}:{hosted_services.OLD_VERSION}")
    clip = pinned.generate(ask(3.0), tmp_path)  # the old version counts seconds
    assert b.submitted[-1] == {"model": COMMUNITY, "version": hosted_services.OLD_VERSION,
                               "prompt": PROMPT, "seed": 7, "duration": 3}
    assert (clip.width, clip.height) == (640, 360)
    official = replicate(replicate_service, WAN)
    official.generate(ask(3.0), tmp_path)
    assert "version" not in b.submitted[-1] and official.version is None  # by name
    for bad in ("someone/model:", "someone/model:not a version", "model"):
        with pytest.raises(ConfigError, match="OWNER/NAME:VERSION"):
            replicate(replicate_service, bad)


@pytest.mark.slow
def test_a_watermarked_clip_with_wrong_colours_never_airs_from_a_paid_service(
        keys, replicate_service, ctx: ToolContext) -> None:
    """On a hosted service the default gate holds takes to "playable": a colour off keeps
    nothing off the air, so the text in the picture must be read even when the colours failed.
    The stand-in answers "juggles" with stock footage: a watermark over the wrong colours."""
    from webtv.inspection.checks import gate

    need_tesseract()
    replicate_service.behaviour.watermark = ("juggles",)
    backend = replicate(replicate_service, WAN)
    ctx = ctx.with_production(backends=dataclasses.replace(ctx.backends, video=backend),
                              parallel=1, gate=gate("auto", backend.name))
    a_show(ctx)
    report = production.produce(ctx.production, written(ctx, "the fox juggles letters",
                                                        "the fox waves"))
    stock, clean = report.outcomes
    assert stock.dropped and not stock.scheduled and clean.scheduled
    rows = query_checks(ctx, stock.shot["id"])
    assert rows and all(("palette", False) in r and ("burned_text", False) in r for r in rows)
    assert all("burned_text" in t["reason"] for t in ctx.store.takes.takes_for_shot(
        stock.shot["id"]))
    assert ctx.store.air.queued_seconds() == pytest.approx(clean.shot["duration_s"], abs=0.5)


def query_checks(ctx: ToolContext, shot_id: int) -> list[set[tuple[str, bool]]]:
    """Each take's checks of a shot: {(name, passed)}."""
    return [{(c["name"], bool(c["passed"])) for c in ctx.store.takes.checks(t["id"])}
            for t in ctx.store.takes.takes_for_shot(shot_id)]


def test_veo_runs_a_long_running_operation_from_words_a_first_frame_or_reference_stills(
        keys, veo_service, tmp_path: Path) -> None:
    b = veo_service.behaviour
    b.throttle, b.unavailable, b.processing_polls = 1, 2, 2
    backend = veo(veo_service)
    clip = backend.generate(ask(3.0), tmp_path)
    assert round(clip.duration) == 4 and clip.width / clip.height == 16 / 9
    sent = b.submitted[0]
    assert sent["durationSeconds"] == 4 and sent["aspectRatio"] == "16:9"
    assert sent["generateAudio"] is False and sent["seed"] == 7 and not sent["image"]
    assert b.polls >= 4  # two 503s ridden out, then "not done" twice, then done
    still = tmp_path / "still.png"
    from PIL import Image

    Image.new("RGB", (64, 36), (200, 80, 40)).save(still)
    backend.generate(ask(5.0, image=still, references=(still,)), tmp_path)
    assert b.submitted[-1]["image"] and b.submitted[-1]["references"] == 0  # a first frame
    assert b.submitted[-1]["durationSeconds"] == 6
    backend.generate(ask(8.0, references=(still, still)), tmp_path)
    assert not b.submitted[-1]["image"] and b.submitted[-1]["references"] == 2


def test_a_refusal_by_the_services_moderation_is_the_shots_fault(
        keys, replicate_service, veo_service, tmp_path: Path) -> None:
    for backend in (replicate(replicate_service), veo(veo_service)):
        with pytest.raises(Refused) as refused:
            backend.generate(ask(3.0, "a fox in a pool of gore"), tmp_path)
        assert "rewrite the shot" in str(refused.value) and refused.value.billed


def test_a_job_past_the_deadline_is_cancelled_and_a_short_clip_refused(
        keys, replicate_service, tmp_path: Path) -> None:
    b = replicate_service.behaviour
    b.processing_polls = 10_000
    late = replicate(replicate_service, deadline_s=1.5)
    with pytest.raises(ServiceError, match="deadline") as error:
        late.generate(ask(3.0), tmp_path)
    assert error.value.billed
    assert [job["status"] for job in replicate_service.jobs.values()] == ["canceled"]
    b.processing_polls, b.short = 0, True
    with pytest.raises(BackendError, match="3.0s .* for 6s asked"):
        replicate(replicate_service).generate(ask(3.0), tmp_path)


def test_a_hosted_backend_needs_its_key_at_start_and_names_the_variable(
        monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv("REPLICATE_API_TOKEN", raising=False)
    monkeypatch.delenv("MY_TOKEN", raising=False)
    build = backend_config.build
    with pytest.raises(ConfigError, match=r"\$REPLICATE_API_TOKEN"):
        build({}, {"video": f"replicate:{HAILUO}"}, tmp_path, lambda **_: None)
    with pytest.raises(ConfigError, match=r"\$MY_TOKEN"):
        build({"hosted": {"replicate": {"token_env": "MY_TOKEN"}}},
              {"video": f"replicate:{HAILUO}"}, tmp_path, lambda **_: None)
    with pytest.raises(ConfigError, match="OWNER/NAME"):
        build({}, {"video": "replicate:kling"}, tmp_path, lambda **_: None)
    with pytest.raises(ConfigError, match="unknown key"):
        build({"hosted": {"veo": {"bse_url": "x"}}}, {"video": f"veo:{VEO}"}, tmp_path,
              lambda **_: None)


def hosted_ctx(ctx: ToolContext, video, price: float = 0.1, **production) -> ToolContext:
    """The context making takes on ``video`` at ``price`` dollars a second, with the gate
    a channel gives it (auto)."""
    from webtv.inspection import checks

    return ctx.with_production(
        backends=dataclasses.replace(ctx.backends, video=video),
        gate=checks.gate("auto", video.name),
        prices={**costs.default_prices(), video.name: costs.Price(usd_per_second=price)},
        **production)


def test_a_refused_shot_is_dropped_after_one_attempt_and_the_director_rewrites_it(
        keys, ctx: ToolContext, replicate_service) -> None:
    replicate_service.behaviour.refuse = ("dragon",)
    ctx = hosted_ctx(ctx, replicate(replicate_service), parallel=1)
    a_show(ctx)
    ids = written(ctx, "the fox fights a dragon", "the fox walks home")
    report = production.produce(ctx.production, ids)
    refused, aired = report.outcomes
    assert refused.dropped and refused.attempts == 1  # a new seed would be refused too
    assert "refused the prompt" in refused.failures[-1] and aired.scheduled
    summary = report.summary(ctx.store)
    assert "waiting_for_backends" not in summary  # not an outage: the prompt's fault
    charged = ctx.store.costs.rows()
    assert [(c["outcome"], c["usd"]) for c in charged] == [("refused", 0.6), ("ok", 0.6)]

    step = Step("write_shots", True, summary)
    rewrite = OfflineDirector()._next(Request("produce", ""), [step], ["rewrite_shot"])
    (name, arguments), = rewrite
    assert name == "rewrite_shot" and "dragon" not in arguments["action"]
    from webtv import tools

    result = tools.load().dispatch(ctx, name, json.dumps(arguments))
    assert result.ok and json.loads(result.content)["scheduled"] == 1
    assert "dragon" not in replicate_service.behaviour.submitted[-1]["prompt"]


def test_parallel_attempts_never_take_spend_past_the_budget(
        keys, ctx: ToolContext, veo_service) -> None:
    # each attempt is 4 s of Veo at $0.25: up to $1.00; $2.50 a day leaves room for two
    ctx = hosted_ctx(ctx, veo(veo_service), price=0.25, parallel=2,
                     budget=costs.Budget(day_usd=2.5))
    a_show(ctx)
    ids = written(ctx, "the fox walks", "the fox reads", "the fox waves", "the fox sits")
    report = production.produce(ctx.production, ids)
    spent = ctx.store.costs.spent(day=time.strftime("%Y-%m-%d", time.gmtime()))
    assert spent <= 2.5 and spent == 2.0 == len(veo_service.behaviour.submitted) * 1.0
    assert len(report.scheduled) == 2 and not report.dropped
    waiting = [o for o in report.outcomes if o.waits]
    assert len(waiting) == 2 and all("budget is spent" in o.failures[-1] for o in waiting)
    assert report.summary(ctx.store)["waiting_for_budget"] == 2
    assert all(ctx.store.takes.shot(o.shot["id"])["attempts"] == 0 for o in waiting)
    assert not costs.room(ctx.production, 3.0)
    # thrift: at 80 % of the day's budget a shot gets one take, three seconds long
    assert costs.thrift(ctx.production, 6.0) == (1, 3.0)


def test_an_in_flight_attempt_counts_against_the_budget_and_a_crash_keeps_it(ctx) -> None:
    costs_ = ctx.store.costs
    held = costs_.reserve(0.75, shot_id=None, backend="veo:x", day_usd=1.0)
    assert held and costs_.reserve(0.5, shot_id=None, backend="veo:x", day_usd=1.0) is None
    assert costs_.lose_reservations() == 1  # a crash: counted at its worst case
    assert costs_.today(1.0)["spent_usd"] == 0.75
    assert costs_.reserve(0.25, shot_id=None, backend="veo:x", day_usd=1.0)  # exactly to it


def channel_config(home: Path, text: str) -> None:
    home.mkdir(parents=True, exist_ok=True)
    (home / "webtv.toml").write_text(text)


@pytest.mark.slow
def test_a_channel_on_replicate_airs_its_takes_keeps_to_its_budget_then_airs_the_library(
        tmp_path: Path, replicate_service) -> None:
    home, port = tmp_path / "home", free_port()
    channel_config(home, f'[prices."replicate:{HAILUO}"]\nusd_per_second = 0.1\n')
    env = {"REPLICATE_BASE_URL": replicate_service.url, "REPLICATE_API_TOKEN": TOKEN,
           "REPLICATE_POLL_INTERVAL": "0.1"}
    proc = start(home, "--theme", THEME, "--port", str(port), "--buffer", "30",
                 "--video", f"replicate:{HAILUO}", "--budget", "2.25", env=env)
    base = f"http://127.0.0.1:{port}"
    try:
        def library_on_air():
            rows = query(home, "select count(*) from air_log where note like 'budget spent%'")
            return rows[0][0] > 0

        wait_for(library_on_air, 400, "the library on air after the budget was spent", every=1)
        now = json.loads(get(f"{base}/api/now"))
        assert "budget for new scenes is spent" in now["notice"]
        health = json.loads(get(f"{base}/health"))
        assert health["mode"] == "budget" and health["spend"]["budget"]["day_usd"] == 2.25
        time.sleep(3)  # the channel stays within it while it keeps running
    finally:
        proc.send_signal(signal.SIGTERM)
        output = proc.communicate(timeout=60)[0].decode()
    assert proc.returncode == 0, output
    assert TOKEN not in output
    spent = query(home, "select sum(usd), count(*) from costs where capability = 'video'")[0]
    submitted = len(replicate_service.behaviour.submitted)
    # every attempt is billed 6 s at $0.10; three fit in $2.25, a fourth would pass it
    assert spent == (pytest.approx(0.6 * submitted), submitted) and submitted == 3
    assert query(home, "select count(*) from costs where outcome = 'reserved'")[0][0] == 0
    aired = query(home, "select count(*) from takes where status = 'aired'")[0][0]
    assert aired >= 1
    backends = query(home, "select backends from takes limit 1")[0][0]
    assert json.loads(backends)["video"] == f"replicate:{HAILUO}"
    status = webtv(home, "status")
    assert "Spend:     $1.80 today" in status and "Budget:    $2.25 a day" in status
    dump = b"".join(p.read_bytes() for p in home.rglob("*") if p.is_file()
                    and p.suffix in (".db", ".log", ".toml", ".json", ".wal"))
    assert TOKEN.encode() not in dump


@pytest.mark.slow
def test_a_channel_on_veo_airs_its_takes(tmp_path: Path, veo_service) -> None:
    home, port = tmp_path / "home", free_port()
    channel_config(home, f'[hosted.veo]\nbase_url = "{veo_service.url}/"\npoll_s = 0.1\n'
                         'key_env = "MY_VEO_KEY"\n')
    proc = start(home, "--theme", THEME, "--port", str(port), "--buffer", "9",
                 "--video", f"veo:{VEO}", env={"MY_VEO_KEY": KEY})
    try:
        def veo_take_on_air():
            rows = query(home, "select takes.backends from air_log join takes on takes.id = "
                               "air_log.take_id where air_log.kind = 'take'")
            return rows and json.loads(rows[0][0])["video"] == f"veo:{VEO}"

        wait_for(veo_take_on_air, 300, "a take from Veo on air", every=1)
    finally:
        proc.send_signal(signal.SIGTERM)
        output = proc.communicate(timeout=60)[0].decode()
    assert proc.returncode == 0, output
    assert all(s["durationSeconds"] in (4, 6, 8) for s in veo_service.behaviour.submitted)
    status = webtv(home, "status")
    # Veo's default price: a dated list price, counted for every attempt
    assert "Spend:     $" in status
    assert KEY not in output and os.environ.get("MY_VEO_KEY") is None


def test_the_budget_counts_by_utc_day_and_clock_hour_and_spends_less_as_it_runs_high(
        ctx: ToolContext) -> None:
    class Priced:  # a video backend at $0.20 a second
        name, deadline_s = "veo:priced", 60.0

    ctx = ctx.with_production(
        backends=dataclasses.replace(ctx.backends, video=Priced()),
        prices={"veo:priced": costs.Price(usd_per_second=0.2)},
        budget=costs.Budget(day_usd=4.0, hour_usd=2.0))
    production_ = ctx.production
    assert costs.worst_case(production_, 5.0) == 1.0
    store = ctx.store
    with store.transaction():  # yesterday's spend, and an earlier hour's, do not count now
        for day, hour in (("2026-01-01", "2026-01-01T10"), ("2026-01-02", "2026-01-02T23")):
            store.db["costs"].insert({"created_at": day, "day": day, "hour": hour,
                                      "capability": "video", "backend": "veo:priced",
                                      "units": 50, "unit": "second", "usd": 10.0,
                                      "outcome": "ok"})
    assert costs.room(production_, 5.0) and costs.thrift(production_, 5.0) == (3, 5.0)
    held = store.costs.reserve(1.0, shot_id=None, backend="veo:priced", day_usd=4.0,
                               hour_usd=2.0)
    store.costs.settle(held, [{"capability": "video", "backend": "veo:priced", "units": 5,
                               "unit": "second", "usd": 1.0, "outcome": "ok"}])
    assert costs.thrift(production_, 5.0) == (2, 5.0)  # half this hour's budget: two takes
    assert costs.room(production_, 5.0)
    store.costs.reserve(1.0, shot_id=None, backend="veo:priced", day_usd=4.0, hour_usd=2.0)
    assert not costs.room(production_, 5.0)  # the hour's $2 is held: the next hour has room
    assert "this hour's budget is spent" in costs.budget_line(store, production_.budget)
    assert costs.thrift(production_, 5.0) == (1, 3.0)
    with pytest.raises(ConfigError, match="policy"):
        costs.budget({"budget": {"policy": "tag"}})
    with pytest.raises(ConfigError, match="dollars"):
        costs.budget({}, day_usd=-1)
    assert costs.budget({"budget": {"day_usd": 5}}, hour_usd=1).describe() == {
        "day_usd": 5.0, "hour_usd": 1.0, "policy": "best"}
