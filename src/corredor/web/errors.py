"""The web service's errors: something that does not exist (HTTP 404), a request invalid for its
scenario (HTTP 422)."""

from __future__ import annotations

from corredor.errors import CorredorError


class NotFoundError(CorredorError):
    """A scenario, run or event that does not exist (HTTP 404)."""


class BadRequestError(CorredorError):
    """A request that names something invalid for its scenario (HTTP 422)."""
