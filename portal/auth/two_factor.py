"""Second factors: authenticator codes (TOTP), e-mail codes and recovery codes.

TOTP follows RFC 6238 through pyotp: six digits, 30-second steps. The code of the current
step is accepted, and that of the step before it (a phone clock a little behind, or a code
typed just as it changed), never a code of a step still to come. Each code is accepted
once: the step of the last accepted code is stored, and a code from that step or an older
one is refused, so a code seen over someone's shoulder cannot be used again.
"""

from __future__ import annotations

import secrets
import time
from datetime import timedelta

import pyotp
import segno
from flask import current_app
from sqlalchemy import select, update

from portal import audit
from portal.auth.models import EmailCode, RecoveryCode
from portal.extensions import db
from portal.mail import send_mail
from portal.models import User
from portal.security import hash_password, verify_password
from portal.types import utcnow

STEP = 30
DIGITS = 6
#: Steps back from the current one whose code is still accepted; steps ahead: none.
DRIFT_STEPS = 1
RECOVERY_CODES = 10
EMAIL_CODE_MINUTES = 10
EMAIL_CODE_TRIES = 5
#: Recovery codes: 10 characters from the same easy-to-read alphabet as invitations.
RECOVERY_ALPHABET = "ACDEFGHJKMNPQRTUVWXY34679"


def new_totp_secret() -> str:
    return pyotp.random_base32(32)


def totp_uri(user: User, secret: str) -> str:
    """The otpauth:// address an authenticator app reads from the QR code."""
    issuer = current_app.config.get("TOTP_ISSUER") or "Patient portal"
    return pyotp.TOTP(secret, digits=DIGITS, interval=STEP).provisioning_uri(
        name=user.username, issuer_name=issuer)


def qr_svg(uri: str) -> str:
    """The QR code as inline SVG markup (no image file, no script)."""
    return segno.make(uri, error="m").svg_inline(scale=4, dark="#000", light="#fff",
                                                 omitsize=False)


def grouped_secret(secret: str) -> str:
    """The key in groups of four for typing into an app by hand."""
    return " ".join(secret[i:i + 4] for i in range(0, len(secret), 4))


