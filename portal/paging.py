"""The one pager: every list of the portal pages through `paginate`, `PORTAL_PAGE_SIZE` a page.

A page costs two queries (the count and the rows) however long the list, and a page
number beyond the end shows the last page.
"""

from __future__ import annotations

from dataclasses import dataclass
from math import ceil

from flask import current_app, has_app_context, has_request_context, request
from sqlalchemy import Select, func, select

from portal.extensions import db

DEFAULT_PAGE_SIZE = 20


@dataclass
class Page:
    """One page of a list, with what the pager macro needs."""

    items: list
    page: int
    per_page: int
    total: int

    @property
    def pages(self) -> int:
        return max(1, ceil(self.total / self.per_page))

    @property
    def has_prev(self) -> bool:
        return self.page > 1

    @property
    def has_next(self) -> bool:
        return self.page < self.pages

    @property
    def prev_num(self) -> int:
        return self.page - 1

    @property
    def next_num(self) -> int:
        return self.page + 1


def page_size() -> int:
    """How many rows a list shows a page: the `PORTAL_PAGE_SIZE` setting."""
    if has_app_context():
        return max(1, int(current_app.config.get("PAGE_SIZE", DEFAULT_PAGE_SIZE)))
    return DEFAULT_PAGE_SIZE


def page_number() -> int:
    """The page asked for in `?page=`; 1 when absent or not a number an id could be."""
    from portal.security import bounded_int

    if not has_request_context():
        return 1
    return request.args.get("page", 1, type=bounded_int)


def clamp(page: int | None, total: int, per_page: int) -> int:
    """`page` (the request's when None) within 1 .. the last page of `total` rows."""
    page = page_number() if page is None else page
    return min(max(page, 1), max(1, ceil(total / per_page)))


def paginate(statement: Select, page: int | None = None, per_page: int | None = None) -> Page:
    """Run `statement` for one page: model objects when it selects one entity, else rows."""
    per_page = per_page or page_size()
    total = db.session.scalar(select(func.count()).select_from(statement.order_by(None)
                                                               .subquery())) or 0
    page = clamp(page, total, per_page)
    result = db.session.execute(statement.limit(per_page).offset((page - 1) * per_page))
    rows = result.scalars().all() if len(statement.column_descriptions) == 1 else result.all()
    return Page(list(rows), page, per_page, total)
