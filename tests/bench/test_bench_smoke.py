"""The benchmark's own pieces, so `make bench` cannot rot unnoticed.

Only the pure functions and the page parsing run here; the benchmark itself (gunicorn,
load, Lighthouse) is `make bench`, never part of the test suite.
"""

import gzip
import math
import os

import pytest

from bench import lighthouse, report
from bench.bare import app as bare_app
from bench.load import percentile
from bench.pages import gzip_size, kept_by_browser, page_assets
from bench.prepare import largest_bundle

BASE_PAGE = """<!doctype html><html lang="en"><head>
<link rel="stylesheet" href="/static/css/portal.0123456789ab.css">
<link rel="icon" href="data:,">
<link rel="preload" href="/static/fonts/x.woff2" as="font">
<link rel="canonical" href="/sign-in">
<script src="/static/vendor/htmx.min.0123456789ab.js" defer></script>
<script src="/static/js/portal.0123456789ab.js" defer></script>
<script src="https://cdn.example/other.js"></script>
</head><body><img src="/static/logo.png" alt=""><script src="/static/js/portal.0123456789ab.js">
</script></body></html>"""


def test_percentile_interpolates_between_ranks():
    values = [float(n) for n in range(10, 0, -1)]
    assert percentile(values, 0) == 1
    assert percentile(values, 50) == 5.5
    assert percentile(values, 95) == pytest.approx(9.55)
    assert percentile(values, 100) == 10
    assert percentile([7.0], 95) == 7
    assert math.isnan(percentile([], 50))
    with pytest.raises(ValueError):
        percentile(values, 101)


def test_gzip_size_is_the_size_of_the_gzipped_bytes():
    data = b"<p>The same sentence again.</p>\n" * 200
    assert gzip_size(data) == len(gzip.compress(data, compresslevel=6, mtime=0))
    assert gzip_size(data) < len(data) / 10
    assert gzip_size(data, level=1) >= gzip_size(data, level=9)


def test_page_assets_lists_what_a_browser_downloads_once_each():
    assert page_assets(BASE_PAGE) == [
        "/static/css/portal.0123456789ab.css", "/static/fonts/x.woff2",
        "/static/vendor/htmx.min.0123456789ab.js", "/static/js/portal.0123456789ab.js",
        "/static/logo.png"]


def test_only_long_immutable_caching_counts_as_kept():
    assert kept_by_browser("max-age=315360000, public, immutable")
    assert not kept_by_browser("max-age=3600, public")
    assert not kept_by_browser("max-age=60, immutable")
    assert not kept_by_browser(None)


def test_the_portals_pages_reference_their_css_and_javascript(client, clinic):
    html = client.get("/sign-in").get_data(as_text=True)
    assets = page_assets(html)
    assert any(url.startswith("/static/css/portal.") for url in assets)
    assert any(url.startswith("/static/js/portal.") for url in assets)


def test_the_bare_app_serves_a_small_page():
    response = bare_app.test_client().get("/")
    assert response.status_code == 200
    assert len(response.data) < 1024


def test_largest_bundle_picks_the_biggest_file(tmp_path):
    (tmp_path / "a.json").write_text("{}")
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "b.json").write_text("{" + " " * 100 + "}")
    assert largest_bundle(tmp_path) == tmp_path / "sub" / "b.json"
    assert largest_bundle(tmp_path / "a.json") == tmp_path / "a.json"


