"""The patient's side of messaging: the inbox, writing, a thread, replying, archiving.

Everything here acts for the patient the session acts for (`patient_for`), so a person
acting for someone else reads and writes only as their access allows.
"""

from flask import current_app, flash, get_template_attribute, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from markupsafe import Markup

from portal.access import Permission, find_or_refuse
from portal.audit import Action
from portal.files import send_stored_file, upload_limit_mb
from portal.i18n import format_locale, locale_str
from portal.messages import bp, services, teams
from portal.messages.forms import ComposeForm, ReplyForm
from portal.paging import page_number
from portal.pipeline import area_view
from portal.rendering import redirect_after_post, render


def messages_view(audit: Action | None = None, target: str | None = None):
    """A page of the patient's messages (the area switched on, the messages permission)."""
    return area_view(feature="messages", permission=Permission.MESSAGES, audit=audit,
                     target=target)


@bp.get("/messages")
@messages_view(Action.MESSAGES_LISTED, "inbox")
def inbox(patient):
    """The patient's threads, newest first; archived ones on their own page."""
    archived = request.args.get("archived") == "1"
    threads = services.patient_threads(patient, archived, page_number())
    return render("messages/inbox.html", "threads", patient=patient, threads=threads,
                  archived=archived)


def _with_topics(form: ComposeForm) -> ComposeForm:
    """The topics patients choose from: one per team that takes messages."""
    form.topic.choices = [(team.id, teams.in_language(team.topics) or teams.in_language(
        team.names)) for team in teams.active_teams()]
    return form


def _compose_page(patient, form, status: int = 200):
    return render("messages/compose.html", status=status, patient=patient, form=form,
                  limit_mb=upload_limit_mb())


@bp.route("/messages/new", methods=["GET", "POST"])
@messages_view()
def compose(patient):
    """Write to the clinic: choose a topic (which routes to a team), subject and message."""
    form = _with_topics(ComposeForm())
    if request.method == "POST" and form.validate_on_submit():
        thread = services.start_thread(patient, current_user, form.topic.data,
                                       form.subject.data, form.body.data, form.attachment.data)
        flash(_("Your message is sent. We answer within the time shown on the page."),
              "success")
        return redirect_after_post(url_for("messages.thread", thread_id=thread.id))
    return _compose_page(patient, form, 422 if form.errors else 200)


#: The reply form's fields as a blank form shows them, per language and upload limit:
#: labels, hints and inputs, nothing of anyone's. WTForms writes them in some 0.4 ms, the
#: largest part of the thread page's own rendering; a blank form's are written once.
_BLANK_REPLY_FIELDS: dict[tuple, Markup] = {}


def _reply_fields(form: ReplyForm, limit_mb: float) -> Markup | None:
    """The fields of a blank reply form, written once per language and limit; None for a
    form with something in it (sent back with its errors, or what was typed before a
    timeout, restored): that one is written with the page."""
    blank = not (form.is_submitted() or form.restored or form.errors
                 or form.body.data or form.attachment.data)
    if not blank or current_app.jinja_env.auto_reload:
        return None
    key = (locale_str(), format_locale(), limit_mb)
    fields = _BLANK_REPLY_FIELDS.get(key)
    if fields is None:
        write = get_template_attribute("messages/_messages.html", "reply_fields")
        fields = _BLANK_REPLY_FIELDS[key] = Markup(write(form, limit_mb))
    return fields


def _thread_page(patient, thread, form, status: int = 200):
    page = services.thread_messages(thread, request.args.get("page", type=int),
                                    with_notes=False)
    limit_mb = upload_limit_mb()
    return render("messages/thread.html", "conversation", status=status, patient=patient,
                  thread=thread, messages=page, form=form, limit_mb=limit_mb,
                  reply_fields=_reply_fields(form, limit_mb))


@bp.get("/messages/<int:thread_id>")
@messages_view(Action.MESSAGE_READ, "thread:{thread_id}")
def thread(patient, thread_id: int):
    """One thread, oldest message first (the latest page unless another is asked for)."""
    found = find_or_refuse(services.thread_of, thread_id, patient, Permission.MESSAGES,
                           name="thread")
    # Read before the page is written: the menu's badge on this very page counts it read.
    services.mark_read(found, current_user)
    return _thread_page(patient, found, ReplyForm())


@bp.post("/messages/<int:thread_id>")
@messages_view()
def reply(patient, thread_id: int):
    """Send a reply in the thread; with a mistake, the page again with what was typed."""
    found = find_or_refuse(services.thread_of, thread_id, patient, Permission.MESSAGES,
                           name="thread")
    form = ReplyForm()
    if not form.validate_on_submit():
        return _thread_page(patient, found, form, 422)
    services.reply(found, current_user, form.body.data, form.attachment.data)
    flash(_("Your reply is sent."), "success")
    return redirect_after_post(url_for("messages.thread", thread_id=found.id))


@bp.post("/messages/<int:thread_id>/archive")
@messages_view()
def archive(patient, thread_id: int):
    """Move the thread to the archive, or back to the inbox."""
    found = find_or_refuse(services.thread_of, thread_id, patient, Permission.MESSAGES,
                           name="thread")
    archived = request.form.get("archived") == "1"
    services.set_archived(found, current_user, archived)
    flash(_("The conversation is moved to the archive.") if archived
          else _("The conversation is back in your inbox."), "success")
    return redirect_after_post(url_for("messages.inbox"))


@bp.get("/messages/<int:thread_id>/files/<int:attachment_id>")
@messages_view(Action.ATTACHMENT_DOWNLOADED, "attachment:{attachment_id}")
def attachment(patient, thread_id: int, attachment_id: int):
    """A file sent in the thread, as a download."""
    found = find_or_refuse(services.thread_of, thread_id, patient, Permission.MESSAGES,
                           name="thread")
    file = find_or_refuse(lambda _patient, file_id: services.find_attachment(
        found, file_id, with_notes=False), attachment_id, patient, Permission.MESSAGES,
        name="attachment")
    return send_stored_file(file.file)
