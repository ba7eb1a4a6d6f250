"""The patient writes to the clinic, reads answers, replies and archives."""

from __future__ import annotations

from sqlalchemy import select

from portal.extensions import db
from portal.messages.models import AUTO_REPLY, Thread
from portal.models import AuditEvent
from tests.conftest import login_as, make_patient, make_user, post_form
from tests.messages.helpers import messages_of, send, threads


def test_compose_says_it_is_not_for_emergencies_and_when_we_answer(client, teams, clinic):
    login_as(client, make_user())
    page = client.get("/messages/new").get_data(as_text=True)
    assert "Messages are not for emergencies. In an emergency, call 112." in page
    assert "We answer messages within 2 working days." in page
    assert "A question for my doctor" in page and "Appointments and letters" in page


def test_a_message_goes_to_the_team_of_its_topic(client, teams):
    user = make_user()
    login_as(client, user)
    response = send(client, teams["desk"], "Letter for work", "Could you write a letter?")
    assert response.status_code == 303
    thread = threads()[0]
    assert (thread.team_id, thread.patient_id, thread.subject) == (
        teams["desk"].id, user.patient_id, "Letter for work")
    assert thread.waiting_since is not None and thread.unread_by_staff
    assert [m.body for m in messages_of(thread)] == ["Could you write a letter?"]
    assert response.headers["Location"] == f"/messages/{thread.id}"
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Could you write a letter?" in page and "With: Front desk" in page
    assert db.session.scalar(select(AuditEvent).where(AuditEvent.action == "message-sent",
                                                      AuditEvent.patient_id == user.patient_id))


def test_mistakes_are_shown_next_to_the_fields_and_what_was_typed_is_kept(client, teams):
    login_as(client, make_user())
    response = post_form(client, "/messages/new", {"subject": "", "body": "My words stay"},
                         content_type="multipart/form-data")
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "Choose what your message is about." in page
    assert "Enter a subject, for example" in page
    assert "My words stay" in page
    assert 'aria-invalid="true"' in page
    assert threads() == []


def test_someone_elses_thread_is_a_404_with_an_audit_line(client, teams):
    other = make_user()
    login_as(client, other)
    send(client, teams["doctors"], "Private", "Only mine")
    thread = threads()[0]
    client.post("/sign-out", data={})
    intruder = make_user()
    client2 = client.application.test_client()
    login_as(client2, intruder)
    for url in (f"/messages/{thread.id}", f"/messages/{thread.id}/files/1"):
        response = client2.get(url)
        assert response.status_code == 404
        assert "Only mine" not in response.get_data(as_text=True)
    response = post_form(client2, f"/messages/{thread.id}", {"body": "sneaky"},
                         page="/messages/new")
    assert response.status_code == 404
    assert len(messages_of(thread)) == 1
    denied = db.session.scalars(select(AuditEvent).where(AuditEvent.actor_id == intruder.id,
                                                         AuditEvent.outcome == "denied")).all()
    assert len(denied) == 3 and all(e.target == f"thread:{thread.id}" for e in denied)


def test_reply_archive_and_back(client, teams):
    login_as(client, make_user())
    send(client, teams["doctors"], "Knee", "My knee hurts")
    thread = threads()[0]
    response = post_form(client, f"/messages/{thread.id}", {"body": ""},
                         page=f"/messages/{thread.id}", content_type="multipart/form-data")
    assert response.status_code == 422 and "Enter your reply." in response.get_data(as_text=True)
    post_form(client, f"/messages/{thread.id}", {"body": "It is better now"},
              page=f"/messages/{thread.id}", content_type="multipart/form-data")
    assert [m.body for m in messages_of(thread)] == ["My knee hurts", "It is better now"]

    post_form(client, f"/messages/{thread.id}/archive", {"archived": "1"},
              page=f"/messages/{thread.id}")
    assert "Knee" not in client.get("/messages").get_data(as_text=True)
    assert "Knee" in client.get("/messages?archived=1").get_data(as_text=True)
    post_form(client, f"/messages/{thread.id}/archive", {"archived": "0"},
              page=f"/messages/{thread.id}")
    assert "Knee" in client.get("/messages").get_data(as_text=True)