def _run(dashboard_rps: float, p95: float, first: int, repeat: int,
         cpu_times_floor: float = 2.0) -> dict:
    timed = {"rps": dashboard_rps, "p50_ms": p95 / 2, "p95_ms": p95, "p99_ms": p95,
             "errors": 0, "path": "/home", "server_cpu_ms_per_request": 3.0 * cpu_times_floor}
    floor = {**timed, "path": "/", "server_cpu_ms_per_request": 3.0}
    size = {"name": "dashboard", "html_gzip_bytes": repeat, "html_bytes": repeat * 3,
            "first_visit_gzip_bytes": first, "repeat_visit_gzip_bytes": repeat}
    return {"started": "2026-01-01T00:00:00Z", "options": {"clients": 20, "warmup": 2,
                                                           "seconds": 10, "rate": 100},
            "machine": {"cpus": 2, "cpu_model": "test", "load_average": (0.0, 0.0, 0.0),
                        "python": "3"},
            "gunicorn": {"workers": "2", "worker_class": "sync", "threads": "1"},
            "load": {"bare": {**timed, "rps": 1000.0, "path": "/"}, "floor": floor,
                     **{page: timed for page in report.TIMED_PAGES}},
            "open_loop": {"floor": floor, **{page: timed for page in report.TIMED_PAGES}},
            "sizes": [size], "assets": {}, "queries": {"dashboard": {"small": 9, "large": 9}},
            "records": {"small": "s", "large": "l"},
            "memory": {server: {"workers": {}, "summary": dict.fromkeys(
                ("peak_rss_mib", "vmhwm_mib", "peak_pss_mib", "peak_private_mib"), 0.0)}
                for server in ("portal", "bare")},
            "lighthouse": {"status": "skipped: not installed"}}


def test_targets_pass_and_miss_at_their_limits():
    good = {row[0]: row[2] for row in report.targets(_run(300.0, 49.0, 35 * 1024, 10 * 1024))}
    bad = {row[0]: row[2] for row in report.targets(_run(299.0, 50.0, 35 * 1024 + 1,
                                                          10 * 1024 + 1, 2.01))}
    assert set(good.values()) == {"PASS", "skipped", "for reference"}
    judged = [v for v in bad.values() if v not in ("skipped", "for reference")]
    assert judged == ["MISS"] * (len(bad) - 3)
    assert good["server CPU per request <= 2x the floor's: dashboard"] == "PASS"
    assert bad["server CPU per request <= 2x the floor's: dashboard"] == "MISS"
    assert bad["open loop p95 < 50 ms at 100 req/s: thread"] == "MISS"
    assert "| dashboard throughput" in report.markdown(_run(300.0, 49.0, 1, 1))


def test_lighthouse_scores_are_checked_page_by_page():
    run = _run(300.0, 49.0, 1, 1)
    run["lighthouse"] = {"status": "measured", "pages": {
        "sign-in": {"performance": 100, "accessibility": 100},
        "dashboard": {"performance": 97, "accessibility": 100},
        "thread": {"error": "Chrome did not start"}}}
    rows = {row[0]: row[1:] for row in report.targets(run)}
    assert rows["Lighthouse mobile performance 100"] == ("no score for thread (see below)",
                                                        "error")
    del run["lighthouse"]["pages"]["thread"]
    rows = {row[0]: row[1:] for row in report.targets(run)}
    assert rows["Lighthouse mobile performance 100 (lowest page)"] == ("97 (dashboard)", "MISS")
    assert rows["Lighthouse mobile accessibility 100 (lowest page)"][1] == "PASS"


def test_lighthouse_reports_the_median_run_of_each_page():
    runs = [{"performance": 99, "accessibility": 100, "metrics": {"speed-index": "2.1 s"}},
            {"error": "Chrome did not start"},
            {"performance": 100, "accessibility": 100, "metrics": {"speed-index": "0.8 s"}},
            {"performance": 92, "accessibility": 98, "metrics": {"speed-index": "3.0 s"}}]
    middle = lighthouse.median_run(runs)
    assert (middle["performance"], middle["accessibility"]) == (99, 100)
    assert middle["metrics"] == {"speed-index": "2.1 s"}
    assert middle["runs"] == [99, None, 100, 92]
    assert lighthouse.median_run(runs[:1] + runs[2:3] + runs[:1])["runs"] == [99, 100, 99]
    failed = lighthouse.median_run([{"error": "no Chrome"}, {"error": "again"}])
    assert failed["error"] == "no Chrome" and "performance" not in failed
    run = _run(300.0, 49.0, 1, 1)
    run["lighthouse"] = {"status": "measured", "pages": {"thread": middle}}
    assert "| thread | 99 | 99, -, 100, 92 | 100 |" in report.markdown(run)


