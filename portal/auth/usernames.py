"""Usernames: what they may look like, whether one is free, and a suggestion for a patient."""

from __future__ import annotations

import re
import unicodedata

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select
from wtforms.validators import ValidationError

from portal.extensions import db
from portal.models import Patient, User

MIN_LENGTH = 3
MAX_LENGTH = 80
#: ASCII only: sign-in compares usernames case-insensitively, and SQLite lowercases ASCII only.
PATTERN = re.compile(r"[A-Za-z0-9._-]+")
#: Letters no Unicode decomposition turns into a plain one.
PLAIN_LETTERS = str.maketrans({"ł": "l", "Ł": "L", "ø": "o", "Ø": "O", "đ": "d", "Đ": "D",
                               "æ": "ae", "Æ": "AE", "œ": "oe", "Œ": "OE", "ß": "ss",
                               "ı": "i"})


#: What a patient ID looks like (P-100001, F-000001, AB123456): a username never does, so
#: that what someone types at sign-in can only ever mean one account.
PATIENT_ID_LIKE = re.compile(r"[A-Za-z]{1,3}[-_.]?\d{3,}")


def username_problem(username: str) -> str | None:
    """Why `username` cannot be used, in the reader's language, or None if it can."""
    if not (MIN_LENGTH <= len(username) <= MAX_LENGTH) or not PATTERN.fullmatch(username):
        return str(_l("Use 3 to 80 characters: letters (a to z), digits, dots, dashes or "
                      "underscores, without spaces."))
    if PATIENT_ID_LIKE.fullmatch(username) or is_patient_number(username):
        return str(_l("A username may not look like a patient ID. Choose another one."))
    if is_taken(username):
        return str(_l("This username is already taken. Choose another one."))
    return None


def is_taken(username: str) -> bool:
    """Whether any account uses `username`, whatever the case of its letters."""
    return db.session.scalar(
        select(User.id).where(func.lower(User.username) == username.lower()).limit(1)
    ) is not None


def is_patient_number(text: str) -> bool:
    """Whether some patient has `text` as patient ID, whatever the case of its letters."""
    return db.session.scalar(
        select(Patient.id).where(func.upper(Patient.patient_number) == text.upper()).limit(1)
    ) is not None


def plain(text: str) -> str:
    """`text` without accents, e.g. 'Wiśniewska' -> 'Wisniewska', 'Łódź' -> 'Lodz'."""
    decomposed = unicodedata.normalize("NFKD", text.translate(PLAIN_LETTERS))
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def suggest_username(patient: Patient) -> str:
    """A free username built from the patient's name, e.g. 'zofia.wisniewska2'."""
    base = re.sub(r"[^a-z0-9.]+", "", plain(f"{patient.given_name}.{patient.family_name}")
                  .lower().replace(" ", "")).strip(".")[:MAX_LENGTH - 4] or "patient"
    if len(base) < MIN_LENGTH:
        base = f"{base}.patient"
    taken = {name.lower() for name in db.session.scalars(
        select(User.username).where(func.lower(User.username).like(f"{base}%")))}
    candidate, n = base, 1
    while candidate in taken:
        n += 1
        candidate = f"{base}{n}"
    return candidate


class AvailableUsername:
    """WTForms validator: the username has the right form and nobody has it yet."""

    def __call__(self, form, field):
        problem = username_problem((field.data or "").strip())
        if problem:
            raise ValidationError(problem)


def email_taken(address: str, except_user: User | None = None) -> bool:
    """Whether another account already uses `address` (e-mail addresses are unique)."""
    stmt = select(User.id).where(func.lower(User.email) == address.strip().lower())
    if except_user is not None and except_user.id is not None:
        stmt = stmt.where(User.id != except_user.id)
    return db.session.scalar(stmt.limit(1)) is not None
