"""Patient-friendly names and explanations of coded items, and the staff pages to edit them."""

from flask import Blueprint

bp = Blueprint("terminology", __name__, url_prefix="/staff/terms")

from portal.terminology import display, models, routes_staff  # noqa: E402,F401

# What templates use, registered here only.
bp.add_app_template_global(display.term_name, "term_name")
bp.add_app_template_global(display.term_source, "term_source")
bp.add_app_template_global(display.term_detail, "term_detail")
bp.add_app_template_global(display.term_reactions, "term_reactions")
bp.add_app_template_global(display.term_explanation, "term_explanation")
bp.add_app_template_global(display.term_names_of, "term_names_of")
bp.add_app_template_filter(display.friendly_name, "friendly_name")
bp.add_app_template_filter(display.term_text, "term_text")
bp.add_app_template_global(display.term_detail_text, "term_detail_text")
bp.add_app_template_global(display.term_reactions_text, "term_reactions_text")
