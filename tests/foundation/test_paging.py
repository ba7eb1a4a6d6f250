"""The one pager: a page of a list in one query, the last page for a page beyond the end."""

import pytest
from sqlalchemy import bindparam, func, select

from portal.models import Patient
from portal.paging import paginate
from tests.conftest import count_queries, make_patient

NAMES = [f"Name {n:02d}" for n in range(1, 12)]


@pytest.fixture
def patients(db):
    """Eleven patients, family names Name 01 .. Name 11, and someone named otherwise."""
    for name in NAMES:
        make_patient(family_name=name)
    make_patient(family_name="Zz not listed")


def _listed():
    return (select(Patient).where(Patient.family_name.like("Name %"))
            .order_by(Patient.family_name))


def test_a_page_of_model_objects_with_the_total_in_one_query(patients):
    with count_queries() as queries:
        page = paginate(_listed(), 2, 4)
    assert queries() == 1
    assert [p.family_name for p in page.items] == NAMES[4:8]
    assert all(isinstance(p, Patient) for p in page.items)
    assert (page.page, page.total, page.pages, page.has_prev, page.has_next) == \
        (2, 11, 3, True, True)


def test_rows_of_several_columns_keep_their_names_and_not_the_total(patients):
    statement = (select(Patient.family_name, func.length(Patient.family_name).label("size"))
                 .where(Patient.family_name.like("Name %")).order_by(Patient.family_name))
    with count_queries() as queries:
        page = paginate(statement, 3, 4)
    assert queries() == 1
    assert [tuple(row) for row in page.items] == [(name, 7) for name in NAMES[8:]]
    assert [row.family_name for row in page.items] == NAMES[8:]
    assert list(page.items[0]._mapping) == ["family_name", "size"]
    assert (page.page, page.total, page.has_next) == (3, 11, False)


@pytest.mark.parametrize("asked", [4, 99])
def test_a_page_beyond_the_end_shows_the_last_page(patients, asked):
    with count_queries() as queries:
        page = paginate(_listed(), asked, 4)
    assert queries() == 3  # the empty page, the count, the last page
    assert [p.family_name for p in page.items] == NAMES[8:]
    assert (page.page, page.total) == (3, 11)


@pytest.mark.parametrize("asked", [10**6 + 1, 10**30])
def test_a_page_number_no_list_reaches_shows_the_last_page(patients, asked):
    """A number typed into the address whose OFFSET would not fit the database's integers
    (a view that reads `?page=` itself passes it on as it is) is counted first."""
    with count_queries() as queries:
        page = paginate(_listed(), asked, 4)
    assert queries() == 2  # the count, the last page
    assert [p.family_name for p in page.items] == NAMES[8:]
    assert (page.page, page.total) == (3, 11)


def test_a_page_beyond_the_end_of_rows_shows_the_last_page_as_rows(patients):
    page = paginate(select(Patient.family_name, Patient.id)
                    .where(Patient.family_name.like("Name %")).order_by(Patient.family_name),
                    9, 5)
    assert [row.family_name for row in page.items] == NAMES[10:]
    assert (page.page, page.total) == (3, 11)


@pytest.mark.parametrize("asked", [1, 0, -3, 5])
def test_an_empty_list_is_one_empty_page(db, asked):
    page = paginate(_listed(), asked, 4)
    assert (page.items, page.page, page.total, page.pages) == ([], 1, 0, 1)


def test_a_page_number_below_one_shows_the_first_page(patients):
    with count_queries() as queries:
        page = paginate(_listed(), 0, 4)
    assert queries() == 1
    assert [p.family_name for p in page.items] == NAMES[:4]
    assert page.page == 1


def test_a_distinct_list_is_counted_after_distinct(patients):
    make_patient(family_name="Name 01")  # the same name twice: one row of the list
    statement = (select(Patient.family_name).distinct()
                 .where(Patient.family_name.like("Name %")).order_by(Patient.family_name))
    page = paginate(statement, 3, 4)
    assert page.total == 11 and page.items == NAMES[8:]


def _named_like():
    """A statement built once, its value given apart: paginate(..., params=...)."""
    return (select(Patient.family_name, Patient.id)
            .where(Patient.family_name.like(bindparam("pattern")))
            .order_by(Patient.family_name))


def test_a_statement_built_once_takes_its_values_apart_and_is_paged_the_same(patients):
    statement = _named_like()
    pages = []
    for pattern, asked in (("Name %", 2), ("Name 1%", 1), ("Name %", 2)):
        with count_queries() as queries:
            pages.append(paginate(statement, asked, 4, {"pattern": pattern}))
        assert queries() == 1
    assert [row.family_name for row in pages[0].items] == NAMES[4:8]
    assert [row.family_name for row in pages[1].items] == ["Name 10", "Name 11"]
    assert (pages[0].total, pages[1].total, pages[2].items) == (11, 2, pages[0].items)


def test_a_statement_built_once_beyond_the_end_shows_its_last_page(patients):
    page = paginate(_named_like(), 7, 4, {"pattern": "Name 0%"})
    assert [row.family_name for row in page.items] == NAMES[8:9]
    assert (page.page, page.total) == (3, 9)
    empty = paginate(_named_like(), 3, 4, {"pattern": "Nobody%"})
    assert (empty.items, empty.page, empty.total) == ([], 1, 0)


def test_a_statement_of_model_objects_built_once_gives_model_objects(patients):
    statement = (select(Patient).where(Patient.family_name.like(bindparam("pattern")))
                 .order_by(Patient.family_name))
    with count_queries() as queries:
        page = paginate(statement, 2, 4, {"pattern": "Name %"})
    assert queries() == 1
    assert all(isinstance(p, Patient) for p in page.items)
    assert [p.family_name for p in page.items] == NAMES[4:8]
    assert page.total == 11