def matching_step(secret: str, code: str, at: float | None = None) -> int | None:
    """The time step whose code equals `code`: the current step or up to DRIFT_STEPS before it.

    A code of a future step is refused: it would mean a clock running ahead, or a code
    generated in advance by someone who has the key.
    """
    code = "".join(ch for ch in code if ch.isdigit())
    if len(code) != DIGITS:
        return None
    totp = pyotp.TOTP(secret, digits=DIGITS, interval=STEP)
    now = time.time() if at is None else at
    current = int(now // STEP)
    for step in range(current, max(current - DRIFT_STEPS - 1, -1), -1):
        if secrets.compare_digest(totp.at(step * STEP), code):
            return step
    return None


def check_totp(user: User, code: str, at: float | None = None) -> bool:
    """Accept an authenticator code once; a replayed or older code is refused and logged."""
    if not user.totp_secret:
        return False
    step = matching_step(user.totp_secret, code, at)
    if step is None:
        return False
    if user.totp_last_step is not None and step <= user.totp_last_step:
        audit.record(audit.Action.SECOND_FACTOR, patient=user.patient_id, actor=user,
                     outcome="replayed", target=None, commit=True)
        raise CodeAlreadyUsed()
    # Claim the step in one statement, so two requests with the same code cannot both win.
    claimed = db.session.execute(
        update(User).where(User.id == user.id)
        .where((User.totp_last_step.is_(None)) | (User.totp_last_step < step))
        .values(totp_last_step=step)
    ).rowcount
    db.session.commit()
    if not claimed:
        raise CodeAlreadyUsed()
    db.session.refresh(user)
    return True


class CodeAlreadyUsed(Exception):
    """The code was right but has been used before."""


def enable_totp(user: User, secret: str, code: str) -> bool:
    """Switch the authenticator on, but only after a correct code from the new key."""
    step = matching_step(secret, code)
    if step is None:
        return False
    user.totp_secret = secret
    user.totp_last_step = step
    user.second_factor = "totp"
    audit.record(audit.Action.SECOND_FACTOR_ENABLED, patient=user.patient_id, actor=user,
                 target="method:totp")
    return True


def new_recovery_codes(user: User) -> list[str]:
    """Replace the user's recovery codes with ten new ones; the plain codes are shown once."""
    db.session.execute(update(RecoveryCode).where(RecoveryCode.user_id == user.id,
                                                  RecoveryCode.used_at.is_(None))
                       .values(used_at=utcnow()))
    codes = ["".join(secrets.choice(RECOVERY_ALPHABET) for _ in range(10))
             for _ in range(RECOVERY_CODES)]
    for code in codes:
        db.session.add(RecoveryCode(user_id=user.id, code_hash=hash_password(code)))
    audit.record(audit.Action.RECOVERY_CODES_CREATED,
                 patient=user.patient_id, actor=user, target=None)
    return [f"{c[:5]}-{c[5:]}" for c in codes]


def use_recovery_code(user: User, code: str) -> bool:
    """Accept one unused recovery code, once."""
    cleaned = "".join(ch for ch in code.upper() if ch.isalnum())
    if len(cleaned) != 10:
        return False
    for stored in db.session.scalars(select(RecoveryCode).where(
            RecoveryCode.user_id == user.id, RecoveryCode.used_at.is_(None))):
        if verify_password(stored.code_hash, cleaned):
            if not _mark_used(RecoveryCode, stored.id):
                return False  # a simultaneous request used it first
            audit.record(audit.Action.RECOVERY_CODE_USED, patient=user.patient_id, actor=user,
                         target=None)
            db.session.commit()
            return True
    return False


def _mark_used(model, row_id: int) -> bool:
    """Mark a one-time code used in one statement; False when another request already did."""
    return db.session.execute(
        update(model).where(model.id == row_id, model.used_at.is_(None))
        .values(used_at=utcnow())
    ).rowcount == 1


def remaining_recovery_codes(user: User) -> int:
    return len(list(db.session.scalars(select(RecoveryCode.id).where(
        RecoveryCode.user_id == user.id, RecoveryCode.used_at.is_(None)))))


def send_email_code(user: User) -> None:
    """E-mail a fresh six-digit code (10 minutes, 5 tries); older unused codes stop working."""
    db.session.execute(update(EmailCode).where(EmailCode.user_id == user.id,
                                               EmailCode.used_at.is_(None))
                       .values(used_at=utcnow()))
    code = f"{secrets.randbelow(10 ** DIGITS):0{DIGITS}d}"
    db.session.add(EmailCode(user_id=user.id, code_hash=hash_password(code),
                             expires_at=utcnow() + timedelta(minutes=EMAIL_CODE_MINUTES)))
    audit.record(audit.Action.EMAIL_CODE_SENT, patient=user.patient_id, actor=user, target=None)
    send_mail(user.email, "email_code", user.locale, user=user, code=code,
              minutes=EMAIL_CODE_MINUTES)
    db.session.commit()


def check_email_code(user: User, code: str) -> bool:
    """Accept the latest e-mailed code once, within its time and tries."""
    record = db.session.scalar(
        select(EmailCode).where(EmailCode.user_id == user.id, EmailCode.used_at.is_(None))
        .order_by(EmailCode.id.desc()).limit(1))
    if record is None or record.expires_at <= utcnow() or record.attempts >= EMAIL_CODE_TRIES:
        return False
    # Take one of the tries in the database before checking, so that guesses sent to
    # several workers at once cannot together go past the limit.
    tried = db.session.execute(
        update(EmailCode).where(EmailCode.id == record.id, EmailCode.used_at.is_(None),
                                EmailCode.attempts < EMAIL_CODE_TRIES)
        .values(attempts=EmailCode.attempts + 1)
    ).rowcount
    db.session.commit()
    if not tried:
        return False
    cleaned = "".join(ch for ch in code if ch.isdigit())
    if verify_password(record.code_hash, cleaned):
        used = _mark_used(EmailCode, record.id)
        db.session.commit()
        return used
    return False
