"""Forms of the terminology pages: finding an entry, and adding or changing one."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import SearchField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional, Regexp

from portal.forms import PortalForm


class TermSearchForm(FlaskForm):
    class Meta:
        csrf = False  # a GET search changes nothing

    q = SearchField(_l("Code or name"), validators=[Optional(), Length(max=100)])


def _name(label):
    return StringField(label, validators=[DataRequired(_l("Enter a name.")), Length(max=200)])


def _explanation(label):
    return TextAreaField(label, validators=[Optional(), Length(max=600)])


class TermForm(PortalForm):
    """A term's names and explanations; the code system and code when it is new."""

    system = StringField(_l("Code system"), validators=[
        DataRequired(_l("Enter the code system.")), Length(max=200),
        Regexp(r"^\S+$", message=_l("Enter the code system without spaces, e.g. "
                                    "http://loinc.org."))])
    code = StringField(_l("Code"), validators=[
        DataRequired(_l("Enter the code.")), Length(max=64),
        Regexp(r"^\S+$", message=_l("Enter the code without spaces."))])
    name_en = _name(_l("Name in English"))
    name_nl = _name(_l("Name in Dutch"))
    name_pl = _name(_l("Name in Polish"))
    explanation_en = _explanation(_l("What it is, in English"))
    explanation_nl = _explanation(_l("What it is, in Dutch"))
    explanation_pl = _explanation(_l("What it is, in Polish"))
