"""Which backend serves each capability, and the endpoints behind the remote ones.

The choice comes from CLI flags (``--video zeroscope``, ``--video replicate:OWNER/NAME``,
``--video veo:MODEL``), else ``[backends]`` in webtv.toml
(read by ``webtv.core.settings``),
else the embedded local backends. A remote backend's endpoints are ``[[endpoints]]`` tables with
that backend name (or, for a preset that names a public Space, that Space alone):

    [backends]
    video = "zeroscope"
    music = "musicgen"

    [[endpoints]]
    backend = "zeroscope"
    preset = "zeroscope-576w"
    space = "me/zeroscope-v2"        # or url = "https://..."
    token_env = "HF_TOKEN"
    concurrency = 1

A ``[presets.NAME]`` table in webtv.toml adds a new API shape (see presets.toml).
"""

from __future__ import annotations

import re
import threading
import tomllib
from importlib import resources
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from webtv.core.errors import ConfigError
from webtv.core.settings import Secrets
from webtv.production.backends import cluster, local_backends, models
from webtv.production.backends.base import Backends
from webtv.production.backends.pool import Pool
from webtv.production.backends.remote import (
    RemoteInterpolate,
    RemoteMusic,
    RemoteUpscale,
    RemoteVideo,
)
from webtv.production.backends.space import Endpoint, EndpointConfig, Journal

CAPABILITIES = ("video", "upscale", "interpolate", "music")
ALIASES = {"zeroscope": "zeroscope-576w", "xl": "zeroscope-xl", "ltx": "ltx-video",
           "musicgen": "musicgen-batched"}  # short names for the CLI flags
HOSTED = {"replicate": ("replicate_video", "ReplicateVideo", "REPLICATE_API_TOKEN"),
          "veo": ("veo_video", "VeoVideo", "GOOGLE_API_KEY")}  # service: module, class, key
CLIENTS = {"replicate": ("replicate",), "veo": ("google.genai",)}  # their official clients
REMOTE = {"video": RemoteVideo, "upscale": RemoteUpscale, "interpolate": RemoteInterpolate,
          "music": RemoteMusic}


def presets() -> dict[str, dict[str, Any]]:
    text = resources.files("webtv.production.backends").joinpath("presets.toml").read_text("utf-8")
    return tomllib.loads(text)


def space_url(space: str) -> str:
    """owner/name -> its https://owner-name.hf.space address.

    gradio_client would first ask the Hub for the Space's state and then wait, without limit,
    while a Space is building; talking to the address directly keeps our deadlines in charge.
    """
    if not re.fullmatch(r"[\w.-]+/[\w.-]+", space):
        raise ConfigError(f"not a Space id (owner/name): {space!r}")
    return "https://" + re.sub(r"[^a-z0-9-]", "-", space.replace("/", "-").lower()) + ".hf.space"


def endpoint_config(table: dict[str, Any], known: dict[str, dict], index: int) -> EndpointConfig:
    table = dict(table)
    preset_name = table.pop("preset", None) or table.get("backend")
    if preset_name not in known:
        raise ConfigError(f"endpoint {index + 1}: unknown preset {preset_name!r} "
                          f"(known: {', '.join(sorted(known))})")
    merged = {**known[preset_name], **table}
    space = merged.pop("space", None)
    if "url" not in merged:
        if not space:
            raise ConfigError(f"endpoint {index + 1} ({preset_name}): give space or url")
        merged["url"] = space_url(space)
    merged.setdefault("backend", preset_name)
    merged.setdefault("name", f"{merged['backend']}-{index + 1}")
    try:
        return EndpointConfig(**merged)
    except ValidationError as exc:
        raise ConfigError(f"endpoint {merged['name']}: {exc}") from exc


def build(config: dict[str, Any], choices: dict[str, str | None], work: Path,
          journal: Journal, fault_rate: float = 0.0,
          stop: threading.Event | None = None, secrets: Secrets | None = None) -> Backends:
    """The backends: local ones, pools of remote endpoints, or models in this process (or on
    the cluster's model workers). ``fault_rate`` makes the local video backend inject known
    faults (for testing the checks); ``stop``: the run's, after which a cluster's job is left
    to the cluster rather than waited for; ``secrets``: the services' keys and tokens (the
    settings'; None: this process's environment)."""
    secrets = secrets or Secrets()
    local = local_backends(fault_rate)
    built: dict[str, Any] = {}
    for cap, name in chosen(config, choices).items():
        if name == "local":
            built[cap] = getattr(local, cap)
        elif name.startswith(models.IN_PROCESS):
            built[cap] = model(cap, name, config, journal, stop)
        elif name.partition(":")[0] in HOSTED and ":" in name:
            built[cap] = hosted(cap, name, config, journal, secrets)
        else:
            built[cap] = remote(cap, name, config, work, journal, stop, secrets)
    still = choices.get("stills") or config.get("backends", {}).get("stills")
    if still:
        built["stills"] = model("stills", still, config, journal, stop)
    elif getattr(built["video"], "starts_from_reference", False):  # a painter paints its cast
        built["stills"] = built["video"]
    return Backends(**built)


