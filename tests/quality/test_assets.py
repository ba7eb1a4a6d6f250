"""The stylesheet budget: one small hand-written stylesheet, fast on a 2G/3G phone."""

from portal.config import ROOT
from tests.quality.markup import STYLESHEET_GZIP_BUDGET, gzipped_size

STYLESHEET = ROOT / "static" / "css" / "portal.css"


def test_the_stylesheet_stays_within_its_budget():
    size = gzipped_size(STYLESHEET.read_bytes())
    assert size <= STYLESHEET_GZIP_BUDGET, (
        f"static/css/portal.css is {size} bytes gzipped, budget {STYLESHEET_GZIP_BUDGET}")
