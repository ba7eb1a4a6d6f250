"""What administrators see of the outbox: mails that failed, and putting one back."""

from __future__ import annotations

from sqlalchemy import and_, case, or_, select, update

from portal import audit
from portal.extensions import db
from portal.mail.models import DEAD, PENDING, SENDING, OutgoingMail
from portal.models import User
from portal.paging import Page, paginate
from portal.types import utcnow


def problem_mails(page: int | None = None) -> Page:
    """Mails given up on, then mails waiting to be tried again; newest first, one page."""
    failing = or_(OutgoingMail.status == DEAD,
                  and_(OutgoingMail.status.in_((PENDING, SENDING)), OutgoingMail.attempts > 0))
    given_up_first = case((OutgoingMail.status == DEAD, 0), else_=1)
    return paginate(select(OutgoingMail).where(failing)
                    .order_by(given_up_first, OutgoingMail.created_at.desc(),
                              OutgoingMail.id.desc()), page)


def send_again(mail_id: int, by: User) -> bool:
    """Put a mail that was given up on back in the outbox, due now; False if there is none."""
    changed = db.session.execute(
        update(OutgoingMail).where(OutgoingMail.id == mail_id, OutgoingMail.status == DEAD)
        .values(status=PENDING, attempts=0, next_attempt_at=utcnow(), claim_token=None)
        .execution_options(synchronize_session=False))
    if changed.rowcount != 1:
        db.session.rollback()
        return False
    audit.record(audit.Action.MAIL_SENT_AGAIN, actor=by, target=f"mail:{mail_id}")
    db.session.commit()
    return True