def chosen(config: dict[str, Any], choices: dict[str, str | None]) -> dict[str, str]:
    """The backend named for each capability: the flag, else webtv.toml, else local."""
    return {cap: choices.get(cap) or config.get("backends", {}).get(cap) or "local"
            for cap in CAPABILITIES}


def preflight(config: dict[str, Any], choices: dict[str, str | None],
              secrets: Secrets | None = None) -> None:
    """What a start is refused for, checked before the data dir is made or touched: the extra
    a model or a service runs on, the model itself, the service's key. Nothing is loaded."""
    named = chosen(config, choices)
    still = choices.get("stills") or config.get("backends", {}).get("stills")
    for cap, name in [*named.items(), *([("stills", still)] if still else [])]:
        if name.startswith(models.IN_PROCESS) and not config.get("gpu", {}).get("workers"):
            models.in_process(cap, name, config.get("gpu", {}))
        elif name.partition(":")[0] in HOSTED and ":" in name:
            hosted(cap, name, config, None, secrets or Secrets())


def model(cap: str, name: str, config: dict[str, Any], journal: Journal,
          stop: threading.Event | None = None) -> Any:
    """A model run by this process (``diffusers:MODEL``, ``transformers:MODEL``), or by the
    cluster's model workers when ``[gpu] workers = true``."""
    if config.get("gpu", {}).get("workers"):
        url = cluster.redis_url(config)
        if not url:
            raise ConfigError("[gpu] workers = true needs the cluster's Redis ([cluster] redis "
                              "or $WEBTV_REDIS_URL)")
        from webtv.production.backends.model_jobs import ModelClient

        deadline = float(config.get("backends", {}).get("job_deadline_s", 900))
        return ModelClient(cap, name, config.get("gpu", {}), url, journal, deadline, stop)
    return models.in_process(cap, name, config.get("gpu", {}), journal)


def hosted(cap: str, name: str, config: dict[str, Any], journal: Journal,
           secrets: Secrets) -> Any:
    """A model on a hosted service (``replicate:OWNER/NAME``, ``veo:MODEL``) through its
    official client; its key must be in the environment now, not at the first take."""
    from importlib import import_module

    from webtv.production.backends.hosted import HostedSettings

    service, _, spec = name.partition(":")
    module, cls, key_env = HOSTED[service]
    if cap != "video" or not spec:
        raise ConfigError(f"{cap} backend {name!r}: hosted services make video here "
                          f"(--video {service}:MODEL)")
    models.need_extra(f"--video {name}", "hosted", CLIENTS[service])
    settings = HostedSettings.from_config(service, config, key_env, secrets)
    backend = getattr(import_module(f"webtv.production.backends.{module}"), cls)(
        spec, settings, journal)
    settings.key(service)
    return backend


def remote(cap: str, name: str, config: dict[str, Any], work: Path, journal: Journal,
           stop: threading.Event | None = None, secrets: Secrets | None = None) -> Any:
    """A pool of the endpoints of a remote backend (a Space preset or an [[endpoints]] one)."""
    known = {**presets(), **config.get("presets", {})}
    tables = config.get("endpoints", [])
    deadline = float(config.get("backends", {}).get("job_deadline_s", 900))
    mine = [(i, t) for i, t in enumerate(tables) if t.get("backend", t.get("preset")) == name]
    if not mine and name in ALIASES:
        name = ALIASES[name]
        mine = [(i, t) for i, t in enumerate(tables) if t.get("backend", t.get("preset")) == name]
    if not mine and known.get(name, {}).get("space"):
        mine = [(0, {"preset": name})]  # the preset's own public Space
    if not mine:
        raise ConfigError(f"{cap} backend {name!r} has no endpoints: add an [[endpoints]] "
                          f"table with backend = {name!r}, a preset and a space or url")
    configs = [endpoint_config(t, known, i) for i, t in mine]
    for c in configs:
        if c.capability != cap:
            raise ConfigError(f"endpoint {c.name} serves {c.capability}, not {cap}")
    if cluster.redis_url(config):  # shared with other processes and hosts through Redis
        pool = cluster.ClusterPool(name, configs, cluster.redis_url(config), journal, deadline,
                                   stop)
    else:
        pool = Pool(name, [Endpoint(c, work / "downloads" / c.name, journal, stop, secrets)
                           for c in configs], deadline)
    return REMOTE[cap](pool, configs[0].expect)
