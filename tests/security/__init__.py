"""The security suite: authorization matrix, CSRF, headers, audit trail, fuzzing, and
OWASP ASVS 5.0 requirements.

The ASVS requirements it covers are listed, with the modules that test them, in
tests/security/asvs.py: 3.3.1, 3.3.3, 3.4.3, 3.4.4, 3.4.5, 3.4.6, 3.5.1, 3.5.3, 6.2.12,
6.3.1, 6.3.3, 6.3.8, 6.4.3, 6.5.1, 6.5.5, 7.2.4, 7.5.1, 7.5.2, 8.2.1 and 8.2.2. Tests written
for one requirement are named after it (`test_asvs_7_5_1_...`). docs/security.md says,
for every requirement of V3, V6, V7 and V8 at level 2, how the portal meets it or why
it does not apply.
"""
