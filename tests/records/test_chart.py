"""The history chart: an SVG image with a title, a summary in words, and one point per value."""

from __future__ import annotations

import re
from decimal import Decimal
from xml.etree import ElementTree

import pytest
from flask_babel import force_locale

from portal.records.charts import history_chart
from portal.records.models import RecordItem
from tests.records.test_views import at

SVG = "{http://www.w3.org/2000/svg}"


def _values(*pairs, **common) -> list[RecordItem]:
    return [RecordItem(start_at=at(day), value_num=Decimal(value), unit="mg/dL", **common)
            for day, value in pairs]


@pytest.fixture
def ctx(app, clinic):
    with app.test_request_context():
        yield


def test_chart_is_an_image_with_title_and_description(ctx):
    items = _values(("2011-10-11", "94.03117346500946"), ("2015-01-02", "80"),
                    ("2020-06-30", "110.2"))
    svg = ElementTree.fromstring(str(history_chart(items, "glucose", "Glucose")))
    assert svg.get("role") == "img"
    assert svg.get("aria-labelledby") == "glucose-title"
    assert svg.get("aria-describedby") == "glucose-desc"
    assert svg.find(f"{SVG}title").get("id") == "glucose-title"
    assert svg.find(f"{SVG}title").text == "Glucose"
    assert svg.find(f"{SVG}desc").text == (
        "3 values from 11 Oct 2011 to 30 Jun 2020, lowest 80 mg/dL, highest 110 mg/dL.")
    assert len(svg.findall(f"{SVG}circle")) == 3
    assert len(svg.find(f"{SVG}polyline").get("points").split()) == 3


def test_chart_points_rise_and_fall_with_the_values_in_time_order(ctx):
    items = _values(("2020-01-01", "5"), ("2020-02-01", "9"), ("2021-01-01", "7"))
    svg = ElementTree.fromstring(str(history_chart(items, "c", "Test")))
    points = [(float(c.get("cx")), float(c.get("cy"))) for c in svg.findall(f"{SVG}circle")]
    xs, ys = zip(*points, strict=True)
    assert xs == tuple(sorted(xs))
    assert xs[1] - xs[0] < xs[2] - xs[1]  # one month, then eleven: spaced by time
    assert ys[1] < ys[2] < ys[0]  # SVG's y grows downwards: the highest value is on top


def test_chart_shows_the_usual_range_as_a_band_and_says_it(ctx):
    items = [
        RecordItem(start_at=at("2020-01-01"), value_num=Decimal("4.2"), unit="mmol/L"),
        RecordItem(start_at=at("2021-01-01"), value_num=Decimal("5.6"), unit="mmol/L",
                   ref_low=Decimal("3.5"), ref_high=Decimal("5.0"))]
    chart = str(history_chart(items, "k", "Potassium"))
    svg = ElementTree.fromstring(chart)
    assert len(svg.findall(f"{SVG}rect")) == 1
    assert "The usual range is 3.5–5.0 mmol/L." in svg.find(f"{SVG}desc").text


def test_chart_speaks_the_readers_language(ctx):
    items = _values(("2020-01-01", "94.03117346500946"), ("2021-01-01", "80.5"))
    with force_locale("nl"):
        desc = ElementTree.fromstring(str(history_chart(items, "g", "Glucose"))) \
            .find(f"{SVG}desc").text
    assert "94,0" in desc and "80,5" in desc and "94.0" not in desc


def test_chart_escapes_what_it_is_given(ctx):
    items = _values(("2020-01-01", "1"), ("2021-01-01", "2"))
    chart = str(history_chart(items, "x", '<script>alert("x")</script> & co'))
    assert "<script>" not in chart
    assert ElementTree.fromstring(chart).find(f"{SVG}title").text == \
        '<script>alert("x")</script> & co'


def test_chart_has_no_style_and_no_script(ctx):
    items = _values(("2020-01-01", "1"), ("2021-01-01", "2"), ("2022-01-01", "3"))
    chart = str(history_chart(items, "x", "Test"))
    assert not re.search(r"\bstyle\b|<script|\bon\w+=", chart)


def test_no_chart_for_fewer_than_two_values(ctx):
    assert history_chart(_values(("2020-01-01", "1")), "x", "Test") is None
    no_number = [RecordItem(start_at=at("2020-01-01"), value_text="Positive"),
                 RecordItem(start_at=at("2021-01-01"), value_text="Negative")]
    assert history_chart(no_number, "x", "Test") is None


def test_values_taken_at_one_moment_are_spread_out(ctx):
    items = _values(("2020-01-01", "1"), ("2020-01-01", "2"))
    svg = ElementTree.fromstring(str(history_chart(items, "x", "Test")))
    xs = [float(c.get("cx")) for c in svg.findall(f"{SVG}circle")]
    assert xs[0] < xs[1]
