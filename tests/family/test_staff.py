"""Staff's side: a request with its document, a patient's grants, ending one with a reason."""

from __future__ import annotations

import io

import pytest
from sqlalchemy import select

from portal.extensions import db
from portal.family.models import AccessRequest, ProxyGrant
from portal.models import AuditEvent
from tests.conftest import login_as, make_user, post_form
from tests.family.helpers import PDF, child, grant, parent

REQUEST = {"given_name": "Daan", "family_name": "de Vries", "birth_date": "2018-01-02",
           "relationship": "parent"}


@pytest.fixture
def desk(app, clinic):
    desk = app.test_client()
    login_as(desk, make_user(role="front_desk", display_name="Ada Desk"))
    return desk


def _ask(client, **files):
    return post_form(client, "/family/ask", {**REQUEST, **files}, page="/family",
                     content_type="multipart/form-data")


def test_a_request_with_a_document_reaches_staff_who_download_it(client, desk, app):
    mother = parent()
    login_as(client, mother)
    response = _ask(client, document=(io.BytesIO(PDF), "birth certificate.pdf"))
    assert response.status_code == 303
    found = db.session.scalar(select(AccessRequest))
    assert (found.file.filename, found.file.content_type) == ("birth certificate.pdf",
                                                              "application/pdf")
    page = desk.get(f"/staff/family/requests/{found.id}").get_data(as_text=True)
    assert "Download birth certificate.pdf" in page
    download = desk.get(f"/staff/family/requests/{found.id}/document")
    assert download.status_code == 200 and download.data == PDF
    assert download.headers["Content-Disposition"].startswith("attachment")
    event = db.session.scalar(select(AuditEvent).where(
        AuditEvent.action == "proxy-document-downloaded"))
    assert event.target == f"proxy-request:{found.id}"
    # Nobody else: the requester, another patient, billing staff.
    assert client.get(f"/staff/family/requests/{found.id}/document").status_code == 404
    billing = app.test_client()
    login_as(billing, make_user(role="billing"))
    assert billing.get(f"/staff/family/requests/{found.id}/document").status_code == 404


def test_a_request_without_a_document_has_no_download(client, desk):
    login_as(client, parent())
    assert _ask(client).status_code == 303
    found = db.session.scalar(select(AccessRequest))
    assert found.file is None
    assert "Download" not in desk.get(f"/staff/family/requests/{found.id}").get_data(
        as_text=True)
    assert desk.get(f"/staff/family/requests/{found.id}/document").status_code == 404


def test_a_file_that_is_not_a_document_is_refused_and_nothing_is_stored(client, clinic):
    login_as(client, parent())
    response = _ask(client, document=(io.BytesIO(b"<html>hi</html>"), "letter.pdf"))
    assert response.status_code == 422
    assert "not a PDF, JPEG or PNG" in response.get_data(as_text=True)
    assert db.session.scalar(select(AccessRequest)) is None


def test_staff_see_a_patients_grants_and_end_one_with_a_reason(client, desk, app):
    mother, son = parent(display_name="Anna de Vries"), child()
    access = grant(mother, son, ["records", "billing"])
    login_as(client, mother)
    assert client.get("/record").status_code == 200
    page = desk.get(f"/staff/family/patients/{son.id}").get_data(as_text=True)
    assert "Anna de Vries (Parent)" in page
    assert "View the health record, Bills" in page
    url = f"/staff/family/grants/{access.id}/end"
    without = post_form(desk, url, {f"grant-{access.id}-note": ""},
                        page=f"/staff/family/patients/{son.id}")
    assert without.status_code == 422
    assert "Say why the access ends." in without.get_data(as_text=True)
    assert db.session.get(ProxyGrant, access.id).status == "active"
    ended = post_form(desk, url, {f"grant-{access.id}-note": "The mother asked at the desk"},
                      page=f"/staff/family/patients/{son.id}")
    assert ended.status_code == 303
    access = db.session.get(ProxyGrant, access.id)
    assert (access.status, access.revoke_note) == ("revoked", "The mother asked at the desk")
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "proxy-revoked"))
    assert event.patient_id == son.id and "asked" not in (event.target or "")
    assert client.get("/record").status_code == 404
    page = desk.get(f"/staff/family/patients/{son.id}").get_data(as_text=True)
    assert "Ended by hand" in page and "The mother asked at the desk" in page


def test_the_staff_patient_page_links_to_the_grants(desk):
    son = child()
    page = desk.get(f"/staff/patients/{son.id}").get_data(as_text=True)
    assert f"/staff/family/patients/{son.id}" in page


@pytest.mark.parametrize("role", ["clinician", "billing"])
def test_other_staff_roles_cannot_end_grants(app, clinic, role):
    mother, son = parent(), child()
    access = grant(mother, son, ["records"])
    other = app.test_client()
    login_as(other, make_user(role=role))
    assert other.get(f"/staff/family/patients/{son.id}").status_code == 404
    token_page = "/account/"
    assert post_form(other, f"/staff/family/grants/{access.id}/end",
                     {f"grant-{access.id}-note": "x"}, page=token_page).status_code == 404
    assert db.session.get(ProxyGrant, access.id).status == "active"


def test_a_patient_cannot_revoke_someone_elses_grant(client, clinic):
    mother, son = parent(), child()
    access = grant(mother, son, ["records"])
    stranger = make_user()
    login_as(client, stranger)
    response = post_form(client, f"/family/grants/{access.id}/revoke", {}, page="/family")
    assert response.status_code == 404
    assert db.session.get(ProxyGrant, access.id).status == "active"
    refusal = db.session.scalar(select(AuditEvent).where(AuditEvent.outcome == "denied"))
    assert (refusal.actor_id, refusal.patient_id) == (stranger.id, son.id)


def test_a_parent_whose_access_ended_is_told_on_the_home_page(client, clinic):
    mother, son = parent(), child()
    access = grant(mother, son, ["records"])
    login_as(client, mother)
    assert "You are viewing Daan" in client.get("/home").get_data(as_text=True)
    access.status = "revoked"
    db.session.commit()
    response = client.get("/home")
    assert (response.status_code, response.headers["Location"]) == (303, "/family")
    page = client.get("/family").get_data(as_text=True)
    assert "Your access to the record you had open has ended." in page
    assert "Ask for access to a child" in page  # the family page, where she can ask again
    refusal = db.session.scalar(select(AuditEvent).where(AuditEvent.target == "home: access ended"))
    assert (refusal.actor_id, refusal.patient_id) == (mother.id, son.id)
