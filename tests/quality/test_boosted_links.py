"""The crawl gate fails a page whose boosted link answers with a file, not a page.

With JavaScript on, htmx follows a boosted link itself and swaps the answer into the
page: a calendar file or a PDF would replace the page with raw bytes.
"""

from portal.extensions import db
from tests.appointments.conftest import book, make_appointment, make_slot  # noqa: F401 (book: a fixture)
from tests.conftest import login_as, make_user
from tests.quality.crawl import PageResult, check_boosted_links
from tests.quality.markup import boosted_links

PAGE = """<!doctype html><html lang="en"><body hx-boost="true">
<a href="/appointments">list</a>
<a href="/appointments/7/calendar.ics" hx-boost="false">calendar</a>
<a href="/record/documents/3" download hx-boost="false">letter</a>
<div hx-boost="false"><a href="/billing/insurance/1/card">card</a>
  <p><a href="/inside" hx-boost="true">boosted again</a></p></div>
<br><img src="/x.png"><input name="q">
<a href="/after-void">after void elements</a>
<a href="https://example.org/">elsewhere</a><a href="#main">skip</a>
<a href="/new-window" target="_blank">new window</a>
<a href="/appointments#top">same page twice</a>
</body></html>"""


def test_boosted_links_are_those_htmx_follows_itself():
    assert boosted_links(PAGE) == ["/appointments", "/inside", "/after-void"]


def test_a_page_without_boost_has_no_boosted_links():
    assert boosted_links('<html lang="en"><body><a href="/a">a</a></body></html>') == []


def test_the_gate_fails_a_boosted_link_to_a_calendar_file(client, book):  # noqa: F811
    user = make_user()
    appointment = make_appointment(user.patient, make_slot(book), book.kind)
    db.session.commit()
    login_as(client, user)
    calendar = f"/appointments/{appointment.id}/calendar.ics"
    page = PageResult(rule="/appointments/<int:appointment_id>",
                      url=f"/appointments/{appointment.id}", final_url="/page", final_status=200,
                      mimetype="text/html", links=[calendar, "/appointments"])
    check_boosted_links(client, [page])
    assert len(page.problems) == 1
    assert calendar in page.problems[0] and "text/calendar" in page.problems[0]


def test_the_appointment_page_boosts_no_file(client, book):  # noqa: F811
    user = make_user()
    appointment = make_appointment(user.patient, make_slot(book), book.kind)
    login_as(client, user)
    page = client.get(f"/appointments/{appointment.id}").get_data(as_text=True)
    assert f"/appointments/{appointment.id}/calendar.ics" in page
    assert f"/appointments/{appointment.id}/calendar.ics" not in boosted_links(page)
