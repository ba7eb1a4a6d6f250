"""A fresh instance for the benchmark: SQLite, migrations, the demo clinic, one large record.

The demo patient Oliver has a small record; the largest Synthea bundle is imported as a
second patient with an account of its own (`bench-large`) and a long conversation, so
that every measured page exists for a small and a large record.
"""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SMALL_USER = "oliver"
LARGE_USER = "bench-large"
#: Messages in the large record's conversation: several pages of them.
LARGE_THREAD_MESSAGES = 120


def largest_bundle(path: Path) -> Path:
    """`path` itself when it is a file, else the biggest *.json file under it."""
    if path.is_file():
        return path
    bundles = sorted(path.rglob("*.json"), key=lambda p: (p.stat().st_size, p.name))
    if not bundles:
        raise SystemExit(f"no FHIR bundles (*.json) under {path}")
    return bundles[-1]


def portal_env(instance: Path, env_name: str, secret: str) -> dict[str, str]:
    """The environment the portal runs with: this instance, SQLite only."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PORTAL_")}
    env.update({
        "PORTAL_ENV": env_name,
        "PORTAL_SECRET_KEY": secret,
        "PORTAL_INSTANCE_DIR": str(instance),
        "PORTAL_DATABASE_URL": f"sqlite:///{instance / 'portal.db'}",
        "FLASK_APP": "wsgi",
    })
    return env


def _flask(env: dict, *args: str) -> str:
    flask = Path(sys.executable).with_name("flask")
    done = subprocess.run([str(flask), *args], cwd=ROOT, env=env, capture_output=True,
                          text=True)
    if done.returncode != 0:
        raise SystemExit(f"flask {' '.join(args)} failed:\n{done.stdout}\n{done.stderr}")
    return done.stdout


def prepare_instance(instance: Path, bundle: Path, env: dict) -> dict:
    """Migrate, load the demo and import `bundle` with the portal's own commands."""
    instance.mkdir(parents=True, exist_ok=True)
    _flask(env, "db", "upgrade")
    _flask(env, "portal", "demo")
    imported = _flask(env, "portal", "import-fhir", str(bundle))
    return {"instance": str(instance), "bundle": str(bundle),
            "bundle_bytes": bundle.stat().st_size, "import": imported.strip().splitlines()}


def add_large_account(bundle: Path) -> dict:
    """Give the imported patient an account and a long conversation (inside an app context).

    Returns the patient's numbers of record items and messages, for the report.
    """
    import json

    from sqlalchemy import func, select

    from portal.demo import DEMO_PASSWORD
    from portal.extensions import db
    from portal.messages.models import Message, Team, Thread
    from portal.models import Patient, User
    from portal.records.models import RecordItem
    from portal.security import hash_password
    from portal.types import utcnow

    with bundle.open(encoding="utf-8") as handle:
        fhir_id = next(entry["resource"]["id"] for entry in json.load(handle)["entry"]
                       if entry["resource"]["resourceType"] == "Patient")
    patient = db.session.scalar(select(Patient).where(Patient.fhir_id == fhir_id))
    if patient is None:
        raise SystemExit(f"the imported patient (FHIR id {fhir_id}) is not in the database")
    user = db.session.scalar(select(User).where(User.username == LARGE_USER))
    if user is None:
        user = User(username=LARGE_USER, display_name=patient.full_name, role="patient",
                    email="bench-large@mail.example", patient=patient, locale="en",
                    password_hash=hash_password(DEMO_PASSWORD), email_verified_at=utcnow())
        db.session.add(user)
        doctor = db.session.scalar(select(User).where(User.username == "dr.jansen"))
        team = db.session.scalar(select(Team).order_by(Team.position).limit(1))
        now = utcnow()
        thread = Thread(patient=patient, team=team, subject="A long conversation",
                        started_by_id=None, message_count=0, assigned_to_id=doctor.id,
                        created_at=now - timedelta(days=LARGE_THREAD_MESSAGES),
                        last_message_at=now, unread_by_staff=False)
        db.session.add(thread)
        for n in range(LARGE_THREAD_MESSAGES):
            clinic = n % 2 == 1
            db.session.add(Message(
                thread=thread, author=doctor if clinic else user, from_clinic=clinic,
                body=f"Message {n + 1}: a question and an answer of ordinary length, "
                     "with a line break\nand a link to https://www.thuisarts.nl/.",
                sent_at=now - timedelta(hours=LARGE_THREAD_MESSAGES - n)))
            thread.message_count += 1
        db.session.commit()
    items = db.session.scalar(select(func.count(RecordItem.id))
                              .where(RecordItem.patient_id == patient.id))
    messages = db.session.scalar(select(func.count(Message.id)).join(Thread)
                                 .where(Thread.patient_id == patient.id))
    return {"patient_number": patient.patient_number, "record_items": items,
            "messages": messages}


def first_thread_of(username: str) -> int:
    """The id of the first conversation of `username`'s patient (inside an app context)."""
    from sqlalchemy import select

    from portal.extensions import db
    from portal.messages.models import Thread
    from portal.models import User

    user = db.session.scalar(select(User).where(User.username == username))
    thread_id = db.session.scalar(select(Thread.id).where(Thread.patient_id == user.patient_id)
                                  .order_by(Thread.id).limit(1))
    if thread_id is None:
        raise SystemExit(f"{username} has no conversation to measure")
    return thread_id


def patient_number_of(username: str) -> str:
    """The patient number of `username`'s patient (inside an app context)."""
    from sqlalchemy import select

    from portal.extensions import db
    from portal.models import Patient, User

    return db.session.scalar(select(Patient.patient_number).join(User, User.patient_id
                                                                 == Patient.id)
                             .where(User.username == username))


def demo_password() -> str:
    from portal.demo import DEMO_PASSWORD

    return DEMO_PASSWORD