def test_the_stack_floor_signs_in_and_logs_each_view(tmp_path, monkeypatch):
    monkeypatch.setenv("PORTAL_INSTANCE_DIR", str(tmp_path))
    import importlib

    import bench.floor
    floor = importlib.reload(bench.floor)
    client = floor.app.test_client()
    assert client.get("/").status_code == 401
    assert client.get("/sign-in").status_code == 200
    for _ in range(2):
        page = client.get("/")
        assert page.status_code == 200 and b"Hello, Oliver" in page.data
        assert b'name="csrf_token" value="' in page.data
    with floor.app.app_context():
        lines = floor.db.session.scalars(floor.db.select(floor.AuditLine)).all()
        assert [(line.user_id, line.action) for line in lines] == [(1, "record-viewed")] * 2
        assert floor.db.session.execute(floor.db.text("PRAGMA journal_mode")).scalar() == "wal"
        floor.db.engine.dispose()
    assert (tmp_path / "bench-floor.db").exists()


def test_the_floor_is_shown_for_reference_next_to_the_targets():
    run = _run(100.0, 49.0, 1, 1)
    run["load"]["floor"] = {**run["load"]["bare"], "rps": 250.0}
    rows = {row[0]: row[1:] for row in report.targets(run)}
    assert rows["(ceiling) stack floor's throughput, share of bare Flask"] == (
        "250 / 1000 req/s = 25%", "for reference")
    assert rows["dashboard throughput >= 30% of bare Flask"][1] == "MISS"
    assert "| floor | / | 250 | 250 |" in report.markdown(run)


def test_each_page_reports_its_median_round():
    from bench.run import median_round, options

    rounds = [{"rps": 90.0, "p95_ms": 300.0}, {"rps": 40.0, "p95_ms": 900.0},
              {"rps": 70.0, "p95_ms": 400.0}]
    assert median_round(rounds) == {"rps": 70.0, "p95_ms": 400.0, "rounds": [90.0, 40.0, 70.0]}
    assert median_round(rounds[:2])["rps"] == 40.0
    run = _run(300.0, 49.0, 1, 1)
    run["load"]["dashboard"] = median_round([{**run["load"]["dashboard"], "rps": v}
                                             for v in (310.0, 280.0, 300.0)])
    assert "| dashboard | /home | 300 | 310, 280, 300 |" in report.markdown(run)
    assert options([]).rounds == 3 and options(["--rounds", "1"]).rounds == 1
    with pytest.raises(SystemExit):
        options(["--rounds", "0"])


def test_the_floor_compiles_its_template_once(tmp_path, monkeypatch):
    """A real page's template is compiled once; the floor must not pay that on each request."""
    monkeypatch.setenv("PORTAL_INSTANCE_DIR", str(tmp_path))
    import importlib

    import bench.floor
    floor = importlib.reload(bench.floor)
    compiled = []
    original = floor.app.jinja_env.compile
    monkeypatch.setattr(floor.app.jinja_env, "compile",
                        lambda *args, **kwargs: compiled.append(args) or original(*args, **kwargs))
    client = floor.app.test_client()
    client.get("/sign-in")
    for _ in range(3):
        assert b"Hello, Oliver" in client.get("/").data
    assert compiled == []
    with floor.app.app_context():
        floor.db.engine.dispose()


class _Answers:
    """A tiny HTTP/1.1 server on loopback answering each GET with a set status and body."""

    def __init__(self, status: int = 200, delay: float = 0.0, chunked: bool = False):
        import threading
        from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

        answers = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_GET(self):  # noqa: N802 - the name http.server calls
                import time

                time.sleep(answers.delay)
                answers.seen.append(dict(self.headers))
                body = b"<p>" + b"x" * 1000 + b"</p>"
                self.send_response(answers.status)
                if answers.chunked:
                    self.send_header("Transfer-Encoding", "chunked")
                    self.end_headers()
                    self.wfile.write(b"%x\r\n%s\r\n0\r\n\r\n" % (len(body), body))
                else:
                    self.send_header("Content-Length", str(len(body)))
                    self.end_headers()
                    self.wfile.write(body)

            def log_message(self, *args):
                pass

        self.status, self.delay, self.chunked, self.seen = status, delay, chunked, []
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.port = self.server.server_port
        self.thread = threading.Thread(target=self.server.serve_forever, args=(0.01,),
                                       daemon=True)
        self.thread.start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.mark.parametrize("chunked", [False, True], ids=["content-length", "chunked"])
