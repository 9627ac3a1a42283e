"""Typed errors of the core API.

Two families, because callers treat them differently:

* `InvalidInput`: the request is malformed (unknown zone, order out of range,
  a migratetype that does not exist, a field of the wrong type).  A scenario
  containing one is invalid as a whole; the server rejects the message.
* `StepFailed`: the request is well formed but cannot be carried out now (no
  free block, that pfn is not an allocated block, nothing to step).  In a
  scenario it is a failed step and the replay goes on.

Both carry `field`, the dotted path of the input at fault (e.g.
"steps[3].order"), and both leave the machine exactly as it was.
"""

from __future__ import annotations


class CoreError(Exception):
    """Base class: a message for people and the field it is about."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field

    def __str__(self) -> str:
        return f"{self.field}: {self.message}" if self.field else self.message


class InvalidInput(CoreError, ValueError):
    """Malformed input; nothing was attempted."""


class StepFailed(CoreError):
    """A well-formed request the machine refused; the state is unchanged."""


class NoFreeBlock(StepFailed):
    pass


class NotAllocated(StepFailed):
    pass


class WrongOrder(StepFailed):
    pass


class UnknownRef(StepFailed):
    pass


class NothingToStep(StepFailed):
    pass


class HintingBusy(StepFailed):
    """page_hinting_startup's -EBUSY: a device is already registered."""


class InvariantViolation(AssertionError):
    """The model broke one of MODEL.md's "must never" rules: a bug in the model."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("; ".join(problems[:10]) + (" ..." if len(problems) > 10 else ""))
        self.problems = problems
