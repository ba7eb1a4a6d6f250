"""Correction requests: the patient's side, staff's side, the item's pages and the download."""

from __future__ import annotations

import json
import re
from datetime import date
from decimal import Decimal

import pytest
from fhir.resources.R4B.bundle import Bundle as BundleModel
from sqlalchemy import select

from portal.clinic_setup import save_clinic
from portal.corrections.models import CorrectionRequest
from portal.corrections.services import add_months
from portal.extensions import db
from portal.family.rules import clinic_today
from portal.fhir import validity
from portal.models import AuditEvent
from portal.records.models import RecordItem
from tests.conftest import login_as, make_user, post_form
from tests.family.helpers import grant, parent
from tests.records.test_views import add_item, text

HEALTH_WORDS = ("Glucose", "94", "mg/dL", "Penicillin", "This value is wrong")


def _result(patient) -> RecordItem:
    return add_item(patient, resource={
        "resourceType": "Observation", "id": f"obs-{patient.id}", "status": "final",
        "code": {"text": "Glucose"}, "subject": {"reference": f"Patient/p-{patient.id}"},
        "valueQuantity": {"value": 94.03, "unit": "mg/dL"}},
        fhir_id=f"obs-{patient.id}")


def _audit(action: str) -> list[AuditEvent]:
    return list(db.session.scalars(select(AuditEvent).where(AuditEvent.action == action)))


def _ask(client, item_id, reason="wrong-value", details="This value is wrong"):
    url = f"/record/corrections/new/{item_id}"
    return post_form(client, url, {"reason": reason, "details": details})


@pytest.fixture
def patient_user(clinic):
    return make_user(locale="en")


@pytest.fixture
def clinician(clinic):
    return make_user("clinician", locale="en")


def test_a_patient_asks_and_the_result_page_shows_it(client, patient_user, outbox):
    item = _result(patient_user.patient)
    login_as(client, patient_user)
    page = client.get(f"/record/results/{item.id}")
    assert f'href="/record/corrections/new/{item.id}"' in page.get_data(as_text=True)

    response = _ask(client, item.id)
    assert response.status_code == 303
    assert response.headers["Location"] == f"/record/results/{item.id}"
    found = db.session.scalar(select(CorrectionRequest))
    assert (found.reason, found.details, found.status) == (
        "wrong-value", "This value is wrong", "open")
    assert found.original["title"] == "Glucose" and found.original["value_num"].startswith("94")
    assert found.due_on == add_months(clinic_today(), 1)
    assert _audit("correction-requested")[0].patient_id == patient_user.patient_id

    shown = text(client.get(f"/record/results/{item.id}"))
    assert "Correction requested" in shown
    # The clinic's address hears that a request waits, and nothing of what it is about.
    mail = outbox.last_body("desk@test.example")
    assert "/staff/corrections/" in mail
    assert not any(word in mail for word in (*HEALTH_WORDS, patient_user.patient.full_name))


@pytest.mark.parametrize("data, message", [
    ({"reason": "", "details": ""}, "Choose what is wrong."),
    ({"reason": "other", "details": "  "}, "Say what is wrong."),
    ({"reason": "not-mine", "details": "x" * 1001}, "Keep it to 1000 characters or fewer."),
    ({"reason": "made-up", "details": ""}, "Not a valid choice"),
])
def test_bad_input_is_explained_next_to_the_field(client, patient_user, data, message):
    item = _result(patient_user.patient)
    login_as(client, patient_user)
    response = post_form(client, f"/record/corrections/new/{item.id}", data)
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)
    assert db.session.scalar(select(CorrectionRequest)) is None


def test_another_patients_item_is_404_with_an_audit_line(client, patient_user):
    other = make_user(locale="en")
    item = _result(other.patient)
    login_as(client, patient_user)
    assert client.get(f"/record/corrections/new/{item.id}").status_code == 404
    assert _ask(client, item.id, details="x").status_code in (400, 404)
    denied = [e for e in _audit("denied:records")
              if e.target == f"correction:record-item:{item.id}"]
    assert denied and denied[0].patient_id == patient_user.patient_id
    assert db.session.scalar(select(CorrectionRequest)) is None


