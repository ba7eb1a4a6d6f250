"""Who may use the new staff pages: a matrix over routes and roles, CSRF, and query counts."""

import pytest
from sqlalchemy import select

from portal.models import AuditEvent
from tests.conftest import count_queries, csrf_token, login_as, make_patient, make_user

#: (method, path) of every patient-account route; {p} is a patient's id.
PATIENT_ROUTES = [
    ("GET", "/staff/patients/{p}"),
    ("POST", "/staff/patients/{p}/invitation"),
    ("POST", "/staff/patients/{p}/invitation/cancel"),
    ("POST", "/staff/patients/{p}/temporary-password"),
    ("POST", "/staff/patients/{p}/unlock"),
    ("POST", "/staff/patients/{p}/second-factor/reset"),
    ("POST", "/staff/patients/{p}/disable"),
    ("POST", "/staff/patients/{p}/enable"),
]
#: Staff account administration; {u} is a staff user's id.
ACCOUNT_ROUTES = [
    ("GET", "/staff/accounts"),
    ("POST", "/staff/accounts"),
    ("POST", "/staff/accounts/{u}/disable"),
    ("POST", "/staff/accounts/{u}/enable"),
    ("POST", "/staff/accounts/{u}/unlock"),
]
#: Every staff role has the patient page (tests/staff/test_navigation.py); its forms not.
MATRIX = ([(m, p, role) for m, p in PATIENT_ROUTES for role in ("clinician", "billing",
                                                                "patient")
           if m == "POST" or role == "patient"]
          + [(m, p, role) for m, p in ACCOUNT_ROUTES for role in ("front_desk", "clinician",
                                                                  "billing", "patient")])


def _request(client, method, path, token):
    if method == "GET":
        return client.get(path)
    return client.post(path, data={"csrf_token": token, "by_letter": "y", "username": "x.y.z",
                                   "identity_checked": "y", "reason": "test"})


@pytest.mark.parametrize("method, path, role", MATRIX)
def test_everyone_else_gets_404_and_changes_nothing(client, db, clinic, method, path, role):
    patient = make_patient()
    target = make_user(patient=patient, locked_until=None)
    colleague = make_user(role="front_desk")
    login_as(client, make_user(role=role))
    token = csrf_token(client, "/account/")
    url = path.format(p=patient.id, u=colleague.id)
    response = _request(client, method, url, token)
    assert response.status_code == 404, url
    assert "Page not found" in response.get_data(as_text=True)
    denied = db.session.scalar(select(AuditEvent).filter_by(action="denied:staff",
                                                            outcome="denied"))
    assert denied is not None and denied.target == f"{method} {url}"
    db.session.refresh(target)
    db.session.refresh(colleague)
    assert target.enabled and colleague.enabled


@pytest.mark.parametrize("method, path", PATIENT_ROUTES + ACCOUNT_ROUTES)
def test_visitors_who_are_not_signed_in_are_asked_to_sign_in(client, clinic, method, path):
    url = path.format(p=1, u=1)
    token = csrf_token(client, "/sign-in")
    response = _request(client, method, url, token)
    assert response.status_code == 303 and response.headers["Location"].startswith("/sign-in")


@pytest.mark.parametrize("method, path", [r for r in PATIENT_ROUTES + ACCOUNT_ROUTES
                                          if r[0] == "POST"])
def test_a_post_without_the_csrf_token_is_refused(client, db, clinic, method, path):
    patient = make_user().patient
    admin = make_user(role="admin")
    login_as(client, admin)
    response = client.post(path.format(p=patient.id, u=admin.id), data={"by_letter": "y"})
    assert response.status_code == 400
    db.session.refresh(patient)
    assert patient.account.enabled


def test_the_patient_list_runs_the_same_queries_however_many_patients(client, db, clinic):
    login_as(client, make_user(role="front_desk"))
    for _ in range(3):
        make_user()

    def queries() -> int:
        with count_queries() as count:
            assert client.get("/staff/patients").status_code == 200
        return count()

    few = queries()
    for _ in range(30):
        make_user()
    assert queries() == few


def test_the_patient_page_runs_the_same_queries_however_long_its_history(client, db, clinic):
    from datetime import timedelta

    from portal.auth.invitations import invite
    from portal.types import utcnow

    login_as(client, make_user(role="front_desk"))
    patient = make_patient()

    def queries() -> int:
        with count_queries() as count:
            assert client.get(f"/staff/patients/{patient.id}").status_code == 200
        return count()

    invite(patient, by=None)
    db.session.commit()
    few = queries()
    for _ in range(20):
        invite(patient, by=None)[0].cancelled_at = utcnow() - timedelta(days=1)
    db.session.commit()
    assert queries() == few
