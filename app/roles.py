"""What a connection may do, as a small state machine that refuses impossible moves.

A connection starts as a viewer.  Presenting the control token makes it the
owner (a controller that may hand control out); the owner may grant control
to a viewer and revoke it again.  Nothing else is a legal move: revoking the
owner, granting control to the owner, or taking ownership any other way is a
bug in the caller, and `RoleError` says so at once instead of leaving a
connection in a state no message describes.
"""

from __future__ import annotations

from enum import StrEnum


class Role(StrEnum):
    VIEWER = "viewer"
    CONTROLLER = "controller"


class RoleError(RuntimeError):
    """An impossible role change was asked for (a programming error, not bad input)."""


class Standing:
    """One connection's role and ownership; changed only through the methods below."""

    __slots__ = ("_owner", "_role")

    def __init__(self) -> None:
        self._role = Role.VIEWER
        self._owner = False

    @property
    def role(self) -> Role:
        return self._role

    @property
    def owner(self) -> bool:
        return self._owner

    @property
    def controller(self) -> bool:
        return self._role is Role.CONTROLLER

    def authenticate(self) -> None:
        """The control token was presented: owner and controller (again, harmlessly, if already)."""
        self._role = Role.CONTROLLER
        self._owner = True

    def grant(self) -> None:
        """The owner hands control to this connection."""
        if self._owner:
            raise RoleError("the owner already has control")
        self._role = Role.CONTROLLER

    def revoke(self) -> None:
        """The owner takes control back from this connection."""
        if self._owner:
            raise RoleError("the owner's control cannot be revoked")
        self._role = Role.VIEWER
