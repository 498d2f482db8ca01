"""Review by sight: a take that passed its measured checks is shown as its contact sheet, beside
the shot it was asked for, to a director model that sees (here a local OpenAI-compatible
server that checks the picture arrives and answers by a script), through the real ``openai``
client; its verdicts are acted on (keep, retake with a new seed, change the shot), within a
budget per shot and per hour, logged and shown to the operator. A model that does not see is
never asked."""

from __future__ import annotations

import json
import signal
from pathlib import Path

import pytest

from tests.channel import THEME, free_port, start, wait_for
from tests.test_production import a_show, written
from tests.vision_server import CHANGED, REASONS, VisionServer
from webtv.core.errors import ConfigError
from webtv.director.llm import OpenAIChat
from webtv.director.review import Limits, Reviewer
from webtv.production import line as production
from webtv.state.datadir import DataDir
from webtv.state.store import Store
from webtv.tools.context import ToolContext


@pytest.fixture
def server():
    server = VisionServer()
    yield server
    server.close()


def seeing(server: VisionServer) -> OpenAIChat:
    return OpenAIChat(server.url, "vision-test", None, sees_images=True, timeout=30)


def test_the_verdicts_by_sight_are_acted_on_within_the_shots_budget(
        ctx: ToolContext, server: VisionServer) -> None:
    server.verdicts = ["retake", "change"]
    reviewer = Reviewer(seeing(server), "You direct a channel.", Limits(per_shot=2))
    ctx = ctx.with_production(review=reviewer, parallel=1)
    a_show(ctx)
    [shot_id] = written(ctx, "Fox carries a parcel across the wood")
    report = production.produce(ctx.production, [shot_id])
    takes = ctx.store.takes.takes_for_shot(shot_id)
    assert [t["status"] for t in takes] == ["rejected", "rejected", "scheduled"]
    assert report.scheduled and report.outcomes[0].attempts == 3
    # what the model saw: each take's own contact sheet, a JPEG, beside the shot and prompt
    assert len(server.reviews) == 2
    for review, take in zip(server.reviews, takes, strict=False):
        assert review["media_type"] == "data:image/jpeg;base64"
        assert review["image"] == ctx.data.resolve(take["contact_sheet"]).read_bytes()
        assert take["prompt"] in review["text"]
    assert "Shot asked for: Fox carries a parcel across the wood" in server.reviews[0]["text"]
    assert f"Shot asked for: {CHANGED}" not in server.reviews[0]["text"]
    # retake: a new seed; change: the shot reads the new words, and its next take says them
    assert takes[0]["reason"] == f"by sight (vision-test): {REASONS['retake']}"
    assert takes[1]["reason"].startswith(f"by sight (vision-test): {REASONS['change']}")
    assert ctx.store.takes.shot(shot_id)["action"] == CHANGED
    assert CHANGED.lower().split(" from ")[0].split(" ", 1)[1] in takes[2]["prompt"].lower()
    assert len({t["seed"] for t in takes}) == 3
    verdicts = [(r["verdict"], r["reason"]) for r in ctx.store.reviews.recent()][::-1]
    assert verdicts == [("retake", REASONS["retake"]), ("change", REASONS["change"]),
                        ("unreviewed", "this shot's review budget (2) is spent")]
    # the call log has the request without the picture's bytes (the sheet is a file already)
    logged = ctx.store.db.execute("select request from llm_calls").fetchall()
    assert len(logged) == 2 and all("base64" not in r[0] for r in logged)


def test_the_hours_budget_and_a_failing_model_keep_the_take_as_checked(
        ctx: ToolContext, server: VisionServer) -> None:
    reviewer = Reviewer(seeing(server), "s", Limits(per_shot=2, per_hour=1))
    ctx = ctx.with_production(review=reviewer, parallel=1)
    a_show(ctx)
    shots = written(ctx, "Fox reads a letter", "Fox folds a paper plane")
    production.produce(ctx.production, shots)
    assert [r["verdict"] for r in ctx.store.reviews.recent()][::-1] == ["keep", "unreviewed"]
    assert ctx.store.reviews.recent()[0]["reason"] == "the hour's review budget (1) is spent"
    server.close()  # the model is gone: the take is kept as the checks judged it
    broke = Reviewer(seeing(server), "s")
    [third] = written(ctx, "Fox naps under a tree")
    production.produce(ctx.with_production(review=broke, parallel=1).production, [third])
    assert ctx.store.takes.takes_for_shot(third)[0]["status"] == "scheduled"
    assert ctx.store.reviews.recent()[0]["reason"].startswith("the review failed: ")


def test_a_stop_does_not_wait_for_a_slow_review(ctx: ToolContext,
                                                server: VisionServer) -> None:
    """The channel stops while the model is still looking: the review ends at once (not after
    the model's timeout) and the take is kept as the checks judged it, saying why."""
    import threading
    import time

    a_show(ctx)
    [shot_id] = written(ctx, "Fox reads a letter")
    production.produce(ctx.with_production(parallel=1).production, [shot_id])
    take_id = ctx.store.takes.takes_for_shot(shot_id)[0]["id"]
    server.delay_s = 20.0
    stop = threading.Event()
    threading.Timer(0.5, stop.set).start()
    began = time.monotonic()
    review = Reviewer(seeing(server), "s")(ctx.with_production(stop=stop).production, take_id)
    assert time.monotonic() - began < 5
    assert (review["verdict"], review["reason"]) == (
        "unreviewed", "the channel stopped before the model answered")


