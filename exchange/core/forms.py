"""Helpers shared by every form view."""

from __future__ import annotations

from flask import flash

from exchange.accounts.errors import ServiceError


def show_service_error(form, error: ServiceError) -> None:
    """Attach a service refusal to its form field, or flash it when it concerns the whole form."""
    field = getattr(form, error.field, None) if error.field else None
    if field is not None:
        field.errors = [*field.errors, str(error.message)]
    else:
        flash(str(error.message), "error")
