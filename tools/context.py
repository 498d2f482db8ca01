"""What every tool gets besides its arguments: injected, never part of the schema."""

from __future__ import annotations

from dataclasses import dataclass, field

from state.datadir import DataDir
from state.store import Store
from tools.backends import Backends, local_backends


@dataclass
class ToolContext:
    store: Store
    data: DataDir
    backends: Backends = field(default_factory=local_backends)
    takes_per_shot: int = 3  # retake budget: a shot is dropped after this many failed takes
