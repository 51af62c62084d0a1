"""Stripe-shaped API errors: `{"error": {"type", "message", "param", "code"}}` with a status."""

from __future__ import annotations

from typing import Any

DOCS = "https://stripe.com/docs/error-codes"


class StripeError(Exception):
    """An error the sandbox answers the way Stripe would, with an HTTP status."""

    def __init__(
        self,
        message: str,
        *,
        status: int = 400,
        type: str = "invalid_request_error",
        param: str | None = None,
        code: str | None = None,
        **extra: Any,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.status = status
        self.type = type
        self.param = param
        self.code = code
        self.extra = extra

    def body(self) -> dict[str, Any]:
        """Return the JSON body Stripe would send."""
        error: dict[str, Any] = {"type": self.type, "message": self.message}
        if self.param is not None:
            error["param"] = self.param
        if self.code is not None:
            error["code"] = self.code
            error["doc_url"] = f"{DOCS}#{self.code.replace('_', '-')}"
        error.update(self.extra)
        return {"error": error}


class ParamError(StripeError):
    """A request parameter that is unknown, missing or of the wrong type (400)."""

    def __init__(self, message: str, param: str | None, code: str | None = None) -> None:
        super().__init__(message, param=param, code=code)


def missing(kind: str, object_id: str, param: str, *, status: int = 404) -> StripeError:
    """Return the error for an id that names nothing ("No such checkout.session: 'cs_x'")."""
    return StripeError(
        f"No such {kind}: '{object_id}'", status=status, param=param, code="resource_missing"
    )


def card_declined(code: str, message: str, decline_code: str | None = None) -> StripeError:
    """Return a 402 card error, as Stripe sends for a declined or mistyped card."""
    extra: dict[str, Any] = {}
    if decline_code is not None:
        extra["decline_code"] = decline_code
    return StripeError(message, status=402, type="card_error", code=code, **extra)
