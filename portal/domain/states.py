"""A small state machine: named statuses, the moves allowed between them, typed errors.

    UPLOAD.check("queued", "processing")      # fine
    UPLOAD.check("processed", "queued")       # IllegalTransition

The services still change a status with a conditional UPDATE (… WHERE status IN the
allowed sources), so that a double click or a second worker changes it once;
`sources(new)` gives them that list from the same table."""
from dataclasses import dataclass, field


class StateError(Exception):
    """Base of the expected refusals of a state machine."""


class IllegalTransition(StateError):
    def __init__(self, machine, current, new):
        super().__init__(f"{machine}: {current} → {new} is not allowed")
        self.current, self.new = current, new


@dataclass(frozen=True)
class Machine:
    name: str
    moves: dict  # status → statuses it may move to
    labels: dict = field(default_factory=dict)  # status → what the user reads (Spanish)

    def __post_init__(self):
        unknown = {s for targets in self.moves.values() for s in targets} - set(self.moves)
        if unknown:
            raise ValueError(f"{self.name}: moves to undeclared statuses {sorted(unknown)}")

    @property
    def statuses(self):
        return tuple(self.moves)

    @property
    def final(self):
        return frozenset(s for s, targets in self.moves.items() if not targets)

    def can(self, current, new):
        return new in self.moves.get(current, ())

    def check(self, current, new):
        if not self.can(current, new):
            raise IllegalTransition(self.name, current, new)
        return new

    def sources(self, new):
        """Every status from which `new` may be reached (for a conditional UPDATE)."""
        return tuple(s for s, targets in self.moves.items() if new in targets)

    def label(self, status):
        return self.labels.get(status, status)
