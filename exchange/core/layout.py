"""The layout's fixed parts (site header, asset links) as fragments kept per process."""

from __future__ import annotations

from flask import Flask, request, url_for
from flask_login import current_user
from flask_wtf.csrf import generate_csrf

from exchange import access
from exchange.core.fragments import Fragments

# Sections of the site that the main navigation marks as the current one.
SECTIONS = frozenset({"wiki", "evaluations", "rotations"})


def install_layout(app: Flask) -> None:
    """Give the templates ``site_header`` and ``fragment``, rendered through a per-process
    ``Fragments``."""
    fragments = Fragments(app)
    app.extensions["exchange.fragments"] = fragments

    def site_header(unread_notifications: int, search_query: str):
        """The page's header: brand, navigation, search box, language switch, account menu.

        Its key is the language, the current section and, signed in, everything the header
        shows of the reader; the search box's query, the address the language form returns to
        and the CSRF token are slots. Visitors who are not signed in get no token (their
        language form needs none, see ``core.views.set_language``), so reading a page does not
        give them a session.
        """
        blueprint = request.blueprint
        values = {"section": blueprint if blueprint in SECTIONS else None}
        slots = {
            "search_query": search_query,
            "next": request.full_path if request.method == "GET" else url_for("core.home"),
        }
        user = current_user._get_current_object()
        if user.is_authenticated:
            values.update(
                signed_in=True,
                display_name=user.display_name,
                is_demo=bool(user.is_demo),
                manages_members=access.can_manage_institute(user, user.institute_id),
                administers=access.can_administer(user),
                unread=unread_notifications,
            )
            slots["csrf_token"] = generate_csrf()
        return fragments.render("core/_site_header.html", values, slots)

    def fragment(template: str):
        """A template that depends on nothing but the language and the host (asset links)."""
        return fragments.render(template, {}, {})

    app.jinja_env.globals.update(site_header=site_header, fragment=fragment)
