"""The clinic's side of messaging: one inbox with a queue per team, and each thread.

A member of staff sees the threads of their teams; an administrator sees all. A thread
of another team is a 404 with an audit line, like a thread that does not exist.
"""

from flask import flash, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from portal.access import Permission, find_or_refuse
from portal.audit import Action
from portal.files import send_stored_file, upload_limit_mb
from portal.messages import bp, services, teams
from portal.messages.forms import AssignForm, NoteForm, ReplyForm
from portal.paging import page_number
from portal.pipeline import STAFF, area_view, audit_target, shown
from portal.rendering import redirect_after_post, render
from portal.types import utcnow

#: Every staff role answers messages, each in their own teams.
INBOX_ROLES = ("admin", "clinician", "front_desk", "billing")
VIEWS = ("open", "mine", "done")


def staff_messages(audit: Action | None = None, target: str | None = None):
    """A page of the staff inbox (any staff role, the area switched on)."""
    return area_view(side=STAFF, roles=INBOX_ROLES, feature="messages", audit=audit,
                     target=target)


def _thread(thread_id: int):
    """The thread, if it is in one of the user's teams; else 404 and an audit line."""
    found = find_or_refuse(lambda _none, row_id: services.thread_for_staff(current_user, row_id),
                           thread_id, None, Permission.MESSAGES, name="thread")
    shown([found.patient_id])
    return found


@bp.get("/staff/messages")
@staff_messages(Action.MESSAGES_LISTED)
def staff_inbox():
    """The queues of the user's teams: waiting threads first, with how long they have waited."""
    team_ids = teams.team_ids_of(current_user)
    visible = [t for t in teams.all_teams() if team_ids is None or t.id in team_ids]
    team_id = request.args.get("team", type=int)
    chosen = {team_id} if any(t.id == team_id for t in visible) else team_ids
    view = request.args.get("view") if request.args.get("view") in VIEWS else "open"
    threads = services.queue(chosen, view, current_user, page_number())
    shown(thread.patient_id for thread in threads.items)
    audit_target(f"staff-inbox:{view}")
    return render("messages/staff_inbox.html", "queue", threads=threads, teams=visible,
                  team_id=team_id if chosen != team_ids else None, view=view, now=utcnow())


def _assign_choices(form: AssignForm, team_id: int | None) -> AssignForm:
    """Every team to move the thread to, and the members of the chosen one."""
    all_teams = teams.all_teams()
    form.team.choices = [(t.id, teams.in_language(t.names)) for t in all_teams]
    chosen = next((t for t in all_teams if t.id == team_id), None)
    form.assignee.choices = [(0, _("Nobody yet"))] + [
        (user.id, user.display_name) for user in (chosen.members if chosen else [])]
    return form


def _page(thread, status: int = 200, **forms):
    messages = services.thread_messages(thread, request.args.get("page", type=int),
                                        with_notes=True)
    assign = forms.get("assign_form") or _assign_choices(
        AssignForm(team=thread.team_id, assignee=thread.assigned_to_id or 0), thread.team_id)
    return render("messages/staff_thread.html", "conversation", status=status, thread=thread,
                  patient=thread.patient, messages=messages, assign_form=assign,
                  form=forms.get("form") or ReplyForm(),
                  note_form=forms.get("note_form") or NoteForm(),
                  limit_mb=upload_limit_mb(), now=utcnow())


@bp.get("/staff/messages/<int:thread_id>")
@staff_messages(Action.MESSAGE_READ, "thread:{thread_id}")
def staff_thread(thread_id: int):
    """One thread with its internal notes, and the forms to answer and deal with it."""
    found = _thread(thread_id)
    response = _page(found)
    services.mark_read(found, current_user)
    return response


@bp.post("/staff/messages/<int:thread_id>")
@staff_messages()
def staff_reply(thread_id: int):
    """Answer the patient; they get an e-mail that something is waiting (no content)."""
    found = _thread(thread_id)
    form = ReplyForm()
    if not form.validate_on_submit():
        return _page(found, 422, form=form)
    services.reply(found, current_user, form.body.data, form.attachment.data)
    flash(_("Your reply is sent to the patient."), "success")
    return redirect_after_post(url_for("messages.staff_thread", thread_id=found.id))


@bp.post("/staff/messages/<int:thread_id>/note")
@staff_messages()
def staff_note(thread_id: int):
    """Add an internal note: colleagues see it, the patient never does."""
    found = _thread(thread_id)
    form = NoteForm()
    if not form.validate_on_submit():
        return _page(found, 422, note_form=form)
    services.add_note(found, current_user, form.note.data)
    flash(_("The note is added. The patient does not see it."), "success")
    return redirect_after_post(url_for("messages.staff_thread", thread_id=found.id))


@bp.post("/staff/messages/<int:thread_id>/assign")
@staff_messages()
def staff_assign(thread_id: int):
    """Move the thread to another team's queue, or give it to a member of its team."""
    found = _thread(thread_id)
    form = AssignForm()
    _assign_choices(form, form.team.data)
    if not form.validate_on_submit():
        return _page(found, 422, assign_form=form)
    services.assign(found, current_user, form.team.data, form.assignee.data or None)
    flash(_("The conversation is assigned."), "success")
    if not teams.works_in(current_user, found.team_id):
        return redirect_after_post(url_for("messages.staff_inbox"))
    return redirect_after_post(url_for("messages.staff_thread", thread_id=found.id))


@bp.post("/staff/messages/<int:thread_id>/done")
@staff_messages()
def staff_done(thread_id: int):
    """Mark the thread dealt with (it leaves the waiting queue), or open it again."""
    found = _thread(thread_id)
    done = request.form.get("done") == "1"
    services.set_done(found, current_user, done)
    flash(_("The conversation is marked as done.") if done
          else _("The conversation is open again."), "success")
    return redirect_after_post(url_for("messages.staff_inbox"))


@bp.get("/staff/messages/<int:thread_id>/files/<int:attachment_id>")
@staff_messages(Action.ATTACHMENT_DOWNLOADED, "attachment:{attachment_id}")
def staff_attachment(thread_id: int, attachment_id: int):
    """A file sent in the thread, as a download."""
    found = _thread(thread_id)
    file = find_or_refuse(lambda _patient, file_id: services.find_attachment(
        found, file_id, with_notes=True), attachment_id, found.patient, Permission.MESSAGES,
        name="attachment")
    return send_stored_file(file.file)
