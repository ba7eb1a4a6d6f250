"""Rules for the public pages."""

from flask_login import current_user

from portal.extensions import db


def remember_language(code: str) -> None:
    """Store the chosen language on the signed-in account, so e-mails use it too."""
    if current_user.is_authenticated and current_user.locale != code:
        current_user.locale = code
        db.session.commit()
