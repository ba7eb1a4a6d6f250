"""Payment plans as both sides use them: the patient asks, billing staff approve or decline
with a reason, the patient's side is told by e-mail (without amounts or the reason), reads
the answer on the statement page and, after a decline, may ask again."""

from __future__ import annotations

import re

import pytest
from flask_babel import force_locale, gettext
from sqlalchemy import select

from portal.billing.models import Payment, PaymentPlan
from portal.extensions import db as _db
from tests.billing.conftest import statement_for
from tests.conftest import login_as, make_user, post_form
from tests.family.helpers import grant, parent

PLANS = "/staff/billing/plans"
REASON = "Plans start from two hundred euro; please ring the desk about a discount."


@pytest.fixture
def staff(app, clerk):
    """The billing clerk, signed in in a browser of their own."""
    browser = app.test_client()
    login_as(browser, clerk)
    return browser


def _plans() -> list[PaymentPlan]:
    _db.session.expire_all()
    return list(_db.session.scalars(select(PaymentPlan).order_by(PaymentPlan.id)))


def _ask(client, statement, instalments: str | None):
    url = f"/billing/statements/{statement.id}"
    data = {"instalments": instalments} if instalments else {}
    return post_form(client, f"{url}/plan", data, page=url)


def _decide(staff, plan, decision: str, note: str = ""):
    return post_form(staff, f"{PLANS}/{plan.id}", {"decision": decision, "note": note},
                     page=PLANS)


def _error_next_to(page: str, field_id: str) -> str:
    """The error shown next to the field `field_id`, or "" when there is none."""
    found = re.search(rf'<p class="field-error" id="{field_id}-error">(.*?)</p>', page, re.S)
    if not found:
        return ""
    return re.sub(r'<span class="visually-hidden">.*?</span>', "", found.group(1)).strip()


def test_a_declined_plan_tells_the_patient_why_and_they_may_ask_again(
        client, staff, patient_user, outbox):
    statement = statement_for(patient_user.patient, "100.00")
    url = f"/billing/statements/{statement.id}"
    login_as(client, patient_user)
    assert _ask(client, statement, "3").status_code == 303
    (plan,) = _plans()
    assert "Waiting for the clinic" in client.get(url).get_data(as_text=True)

    # Staff see the request with a reason field of its own.
    page = staff.get(PLANS).get_data(as_text=True)
    assert f'<label for="plan-{plan.id}-note">' in page and f'id="plan-{plan.id}-note"' in page
    assert "in 3 monthly instalments" in page

    # Declining without a reason is refused next to the field; nothing is saved or sent.
    response = _decide(staff, plan, "decline", "   ")
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert _error_next_to(page, f"plan-{plan.id}-note") == "Say why the plan is declined."
    assert f'href="#plan-{plan.id}-note"' in page and 'aria-invalid="true"' in page
    assert [(p.status, p.decision_note) for p in _plans()] == [("requested", None)]
    assert outbox.messages() == []

    # With a reason the plan is declined; the patient's e-mail says only that there is an answer.
    response = _decide(staff, plan, "decline", REASON)
    assert response.status_code == 303
    assert "The payment plan is declined." in staff.get(PLANS).get_data(as_text=True)
    assert [(p.status, p.decision_note) for p in _plans()] == [("declined", REASON)]
    (mail,) = outbox.to(patient_user.email)
    text = mail["Subject"] + "\n" + mail.get_content()
    assert mail["Subject"] == "The clinic has answered your request for a payment plan"
    assert "http://" in text or "https://" in text
    # (Amounts with their cents: a bare "100" may be in a test patient's name.)
    for secret in ("two hundred", "discount", "100.00", "100,00", "33.3", "33,3",
                   statement.number, "Service 0", "€"):
        assert secret not in text, secret

    # The statement page gives the answer with its reason, and the form to ask again.
    page = client.get(url).get_data(as_text=True)
    assert "You asked to pay in 3 monthly instalments. Declined on" in page
    assert REASON in page
    assert f'action="{url}/plan"' in page and "Ask again for a payment plan" in page

    # A second request is a new plan; the declined one stays for the history.
    assert _ask(client, statement, "6").status_code == 303
    assert [(p.instalments, p.status) for p in _plans()] == [(3, "declined"), (6, "requested")]
    page = client.get(url).get_data(as_text=True)
    assert "You asked to pay in 6 monthly instalments. Waiting for the clinic." in page
    assert "Earlier requests" in page and REASON in page
    assert "Ask again for a payment plan" not in page
    listed = staff.get(PLANS).get_data(as_text=True)
    assert "in 6 monthly instalments" in listed and "in 3 monthly instalments" not in listed


def test_approving_needs_no_reason_and_tells_the_patient_side(
        client, staff, patient_user, outbox):
    carer = parent(display_name="Ben Carer")
    grant(carer, patient_user.patient, ["billing"], status="active", relationship="carer")
    statement = statement_for(patient_user.patient, "100.00")
    login_as(client, patient_user)
    _ask(client, statement, "3")
    (plan,) = _plans()
    assert _decide(staff, plan, "approve").status_code == 303
    assert [(p.status, p.decision_note) for p in _plans()] == [("approved", None)]
    for user in (patient_user, carer):
        (mail,) = outbox.to(user.email)
        assert not any(amount in mail.get_content() for amount in ("€", "100.00", "33.3"))
    assert patient_user.patient.given_name in outbox.last_body(carer.email)
    page = client.get(f"/billing/statements/{statement.id}").get_data(as_text=True)
    assert "Approved" in page and "€33.34" in page and "Reason:" not in page
    assert "Ask again for a payment plan" not in page


