"""The error services raise when a business rule refuses an action."""

from __future__ import annotations


class ServiceError(Exception):
    """A refusal to show the user; ``field`` names the form field it belongs to, if any."""

    def __init__(self, message, field: str | None = None):
        super().__init__(str(message))
        self.message = message
        self.field = field
