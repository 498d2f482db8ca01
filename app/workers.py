"""`webtv worker`: a host of the cluster. It runs the jobs that channels queue in Redis: calls
of shared endpoints (Spaces), or, with ``--models``, the in-process models' takes on a GPU host
that keeps each model loaded between jobs."""

from __future__ import annotations

import argparse
from pathlib import Path

from webtv.core.errors import ConfigError
from webtv.core.settings import Settings
from webtv.production.backends import cluster


def add_parser(sub) -> None:
    work = sub.add_parser("worker", help="run the jobs of endpoints shared through Redis (a "
                                         "cluster's worker; any number on any host)")
    work.add_argument("--redis", help="Redis URL (default $WEBTV_REDIS_URL, else [cluster] "
                                      "redis in --config)")
    work.add_argument("--config", type=Path)
    work.add_argument("--name", help="this worker's name in Redis (default: host and pid)")
    work.add_argument("--burst", action="store_true", help="stop when the queue is empty")
    work.add_argument("--models", action="store_true",
                      help="run the in-process models' jobs ([gpu] workers = true on the "
                           "channels): on a GPU host, one worker per GPU")
    work.add_argument("-v", "--verbose", action="store_true")


def cmd_worker(args: argparse.Namespace, settings: Settings) -> int:
    """A worker host of a cluster: runs endpoint jobs from Redis (no data dir, no channel)."""
    # its --config only: a worker has no data dir whose webtv.toml it could mean
    url = args.redis or settings.redis_url or (
        cluster.redis_url(settings.config()) if args.config else None)
    if not url:
        raise ConfigError("no Redis to work for: --redis URL, $WEBTV_REDIS_URL or "
                          "[cluster] redis in --config")
    if args.models:
        from webtv.production.backends import model_jobs

        print(f"Model worker for the jobs queued at {cluster.shown_url(url)}: it keeps each "
              "model loaded between jobs (Ctrl-C to stop)", flush=True)
        work = model_jobs.worker(url, args.name)
    else:
        print(f"Worker for the endpoints queued at {cluster.shown_url(url)} (Ctrl-C to stop)",
              flush=True)
        work = cluster.worker(url, args.name)
    work.work(burst=args.burst, with_scheduler=False,
              logging_level="INFO" if args.verbose else "WARNING")
    return 0
