"""The two slot forms on the slots page (one slot, a series) have ids of their own."""

from __future__ import annotations

import re
from collections import Counter

from tests.conftest import login_as, make_user


def test_every_id_on_the_slots_page_is_unique_and_each_label_finds_its_field(client, clinic):
    login_as(client, make_user(role="front_desk"))
    page = client.get("/staff/appointments/slots").get_data(as_text=True)
    ids = Counter(re.findall(r'\sid="([^"]+)"', page))
    assert [name for name, count in ids.items() if count > 1] == []
    for target in re.findall(r'<label for="([^"]+)"', page):
        assert ids[target] == 1, target
    assert 'for="slot-practitioner"' in page and 'for="series-practitioner"' in page