def test_a_proxy_needs_the_account_permission_too(client, patient_user):
    item = add_item(patient_user.patient, "allergy", title="Penicillin")
    reader = parent()
    grant(reader, patient_user.patient, ["records"], status="active", relationship="carer")
    login_as(client, reader)
    page = client.get("/record/allergies").get_data(as_text=True)
    assert "Penicillin" in page and "/record/corrections/new/" not in page
    # The record's first page points to the clinic, not to requests this reader cannot make.
    overview = text(client.get("/record"))
    assert "If something looks wrong, contact the clinic." in overview
    assert "Ask for a correction" not in overview
    assert client.get(f"/record/corrections/new/{item.id}").status_code == 404
    assert _audit("denied:account")

    helper = parent(display_name="Ben")
    grant(helper, patient_user.patient, ["records", "account"], status="active",
          relationship="carer")
    client.post("/sign-out", data={})
    client.delete_cookie("session")
    login_as(client, helper)
    assert f"/record/corrections/new/{item.id}" in client.get("/record/allergies").get_data(
        as_text=True)
    overview = client.get("/record")
    assert "use the link “Ask for a correction” next to it." in text(overview)
    assert re.search(r'<a href="/record/corrections"[^>]*>Your correction requests and the '
                     r"clinic's answers</a>", overview.get_data(as_text=True))
    assert _ask(client, item.id, "not-mine", "").status_code == 303
    found = db.session.scalar(select(CorrectionRequest))
    assert found.requested_by_id == helper.id and found.patient_id == patient_user.patient_id


def test_staff_see_due_dates_from_the_clinics_setting(client, patient_user, clinician):
    save_clinic(correction_months=2)
    item = _result(patient_user.patient)
    login_as(client, patient_user)
    _ask(client, item.id)
    due = db.session.scalar(select(CorrectionRequest.due_on))
    assert due == add_months(clinic_today(), 2)
    client.delete_cookie("session")
    login_as(client, clinician)
    listing = text(client.get("/staff/corrections"))
    assert patient_user.patient.full_name in listing and "answered by" in listing
    assert _audit("correction-viewed")[0].patient_id == patient_user.patient_id


def test_front_desk_and_billing_cannot_decide(client, patient_user):
    for role in ("front_desk", "billing"):
        client.delete_cookie("session")
        login_as(client, make_user(role))
        assert client.get("/staff/corrections").status_code == 404


def _token(client, correction_id, prefix) -> str:
    page = client.get(f"/staff/corrections/{correction_id}").get_data(as_text=True)
    return re.search(rf'name="{prefix}-csrf_token"[^>]*value="([^"]+)"', page).group(1)


def _decide(client, correction_id, action, data, token=None):
    prefix = "accept" if action == "accept" else "decline"
    token = token or _token(client, correction_id, prefix)
    return client.post(f"/staff/corrections/{correction_id}/{action}",
                       data={f"{prefix}-csrf_token": token,
                             **{f"{prefix}-{k}": v for k, v in data.items()}})


def test_accepting_corrects_the_item_and_keeps_the_original(client, patient_user, clinician,
                                                             outbox):
    item = _result(patient_user.patient)
    login_as(client, patient_user)
    _ask(client, item.id)
    found = db.session.scalar(select(CorrectionRequest))
    outbox.clear()
    client.delete_cookie("session")
    login_as(client, clinician)
    assert _decide(client, found.id, "accept", {"change": ""}).status_code == 422
    colleague = _token(client, found.id, "decline")
    response = _decide(client, found.id, "accept",
                       {"change": "The laboratory checked the sample again.",
                        "corrected_value": "5.2"})
    assert response.status_code == 303
    db.session.expire_all()
    item = db.session.get(RecordItem, item.id)
    assert item.value_num == Decimal("5.2")
    found = db.session.get(CorrectionRequest, found.id)
    assert found.status == "accepted" and found.original["value_num"].startswith("94.03")
    assert _audit("correction-accepted")
    # The patient's side is told there is an answer, and nothing else.
    mail = outbox.last_body(patient_user.email)
    assert "/record/corrections" in mail
    assert not any(word in mail for word in (*HEALTH_WORDS, "5.2", "laboratory"))
    # A second decision (a colleague's, a moment later) changes nothing.
    outbox.clear()
    again = _decide(client, found.id, "decline", {"reason": "No"}, token=colleague)
    assert again.status_code == 303
    assert db.session.get(CorrectionRequest, found.id).status == "accepted"
    assert not outbox.messages()

    client.delete_cookie("session")
    login_as(client, patient_user)
    shown = text(client.get(f"/record/results/{item.id}"))
    assert "Corrected" in shown and "The laboratory checked the sample again." in shown
    assert "Before the correction: Glucose: 94.0 mg/dL" in shown
    assert "Corrected on" in text(client.get("/record/corrections"))


