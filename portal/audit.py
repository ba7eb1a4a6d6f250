"""The one way to record who did what to whose record, when and from where.

Every action is a member of `Action`, the one list of what the audit trail can say; each
has a translated label, so that the patient's "Who looked at your record" page and the
clinic's audit views word a line the same way.
"""

from __future__ import annotations

from enum import StrEnum

from flask import has_request_context, request
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import event, insert
from sqlalchemy.orm import Session

from portal.extensions import db
from portal.models import AuditEvent, AuditTrailIsAppendOnly, Patient, User
from portal.types import utcnow


class Action(StrEnum):
    """Everything the audit trail records. The values are stored; never rename one."""

    # -- getting in and the account --
    ACTIVATION = "activation"
    ACCOUNT_ACTIVATED = "account-activated"
    SIGN_IN = "sign-in"
    SIGN_OUT = "sign-out"
    SECOND_FACTOR = "second-factor"
    SECOND_FACTOR_ENABLED = "second-factor-enabled"
    SECOND_FACTOR_DISABLED = "second-factor-disabled"
    SECOND_FACTOR_RESET = "second-factor-reset"
    RECOVERY_CODES_CREATED = "recovery-codes-created"
    RECOVERY_CODE_USED = "recovery-code-used"
    EMAIL_CODE_SENT = "email-code-sent"
    LOCKOUT = "lockout"
    UNLOCK = "unlock"
    PASSWORD_CHANGED = "password-changed"
    PASSWORD_RESET = "password-reset"
    PASSWORD_RESET_REQUESTED = "password-reset-requested"
    USERNAME_REMINDER_SENT = "username-reminder-sent"
    VERIFICATION_SENT = "verification-sent"
    EMAIL_VERIFIED = "email-verified"
    EMAIL_CHANGE_REQUESTED = "email-change-requested"
    CONTACT_DETAILS_CHANGED = "contact-details-changed"
    CONTACT_DETAILS_VIEWED = "contact-details-viewed"
    SESSIONS_ENDED = "sessions-ended"
    REAUTHENTICATED = "reauthenticated"
    # -- staff work on accounts --
    INVITATION_SENT = "invitation-sent"
    INVITATION_RESENT = "invitation-resent"
    INVITATION_CANCELLED = "invitation-cancelled"
    TEMPORARY_PASSWORD_GIVEN = "temporary-password-given"
    ACCOUNT_ENABLED = "account-enabled"
    ACCOUNT_DISABLED = "account-disabled"
    STAFF_ACCOUNT_CREATED = "staff-account-created"
    PATIENT_PAGE_VIEWED = "patient-page-viewed"
    PATIENT_LISTED = "patient-listed"
    AUDIT_VIEWED = "audit-viewed"
    CLINIC_SETTINGS_CHANGED = "clinic-settings-changed"
    BACKUP_RESTORED = "backup-restored"
    MAIL_SENT_AGAIN = "mail-sent-again"
    # -- the record --
    RECORD_VIEWED = "record-viewed"
    RECORD_DOWNLOADED = "record-downloaded"
    RECORD_IMPORTED = "record-imported"
    DOCUMENT_ADDED = "document-added"
    DOCUMENT_DOWNLOADED = "document-downloaded"
    RESULTS_RELEASED = "results-released"
    CONFIDENTIAL_SET = "confidential-set"
    CONFIDENTIAL_CLEARED = "confidential-cleared"
    CONFIDENTIAL_LISTED = "confidential-listed"
    ACTIVITY_VIEWED = "activity-viewed"
    CORRECTION_REQUESTED = "correction-requested"
    CORRECTION_VIEWED = "correction-viewed"
    CORRECTION_ACCEPTED = "correction-accepted"
    CORRECTION_DECLINED = "correction-declined"
    # -- messages and repeat prescriptions --
    MESSAGES_LISTED = "messages-listed"
    MESSAGE_READ = "message-read"
    MESSAGE_SENT = "message-sent"
    MESSAGE_NOTE = "message-note"
    MESSAGE_ASSIGNED = "message-assigned"
    MESSAGE_DONE = "message-done"
    MESSAGE_REOPENED = "message-reopened"
    MESSAGE_ARCHIVED = "message-archived"
    MESSAGE_UNARCHIVED = "message-unarchived"
    ATTACHMENT_DOWNLOADED = "attachment-downloaded"
    TEAM_SAVED = "team-saved"
    REPEATS_LISTED = "repeats-listed"
    REPEAT_VIEWED = "repeat-viewed"
    REPEAT_REQUESTED = "repeat-requested"
    REPEAT_APPROVED = "repeat-approved"
    REPEAT_DECLINED = "repeat-declined"
    # -- appointments, check-in and referrals --
    APPOINTMENTS_VIEWED = "appointments-viewed"
    APPOINTMENT_VIEWED = "appointment-viewed"
    APPOINTMENT_BOOKED = "appointment-booked"
    APPOINTMENT_CANCELLED = "appointment-cancelled"
    APPOINTMENT_RESCHEDULED = "appointment-rescheduled"
    APPOINTMENT_CALENDAR_DOWNLOADED = "appointment-calendar-downloaded"
    APPOINTMENT_CHECKED_IN = "appointment-checked-in"
    APPOINTMENTS_DAY_VIEWED = "appointments-day-viewed"
    CHECK_IN_VIEWED = "check-in-viewed"
    APPOINTMENT_SETTINGS_SAVED = "appointment-settings-saved"
    APPOINTMENT_SLOTS_OPENED = "appointment-slots-opened"
    APPOINTMENT_TYPE_SAVED = "appointment-type-saved"
    CLINIC_DAY_CLOSED = "clinic-day-closed"
    REFERRALS_VIEWED = "referrals-viewed"
    REFERRAL_ADDED = "referral-added"
    REFERRAL_UPDATED = "referral-updated"
    # -- forms --
    FORMS_LISTED = "forms-listed"
    FORM_VIEWED = "form-viewed"
    FORM_REQUESTED = "form-requested"
    FORM_SAVED = "form-saved"
    FORM_SENT = "form-sent"
    FORMS_RECEIVED_LISTED = "forms-received-listed"
    FORM_HANDLED = "form-handled"
    QUESTIONNAIRE_SAVED = "questionnaire-saved"
    QUESTIONNAIRE_COPIED = "questionnaire-copied"
    QUESTIONNAIRE_ATTACHED = "questionnaire-attached"
    QUESTIONNAIRE_IMPORTED = "questionnaire-imported"
    QUESTIONNAIRE_ACTIVE = "questionnaire-active"
    QUESTIONNAIRE_RETIRED = "questionnaire-retired"
    # -- billing and insurance --
    BILLING_VIEWED = "billing-viewed"
    BILLING_SETTINGS_CHANGED = "billing-settings-changed"
    STATEMENT_POSTED = "statement-posted"
    PAYMENT_STARTED = "payment-started"
    PAYMENT_RECORDED = "payment-recorded"
    PAYMENT_REFUNDED = "payment-refunded"
    PAYMENT_PAID = "payment-paid"
    PAYMENT_FAILED = "payment-failed"
    PAYMENT_CANCELED = "payment-canceled"
    PAYMENT_EXPIRED = "payment-expired"
    PAYMENT_OPEN = "payment-open"
    PAYMENT_PENDING = "payment-pending"
    PLAN_REQUESTED = "plan-requested"
    PLAN_APPROVED = "plan-approved"
    PLAN_DECLINED = "plan-declined"
    COVERAGE_CHANGED = "coverage-changed"
    COVERAGE_REVIEWED = "coverage-reviewed"
    COVERAGE_CARD_DOWNLOADED = "coverage-card-downloaded"
    # -- family and proxy access --
    FAMILY_VIEWED = "family-viewed"
    PROXY_REQUESTED = "proxy-requested"
    PROXY_APPROVED = "proxy-approved"
    PROXY_DECLINED = "proxy-declined"
    PROXY_CONSENT = "proxy-consent"
    PROXY_INVITED = "proxy-invited"
    PROXY_ACCEPTED = "proxy-accepted"
    PROXY_REVOKED = "proxy-revoked"
    PROXY_ENDED = "proxy-ended"
    PROXY_NEEDS_CONSENT = "proxy-needs-consent"
    PROXY_SWITCHED = "proxy-switched"
    PROXY_DOCUMENT_DOWNLOADED = "proxy-document-downloaded"
    # -- refusals: the permission that was missing --
    DENIED_RECORDS = "denied:records"
    DENIED_MESSAGES = "denied:messages"
    DENIED_APPOINTMENTS = "denied:appointments"
    DENIED_BILLING = "denied:billing"
    DENIED_ACCOUNT = "denied:account"
    DENIED_DOCUMENTS = "denied:documents"
    DENIED_STAFF = "denied:staff"

    @classmethod
    def denied(cls, permission: str) -> Action:
        """The refusal for a missing `permission` (an access.Permission or "staff")."""
        return cls(f"denied:{permission}")

    @property
    def label(self) -> str:
        """What was done, in the reader's language."""
        return str(LABELS[self])


