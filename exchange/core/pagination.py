"""Pagination of SQLAlchemy select statements from the `page` query argument."""

from __future__ import annotations

import math
from dataclasses import dataclass

from flask import abort, request
from sqlalchemy import Select, func, select

from exchange.extensions import db


@dataclass
class Page:
    items: list
    number: int
    per_page: int
    total: int

    @property
    def pages(self) -> int:
        return max(1, math.ceil(self.total / self.per_page))

    @property
    def has_prev(self) -> bool:
        return self.number > 1

    @property
    def has_next(self) -> bool:
        return self.number < self.pages


def paginate(
    query: Select, per_page: int = 50, rows: bool = False, total: int | None = None
) -> Page:
    """Run one page of ``query``; a bad or out-of-range `page` argument answers 404.

    Items are the first entity of each row, or whole rows when ``rows`` is true. ``total`` is
    the number of rows ``query`` selects when the caller has counted them already (the wiki
    list's facets do); otherwise it is counted here.
    """
    raw = request.args.get("page", "1")
    if not raw.isdigit() or int(raw) < 1:
        abort(404)
    number = int(raw)
    if total is None:
        total = db.session.scalar(select(func.count()).select_from(query.order_by(None).subquery()))
    if number > 1 and (number - 1) * per_page >= total:
        abort(404)
    window = query.limit(per_page).offset((number - 1) * per_page)
    items = db.session.execute(window).all() if rows else db.session.scalars(window).all()
    return Page(items=list(items), number=number, per_page=per_page, total=total)