def test_declining_shows_the_reason_on_the_item(client, patient_user, clinician, outbox):
    item = add_item(patient_user.patient, "allergy", title="Penicillin")
    login_as(client, patient_user)
    _ask(client, item.id, "not-mine", "")
    found = db.session.scalar(select(CorrectionRequest))
    client.delete_cookie("session")
    login_as(client, clinician)
    assert _decide(client, found.id, "decline", {"reason": "x" * 1001}).status_code == 422
    assert _decide(client, found.id, "decline",
                   {"reason": "The hospital letter of 2019 confirms it."}).status_code == 303
    assert db.session.get(RecordItem, item.id).title == "Penicillin"
    assert _audit("correction-declined")
    assert "The hospital letter" not in outbox.last_body(patient_user.email)
    client.delete_cookie("session")
    login_as(client, patient_user)
    shown = text(client.get("/record/allergies"))
    assert "Correction declined: The hospital letter of 2019 confirms it." in shown


def test_a_not_mine_item_taken_out_shows_nowhere_and_the_request_keeps_it(
        client, patient_user, clinician, outbox):
    item = add_item(patient_user.patient, "allergy", title="Penicillin")
    login_as(client, patient_user)
    _ask(client, item.id, "not-mine", "I have never taken penicillin.")
    download = {"format": "fhir", "scope": "all"}
    assert item.fhir_id in client.get("/record/download", query_string=download).get_data(
        as_text=True)
    found = db.session.scalar(select(CorrectionRequest))
    client.delete_cookie("session")
    login_as(client, clinician)
    page = client.get(f"/staff/corrections/{found.id}")
    form, html = text(page), page.get_data(as_text=True)
    assert "Take the item out of the patient" in form, form
    # The clinician goes from the request to the item in the record, and to the record.
    patient_id = patient_user.patient_id
    assert f'href="/staff/patients/{patient_id}/record/allergies#item-{item.id}"' in html
    assert f'href="/staff/patients/{patient_id}/record">Open the record</a>' in html
    # Taking it out and renaming it at once is pointed out next to the field; nothing changes.
    refused = _decide(client, found.id, "accept", {"change": "Removed.", "remove": "y",
                                                   "corrected_value": "No known allergies"})
    assert refused.status_code == 422
    assert "Leave the corrected value empty when the item is taken out of the record." in text(
        refused)
    db.session.expire_all()
    assert db.session.get(CorrectionRequest, found.id).status == "open"
    assert db.session.get(RecordItem, item.id).status is None

    response = _decide(client, found.id, "accept",
                       {"change": "Recorded for another patient by mistake.", "remove": "y"})
    assert response.status_code == 303
    db.session.expire_all()
    stored = db.session.get(CorrectionRequest, found.id)
    assert (stored.status, stored.removed, stored.corrected_value) == ("accepted", True, None)
    assert stored.original["title"] == "Penicillin"
    assert db.session.get(RecordItem, item.id).status == "entered-in-error"
    assert _audit("correction-accepted")[0].target.endswith(f"record-item:{item.id}; removed")
    assert "Penicillin" not in outbox.last_body(patient_user.email)
    staff_side = text(client.get(f"/staff/corrections/{found.id}"))
    assert "Recorded for another patient by mistake. (taken out of the record)" in staff_side
    assert "Taken out of the record on" in text(client.get("/staff/corrections"))

    client.delete_cookie("session")
    login_as(client, patient_user)
    assert "Penicillin" not in text(client.get("/record/allergies"))
    assert item.fhir_id not in client.get("/record/download", query_string=download).get_data(
        as_text=True)
    # The list of requests still says what it was about, and what the clinic did.
    listed = text(client.get("/record/corrections"))
    assert "Penicillin" in listed and "Taken out of the record on" in listed
    assert "Recorded for another patient by mistake. (taken out of your record)" in listed
    # The item itself is gone: asking again about it is a 404, like any item not shown.
    assert client.get(f"/record/corrections/new/{item.id}").status_code == 404


