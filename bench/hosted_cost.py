"""What an hour of fresh air costs on each hosted service, at the default settings.

The autopilot (the offline director, the default gate for hosted video: "playable") makes
shots against the local protocol stand-ins of Replicate and Veo (tests/hosted_services.py)
through the real clients, until ``--shots`` takes are scheduled. Measured: attempts per take,
seconds billed per second aired (services make fixed lengths: Hailuo 6 or 10 s, Wan 81 frames
at 16 fps, Veo 4/6/8 s; the director's shots are shorter); then priced at the dated defaults
in production/backends/prices.toml (or a model's own, for one that has none there).

The stand-ins' clips pass the playable checks, as a good service's would; a real model's
rejects (black, frozen or burned-in text) add retakes. Nothing here reaches a service.

    python bench/hosted_cost.py [--shots 12]
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests import hosted_services  # noqa: E402
from tests.channel import THEME  # noqa: E402
from webtv.channel.autopilot import Autopilot  # noqa: E402
from webtv.core.settings import Settings  # noqa: E402
from webtv.inspection import checks  # noqa: E402
from webtv.production import costs  # noqa: E402
from webtv.production.backends import config as backend_config  # noqa: E402
from webtv.state.datadir import DataDir  # noqa: E402
from webtv.state.store import CallJournal, Store  # noqa: E402
from webtv.tools.context import ToolContext  # noqa: E402

CASES = [("replicate", "minimax/hailuo-02"), ("replicate", "wan-video/wan-2.2-t2v-fast"),
         ("veo", "veo-3.0-fast-generate-001"), ("veo", "veo-3.0-generate-001")]


def measure(service: str, model: str, shots: int) -> dict:
    stand_in = getattr(hosted_services, service)()
    stand_in.behaviour.processing_polls = 0
    os.environ["REPLICATE_API_TOKEN"] = os.environ["GOOGLE_API_KEY"] = "bench"
    home = DataDir(Path(tempfile.mkdtemp(prefix="webtv-cost-")))
    url = stand_in.url + ("/" if service == "veo" else "")
    config = {"hosted": {service: {"base_url": url, "poll_s": 0.05}}}
    name = f"{service}:{model}"
    backends = backend_config.build(config, {"video": name}, home.root / "work",
                                    CallJournal(home))
    store = Store(home)
    ctx = ToolContext.open(store=store, data=home, backends=backends,
                           gate=checks.gate("auto", backends.video.costly),
                           prices=costs.prices({}))
    pilot, stop = Autopilot(Settings(), buffer_seconds=1e9, sweep_every=1e9), threading.Event()
    thread = threading.Thread(target=pilot.run, args=(ctx, stop, THEME), daemon=True)
    started = time.monotonic()
    thread.start()
    while store.air.scheduled_count() < shots and time.monotonic() - started < 900:
        time.sleep(0.5)
    stop.set()
    thread.join(timeout=120)
    spent = store.costs.today()
    made = list(store.db.query("select status, duration_s from takes"))
    good = [t for t in made if t["status"] in ("accepted", "scheduled", "aired")]
    aired = sum(t["duration_s"] for t in good)  # takes in flight at the stop count on both sides
    billed = sum(r["units"] for r in store.db.query(
        "select units from costs where capability = 'video'"))
    price = costs.price_of(ctx.production.prices, name)
    stand_in.close()
    store.close()
    per_second = spent["spent_usd"] / aired if aired else float("nan")
    shown = " + ".join(part for part in (
        f"${price.usd_per_second:.3g}/s" if price.usd_per_second else "",
        f"${price.usd_per_call:.3g}/clip" if price.usd_per_call else "") if part)
    return {"backend": name, "price": f"{shown} ({price.as_of})",
            "takes": len(good), "rejected": len(made) - len(good),
            "attempts": spent["attempts"],
            "billed_per_aired": billed / aired if aired else float("nan"),
            "per_minute": per_second * 60, "per_hour": per_second * 3600,
            "minutes_for_20": 20 / (per_second * 60) if per_second else float("inf")}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--shots", type=int, default=12)
    args = parser.parse_args()
    rows = [measure(service, model, args.shots) for service, model in CASES]
    print(f"{'backend':42} {'price':20} {'takes':>5} {'rejected':>8} {'billed/aired':>12} "
          f"{'$/aired min':>11} {'$/hour':>8} {'fresh min per $20':>17}")
    for r in rows:
        print(f"{r['backend']:42} {r['price']:20} {r['takes']:5d} {r['rejected']:8d} "
              f"{r['billed_per_aired']:12.2f} {r['per_minute']:11.2f} {r['per_hour']:8.0f} "
              f"{r['minutes_for_20']:17.1f}")


if __name__ == "__main__":
    main()
