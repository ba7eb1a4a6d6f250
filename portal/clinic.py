"""Reading the clinic's settings: once per process while they stay the same.

Every page needs the settings (the clinic's name, its switches, its hours). Each worker
keeps the row it read last; a request asks the database only for the row's `version`,
for the row's `stamp`, a random number every change replaces (see `_new_stamp`), and
reads the whole row again when another worker or request has changed it. The request then
works on its own copy, attached to its session, so a settings page changes and saves it
as before.
"""

from __future__ import annotations

from flask import current_app, g
from sqlalchemy import event, select
from sqlalchemy.orm import make_transient_to_detached

from portal.extensions import db
from portal.models import ClinicSettings, new_stamp

#: Used only before `flask portal init-clinic` has run, so that pages still render.
FALLBACK = dict(name="Clinic", phone="", email="", address="", emergency_number="112",
                opening_hours={}, timezone="UTC", default_locale="en", reply_days=2,
                patient_categories=[], features={}, currency="EUR")

_STAMP = select(ClinicSettings.id, ClinicSettings.stamp).limit(1)
_ROW = select(ClinicSettings).limit(1)
_KEPT = "portal.clinic"


def current_clinic() -> ClinicSettings:
    """The clinic's settings for this request, read from the database at most once per
    change, and attached to this request's session."""
    if "clinic" in g:
        return g.clinic
    # On the session's connection: two plain columns need none of the ORM's work.
    stamp = db.session.connection().execute(_STAMP).first()
    if stamp is None:
        g.clinic = ClinicSettings(**FALLBACK)
        return g.clinic
    kept = current_app.extensions.get(_KEPT)
    if kept is not None and (kept.id, kept.stamp) == tuple(stamp):
        # A copy of the kept row, in this session, with no query (values are shared with
        # the kept row: the JSON columns are replaced, never changed in place).
        g.clinic = db.session.merge(kept, load=False)
        return g.clinic
    clinic = db.session.scalar(_ROW)
    current_app.extensions[_KEPT] = _detached_copy(clinic)
    g.clinic = clinic
    return clinic


def _detached_copy(clinic: ClinicSettings) -> ClinicSettings:
    """A copy of the loaded row that belongs to no session (nothing expires it)."""
    copy = ClinicSettings(**{column.key: getattr(clinic, column.key)
                             for column in ClinicSettings.__table__.columns})
    make_transient_to_detached(copy)
    return copy


@event.listens_for(ClinicSettings, "before_update")
def _new_stamp(mapper, connection, target) -> None:
    """Every change of the settings gets a new stamp, in the same UPDATE."""
    target.stamp = new_stamp()
