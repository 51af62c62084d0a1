"""The shop's own error type, raised by services and turned into messages by views."""

from __future__ import annotations


class DomainError(Exception):
    """A business rule refused an action; the message is safe to show to the user."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class NotFound(DomainError):
    """The thing asked for does not exist (or is not visible to this user)."""
