"""The home page's panels: their figures come from one statement, in each panel's order."""

from sqlalchemy import bindparam, func, literal, select

from portal.dashboard import PANELS, Panel, panels_for
from portal.models import Patient
from tests.conftest import count_queries, make_patient


def test_the_figures_of_all_panels_are_read_in_one_statement(db):
    patient = make_patient()
    make_patient()
    assert patient.given_name  # loaded again after the commit, before counting
    mine = select(func.count(Patient.id)).where(Patient.id == bindparam("patient_id"))
    everyone = select(func.count(Patient.id)).where(bindparam("patient_id") > 0)
    counting = Panel("a", "a.html", lambda who, figures: {"mine": figures["mine"]},
                     {"mine": mine})
    plain = Panel("b", "b.html", lambda who: {"name": who.given_name})
    both = Panel("c", "c.html", lambda who, figures: dict(figures),
                 {"everyone": everyone, "answer": select(literal(42))})
    with count_queries() as statements:
        shown = panels_for(patient, [counting, plain, both])
    assert statements() == 1
    assert shown == [("a.html", {"mine": 1}), ("b.html", {"name": patient.given_name}),
                     ("c.html", {"everyone": 2, "answer": 42})]
    with count_queries() as statements:
        assert panels_for(patient, [plain]) == [("b.html", {"name": patient.given_name})]
    assert statements() == 0


def test_the_areas_panels_that_show_figures_name_them():
    """The messages, bills and forms panels read counts: each names its figure."""
    named = {p.template: sorted(p.figures) for p in PANELS}
    assert named["messages/_dashboard.html"] == ["unread"]
    assert named["billing/_dashboard.html"] == ["balance"]
    assert named["questionnaires/_dashboard.html"] == ["open"]
    assert named["appointments/_dashboard.html"] == []