LABELS = {
    Action.ACTIVATION: _l("Tried to activate the account"),
    Action.ACCOUNT_ACTIVATED: _l("Activated the account"),
    Action.SIGN_IN: _l("Signed in"),
    Action.SIGN_OUT: _l("Signed out"),
    Action.SECOND_FACTOR: _l("Entered a sign-in code"),
    Action.SECOND_FACTOR_ENABLED: _l("Set up a second sign-in step"),
    Action.SECOND_FACTOR_DISABLED: _l("Turned off the second sign-in step"),
    Action.SECOND_FACTOR_RESET: _l("Reset the second sign-in step"),
    Action.RECOVERY_CODES_CREATED: _l("Made new recovery codes"),
    Action.RECOVERY_CODE_USED: _l("Used a recovery code"),
    Action.EMAIL_CODE_SENT: _l("Sent a sign-in code by e-mail"),
    Action.LOCKOUT: _l("The account was locked after wrong attempts"),
    Action.UNLOCK: _l("Unlocked the account"),
    Action.PASSWORD_CHANGED: _l("Changed the password"),
    Action.PASSWORD_RESET: _l("Chose a new password with a reset link"),
    Action.PASSWORD_RESET_REQUESTED: _l("Asked for a password reset link"),
    Action.USERNAME_REMINDER_SENT: _l("Asked for a username reminder"),
    Action.VERIFICATION_SENT: _l("Sent an e-mail address check"),
    Action.EMAIL_VERIFIED: _l("Confirmed the e-mail address"),
    Action.EMAIL_CHANGE_REQUESTED: _l("Asked to change the e-mail address"),
    Action.CONTACT_DETAILS_CHANGED: _l("Changed the contact details"),
    Action.CONTACT_DETAILS_VIEWED: _l("Looked at the contact details"),
    Action.SESSIONS_ENDED: _l("Signed out other devices"),
    Action.REAUTHENTICATED: _l("Entered the password again"),
    Action.INVITATION_SENT: _l("Sent an invitation to the portal"),
    Action.INVITATION_RESENT: _l("Sent the invitation to the portal again"),
    Action.INVITATION_CANCELLED: _l("Cancelled the invitation to the portal"),
    Action.TEMPORARY_PASSWORD_GIVEN: _l("Gave a temporary password"),
    Action.ACCOUNT_ENABLED: _l("Switched the account on"),
    Action.ACCOUNT_DISABLED: _l("Switched the account off"),
    Action.STAFF_ACCOUNT_CREATED: _l("Created a staff account"),
    Action.PATIENT_PAGE_VIEWED: _l("Looked at the patient's page"),
    Action.PATIENT_LISTED: _l("Saw the patient in a list"),
    Action.AUDIT_VIEWED: _l("Looked at the audit trail"),
    Action.CLINIC_SETTINGS_CHANGED: _l("Changed the clinic's settings"),
    Action.BACKUP_RESTORED: _l("Restored a backup"),
    Action.MAIL_SENT_AGAIN: _l("Put an e-mail that could not be sent back in the outbox"),
    Action.RECORD_VIEWED: _l("Looked at the record"),
    Action.RECORD_DOWNLOADED: _l("Downloaded the record"),
    Action.RECORD_IMPORTED: _l("Updated the record from the clinic's system"),
    Action.DOCUMENT_ADDED: _l("Added a document to the record"),
    Action.DOCUMENT_DOWNLOADED: _l("Downloaded a document"),
    Action.RESULTS_RELEASED: _l("Released results, so that you can see them"),
    Action.CONFIDENTIAL_SET: _l("Marked an item confidential"),
    Action.CONFIDENTIAL_CLEARED: _l("Ended the confidential mark of an item"),
    Action.CONFIDENTIAL_LISTED: _l("Looked at the confidential items"),
    Action.ACTIVITY_VIEWED: _l("Looked at who used the record"),
    Action.CORRECTION_REQUESTED: _l("Asked the clinic to correct the record"),
    Action.CORRECTION_VIEWED: _l("Looked at a request to correct the record"),
    Action.CORRECTION_ACCEPTED: _l("Corrected the record after a request"),
    Action.CORRECTION_DECLINED: _l("Declined a request to correct the record"),
    Action.MESSAGES_LISTED: _l("Looked at the list of conversations"),
    Action.MESSAGE_READ: _l("Read a conversation with the clinic"),
    Action.MESSAGE_SENT: _l("Sent a message"),
    Action.MESSAGE_NOTE: _l("Added an internal note to a conversation"),
    Action.MESSAGE_ASSIGNED: _l("Passed a conversation on"),
    Action.MESSAGE_DONE: _l("Marked a conversation done"),
    Action.MESSAGE_REOPENED: _l("Reopened a conversation"),
    Action.MESSAGE_ARCHIVED: _l("Archived a conversation"),
    Action.MESSAGE_UNARCHIVED: _l("Took a conversation out of the archive"),
    Action.ATTACHMENT_DOWNLOADED: _l("Downloaded a file sent with a message"),
    Action.TEAM_SAVED: _l("Saved a team"),
    Action.REPEATS_LISTED: _l("Looked at repeat prescription requests"),
    Action.REPEAT_VIEWED: _l("Looked at a repeat prescription request"),
    Action.REPEAT_REQUESTED: _l("Asked for a repeat prescription"),
    Action.REPEAT_APPROVED: _l("Approved a repeat prescription"),
    Action.REPEAT_DECLINED: _l("Declined a repeat prescription"),
    Action.APPOINTMENTS_VIEWED: _l("Looked at the appointments"),
    Action.APPOINTMENT_VIEWED: _l("Looked at an appointment"),
    Action.APPOINTMENT_BOOKED: _l("Booked an appointment"),
    Action.APPOINTMENT_CANCELLED: _l("Cancelled an appointment"),
    Action.APPOINTMENT_RESCHEDULED: _l("Moved an appointment"),
    Action.APPOINTMENT_CALENDAR_DOWNLOADED: _l("Downloaded an appointment's calendar file"),
    Action.APPOINTMENT_CHECKED_IN: _l("Checked in for an appointment"),
    Action.APPOINTMENTS_DAY_VIEWED: _l("Looked at a day's appointments"),
    Action.CHECK_IN_VIEWED: _l("Looked at a check-in"),
    Action.APPOINTMENT_SETTINGS_SAVED: _l("Changed the appointment settings"),
    Action.APPOINTMENT_SLOTS_OPENED: _l("Opened appointment times"),
    Action.APPOINTMENT_TYPE_SAVED: _l("Saved a kind of appointment"),
    Action.CLINIC_DAY_CLOSED: _l("Closed a day for appointments"),
    Action.REFERRALS_VIEWED: _l("Looked at the referrals"),
    Action.REFERRAL_ADDED: _l("Added a referral"),
    Action.REFERRAL_UPDATED: _l("Changed a referral"),
    Action.FORMS_LISTED: _l("Looked at the list of forms"),
    Action.FORM_VIEWED: _l("Looked at a form's answers"),
    Action.FORM_REQUESTED: _l("Asked for a form to be filled in"),
    Action.FORM_SAVED: _l("Saved a form to finish later"),
    Action.FORM_SENT: _l("Sent a form to the clinic"),
    Action.FORMS_RECEIVED_LISTED: _l("Looked at the list of forms patients sent"),
    Action.FORM_HANDLED: _l("Marked a sent form as dealt with"),
    Action.QUESTIONNAIRE_SAVED: _l("Saved a form's questions"),
    Action.QUESTIONNAIRE_COPIED: _l("Copied a form"),
    Action.QUESTIONNAIRE_ATTACHED: _l("Attached a form to a kind of appointment"),
    Action.QUESTIONNAIRE_IMPORTED: _l("Imported a form"),
    Action.QUESTIONNAIRE_ACTIVE: _l("Put a form in use"),
    Action.QUESTIONNAIRE_RETIRED: _l("Stopped giving a form to patients"),
    Action.BILLING_VIEWED: _l("Looked at bills and payments"),
    Action.BILLING_SETTINGS_CHANGED: _l("Changed the billing settings"),
    Action.STATEMENT_POSTED: _l("Posted a statement"),
    Action.PAYMENT_STARTED: _l("Started an online payment"),
    Action.PAYMENT_RECORDED: _l("Recorded a payment"),
    Action.PAYMENT_REFUNDED: _l("Refunded a payment"),
    Action.PAYMENT_PAID: _l("An online payment was paid"),
    Action.PAYMENT_FAILED: _l("An online payment failed"),
    Action.PAYMENT_CANCELED: _l("An online payment was cancelled"),
    Action.PAYMENT_EXPIRED: _l("An online payment expired"),
    Action.PAYMENT_OPEN: _l("An online payment is waiting"),
    Action.PAYMENT_PENDING: _l("An online payment is being processed"),
    Action.PLAN_REQUESTED: _l("Asked for a payment plan"),
    Action.PLAN_APPROVED: _l("Approved a payment plan"),
    Action.PLAN_DECLINED: _l("Declined a payment plan"),
    Action.COVERAGE_CHANGED: _l("Changed the insurance details"),
    Action.COVERAGE_REVIEWED: _l("Checked the insurance details"),
    Action.COVERAGE_CARD_DOWNLOADED: _l("Opened the photo of the insurance card"),
    Action.FAMILY_VIEWED: _l("Looked at who may act for whom"),
    Action.PROXY_REQUESTED: _l("Asked for access to act for someone"),
    Action.PROXY_APPROVED: _l("Gave someone access to act for you"),
    Action.PROXY_DECLINED: _l("Declined a request for access"),
    Action.PROXY_CONSENT: _l("Agreed to someone acting for you"),
    Action.PROXY_INVITED: _l("Invited someone to act for you"),
    Action.PROXY_ACCEPTED: _l("Accepted your invitation to act for you"),
    Action.PROXY_REVOKED: _l("Ended someone's access to act for you"),
    Action.PROXY_ENDED: _l("Ended someone's access to act for you, as the clinic's rules require"),
    Action.PROXY_NEEDS_CONSENT: _l("Access to act for you now waits for your agreement"),
    Action.PROXY_SWITCHED: _l("Switched whose record is open"),
    Action.PROXY_DOCUMENT_DOWNLOADED: _l("Opened a document sent with a request for access"),
    Action.DENIED_RECORDS: _l("Tried to open the record and was refused"),
    Action.DENIED_MESSAGES: _l("Tried to open a conversation and was refused"),
    Action.DENIED_APPOINTMENTS: _l("Tried to open an appointment and was refused"),
    Action.DENIED_BILLING: _l("Tried to open bills and was refused"),
    Action.DENIED_ACCOUNT: _l("Tried to change the account and was refused"),
    Action.DENIED_DOCUMENTS: _l("Tried to add a document and was refused"),
    Action.DENIED_STAFF: _l("Tried to open a staff page and was refused"),
}

