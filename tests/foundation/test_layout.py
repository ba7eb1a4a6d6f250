"""The shape every area shares (DESIGN.md, "Layout"): one place per area registers what its
templates use, and demo data lives in one package."""

from pathlib import Path

PORTAL = Path(__file__).resolve().parents[2] / "portal"
REGISTERING = ("app_template_filter", "app_template_global", "add_app_template_filter",
               "add_app_template_global", "app_context_processor")

#: What the areas' templates use, by the names the templates call them.
AREA_GLOBALS = {
    "record_args", "record_url", "may_view_record", "may_for", "correction_states",
    "may_ask_correction", "billing_label", "acting_bar", "proxy_for", "unread_count",
    "repeat_prescriptions_offered", "check_in_changes", "check_in_flags", "new_forms_of",
    "builds_forms", "term_name", "term_source", "term_detail", "term_reactions",
    "term_explanation", "term_names_of", "term_detail_text", "term_reactions_text",
}
AREA_FILTERS = {
    "result_value", "usual_range", "unit", "dosage", "period_words", "condition_status",
    "correction_original", "message_text", "form_text", "response_status", "form_status",
    "question_kind", "answer_text", "friendly_name", "term_text",
}


def test_areas_register_template_helpers_only_in_their_init():
    """Registrations scattered over routes modules were hard to find (about twenty once)."""
    scattered = [str(path.relative_to(PORTAL)) for path in PORTAL.glob("*/**/*.py")
                 if path.name != "__init__.py"
                 and any(name in path.read_text() for name in REGISTERING)]
    assert not scattered


def test_every_template_helper_is_registered(app):
    assert AREA_GLOBALS <= set(app.jinja_env.globals)
    assert AREA_FILTERS <= set(app.jinja_env.filters)
    with app.test_request_context():
        context = {}
        for processor in app.template_context_processors[None]:
            context.update(processor())
    assert "relationships" in context


def test_demo_data_lives_in_one_package():
    """No area keeps a demo module of its own; the demo package holds them all."""
    assert not list(PORTAL.glob("*/demo.py"))
    assert not (PORTAL / "demo.py").exists() and not (PORTAL / "demo_records.py").exists()
    assert {"records.py", "family.py", "billing.py"} <= {
        path.name for path in (PORTAL / "demo").glob("*.py")}


#: Area modules that are request glue rather than rules, and may read the signed-in user.
READS_THE_REQUEST = {
    "auth/reauth.py": "a view decorator: asks the signed-in user for their password again",
    "messages/unread.py": "a template global: the menu's unread badge for whoever reads it",
}


def test_the_rules_take_who_acts_as_an_argument():
    """Views (routes*.py) and forms know the signed-in user; an area's rules (services and
    the like) are told who acts (`user`, `as_proxy`), so that they mean the same thing in
    a request, a command and a test."""
    reading = []
    for path in PORTAL.glob("*/**/*.py"):
        name = str(path.relative_to(PORTAL))
        area_module = path.parent != PORTAL and path.parent.name not in ("forms",)
        if (not area_module or path.name.startswith("routes") or path.name in (
                "__init__.py", "forms.py") or name in READS_THE_REQUEST):
            continue
        text = path.read_text()
        if "current_user" in text or "acting_as_proxy" in text:
            reading.append(name)
    assert not reading
