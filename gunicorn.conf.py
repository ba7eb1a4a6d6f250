"""gunicorn's settings for the portal: `gunicorn` in this folder reads this file by itself.

Every value comes from a PORTAL_* environment variable with a default fit for one small
server behind nginx (docs/deploy/). Options given on gunicorn's command line win over
this file, e.g. `gunicorn --workers 2 --bind 127.0.0.1:9000`.
"""

import os

from portal.logs import ACCESS_LOG_FORMAT


def _cpus() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        return os.cpu_count() or 1


wsgi_app = "wsgi:app"
bind = os.environ.get("PORTAL_BIND", "127.0.0.1:8000").split(",")
# One process per CPU (at least two, so one slow request never holds up everyone); each
# runs a few threads, so a sign-in's deliberately slow password check or a wait on the
# database does not block the pages of other people.
workers = int(os.environ.get("PORTAL_WORKERS") or max(2, _cpus()))
worker_class = "gthread"
threads = int(os.environ.get("PORTAL_THREADS") or 4)

# A request taking longer than this is stuck: the worker is replaced. Pages take
# milliseconds, and uploads arrive through nginx, which buffers them first.
timeout = 30
graceful_timeout = 30
keepalive = 5
# Replace each worker now and then, so that slow growth of memory cannot build up. Each new
# worker starts cold (its first pages compile their statements), so not too often: at a busy
# clinic's 5 requests a second, about every hour per worker.
max_requests = 10000
max_requests_jitter = 200
# Heartbeat files in memory, not on a disk that may stall.
worker_tmp_dir = "/dev/shm" if os.path.isdir("/dev/shm") else None

# The app is loaded once, before the workers fork: they share its memory, and a broken
# release fails at start rather than in each worker. Database connections are never
# shared across the fork (see post_fork); so code changes need a restart, not a reload.
preload_app = True

# X-Forwarded-Proto is believed from these addresses only (nginx on the same machine).
forwarded_allow_ips = os.environ.get("PORTAL_FORWARDED_ALLOW_IPS", "127.0.0.1,::1")

proc_name = "portal"
loglevel = os.environ.get("PORTAL_LOG_LEVEL", "info")
errorlog = "-"
accesslog = os.environ.get("PORTAL_ACCESS_LOG", "-") or None
# Method, path without query string (tokens masked), status, size, milliseconds, worker.
access_log_format = ACCESS_LOG_FORMAT
logger_class = "portal.logs.GunicornLogger"


def post_fork(server, worker):
    """Give each worker its own database connections, never ones opened before the fork."""
    app = worker.app.wsgi() if preload_app else None
    database = getattr(app, "extensions", {}).get("sqlalchemy")
    if database is not None:
        with app.app_context():
            for engine in database.engines.values():
                engine.dispose(close=False)


def when_ready(server):
    """Compile every template before the workers are forked (each starts with them), and
    warn when rate limits would be counted in each worker alone."""
    app = server.app.wsgi() if preload_app else None
    if hasattr(app, "jinja_env"):
        from portal.templating import compile_templates

        server.log.info("Compiled %d templates for the workers", compile_templates(app))
    storage = os.environ.get("PORTAL_RATELIMIT_STORAGE_URI", "database://")
    if server.cfg.workers > 1 and storage.startswith("memory://"):
        server.log.warning(
            "Rate limits are counted in each of the %d workers separately "
            "(PORTAL_RATELIMIT_STORAGE_URI=memory://). Leave it unset to count them in "
            "the database, or set redis://127.0.0.1:6379.", server.cfg.workers)

# gunicornc's control socket is not used; two servers run by one user (tests, the
# benchmark) would otherwise fight over the one default path in $HOME.
control_socket_disable = True
