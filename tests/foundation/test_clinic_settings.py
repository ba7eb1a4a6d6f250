"""The clinic's settings are read once per worker while they stay the same, and again as
soon as anyone changes them, in this worker or another."""

from sqlalchemy import event, text

from portal.extensions import db
from portal.models import ClinicSettings
from tests.conftest import login_as, make_user, post_form


def _statements(app, client, path):
    seen = []

    def note(conn, cursor, statement, *args):
        seen.append(statement)

    event.listen(db.engine, "before_cursor_execute", note)
    try:
        assert client.get(path).status_code == 200
    finally:
        event.remove(db.engine, "before_cursor_execute", note)
    return [s for s in seen if "clinic_settings" in s]


def test_an_unchanged_clinic_is_read_once_then_only_its_stamp(app, client, clinic):
    client.get("/")
    reads = _statements(app, client, "/")
    assert len(reads) == 1 and "stamp" in reads[0] and "phone" not in reads[0]


def test_a_change_by_another_worker_shows_on_the_next_page(app, client, clinic):
    assert "Test Clinic" in client.get("/").get_data(as_text=True)
    # Another worker saves a new name: only the database knows (a plain UPDATE, as that
    # worker's ORM would send it, stamp included).
    with db.engine.begin() as connection:
        connection.execute(text("UPDATE clinic_settings SET name = 'Renamed Clinic', "
                                "stamp = stamp + 1"))
    page = client.get("/").get_data(as_text=True)
    assert "Renamed Clinic" in page and "Test Clinic" not in page


def test_a_settings_page_saves_on_the_kept_copy_and_every_change_gets_a_new_stamp(
        app, client, clinic):
    login_as(client, make_user(role="admin"))
    client.get("/staff/settings/sign-in")  # read and kept
    before = db.session.get(ClinicSettings, clinic.id).stamp
    saved = post_form(client, "/staff/settings/sign-in",
                      {"patient_2fa_required": "y", "email_codes_allowed": "y"})
    assert saved.status_code == 303
    db.session.expire_all()
    stored = db.session.get(ClinicSettings, clinic.id)
    assert stored.patient_2fa_required is True
    assert stored.stamp != before
    # The next page reads the saved row, not the copy kept before the change.
    page = client.get("/staff/settings/sign-in").get_data(as_text=True)
    field = page.split('id="patient_2fa_required"')[0].rsplit("<input", 1)[1] + \
        page.split('id="patient_2fa_required"')[1].split(">", 1)[0]
    assert "checked" in field


def test_the_opening_hours_on_the_home_page_follow_a_change_in_every_language(
        app, client, clinic):
    """The home page's opening hours are written once per language and stamp (they show
    only the clinic's settings): a change by another worker shows on the next page."""
    user = make_user(locale="nl")
    login_as(client, user)
    with db.engine.begin() as connection:
        connection.execute(text("""UPDATE clinic_settings SET opening_hours =
            '{"0": [["08:00", "17:00"]]}', stamp = stamp + 1"""))
    assert "08:00–17:00" in client.get("/home").get_data(as_text=True)
    with db.engine.begin() as connection:  # another worker's change: new hours, new stamp
        connection.execute(text("""UPDATE clinic_settings SET opening_hours =
            '{"0": [["09:30", "12:00"]], "2": [["13:00", "16:00"]]}', stamp = stamp + 1"""))
    for code, monday, closed in (("nl", "Maandag", "Gesloten"), ("pl", "Poniedziałek",
                                                                 "Nieczynne"),
                                 ("en", "Monday", "Closed")):
        client.get(f"/language/{code}?next=/home")
        page = client.get("/home").get_data(as_text=True)
        assert "09:30–12:00" in page and "13:00–16:00" in page and "08:00" not in page
        assert monday in page and closed in page, code
