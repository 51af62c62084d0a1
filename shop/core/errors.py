"""The shop's own errors, raised by services and turned into messages by views.

Every domain raises these three for the same situations (a refused action, a stale edit, a
refused form value), so the views handle them one way; a domain subclasses them only where a
caller has to tell its own errors apart (`except PromotionError`).
"""

from __future__ import annotations

CURRENT_VERSION = "Here is the current version."


class ConfigError(RuntimeError):
    """Raised at start-up when the settings cannot run the shop safely."""


class DomainError(Exception):
    """A business rule refused an action; the message is safe to show to the user."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class NotFound(DomainError):
    """The thing asked for does not exist (or is not visible to this user)."""


class RecordChanged(DomainError):
    """The record was saved by someone else after this editor opened it (optimistic locking).

    `record` names it in the message the editor sees ("This answer was changed ..."); `then`
    says what the conflict page shows them instead of their save.
    """

    def __init__(self, record: str = "record", then: str = CURRENT_VERSION) -> None:
        super().__init__(
            f"This {record} was changed by someone else after you opened it; nothing was saved. "
            f"{then}"
        )
        self.record = record


class FieldError(DomainError):
    """A value was refused; `field` names the form field (or CLI option) the message belongs to.

    `part` says which form of a page with several it is in ("" for the page's main form); the
    product page uses `variant:<id>`, `new_variant`, `image:<id>` and `upload`.
    """

    def __init__(self, field: str, message: str, part: str = "") -> None:
        super().__init__(message)
        self.field = field
        self.part = part
