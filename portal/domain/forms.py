"""What checking a form gives back (pure, no Flask): the values to keep, what was typed
(to show the form again, nothing lost) and one Spanish message per wrong field."""
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Checked:
    values: dict
    typed: dict
    errors: dict = field(default_factory=dict)

    @property
    def ok(self):
        return not self.errors
