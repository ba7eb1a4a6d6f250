"""What makes a password acceptable: length and not being easy to guess.

Following current guidance: at least 8 characters, up to at least 64 allowed, no rules
about character classes, a check against passwords known from breaches (`breached`:
a shipped list, and optionally a range API) and one against guessable passwords (zxcvbn,
which knows common passwords, names, keyboard patterns and dates).
"""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from wtforms.validators import ValidationError
from zxcvbn import zxcvbn

from portal.auth.breached import is_breached

MIN_LENGTH = 8
MAX_LENGTH = 128
#: zxcvbn scores 0 (guessed at once) to 4; 3 means "safely unguessable" online.
MIN_SCORE = 3


def password_problem(password: str, personal: list[str] | None = None) -> str | None:
    """Why `password` is not acceptable, in the reader's language, or None if it is."""
    if len(password) < MIN_LENGTH:
        return ngettext("Use at least %(num)d character.", "Use at least %(num)d characters.",
                        MIN_LENGTH)
    if len(password) > MAX_LENGTH:
        return ngettext("Use at most %(num)d character.", "Use at most %(num)d characters.",
                        MAX_LENGTH)
    if is_breached(password):
        return str(_l("This password is on lists of passwords that have leaked from other "
                      "websites, so it is among the first that attackers try. Choose another "
                      "one, for example a few unrelated words together."))
    words = [w for w in (personal or []) if w]
    if zxcvbn(password[:100], user_inputs=words)["score"] < MIN_SCORE:
        return str(_l("This password is too easy to guess. Try a few unrelated words "
                      "together, such as a short sentence only you would think of."))
    return None


class StrongPassword:
    """WTForms validator: the password must pass `password_problem`.

    `personal` is a callable giving words the password should not be built from (the
    person's name, username, date of birth).
    """

    def __init__(self, personal=None):
        self.personal = personal

    def __call__(self, form, field):
        personal = self.personal(form) if self.personal else []
        problem = password_problem(field.data or "", personal)
        if problem:
            raise ValidationError(problem)