#: Reads of a patient's data: the lines "Who looked at your record" is made of, next to
#: the changes others made (below). Each view through `pipeline.area_view` writes one.
READS = frozenset({
    Action.RECORD_VIEWED, Action.RECORD_DOWNLOADED, Action.DOCUMENT_DOWNLOADED,
    Action.CONFIDENTIAL_LISTED, Action.ACTIVITY_VIEWED, Action.CONTACT_DETAILS_VIEWED,
    Action.PATIENT_PAGE_VIEWED,
    Action.PATIENT_LISTED, Action.MESSAGES_LISTED, Action.MESSAGE_READ,
    Action.ATTACHMENT_DOWNLOADED, Action.REPEATS_LISTED, Action.REPEAT_VIEWED,
    Action.APPOINTMENTS_VIEWED, Action.APPOINTMENT_VIEWED,
    Action.APPOINTMENT_CALENDAR_DOWNLOADED, Action.APPOINTMENTS_DAY_VIEWED,
    Action.CHECK_IN_VIEWED, Action.REFERRALS_VIEWED, Action.FORMS_LISTED, Action.FORM_VIEWED,
    Action.FORMS_RECEIVED_LISTED,
    Action.BILLING_VIEWED, Action.COVERAGE_CARD_DOWNLOADED, Action.FAMILY_VIEWED,
    Action.PROXY_DOCUMENT_DOWNLOADED, Action.AUDIT_VIEWED, Action.CORRECTION_VIEWED,
})
#: Changes to the record by others that the patient's activity page shows.
RECORD_CHANGES = frozenset({
    Action.DOCUMENT_ADDED, Action.RESULTS_RELEASED, Action.RECORD_IMPORTED,
    Action.PROXY_APPROVED, Action.PROXY_ACCEPTED, Action.PROXY_REVOKED, Action.PROXY_ENDED,
    Action.CORRECTION_ACCEPTED, Action.CORRECTION_DECLINED,
})


