"""Staff work through one inbox: a queue per team, replies, notes, assignment, done."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from portal.extensions import db
from portal.messages.models import NOTE, Thread
from portal.models import AuditEvent
from portal.types import utcnow
from tests.conftest import login_as, make_user, post_form
from tests.messages.helpers import messages_of, send, threads


@pytest.fixture
def patient_user(app, teams):
    return make_user(display_name="Piet Patient")


def _patient_writes(app, user, team, subject, body="Hello"):
    client = app.test_client()
    login_as(client, user)
    send(client, team, subject, body)
    return client, db.session.scalar(select(Thread).where(Thread.subject == subject))


def test_staff_see_only_their_teams_threads_and_admin_sees_all(app, client, teams, doctor,
                                                               desk, patient_user):
    _, for_doctors = _patient_writes(app, patient_user, teams["doctors"], "Rash on my arm")
    _, for_desk = _patient_writes(app, patient_user, teams["desk"], "New address")
    login_as(client, doctor)
    inbox = client.get("/staff/messages").get_data(as_text=True)
    assert "Rash on my arm" in inbox and "New address" not in inbox
    response = client.get(f"/staff/messages/{for_desk.id}")
    assert response.status_code == 404
    assert db.session.scalar(select(AuditEvent).where(
        AuditEvent.actor_id == doctor.id, AuditEvent.outcome == "denied",
        AuditEvent.target == f"thread:{for_desk.id}"))

    admin = app.test_client()
    login_as(admin, make_user(role="admin"))
    everything = admin.get("/staff/messages").get_data(as_text=True)
    assert "Rash on my arm" in everything and "New address" in everything
    assert admin.get(f"/staff/messages/{for_desk.id}").status_code == 200


def test_the_inbox_shows_how_long_a_thread_has_waited(client, teams, doctor, app,
                                                      patient_user):
    _, thread = _patient_writes(app, patient_user, teams["doctors"], "Old question")
    thread.waiting_since = utcnow() - timedelta(days=3, hours=2)
    db.session.commit()
    login_as(client, doctor)
    assert "3 days" in client.get("/staff/messages").get_data(as_text=True)


def test_a_reply_reaches_the_patient_with_an_email_that_says_nothing_more(
        app, client, teams, doctor, patient_user, outbox):
    patient_client, thread = _patient_writes(app, patient_user, teams["doctors"],
                                             "Blood sugar worry", "My glucose was 9.1")
    login_as(client, doctor)
    response = post_form(client, f"/staff/messages/{thread.id}",
                         {"body": "Your HbA1c is fine, see https://example.org/sugar"},
                         page=f"/staff/messages/{thread.id}", content_type="multipart/form-data")
    assert response.status_code == 303
    db.session.refresh(thread)
    assert thread.waiting_since is None and thread.unread_by_patient
    assert thread.assigned_to_id == doctor.id

    mail = outbox.last_body(patient_user.email)
    assert outbox.to(patient_user.email)[-1]["Subject"] == "You have a new message in the portal"
    for secret in ("Blood sugar", "glucose", "HbA1c", "9.1", "Dr Vos"):
        assert secret not in mail
    assert "/messages" in mail

    home = patient_client.get("/home").get_data(as_text=True)
    assert "1 new" in home
    page = patient_client.get(f"/messages/{thread.id}").get_data(as_text=True)
    assert 'href="https://example.org/sugar" rel="noopener noreferrer nofollow"' in page
    # The page that reads the answer already counts it read in the menu's badge.
    assert "1 new" not in page and '<span id="unread-count"' in page
    db.session.refresh(thread)
    assert not thread.unread_by_patient
    assert "1 new" not in patient_client.get("/home").get_data(as_text=True)


def test_no_email_when_the_patient_turned_message_emails_off(app, client, teams, doctor,
                                                             patient_user, outbox):
    patient_user.notifications = {"messages": False}
    db.session.commit()
    _, thread = _patient_writes(app, patient_user, teams["doctors"], "Quiet please")
    login_as(client, doctor)
    post_form(client, f"/staff/messages/{thread.id}", {"body": "Answer"},
              page=f"/staff/messages/{thread.id}", content_type="multipart/form-data")
    assert outbox.to(patient_user.email) == []
    assert [m.body for m in messages_of(thread)][-1] == "Answer"


def test_internal_notes_never_reach_the_patient(app, client, teams, doctor, patient_user):
    patient_client, thread = _patient_writes(app, patient_user, teams["doctors"], "Pain")
    login_as(client, doctor)
    post_form(client, f"/staff/messages/{thread.id}/note", {"note": "Call him tomorrow"},
              page=f"/staff/messages/{thread.id}")
    assert [m.kind for m in messages_of(thread)][-1] == NOTE
    assert "Call him tomorrow" in client.get(f"/staff/messages/{thread.id}").get_data(
        as_text=True)
    assert "Call him tomorrow" not in patient_client.get(f"/messages/{thread.id}").get_data(
        as_text=True)
    db.session.refresh(thread)
    assert thread.waiting_since is not None, "a note is not an answer"


def test_assign_to_another_team_and_a_member(app, client, teams, doctor, desk, patient_user):
    _, thread = _patient_writes(app, patient_user, teams["doctors"], "Sick note for work")
    login_as(client, doctor)
    wrong = post_form(client, f"/staff/messages/{thread.id}/assign",
                      {"team": str(teams["desk"].id), "assignee": str(doctor.id)},
                      page=f"/staff/messages/{thread.id}")
    assert wrong.status_code == 422
    assert "Choose a member of the chosen team" in wrong.get_data(as_text=True)
    db.session.refresh(thread)
    assert thread.team_id == teams["doctors"].id

    moved = post_form(client, f"/staff/messages/{thread.id}/assign",
                      {"team": str(teams["desk"].id), "assignee": str(desk.id)},
                      page=f"/staff/messages/{thread.id}")
    assert moved.status_code == 303 and moved.headers["Location"] == "/staff/messages"
    db.session.refresh(thread)
    assert (thread.team_id, thread.assigned_to_id) == (teams["desk"].id, desk.id)
    assert client.get(f"/staff/messages/{thread.id}").status_code == 404


def test_done_leaves_the_queue_and_a_new_patient_message_opens_it_again(
        app, client, teams, doctor, patient_user):
    patient_client, thread = _patient_writes(app, patient_user, teams["doctors"], "Thanks")
    login_as(client, doctor)
    post_form(client, f"/staff/messages/{thread.id}/done", {"done": "1"},
              page=f"/staff/messages/{thread.id}")
    assert "Thanks" not in client.get("/staff/messages").get_data(as_text=True)
    assert "Thanks" in client.get("/staff/messages?view=done").get_data(as_text=True)
    post_form(patient_client, f"/messages/{thread.id}", {"body": "One more thing"},
              page=f"/messages/{thread.id}", content_type="multipart/form-data")
    db.session.refresh(thread)
    assert thread.status == "open" and thread.waiting_since is not None
    assert "Thanks" in client.get("/staff/messages").get_data(as_text=True)


def test_staff_unread_count_counts_waiting_threads_of_their_teams(app, client, teams, doctor,
                                                                  patient_user):
    _patient_writes(app, patient_user, teams["doctors"], "One")
    _patient_writes(app, patient_user, teams["doctors"], "Two")
    _patient_writes(app, patient_user, teams["desk"], "Not mine")
    login_as(client, doctor)
    assert "2 new" in client.get("/staff/patients").get_data(as_text=True)


@pytest.mark.parametrize("role", ["patient"])
def test_patients_cannot_reach_the_staff_inbox(client, teams, role):
    login_as(client, make_user(role=role))
    assert client.get("/staff/messages").status_code == 404
    assert client.get("/staff/teams").status_code == 404


def test_only_admin_manages_teams(app, client, teams, doctor, desk):
    login_as(client, doctor)
    assert client.get("/staff/teams").status_code == 404
    admin = app.test_client()
    login_as(admin, make_user(role="admin"))
    response = post_form(admin, "/staff/teams/new", {"name_en": "", "topic_en": "",
                                                    "position": "x"})
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "Enter the team&#39;s name in English." in page or \
        "Enter the team's name in English." in page
    response = post_form(admin, "/staff/teams/new", {
        "name_en": "Nurses", "name_nl": "Verpleging", "topic_en": "Wound care",
        "position": "3", "active": "y", "members": [str(desk.id)]})
    assert response.status_code == 303
    from portal.messages.models import Team
    team = db.session.scalar(select(Team).where(Team.position == 3))
    assert team.names == {"en": "Nurses", "nl": "Verpleging"}
    assert [m.id for m in team.members] == [desk.id]
    assert threads() == []


def test_the_patient_sees_that_staff_read_the_conversation(app, client, teams, doctor,
                                                           patient_user):
    patient_client, thread = _patient_writes(app, patient_user, teams["doctors"], "Seen?")
    login_as(client, doctor)
    client.get(f"/staff/messages/{thread.id}")
    activity = patient_client.get("/record/activity").get_data(as_text=True)
    assert "Read a conversation with the clinic" in activity and "Dr Vos" in activity
