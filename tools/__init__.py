"""Every function the director may call, one module per capability.

``REGISTRY`` holds them all once ``load()`` has imported the modules.
"""

from tools.registry import Registry

REGISTRY = Registry()


def load() -> Registry:
    from tools import bible, programme, shots, takes  # noqa: F401  (registering is the import's effect)

    return REGISTRY
