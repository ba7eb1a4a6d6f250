"""The route gate: every route is crawled, or named in NOT_CRAWLED with a reason."""

from tests.quality.crawl import NOT_CRAWLED, PARAMETER_PROVIDERS, routes, why_not_crawlable


def test_every_route_is_crawled_or_excused(app):
    unexcused = []
    for rule in routes(app):
        reason = why_not_crawlable(rule)
        if reason and rule.endpoint not in NOT_CRAWLED:
            unexcused.append(f"{rule.rule} ({rule.endpoint}): {reason}")
    assert not unexcused, (
        "The crawl cannot reach these routes. Add a provider for their URL parameters to "
        "PARAMETER_PROVIDERS in tests/quality/crawl.py, or name them in NOT_CRAWLED with "
        "the reason:\n" + "\n".join(unexcused))


def test_every_excuse_is_still_needed(app):
    rules = {}
    for rule in routes(app):
        rules.setdefault(rule.endpoint, []).append(rule)
    stale = [f"{endpoint}: no such route" for endpoint in NOT_CRAWLED if endpoint not in rules]
    stale += [f"{endpoint}: the crawl can reach {rule.rule} now"
              for endpoint in NOT_CRAWLED for rule in rules.get(endpoint, [])
              if why_not_crawlable(rule) is None]
    assert not stale, "Remove these entries from NOT_CRAWLED:\n" + "\n".join(stale)


def test_every_provider_fills_a_parameter(app):
    used = {key for rule in routes(app) for name in rule.arguments
            for key in (name, f"{rule.endpoint}:{name}")}
    unused = sorted(set(PARAMETER_PROVIDERS) - used)
    assert not unused, f"PARAMETER_PROVIDERS fills parameters no route has: {unused}"


def test_the_crawl_covers_the_public_pages(app):
    """Guards the gate itself: a crawl that found no routes would pass everything."""
    crawled = {rule.rule for rule in routes(app) if why_not_crawlable(rule) is None}
    assert {"/", "/sign-in", "/home", "/account/", "/staff/patients"} <= crawled
