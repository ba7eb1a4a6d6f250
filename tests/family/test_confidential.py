"""Confidential items: staff mark them, audited; a proxy never sees them, nor downloads them."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import select

from portal.extensions import db
from portal.models import AuditEvent
from portal.records.models import Document, RecordItem
from portal.types import utcnow
from tests.conftest import login_as, make_user, post_form
from tests.family.helpers import child, child_data, grant, parent


@pytest.fixture
def record(app, client, clinic):
    """A child with two visits, a vaccination and a document; a parent signed in."""
    mother, son = parent(), child()
    items = {}
    for title, kind in (("Visit about the ears", "encounter"),
                        ("Talk about growing up", "encounter"), ("DTaP vaccination",
                                                                 "immunization")):
        item = RecordItem(patient_id=son.id, kind=kind, title=title, fhir_id=title,
                          resource={"resourceType": "Encounter", "id": title},
                          content_hash=title, start_at=utcnow(), status="finished")
        db.session.add(item)
        items[title] = item
    db.session.commit()
    data = child_data(son, mother)
    grant(mother, son, ["records"])
    login_as(client, mother)
    return mother, son, items, data


def _mark(app, son, what, item_id, hidden=True, role="clinician"):
    staff = app.test_client()
    login_as(staff, make_user(role=role))
    page = f"/staff/patients/{son.id}/record/confidential"
    return staff, post_form(staff, page, {"what": what, "item_id": item_id,
                                          "confidential": "1" if hidden else "0"})


def test_staff_mark_an_item_confidential_and_it_is_audited(app, record):
    _, son, items, _ = record
    secret = items["Talk about growing up"]
    staff, response = _mark(app, son, "item", secret.id)
    assert response.status_code == 303
    assert db.session.get(RecordItem, secret.id).confidential is True
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "confidential-set"))
    assert (event.patient_id, event.target) == (son.id, f"record-item:{secret.id}")
    assert "growing" not in event.target
    page = staff.get(f"/staff/patients/{son.id}/record/confidential").get_data(as_text=True)
    assert "Show to them again: Talk about growing up" in page
    assert "Hide from them: Visit about the ears" in page


def test_a_confidential_item_never_shows_to_a_proxy_in_pages_or_downloads(app, client, record):
    _, son, items, _ = record
    secret = items["Talk about growing up"]
    _mark(app, son, "item", secret.id)
    visits = client.get("/record/visits").get_data(as_text=True)
    assert "Visit about the ears" in visits and "Talk about growing up" not in visits
    assert client.get(f"/record/visits/{secret.id}").status_code == 404
    assert "1 visit" in client.get("/record").get_data(as_text=True)
    for fmt in ("text", "html"):
        body = client.get(f"/record/download?scope=all&format={fmt}").get_data(as_text=True)
        assert "Visit about the ears" in body and "Talk about growing up" not in body, fmt
    bundle = json.loads(client.get("/record/download?scope=all&format=fhir").data)
    ids = {entry["resource"].get("id") for entry in bundle["entry"]}
    assert "Visit about the ears" in ids and "Talk about growing up" not in ids
    # The child and the clinic still see it.
    own = app.test_client()
    login_as(own, make_user(patient=son))
    assert "Talk about growing up" in own.get("/record/visits").get_data(as_text=True)
    assert "Talk about growing up" in own.get(
        "/record/download?scope=all&format=text").get_data(as_text=True)


def test_a_confidential_document_is_neither_listed_nor_downloadable_for_a_proxy(app, client,
                                                                             record):
    _, son, _, data = record
    assert client.get(f"/record/documents/{data.document}").status_code == 200
    _mark(app, son, "document", data.document)
    assert db.session.get(Document, data.document).confidential is True
    assert "Letter from the hospital" not in client.get("/record/documents").get_data(
        as_text=True)
    assert client.get(f"/record/documents/{data.document}").status_code == 404
    own = app.test_client()
    login_as(own, make_user(patient=son))
    assert own.get(f"/record/documents/{data.document}").status_code == 200


def test_unmarking_shows_the_item_again(app, client, record):
    _, son, items, _ = record
    secret = items["Talk about growing up"]
    _mark(app, son, "item", secret.id)
    _mark(app, son, "item", secret.id, hidden=False)
    assert "Talk about growing up" in client.get("/record/visits").get_data(as_text=True)
    actions = db.session.scalars(select(AuditEvent.action).where(
        AuditEvent.action.in_(("confidential-set", "confidential-cleared")))
        .order_by(AuditEvent.id)).all()
    assert actions == ["confidential-set", "confidential-cleared"]


def test_only_staff_who_read_the_record_may_mark(app, record):
    _, son, items, _ = record
    item = items["Visit about the ears"]
    for role in ("front_desk", "billing"):
        staff = app.test_client()
        login_as(staff, make_user(role=role))
        assert staff.get(f"/staff/patients/{son.id}/record/confidential").status_code == 404
    assert db.session.get(RecordItem, item.id).confidential is False


def test_another_patients_item_cannot_be_marked_through_this_patient(app, record):
    _, son, _, _ = record
    other = child(given_name="Eva")
    foreign = RecordItem(patient_id=other.id, kind="encounter", title="Other", fhir_id="o1",
                         resource={}, content_hash="o", start_at=utcnow())
    db.session.add(foreign)
    db.session.commit()
    _, response = _mark(app, son, "item", foreign.id)
    assert response.status_code == 404
    assert db.session.get(RecordItem, foreign.id).confidential is False


def test_a_proxy_cannot_reach_the_staff_page(client, record):
    _, son, _, _ = record
    assert client.get(f"/staff/patients/{son.id}/record/confidential").status_code == 404


def test_the_record_services_take_who_reads_as_an_argument(app, record):
    """No request, no signed-in user: what shows depends on `as_proxy` alone."""
    from portal.records import export, services

    _, son, items, _ = record
    secret = items["Talk about growing up"]
    secret.confidential = True
    db.session.commit()

    def titles(as_proxy):
        return {item.title for item in services.list_page(son, "encounter", 1,
                                                          as_proxy=as_proxy).items}

    assert titles(as_proxy=False) == {"Visit about the ears", "Talk about growing up"}
    assert titles(as_proxy=True) == {"Visit about the ears"}
    assert services.find_item(son, "encounter", secret.id, as_proxy=True) is None
    assert services.find_item(son, "encounter", secret.id, as_proxy=False) == secret
    assert services.overview(son, as_proxy=True).counts["encounter"] == 1
    period = export.Period(None, None)
    assert secret not in export.exported_items(son, period, as_proxy=True)
    assert secret in export.exported_items(son, period, as_proxy=False)