def record(
    action: Action | str,
    *,
    patient: Patient | int | None = None,
    outcome: str = "success",
    target: str | None = None,
    actor: User | None = None,
    commit: bool = False,
) -> AuditEvent:
    """Add an audit event to the session; commit at once when `commit` is true.

    Callers that change data record the event and commit once with their change, so the
    change and its audit line land together or not at all. Reads and refusals pass
    `commit=True` because nothing else is pending. An action outside `Action` is a
    programming error (ValueError), so the list stays the one place actions are named.
    """
    patient_id = patient.id if isinstance(patient, Patient) else patient
    event = AuditEvent(**_line(action, patient_id, outcome, target, actor))
    db.session.add(event)
    if commit:
        db.session.commit()
    return event


def record_reads(action: Action | str, patient_ids, target: str | None = None) -> None:
    """Add one line per patient for a read that showed their data, in one statement
    (a list of twenty patients costs one INSERT, like a page of one), and commit."""
    rows = [_line(action, patient_id, "success", target, None) for patient_id in patient_ids]
    if rows:
        # Core, on the session's own connection and transaction: the ORM's bulk machinery
        # has nothing to add to rows that are never loaded back (a third of this call).
        db.session.connection().execute(_INSERT_LINES, rows)
    db.session.commit()


#: Built once: the statement every read's audit lines are written with.
_INSERT_LINES = insert(AuditEvent.__table__)


