"""Templates' `_()` and plurals: the catalog is found once per request, never a stale one."""

from flask import render_template_string
from flask_babel import force_locale

PAGE = ('{{ _("Sign out") }}|'
        '{{ ngettext("%(num)d document", "%(num)d documents", n) }}')


def test_templates_follow_the_request_and_a_forced_language(app, clinic):
    with app.test_request_context("/", headers={"Accept-Language": "nl"}):
        assert render_template_string(PAGE, n=1) == "Uitloggen|1 document"
        with force_locale("pl"):
            assert render_template_string(PAGE, n=5) == "Wyloguj się|5 dokumentów"
            assert render_template_string(PAGE, n=2) == "Wyloguj się|2 dokumenty"
        assert render_template_string(PAGE, n=3) == "Uitloggen|3 documenten"
        with force_locale("en"):
            assert render_template_string(PAGE, n=1) == "Sign out|1 document"


def test_commands_outside_a_request_render_in_the_language_they_force(app, clinic):
    """How `flask portal send-reminders` writes a patient's mail: no request, a language."""
    with app.app_context(), force_locale("nl"):
        assert render_template_string(PAGE, n=2) == "Uitloggen|2 documenten"


def test_a_pages_bound_catalog_escapes_fills_in_and_reads_percent_signs_as_before(app, clinic):
    """The page's own `_()` (bound once per render) behaves as Jinja's new-style one."""
    page = ('{{ _("Hello, %(name)s", name=who) }}|{{ _("You can zoom in to 200%% without '
            'losing any content.") }}|{{ ngettext("%(num)d new", "%(num)d new", 22) }}')
    with app.test_request_context("/", headers={"Accept-Language": "pl"}):
        bound = render_template_string(page, who="<b>Ala</b>")
        installed = app.jinja_env.from_string(page).render(who="<b>Ala</b>")
    assert bound == installed  # the installed one, with no context processor
    assert "&lt;b&gt;Ala&lt;/b&gt;" in bound and "<b>" not in bound
    assert "200%" in bound and "%%" not in bound



def test_a_text_written_once_per_catalog_stays_in_its_language(app, clinic):
    """`_()` without values is written once per catalog and kept: the same text read in
    another language is not given the kept one, and "%%" still reads "%"."""
    page = '{{ _("Sign out") }}|{{ _("You can zoom in to 200%% without losing any content.") }}'
    for _ in range(2):  # the second round reads what the first one kept
        for language, signed_out in (("nl", "Uitloggen"), ("pl", "Wyloguj się"),
                                     ("en", "Sign out")):
            with app.test_request_context("/"), force_locale(language):
                shown = render_template_string(page)
            assert shown.startswith(f"{signed_out}|"), shown
            assert "200%" in shown and "%%" not in shown


def test_a_cancelled_payment_and_a_cancelled_appointment_have_their_own_dutch_words(app, clinic):
    from portal.appointments.referrals import status_name
    from portal.billing.labels import PAYMENT_STATES

    with app.test_request_context("/"), force_locale("nl"):
        appointment = render_template_string('{{ _("Cancelled") }}')
        assert (str(PAYMENT_STATES["canceled"]), appointment) == ("Geannuleerd", "Afgezegd")
        assert status_name("cancelled") == "Geannuleerd"
    with app.test_request_context("/"), force_locale("en"):
        assert str(PAYMENT_STATES["canceled"]) == status_name("cancelled") == "Cancelled"
