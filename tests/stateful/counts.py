"""How much the sequences ran, for the line the run prints at its end."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass
class Counts:
    examples: int = 0  # state machines run (each on its own database)
    steps: int = 0  # rules run
    requests: int = 0  # HTTP requests sent, the checks' included
    changes: int = 0  # accepted writes that made a version
    unchanged: int = 0  # accepted writes that changed nothing
    conflicts: int = 0  # stale writes refused with 409 or 412
    refusals: int = 0  # other refused writes
    races: int = 0  # pairs of writes sent at once

    def line(self) -> str:
        return (f"stateful: {self.examples} examples, {self.steps} steps, {self.requests} requests; writes: "
                f"{self.changes} changed, {self.unchanged} unchanged, {self.conflicts} stale (409/412), "
                f"{self.refusals} otherwise refused; {self.races} races")


COUNTS = Counts()
