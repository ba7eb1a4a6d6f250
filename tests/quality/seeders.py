"""Item seeders: give a patient a record of any length, to show pages do not slow with it.

A feature that adds things a patient accumulates (results, messages, appointments,
invoices, ...) adds a seeder here with `@item_seeder`. The query-growth gate then seeds
every registered kind of item and checks that no patient page runs more queries for a
long record than for a short one.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

from portal.extensions import db
from portal.models import AuditEvent, Patient, User
from portal.types import utcnow

ItemSeeder = Callable[[Patient, User, int], None]

#: Every registered seeder, in registration order.
SEEDERS: list[ItemSeeder] = []


def item_seeder(seed: ItemSeeder) -> ItemSeeder:
    """Register `seed(patient, user, n)`, which adds `n` items to `patient`'s record."""
    SEEDERS.append(seed)
    return seed


def seed_items(patient: Patient, user: User, n: int) -> None:
    """Give `patient` (whose account is `user`) `n` items of every registered kind."""
    for seed in SEEDERS:
        seed(patient, user, n)
    db.session.commit()


@item_seeder
def sign_in_history(patient: Patient, user: User, n: int) -> None:
    """Sign-ins and sign-outs on the patient's account, as /account/ lists them."""
    start = utcnow() - timedelta(days=n)
    db.session.add_all(
        AuditEvent(action="sign-in" if i % 2 == 0 else "sign-out", outcome="success",
                   actor_id=user.id, patient_id=patient.id, occurred_at=start + timedelta(hours=i),
                   remote_addr="192.0.2.1", user_agent="Seeder")
        for i in range(n)
    )
