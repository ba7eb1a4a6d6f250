"""What the fuzzers found, pinned: input no person sends is refused cleanly, never a 500.

And the fuzzer's own checks, shown to catch what they are for.
"""

from __future__ import annotations

from portal.security import MAX_ID
from tests.quality.crawl import VISITORS, sign_in
from tests.security import fuzzing
from tests.security.targets import token_of


def test_a_nul_character_anywhere_in_the_request_is_refused(client, demo):
    """PostgreSQL refuses NUL in any query; SQLite would store it."""
    assert client.get("/sign-in?next=/home%00x").status_code == 400
    token = token_of(client, "/sign-in")
    response = client.post("/sign-in", data={"csrf_token": token, "identifier": "oliver\x00",
                                             "password": "x"})
    assert response.status_code == 400
    sign_in(client, VISITORS["admin"])
    assert client.get("/staff/patients?q=Ben%00nett").status_code == 400
    assert client.get("/staff/patients?q=Bennett").status_code == 200


def test_an_id_no_row_can_have_is_a_missing_page(client, demo):
    """SQLite cannot take a number past 2**63 as a parameter: such ids never reach it."""
    sign_in(client, VISITORS["patient"])
    assert client.get(f"/messages/{MAX_ID + 1}").status_code == 404
    assert client.get("/record/results/" + "9" * 30).status_code == 404
    assert client.get("/appointments/book?type=" + "9" * 30).status_code == 200
    assert client.get("/billing/pay?statement=" + "9" * 30).status_code == 200
    token = token_of(client)
    switch = client.post("/family/switch", data={"csrf_token": token, "patient_id": "9" * 30})
    assert switch.status_code == 400


def test_pages_and_days_beyond_the_calendar_show_a_page(client, demo):
    sign_in(client, VISITORS["admin"])
    assert client.get("/staff/accounts?page=" + "9" * 30).status_code == 200
    assert client.get("/staff/patients?page=" + "9" * 30).status_code == 200
    assert client.get("/staff/appointments?day=9999-12-31").status_code == 200
    assert client.get("/staff/appointments?day=0001-01-01").status_code == 200


def test_a_blank_date_is_a_missing_date_not_a_server_error(client, demo):
    sign_in(client, VISITORS["patient"])
    token = token_of(client)
    response = client.post("/billing/insurance", data={
        "csrf_token": token, "insurer": "Bupa", "member_number": "B-1", "holder_name": "O B",
        "relation": "self", "valid_from": "   "})
    assert response.status_code == 422
    assert "Enter the date the cover starts" in response.get_data(as_text=True)


def _writes(*values):
    writes = fuzzing.Writes()
    writes.values = list(values)
    return writes


def test_the_fuzzers_storage_check_catches_what_postgresql_refuses_and_cut_values():
    sent = "A long enough message to compare, " * 3
    assert fuzzing.storage_problems(_writes(("messages", "body", sent.strip())),
                                    {"body": [sent]}) == []
    nul = fuzzing.storage_problems(_writes(("patients", "city", "Bath\x00")), {})
    assert "NUL" in nul[0]
    too_long = fuzzing.storage_problems(_writes(("patients", "city", "x" * 101)), {})
    assert "column of 100" in too_long[0]
    cut = fuzzing.storage_problems(_writes(("messages", "body", sent[:40])), {"body": [sent]})
    assert "cut short" in cut[0]
    writes = _writes()
    writes.with_nul.append(["SELECT", "users.id", "FROM"])
    assert "NUL" in fuzzing.storage_problems(writes, {})[0]
