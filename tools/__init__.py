"""Every function the director may call, one module per capability.

``load()`` imports the tool modules (each registers its tools on import) and returns the registry.
"""

from webtv.tools.registry import REGISTRY, Registry


def load() -> Registry:
    from webtv.tools import bible, programme, shots, takes  # noqa: F401  (registering is the import's effect)

    return REGISTRY
