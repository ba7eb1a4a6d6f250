"""The one pager: every list of the portal pages through `paginate`, `PORTAL_PAGE_SIZE` a page.

A page costs one query however long the list: its rows, each with the length of the whole
list (a window count). Only a page number beyond the end, which brings no rows, costs two
more (the count, then the last page's rows): it shows the last page.
"""

from __future__ import annotations

from dataclasses import dataclass
from math import ceil
from weakref import WeakKeyDictionary

from flask import current_app, has_app_context, has_request_context, request
from sqlalchemy import Integer, Select, bindparam, func, select

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


#: The length of the whole list, next to each row of a page: a window over every row the
#: statement selects, counted before LIMIT and OFFSET take the page. One column object, so
#: that a list's statement with it is the same statement (and cache key) on every request.
_TOTAL = func.count().over().label("paging_total")


#: The page statements of lists whose statement is built once, its values given apart
#: (`params`): the window, LIMIT and OFFSET added once, so that SQLAlchemy works out the
#: statement's cache key once, not for every page shown (a costly walk of a long WHERE);
#: and whether it builds model objects.
_PAGED: WeakKeyDictionary = WeakKeyDictionary()


def _paged(statement: Select) -> tuple[Select, bool]:
    paged = _PAGED.get(statement)
    if paged is None:
        paged = _PAGED[statement] = (
            statement.add_columns(_TOTAL).limit(bindparam("paging_limit", type_=Integer))
            .offset(bindparam("paging_offset", type_=Integer)),
            any(isinstance(column["type"], type) for column in statement.column_descriptions))
    return paged


def paginate(statement: Select, page: int | None = None, per_page: int | None = None,
             params: dict | None = None) -> Page:
    """Run `statement` for one page: model objects when it selects one entity, else rows.

    `statement` has no LIMIT, OFFSET or DISTINCT of its own (a window counts the rows
    before DISTINCT removes any: such a statement is counted in a query of its own).
    `params`: the values of the statement's bound parameters, for a statement built once
    and kept (see `_PAGED`). Such a statement of plain columns (no model objects) is run on
    the session's connection: its rows need none of the ORM's work (nor its autoflush).
    """
    per_page = per_page or page_size()
    page = max(page_number() if page is None else page, 1)
    # Counted in a query of their own: a DISTINCT statement, and a page beyond any list (a
    # number typed into the address, whose OFFSET would not fit the database's integers).
    if statement._distinct or page > _FURTHEST_PAGE:
        return _counted_apart(statement if params is None else statement.params(params),
                              page, per_page)
    if params is not None:
        paged, objects = _paged(statement)
        run = db.session.execute if objects else db.session.connection().execute
        result = run(paged, {**params, "paging_limit": per_page,
                             "paging_offset": (page - 1) * per_page})
    else:
        result = db.session.execute(statement.add_columns(_TOTAL)
                                    .limit(per_page).offset((page - 1) * per_page))
    # The result's columns say what the statement selects (asking the statement costs the
    # ORM a compile step): one entity or column, and the total; else rows and the total.
    width = len(result.keys()) - 1
    if width == 1:
        rows = result.all()
        if rows:
            return Page([row[0] for row in rows], page, per_page, rows[-1][-1])
    else:
        # The rows callers see are rows of the statement's own columns, without the total.
        frozen = result.freeze()
        if frozen.data:
            rows = frozen().columns(*range(width)).all()
            return Page(rows, page, per_page, frozen.data[-1][-1])
    if page == 1:
        return Page([], 1, per_page, 0)
    return _counted_apart(statement if params is None else statement.params(params), page,
                          per_page)


#: The furthest page asked for with a query of one statement; further ones are counted.
_FURTHEST_PAGE = 1_000_000


def _counted_apart(statement: Select, page: int, per_page: int) -> Page:
    """The page (the last page when `page` is beyond it) with the count in a query of its
    own: for a page number beyond the end, and for a DISTINCT statement."""
    total = db.session.scalar(select(func.count()).select_from(statement.order_by(None)
                                                               .subquery())) or 0
    page = clamp(page, total, per_page)
    if total == 0:
        return Page([], page, per_page, 0)
    result = db.session.execute(statement.limit(per_page).offset((page - 1) * per_page))
    rows = result.scalars().all() if len(result.keys()) == 1 else result.all()
    return Page(list(rows), page, per_page, total)
