"""Helpers for the staff console tests: staff signed in by role."""

import pytest

from tests.conftest import login_as, make_user


@pytest.fixture
def front_desk(client, clinic):
    """A front-desk member of staff, signed in on `client`."""
    user = make_user(role="front_desk")
    login_as(client, user)
    return user


@pytest.fixture
def admin(client, clinic):
    """An administrator, signed in on `client`."""
    user = make_user(role="admin")
    login_as(client, user)
    return user
