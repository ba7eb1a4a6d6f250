"""The OWASP ASVS 5.0 requirements this security suite covers, and where.

Tests written for one requirement are named after it (`test_asvs_6_3_1_...`);
test_asvs_index.py checks that every such name is listed here, that every module named
here exists, and that docs/security.md says how the portal meets each listed one.
"""

from __future__ import annotations

#: requirement -> (what is tested, the modules of tests/ that test it)
COVERED: dict[str, tuple[str, tuple[str, ...]]] = {
    "3.3.1": ("cookies are Secure in production",
              ("security/test_asvs_sessions.py",)),
    "3.3.3": ("the session and language cookies carry the __Host- prefix in production",
              ("security/test_asvs_sessions.py",)),
    "3.4.3": ("a CSP without 'unsafe-inline' on every response",
              ("security/test_headers.py",)),
    "3.4.4": ("X-Content-Type-Options: nosniff on every response",
              ("security/test_headers.py",)),
    "3.4.5": ("a Referrer-Policy that keeps URLs on the site",
              ("security/test_headers.py",)),
    "3.4.6": ("frame-ancestors 'none'", ("security/test_headers.py",)),
    "3.5.1": ("CSRF tokens on every POST, bound to the session",
              ("security/test_csrf_paths.py",)),
    "3.5.3": ("opening the check-in page (a GET) changes nothing",
              ("security/test_asvs_sessions.py",)),
    "6.2.12": ("new passwords checked against breached ones: the shipped list, a range API",
               ("security/test_asvs_authentication.py",)),
    "6.3.1": ("wrong codes lock like wrong passwords; rate limits exact across workers",
              ("security/test_asvs_authentication.py", "security/test_asvs_sessions.py",
               "deploy/test_gunicorn.py")),
    "6.3.3": ("a clinic can require a second step from every patient",
              ("security/test_asvs_authentication.py",)),
    "6.3.8": ("unknown names lock like real ones; forgot-password takes the same time",
              ("security/test_asvs_authentication.py",)),
    "6.4.3": ("an older reset link stops working when a newer one is sent",
              ("security/test_asvs_sessions.py",)),
    "6.5.1": ("an authenticator code is accepted once", ("security/test_asvs_authentication.py",)),
    "6.5.5": ("a TOTP code only in its own step and the one after (RFC 6238 vectors)",
              ("security/test_asvs_authentication.py",)),
    "7.2.4": ("a new session id when the password is typed again",
              ("security/test_asvs_sessions.py",)),
    "7.5.1": ("the password again before the second step, recovery codes, e-mail or password "
              "change", ("security/test_asvs_sessions.py",)),
    "7.5.2": ("the password again before signing out other devices",
              ("security/test_asvs_sessions.py",)),
    "8.2.1": ("every route refuses visitors without the role",
              ("security/test_authorization.py",)),
    "8.2.2": ("another patient's id is a 404 and an audit line, on every route",
              ("security/test_authorization.py",)),
}
