"""Settings: every one comes from a PORTAL_* environment variable with a safe default."""

import os
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _env(name: str, default=None):
    return os.environ.get(f"PORTAL_{name}", default)


def _env_int(name: str, default: int) -> int:
    value = _env(name)
    return int(value) if value not in (None, "") else default


def _env_bool(name: str, default: bool) -> bool:
    value = _env(name)
    if value in (None, ""):
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def _engine_options(config: dict) -> dict:
    """Database connection options: SQL parameters (names, notes) never appear in logs."""
    options: dict = {"hide_parameters": True}
    if config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"):
        options["connect_args"] = {"timeout": 15}
    else:
        # A connection left over from before a database restart is replaced, not used.
        options["pool_pre_ping"] = True
    return options


class ConfigError(RuntimeError):
    """Raised when the settings are unsafe to start with."""


def load_config(overrides: dict | None = None) -> dict:
    """Build the Flask config from the environment, then apply `overrides` (tests)."""
    overrides = dict(overrides or {})
    env = overrides.get("ENV_NAME") or _env("ENV", "production")
    testing = bool(overrides.get("TESTING")) or env == "testing"
    development = env == "development"
    instance = Path(_env("INSTANCE_DIR", str(ROOT / "instance")))
    config = {
        "ENV_NAME": env,
        "TESTING": testing,
        "SECRET_KEY": _env("SECRET_KEY"),
        "SQLALCHEMY_DATABASE_URI": _env("DATABASE_URL", f"sqlite:///{instance / 'portal.db'}"),
        "INSTANCE_DIR": str(instance),
        "OUTBOX_DIR": _env("OUTBOX_DIR", str(instance / "outbox")),
        # Uploads live in the database; this only names where migration 0012 reads old files.
        "OLD_UPLOAD_DIR": _env("UPLOAD_DIR", str(instance / "uploads")),
        "SMTP_HOST": _env("SMTP_HOST"),
        "SMTP_PORT": _env_int("SMTP_PORT", 25),
        "MAIL_FROM": _env("MAIL_FROM", "portal@localhost"),
        "SMTP_TIMEOUT": _env_int("SMTP_TIMEOUT", 10),
        # The outbox sender (flask portal send-mail): attempts before a mail is given up
        # on, the wait after the first failure (doubling after each next one), how long a
        # claimed mail stays claimed by a sender that may have died, how often to look.
        "MAIL_MAX_ATTEMPTS": _env_int("MAIL_MAX_ATTEMPTS", 8),
        "MAIL_RETRY_SECONDS": _env_int("MAIL_RETRY_SECONDS", 60),
        "MAIL_CLAIM_MINUTES": _env_int("MAIL_CLAIM_MINUTES", 5),
        "MAIL_POLL_SECONDS": _env_int("MAIL_POLL_SECONDS", 5),
        # /healthz answers 503 when the disk of a SQLite database has less room than this.
        "HEALTH_MIN_FREE_MB": _env_int("HEALTH_MIN_FREE_MB", 100),
        "BASE_URL": _env("BASE_URL", "http://127.0.0.1:8000"),
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_SECURE": _env_bool("SECURE_COOKIES", not (development or testing)),
        "SESSION_COOKIE_PATH": "/",
        "REMEMBER_COOKIE_HTTPONLY": True,
        "REMEMBER_COOKIE_SAMESITE": "Lax",
        "MAX_CONTENT_LENGTH": _env_int("MAX_UPLOAD_BYTES", 10 * 1024 * 1024),
        "WTF_CSRF_TIME_LIMIT": None,
        "WTF_CSRF_HEADERS": ["X-CSRFToken"],
        "BABEL_DEFAULT_LOCALE": "en",
        "BABEL_TRANSLATION_DIRECTORIES": str(ROOT / "translations"),
        # Date and number style for English pages: en_GB (3 March 2026) or en_US.
        "ENGLISH_FORMAT_LOCALE": _env("ENGLISH_FORMAT_LOCALE", "en_GB"),
        "LANGUAGES": {"en": "English", "nl": "Nederlands", "pl": "Polski"},
        "COMPRESS_MIMETYPES": ["text/html", "text/plain", "application/json", "text/calendar",
                               "application/fhir+json"],
        "COMPRESS_ALGORITHM": ["br", "gzip"],
        "COMPRESS_MIN_SIZE": 500,
        # database:// counts in the portal's database, shared by every worker (see
        # portal/rate_limits.py); redis://... for a busy portal; memory:// counts in each
        # worker alone, so it only suits a single process.
        "RATELIMIT_STORAGE_URI": _env("RATELIMIT_STORAGE_URI", "database://"),
        # Keeps this portal's counters apart from anything else in the same Redis.
        "RATELIMIT_KEY_PREFIX": _env("RATELIMIT_KEY_PREFIX", "portal"),
        # Redis down: count in each worker's memory meanwhile rather than refuse sign-ins.
        "RATELIMIT_IN_MEMORY_FALLBACK_ENABLED": True,
        "RATELIMIT_HEADERS_ENABLED": True,
        # Proxies in front (nginx: 1) whose X-Forwarded-For/-Proto are believed; 0 for none.
        "PROXY_COUNT": _env_int("PROXY_COUNT", 0),
        # Sign-in attempts one client address may make (Flask-Limiter syntax).
        "SIGN_IN_RATE_LIMIT": _env("SIGN_IN_RATE_LIMIT", "30 per 10 minutes"),
        # Activation attempts (code, date of birth, name) one client address may make.
        "ACTIVATION_RATE_LIMIT": _env("ACTIVATION_RATE_LIMIT", "10 per 10 minutes"),
        "LOCKOUT_THRESHOLD": _env_int("LOCKOUT_THRESHOLD", 5),
        "LOCKOUT_MINUTES": _env_int("LOCKOUT_MINUTES", 15),
        # How long after typing the password a person may change their sign-in settings
        # (second step, recovery codes, e-mail, devices) before being asked for it again.
        "REAUTH_MINUTES": _env_int("REAUTH_MINUTES", 5),
        # A k-anonymity range API for breached passwords (e.g. https://api.pwnedpasswords.com);
        # empty: only the list shipped with the portal is used. Only 5 hex characters of
        # the password's SHA-1 leave the server.
        "BREACHED_PASSWORDS_API": _env("BREACHED_PASSWORDS_API", ""),
        "IDLE_TIMEOUT_MINUTES": _env_int("IDLE_TIMEOUT_MINUTES", 15),
        # A temporary password (given by staff) works this many days, then staff give a new one.
        "TEMPORARY_PASSWORD_DAYS": _env_int("TEMPORARY_PASSWORD_DAYS", 7),
        "SESSION_MAX_HOURS": _env_int("SESSION_MAX_HOURS", 12),
        "RESET_LINK_MINUTES": _env_int("RESET_LINK_MINUTES", 30),
        "VERIFY_LINK_HOURS": _env_int("VERIFY_LINK_HOURS", 72),
        "PAGE_SIZE": _env_int("PAGE_SIZE", 20),
        # Billing: "bank_transfer" (the default) or "mollie" for online payments.
        "PAYMENT_PROVIDER": _env("PAYMENT_PROVIDER", "bank_transfer"),
        "MOLLIE_API_KEY": _env("MOLLIE_API_KEY", ""),
        # Empty: Mollie's own API; tests point it at a local stand-in.
        "MOLLIE_API_ENDPOINT": _env("MOLLIE_API_ENDPOINT", ""),
        "WEBHOOK_RATE_LIMIT": _env("WEBHOOK_RATE_LIMIT", "300 per minute"),
    }
    if testing and not _env("RATELIMIT_STORAGE_URI"):
        # A test process makes many apps, all sharing the one limiter object: counted in
        # memory, an app made on a database that is gone cannot break the next test.
        config["RATELIMIT_STORAGE_URI"] = "memory://"
    config.update(overrides)
    config.setdefault("SQLALCHEMY_ENGINE_OPTIONS", _engine_options(config))
    if config["SESSION_COOKIE_SECURE"]:
        # Over HTTPS the browser keeps these names only for Secure, Path=/, host-only
        # cookies: no other site or subdomain can set or read them (see i18n for `lang`).
        config.setdefault("SESSION_COOKIE_NAME", "__Host-session")
        config.setdefault("REMEMBER_COOKIE_NAME", "__Host-remember_token")
        config.setdefault("REMEMBER_COOKIE_SECURE", True)
    if not config["SECRET_KEY"]:
        if development or testing:
            config["SECRET_KEY"] = "dev-only-not-secret"
        else:
            raise ConfigError(
                "PORTAL_SECRET_KEY is not set. Set it to a long random value, for example "
                "the output of: python -c 'import secrets; print(secrets.token_hex(32))'"
            )
    return config
