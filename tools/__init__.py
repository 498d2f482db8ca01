"""Every function the director may call, one module per capability.

``REGISTRY`` holds them all once ``load()`` has imported the modules.
"""

from webtv.tools.registry import Registry

REGISTRY = Registry()


def load() -> Registry:
    from webtv.tools import bible, programme, shots, takes  # noqa: F401  (registering is the import's effect)

    return REGISTRY