def test_the_open_loop_sends_at_the_planned_rate(chunked):
    from bench.openloop import run_open_loop

    server = _Answers(chunked=chunked)
    try:
        result = run_open_loop("127.0.0.1", server.port, "/page", {"Cookie": "session=abc"},
                               rate=40, seconds=1.0, warmup=0.5)
    finally:
        server.close()
    assert result["planned"] == 40 and result["requests"] == 40
    assert result["statuses"] == {"200": 40} and result["errors"] == 0
    assert len(server.seen) == 60  # the warm-up's 20 are answered but not counted
    assert server.seen[0]["Cookie"] == "session=abc"
    assert "br" in server.seen[0]["Accept-Encoding"]
    assert 0 < result["p50_ms"] <= result["p95_ms"] <= result["p99_ms"] < 500
    assert result["client_cpu_ms_per_request"] is not None


def test_the_open_loop_counts_the_wait_behind_a_slow_server_and_other_answers():
    """Latency runs from the planned start: a server slower than the rate shows its queue."""
    from bench.openloop import MAX_CONNECTIONS, run_open_loop

    server = _Answers(status=302, delay=0.05)
    try:
        result = run_open_loop("127.0.0.1", server.port, "/", rate=50, seconds=1.0, warmup=0)
    finally:
        server.close()
    assert result["requests"] == 50 and result["statuses"] == {"302": 50}
    assert result["errors"] == 50 and result["rps"] == 0
    assert result["p50_ms"] >= 50
    assert result["connections_opened"] <= MAX_CONNECTIONS


def test_wrk_reports_its_percentiles_other_answers_and_its_own_cpu():
    import shutil

    from bench.load import run_load

    if not shutil.which("wrk"):
        if os.environ.get("CI"):
            pytest.fail("wrk is not installed: .ci/run installs it")
        pytest.skip("wrk is not installed (make bench installs it)")
    server = _Answers(status=404)
    try:
        result = run_load("127.0.0.1", server.port, "/", {"Cookie": "a=b"}, clients=2,
                          seconds=1)
    finally:
        server.close()
    assert result["generator"] == "wrk" and result["requests"] > 10
    assert result["errors"] == result["requests"] and result["rps"] == 0
    assert server.seen[0]["Cookie"] == "a=b"
    assert 0 < result["p50_ms"] <= result["p95_ms"] <= result["p99_ms"]
    assert result["client_cpu_seconds"] > 0


def test_the_sampler_counts_only_samples_taken_inside_requests(tmp_path):
    from bench.sample import shares

    folded = tmp_path / "samples.txt"
    folded.write_text(
        "main (run.py:1);setup (bench/sample.py:40) 7\n"
        "main (run.py:1);Flask.wsgi_app (flask/app.py:1479);render (portal/rendering.py:15);"
        "Template.render (jinja2/environment.py:1275) 3\n"
        "main (run.py:1);Flask.wsgi_app (flask/app.py:1479);load_user (auth/sessions.py:50) 1\n"
        "main (run.py:1);Flask.wsgi_app (flask/app.py:1479);render (portal/rendering.py:16) 1\n")
    total, inclusive, exclusive = shares(folded)
    assert total == 5
    assert inclusive["Flask.wsgi_app (app.py)"] == 5
    assert inclusive["render (rendering.py)"] == 4  # two lines of it, counted once a sample
    assert exclusive == {"Template.render (environment.py)": 3,
                         "load_user (sessions.py)": 1, "render (rendering.py)": 1}