def test_a_too_long_reason_is_refused_and_kept_for_mending(client, staff, patient_user, outbox):
    statement = statement_for(patient_user.patient, "100.00")
    login_as(client, patient_user)
    _ask(client, statement, "2")
    (plan,) = _plans()
    response = _decide(staff, plan, "decline", "x" * 1001)
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert _error_next_to(page, f"plan-{plan.id}-note") == (
        "Keep it to 1000 characters or fewer.")
    assert "x" * 1001 in page  # what was typed is there to shorten
    assert [(p.status, p.decision_note) for p in _plans()] == [("requested", None)]
    assert outbox.messages() == []
    assert _decide(staff, plan, "decline", "y" * 1000).status_code == 303
    assert _plans()[0].decision_note == "y" * 1000


def test_each_row_has_its_own_reason_field_and_error(app, client, staff, patient_user):
    other, other_browser = make_user(), app.test_client()
    login_as(client, patient_user)
    _ask(client, statement_for(patient_user.patient, "50.00"), "2")
    login_as(other_browser, other)
    _ask(other_browser, statement_for(other.patient, "80.00"), "4")
    first, second = _plans()
    response = _decide(staff, second, "decline")
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    for plan in (first, second):
        assert page.count(f'id="plan-{plan.id}-note"') == 1
        assert page.count(f'<label for="plan-{plan.id}-note">') == 1
    assert _error_next_to(page, f"plan-{second.id}-note") == "Say why the plan is declined."
    assert _error_next_to(page, f"plan-{first.id}-note") == ""
    assert [p.status for p in _plans()] == ["requested", "requested"]


def test_a_plan_decided_by_a_colleague_is_not_decided_again(client, staff, patient_user,
                                                            outbox):
    statement = statement_for(patient_user.patient, "100.00")
    login_as(client, patient_user)
    _ask(client, statement, "3")
    (plan,) = _plans()
    assert _decide(staff, plan, "decline", REASON).status_code == 303
    assert _decide(staff, plan, "approve").status_code == 303
    assert "This payment plan was already decided." in staff.get(PLANS).get_data(as_text=True)
    assert [(p.status, p.decision_note) for p in _plans()] == [("declined", REASON)]
    assert len(outbox.to(patient_user.email)) == 1


@pytest.mark.parametrize("lang", ["en", "nl", "pl"])
def test_asking_without_a_number_marks_the_field(client, billing_clinic, lang):
    user = make_user(locale=lang)
    statement = statement_for(user.patient, "100.00")
    login_as(client, user)
    response = _ask(client, statement, None)
    page = response.get_data(as_text=True)
    with force_locale(lang):
        message = gettext("Choose how many instalments.")
        problem = gettext("There is a problem")
    assert response.status_code == 422
    assert problem in page and f'<a href="#instalments">{message}</a>' in page
    assert _error_next_to(page, "instalments") == message
    assert _plans() == []


@pytest.fixture
def online(app):
    """Online payment through the development stand-in for the provider."""
    saved = {key: app.config.get(key) for key in ("ENV_NAME", "PAYMENT_PROVIDER")}
    app.config.update(ENV_NAME="development", PAYMENT_PROVIDER="standin")
    yield
    app.config.update(saved)


@pytest.mark.parametrize("lang, shown", [("en", "29.99"), ("nl", "29,99"), ("pl", "29,99")])
def test_the_pay_page_fills_in_the_amount_in_the_readers_notation(
        client, billing_clinic, online, lang, shown):
    user = make_user(locale=lang)
    statement = statement_for(user.patient, "15.00", "14.99")
    login_as(client, user)
    url = f"/billing/pay?statement={statement.id}"
    page = client.get(url).get_data(as_text=True)
    assert f'value="{shown}"' in page
    response = post_form(client, "/billing/pay", {"amount": shown,
                                                  "statement": str(statement.id)}, page=url)
    assert response.status_code == 303
    assert response.headers["Location"].startswith("/dev/checkout/")
    assert [str(p.amount) for p in _db.session.scalars(select(Payment))] == ["29.99"]


def test_two_decisions_at_the_same_instant_leave_the_first(client, clerk, patient_user,
                                                           outbox):
    from sqlalchemy import update
    from sqlalchemy.orm.attributes import set_committed_value

    from portal.billing.plans import decide

    statement = statement_for(patient_user.patient, "100.00")
    login_as(client, patient_user)
    _ask(client, statement, "3")
    (plan,) = _plans()
    # A colleague's approval lands after this clerk's page read the plan as requested.
    _db.session.execute(update(PaymentPlan).where(PaymentPlan.id == plan.id)
                        .values(status="approved").execution_options(
                            synchronize_session=False))
    _db.session.commit()
    set_committed_value(plan, "status", "requested")  # what the clerk's page still believes
    assert decide(plan, clerk, approve=False, note=REASON) is False
    assert [(p.status, p.decision_note) for p in _plans()] == [("approved", None)]
    assert outbox.to(patient_user.email) == []