def test_sight_is_checked_with_a_picture_of_known_content(server: VisionServer) -> None:
    """A model said to see names the two colours of a test picture, drawn at random, left
    then right; one that does not see (a text model behind an endpoint that drops pictures)
    cannot, whatever the environment says."""
    import random

    from webtv.director import sight

    for seed in range(6):
        seen = sight.check(seeing(server), random.Random(seed))
        assert seen.sees, seen
    assert len({sight.check(seeing(server), random.Random(s)).asked for s in range(6)}) > 3
    server.blind = True
    blind = sight.check(seeing(server), random.Random(0))
    assert not blind.sees and "cannot see" in blind.said
    assert "takes are not reviewed by sight" in blind.line("vision-test")
    server.close()  # an endpoint that is gone does not see either
    assert not sight.check(seeing(server)).sees


def test_a_model_that_does_not_see_cannot_review() -> None:
    blind = OpenAIChat("http://127.0.0.1:9/v1", "text-only", None, sees_images=False)
    with pytest.raises(ConfigError, match="does not see images"):
        Reviewer(blind, "s")


def run_channel(home: Path, server: VisionServer, vision: bool, until, what: str) -> None:
    env = {"WEBTV_LLM_BASE_URL": server.url, "WEBTV_LLM_MODEL": "vision-test",
           "WEBTV_LLM_VISION": "1" if vision else "0", "WEBTV_OPERATOR_TOKEN": "t" * 24}
    log = home.parent / f"run-{vision}.log"
    with log.open("wb") as out:
        proc = start(home, "--theme", THEME, "--port", str(free_port()), "--buffer", "20",
                     env=env, stdout=out)
    try:
        wait_for(until, 120, what)
    finally:
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=60) == 0, log.read_text()[-3000:]


@pytest.mark.slow
def test_on_a_running_channel_takes_are_reviewed_and_a_rejected_one_is_made_again(
        tmp_path: Path, server: VisionServer) -> None:
    from webtv.app.reads import overview

    server.verdicts = ["retake", "change"]
    home = tmp_path / "home"

    def store() -> Store:
        return Store(DataDir(home))

    def remade() -> bool:
        if not (home / "webtv.db").exists():
            return False
        with store() as s:
            aired = s.db.execute("select count(*) from air_log where kind = 'take'").fetchone()
            return len(server.reviews) >= 3 and aired[0] >= 2

    run_channel(home, server, True, remade, "reviews, and takes on air after them")
    with store() as s:
        seen = overview(s)
        rejected = s.db.execute("select reason from takes where reason like 'by sight%'"
                                ).fetchall()
    assert seen["sees_images"] and len(rejected) == 2
    verdicts = [r["verdict"] for r in seen["reviews"]][::-1]
    assert verdicts[:2] == ["retake", "change"] and "keep" in verdicts[2:]
    changed = next(r for r in seen["reviews"] if r["verdict"] == "change")
    assert changed["action"] == CHANGED and changed["sheet"].startswith("/media/")
    assert all(r["image"][:2] == b"\xff\xd8" for r in server.reviews)  # JPEG pictures arrived


@pytest.mark.slow
def test_a_channel_whose_model_does_not_see_sends_no_review(tmp_path: Path,
                                                            server: VisionServer) -> None:
    from webtv.app.reads import overview

    home = tmp_path / "home"

    def on_air() -> bool:
        if not (home / "webtv.db").exists():
            return False
        with Store(DataDir(home)) as s:
            return s.db.execute("select count(*) from air_log where kind = 'take'"
                                ).fetchone()[0] >= 2

    run_channel(home, server, False, on_air, "takes on air")
    assert server.requests and not server.reviews
    assert not any(isinstance(m["content"], list) for r in server.requests
                   for m in r["messages"])  # no picture in any request
    with Store(DataDir(home)) as s:
        seen = overview(s)
    assert seen["sees_images"] is False and seen["reviews"] == []
    assert json.dumps(seen)  # the operator page's read


@pytest.mark.slow
def test_a_local_director_has_a_seeing_reviewer_of_its_own(tmp_path: Path,
                                                           server: VisionServer) -> None:
    """The offline director cannot see; --review-model names a model that does (checked at
    start with the test picture), and the channel's takes are reviewed by it."""
    from webtv.channel.status import format_status, status_report

    home = tmp_path / "home"
    env = {"WEBTV_REVIEW_MODEL": "vision-test", "WEBTV_REVIEW_BASE_URL": server.url}

    def reviewed() -> bool:
        if not (home / "webtv.db").exists():
            return False
        with Store(DataDir(home)) as s:
            aired = s.db.execute("select count(*) from air_log where kind = 'take'").fetchone()
            return len(server.reviews) >= 2 and aired[0] >= 2

    log = tmp_path / "run.log"
    with log.open("wb") as out:
        proc = start(home, "--theme", THEME, "--port", str(free_port()), "--buffer", "20",
                     env=env, stdout=out)
    try:
        wait_for(reviewed, 120, "takes reviewed by the review model")
    finally:
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=60) == 0, log.read_text()[-3000:]
    with Store(DataDir(home)) as s:
        models = {r[0] for r in s.db.execute("select model from reviews").fetchall()}
        status = format_status(status_report(s))
    assert models == {"vision-test"}
    assert "Sight:     vision-test named the test picture's colours" in status
    assert not any("set_show" in json.dumps(r.get("tools", [])) for r in server.requests)