def _line(action, patient_id, outcome, target, actor) -> dict:
    """The columns of one audit line; who, from where and when come from the request."""
    action = Action(action)
    if actor is None and has_request_context() and current_user.is_authenticated:
        actor = current_user._get_current_object()
    line = {"action": action.value, "outcome": outcome, "patient_id": patient_id,
            "actor_id": actor.id if actor is not None else None,
            "target": target if target is not None else _current_target(),
            "occurred_at": utcnow(), "remote_addr": None, "user_agent": None}
    if has_request_context():
        line["remote_addr"] = request.remote_addr
        line["user_agent"] = (request.user_agent.string or "")[:200] or None
    return line


def _current_target() -> str | None:
    if not has_request_context():
        return None
    return f"{request.method} {request.path}"


def install_guards() -> None:
    """Refuse every change or deletion of an audit line, row by row and in bulk.

    Called from `create_app`; listening is idempotent, so several apps in one process
    (tests, the benchmark's floor) share one guard.
    """
    for name in ("before_update", "before_delete"):
        if not event.contains(AuditEvent, name, _refuse_audit_change):
            event.listen(AuditEvent, name, _refuse_audit_change)
    if not event.contains(Session, "do_orm_execute", _refuse_bulk_audit_change):
        event.listen(Session, "do_orm_execute", _refuse_bulk_audit_change)


def _refuse_audit_change(mapper, connection, target):
    raise AuditTrailIsAppendOnly("audit events cannot be changed or deleted")


def _refuse_bulk_audit_change(state):
    """The same guard for `update(AuditEvent)` / `delete(AuditEvent)` run through a session,
    which skip the per-row events above."""
    table = getattr(state.statement, "table", None)
    if (state.is_update or state.is_delete) and getattr(table, "name", None) == "audit_events":
        raise AuditTrailIsAppendOnly("audit events cannot be changed or deleted")