def test_the_reply_form_shows_what_was_typed_before_a_timeout(client, teams):
    """The blank reply form's fields are written once; a restored form's are its own."""
    login_as(client, make_user())
    send(client, teams["doctors"], "Knee", "My knee hurts")
    thread = threads()[0]
    blank = client.get(f"/messages/{thread.id}").get_data(as_text=True)
    assert 'id="body"' in blank and "My words &lt;kept&gt;" not in blank
    with client.session_transaction() as session:
        session["stashed_form"] = {"path": f"/messages/{thread.id}",
                                   "data": [["body", "My words <kept>"]]}
    page = client.get(f"/messages/{thread.id}").get_data(as_text=True)
    assert "My words &lt;kept&gt;</textarea>" in page
    assert "My words &lt;kept&gt;" not in client.get(f"/messages/{thread.id}").get_data(
        as_text=True)


def test_outside_opening_hours_an_automatic_answer_follows(client, teams, clinic):
    clinic.opening_hours = {}
    db.session.commit()
    login_as(client, make_user())
    send(client, teams["doctors"], "At night", "Written at night")
    thread = threads()[0]
    assert [m.kind for m in messages_of(thread)] == ["message", AUTO_REPLY]
    page = client.get(f"/messages/{thread.id}").get_data(as_text=True)
    assert "It arrived outside our opening hours" in page

    clinic.auto_reply_outside_hours = False
    db.session.commit()
    send(client, teams["doctors"], "Again", "Also at night")
    assert [m.kind for m in messages_of(threads()[1])] == ["message"]


def test_within_opening_hours_no_automatic_answer(client, teams):
    login_as(client, make_user())
    send(client, teams["doctors"], "Daytime", "Written by day")
    assert [m.kind for m in messages_of(threads()[0])] == ["message"]


def test_a_team_that_takes_no_messages_is_not_a_topic(client, teams):
    teams["desk"].active = False
    db.session.commit()
    login_as(client, make_user())
    page = client.get("/messages/new").get_data(as_text=True)
    assert "Appointments and letters" not in page
    response = send(client, teams["desk"])
    assert response.status_code == 422 and threads() == []


def test_messages_off_means_no_pages(client, teams, clinic):
    clinic.features = {**clinic.features, "messages": False}
    db.session.commit()
    login_as(client, make_user())
    assert client.get("/messages").status_code == 404
    assert client.get("/messages/new").status_code == 404
    assert 'href="/messages"' not in client.get("/home").get_data(as_text=True)


def test_staff_cannot_use_the_patient_pages(client, teams, doctor):
    login_as(client, doctor)
    assert client.get("/messages").status_code == 404
    assert client.get("/messages/new").status_code == 404


def test_thread_pages_show_the_latest_messages_first_page_on_request(client, teams):
    user = make_user()
    login_as(client, user)
    send(client, teams["doctors"], "Long", "message number 0")
    thread = db.session.scalar(select(Thread))
    from portal.messages.models import Message
    db.session.add_all(Message(thread=thread, author_id=user.id, body=f"message number {n}")
                       for n in range(1, 45))
    db.session.commit()
    latest = client.get(f"/messages/{thread.id}").get_data(as_text=True)
    assert "message number 44" in latest and "message number 3<" not in latest
    assert "Page 3 of 3" in latest
    first = client.get(f"/messages/{thread.id}?page=1").get_data(as_text=True)
    assert "message number 0" in first and "message number 44" not in first


def test_other_patient_cannot_see_the_thread_in_their_list(client, teams):
    login_as(client, make_user())
    send(client, teams["doctors"], "Mine alone", "x")
    other = make_patient()
    assert db.session.scalar(select(Thread).where(Thread.patient_id == other.id)) is None


def test_the_unread_count_is_counted_once_for_the_badge_and_the_home_panel(app, client, teams,
                                                                           doctor):
    """The menu's badge and the home page's panel show one count, from one query."""
    from sqlalchemy import event

    from portal.messages import services

    login_as(client, make_user(locale="en"))
    send(client, teams["doctors"], "First")
    send(client, teams["doctors"], "Second")
    for thread in threads():
        with app.test_request_context():
            services.reply(thread, doctor, "An answer")
    statements = []

    def seen(conn, cursor, statement, *args):
        statements.append(statement)

    event.listen(db.engine, "before_cursor_execute", seen)
    try:
        page = client.get("/home").get_data(as_text=True)
    finally:
        event.remove(db.engine, "before_cursor_execute", seen)
    counts = [s for s in statements if "count(" in s.lower() and "unread_by_patient" in s]
    assert len(counts) == 1, counts
    assert "2 new" in page
    assert "2 conversations have a new answer from the clinic." in page
