"""The patient's side of messaging: the inbox, writing, a thread, replying, archiving.

Everything here acts for the patient the session acts for (`patient_for`), so a person
acting for someone else reads and writes only as their access allows.
"""

from flask import flash, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from portal import audit
from portal.access import Permission, patient_for, patient_required, refuse
from portal.clinic import feature_required
from portal.files import send_stored_file, upload_limit
from portal.messages import bp, services, teams
from portal.messages.forms import ComposeForm, ReplyForm
from portal.rendering import redirect_after_post, render


def _patient():
    return patient_for(Permission.MESSAGES)


def _own_thread(patient, thread_id: int):
    """The patient's thread `thread_id`; anyone else's is a 404 with an audit line."""
    thread = services.find_thread(thread_id, patient)
    if thread is None:
        refuse(Permission.MESSAGES, patient, target=f"thread:{thread_id}")
    return thread


@bp.get("/messages")
@patient_required
@feature_required("messages")
def inbox():
    """The patient's threads, newest first; archived ones on their own page."""
    patient = _patient()
    archived = request.args.get("archived") == "1"
    threads = services.patient_threads(patient, archived, request.args.get("page", 1, type=int))
    response = render("messages/inbox.html", "threads", patient=patient, threads=threads,
                      archived=archived)
    audit.record(audit.Action.MESSAGES_LISTED, patient=patient, target="inbox", commit=True)
    return response


def _with_topics(form: ComposeForm) -> ComposeForm:
    """The topics patients choose from: one per team that takes messages."""
    form.topic.choices = [(team.id, teams.in_language(team.topics) or teams.in_language(
        team.names)) for team in teams.active_teams()]
    return form


def _compose_page(patient, form, status: int = 200):
    return render("messages/compose.html", status=status, patient=patient, form=form,
                  limit_mb=upload_limit() / (1024 * 1024))


@bp.route("/messages/new", methods=["GET", "POST"])
@patient_required
@feature_required("messages")
def compose():
    """Write to the clinic: choose a topic (which routes to a team), subject and message."""
    patient = _patient()
    form = _with_topics(ComposeForm())
    if request.method == "POST" and form.validate_on_submit():
        thread = services.start_thread(patient, current_user, form.topic.data,
                                       form.subject.data, form.body.data, form.attachment.data)
        flash(_("Your message is sent. We answer within the time shown on the page."),
              "success")
        return redirect_after_post(url_for("messages.thread", thread_id=thread.id))
    return _compose_page(patient, form, 422 if form.errors else 200)


def _thread_page(patient, thread, form, status: int = 200):
    page = services.thread_messages(thread, request.args.get("page", type=int),
                                    with_notes=False)
    return render("messages/thread.html", "conversation", status=status, patient=patient,
                  thread=thread, messages=page, form=form,
                  limit_mb=upload_limit() / (1024 * 1024))


@bp.get("/messages/<int:thread_id>")
@patient_required
@feature_required("messages")
def thread(thread_id: int):
    """One thread, oldest message first (the latest page unless another is asked for)."""
    patient = _patient()
    found = _own_thread(patient, thread_id)
    response = _thread_page(patient, found, ReplyForm())
    services.mark_read(found, current_user)
    return response


@bp.post("/messages/<int:thread_id>")
@patient_required
@feature_required("messages")
def reply(thread_id: int):
    """Send a reply in the thread; with a mistake, the page again with what was typed."""
    patient = _patient()
    found = _own_thread(patient, thread_id)
    form = ReplyForm()
    if not form.validate_on_submit():
        return _thread_page(patient, found, form, 422)
    services.reply(found, current_user, form.body.data, form.attachment.data)
    flash(_("Your reply is sent."), "success")
    return redirect_after_post(url_for("messages.thread", thread_id=found.id))


@bp.post("/messages/<int:thread_id>/archive")
@patient_required
@feature_required("messages")
def archive(thread_id: int):
    """Move the thread to the archive, or back to the inbox."""
    patient = _patient()
    found = _own_thread(patient, thread_id)
    archived = request.form.get("archived") == "1"
    services.set_archived(found, current_user, archived)
    flash(_("The conversation is moved to the archive.") if archived
          else _("The conversation is back in your inbox."), "success")
    return redirect_after_post(url_for("messages.inbox"))


@bp.get("/messages/<int:thread_id>/files/<int:attachment_id>")
@patient_required
@feature_required("messages")
def attachment(thread_id: int, attachment_id: int):
    """A file sent in the thread, as a download."""
    patient = _patient()
    found = _own_thread(patient, thread_id)
    file = services.find_attachment(found, attachment_id, with_notes=False)
    if file is None:
        refuse(Permission.MESSAGES, patient, target=f"attachment:{attachment_id}")
    response = send_stored_file(file.file)
    audit.record(audit.Action.ATTACHMENT_DOWNLOADED,
                 patient=patient, target=f"attachment:{file.id}",
                 commit=True)
    return response
