"""Helpers for the getting-in tests. The `outbox` fixture lives in tests/conftest.py."""