def test_contact_details_can_be_corrected(client, patient_user):
    login_as(client, patient_user)
    assert "contact details" in text(client.get("/record/corrections/contact"))
    response = post_form(client, "/record/corrections/contact",
                         {"reason": "wrong-value", "details": "My birth date is 2 January."})
    assert response.status_code == 303
    found = db.session.scalar(select(CorrectionRequest))
    assert found.record_item_id is None and found.original["birth_date"] == "1980-01-01"
    assert "Contact details" in text(client.get("/record/corrections"))


def test_the_fhir_download_carries_the_correction_status(client, patient_user):
    item = _result(patient_user.patient)
    login_as(client, patient_user)
    _ask(client, item.id)
    response = client.get("/record/download", query_string={"format": "fhir", "scope": "all"})
    data = json.loads(response.data)
    BundleModel.model_validate(data)
    assert next(validity.problems(data), None) is None
    tagged = [e["resource"] for e in data["entry"] if e["resource"].get("meta")]
    assert tagged[0]["meta"]["tag"] == [{"system": "urn:portal:correction-status",
                                         "code": "correction-requested",
                                         "display": "Correction requested"}]
    # The stored resource itself is left as the clinic sent it.
    assert "meta" not in db.session.get(RecordItem, item.id).resource


def test_add_months_keeps_to_the_months_last_day():
    assert add_months(date(2026, 1, 31), 1) == date(2026, 2, 28)
    assert add_months(date(2026, 12, 6), 1) == date(2027, 1, 6)


def test_a_corrected_name_replaces_the_friendly_name_of_a_coded_item(client, patient_user,
                                                                    clinician):
    item = add_item(patient_user.patient, "allergy", title="Allergy to penicillin",
                    code="91936005", code_system="http://snomed.info/sct")
    login_as(client, patient_user)
    _ask(client, item.id, "wrong-value", "It was amoxicillin.")
    found = db.session.scalar(select(CorrectionRequest))
    client.delete_cookie("session")
    login_as(client, clinician)
    _decide(client, found.id, "accept", {"change": "Name corrected.",
                                         "corrected_value": "Allergy to amoxicillin"})
    db.session.expire_all()
    item = db.session.get(RecordItem, item.id)
    assert (item.title, item.code) == ("Allergy to amoxicillin", None)
    assert db.session.get(CorrectionRequest, found.id).original["code"] == "91936005"
    client.delete_cookie("session")
    login_as(client, patient_user)
    shown = text(client.get("/record/allergies"))
    assert "Allergy to amoxicillin" in shown and "Before the correction:" in shown


def test_the_download_carries_an_accepted_value(client, patient_user, clinician):
    item = _result(patient_user.patient)
    login_as(client, patient_user)
    _ask(client, item.id)
    found = db.session.scalar(select(CorrectionRequest))
    client.delete_cookie("session")
    login_as(client, clinician)
    _decide(client, found.id, "accept", {"change": "Checked again.", "corrected_value": "5.2"})
    client.delete_cookie("session")
    login_as(client, patient_user)
    response = client.get("/record/download", query_string={"format": "fhir", "scope": "all"})
    data = json.loads(response.data)
    BundleModel.model_validate(data)
    assert next(validity.problems(data), None) is None
    [observation] = [e["resource"] for e in data["entry"]
                     if e["resource"]["resourceType"] == "Observation"]
    assert observation["valueQuantity"] == {"value": 5.2, "unit": "mg/dL"}
    assert observation["meta"]["tag"][0]["code"] == "corrected"


def test_init_clinic_sets_the_deadline_in_months(app, clinic):
    from portal.clinic_setup import save_clinic as _save

    runner = app.test_cli_runner()
    result = runner.invoke(args=["portal", "init-clinic", "--correction-months", "2"])
    assert result.exit_code == 0, result.output
    assert _save().correction_months == 2
    refused = runner.invoke(args=["portal", "init-clinic", "--correction-months", "4"])
    assert refused.exit_code != 0 and "--correction-months" in refused.output
