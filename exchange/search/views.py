"""The search page and the search box's title suggestions."""

from __future__ import annotations

from flask import jsonify, render_template, request, url_for
from flask_login import current_user

from exchange.search import bp, service
from exchange.search.wording import facet_sections, hint_text, type_label


@bp.get("/search")
def search():
    """Search everything the reader may see; the query stays in the URL (shareable)."""
    req, hints = service.request_from_args(request.args)
    response = service.search(current_user, req, hints)

    def link(**changes) -> str:
        if changes.get("page") == 1:
            changes["page"] = None  # the first page has one address
        return url_for("search.search", **req.args(**changes))

    return render_template(
        "search/search.html",
        response=response,
        req=req,
        link=link,
        hints=list(dict.fromkeys(hint_text(h) for h in response.hints)),  # each once
        facets=facet_sections(response, req),
        type_label=type_label,
    )


@bp.get("/search/suggest")
def suggest():
    """Titles matching what is typed so far (JSON for the search box's list)."""
    titles = service.suggest_titles(current_user, request.args.get("q", ""))
    # The list shows what each title is, in the reader's language.
    return jsonify([{**title, "kind_label": type_label(title["kind"])} for title in titles])
