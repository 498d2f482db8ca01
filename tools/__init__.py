"""What the model calls: typed functions whose pydantic models are the JSON schemas it sees (the
show and its cast, shots, the programme, reviews by sight), the registry that dispatches them,
and the context each call is given.

``load()`` imports the tool modules (each registers its tools on import) and returns the
registry. Importing this package loads nothing else: a leaf (``webtv.tools.schemas``) costs
only itself.
"""


def load():
    """The registry, with every tool registered."""
    from webtv.tools import bible, programme, review, shots  # noqa: F401  (registering is the import's effect)
    from webtv.tools.registry import REGISTRY

    return REGISTRY
