"""Rotation pages (programs, applications, reviews, statistics)."""

from __future__ import annotations

from flask import current_app, url_for

from exchange.rotations import application_views, bp, program_views, stats_views  # noqa: F401


@bp.app_template_global()
def rotation_url(endpoint: str, **values) -> str | None:
    """url_for for a rotation page that may not be registered yet (None when it is missing)."""
    if endpoint not in current_app.view_functions:
        return None
    return url_for(endpoint, **values)
