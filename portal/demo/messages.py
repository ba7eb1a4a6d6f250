"""Demo data of the messages area: teams, a few conversations and a repeat request.

Safe to run twice: nothing is added when the teams exist already.
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from portal.extensions import db
from portal.messages.models import AUTO_REPLY, Message, RepeatRequest, Team, TeamMember, Thread
from portal.models import ClinicSettings, Patient, User
from portal.records.models import RecordItem
from portal.types import utcnow

#: (names, topics, member usernames)
TEAMS = [
    ({"en": "Doctors and nurses", "nl": "Artsen en verpleegkundigen",
      "pl": "Lekarze i pielęgniarki"},
     {"en": "A question for my doctor or nurse", "nl": "Een vraag voor mijn arts of "
      "verpleegkundige", "pl": "Pytanie do mojego lekarza lub pielęgniarki"}, ["dr.jansen"]),
    ({"en": "Front desk", "nl": "Balie", "pl": "Recepcja"},
     {"en": "Appointments, letters and forms", "nl": "Afspraken, brieven en formulieren",
      "pl": "Wizyty, listy i formularze"}, ["frontdesk"]),
    ({"en": "Billing", "nl": "Facturen", "pl": "Rozliczenia"},
     {"en": "A bill or my insurance", "nl": "Een factuur of mijn verzekering",
      "pl": "Rachunek lub moje ubezpieczenie"}, ["billing"]),
]
PHARMACIES = ["Apotheek Jordaan, Amsterdam", "Apotheek De Pijp, Amsterdam",
              "Apteka Centralna, Gdańsk"]


def _say(thread: Thread, author: User | None, body: str, hours_ago: float,
         clinic_side: bool = False, kind: str = "message") -> None:
    db.session.add(Message(thread=thread, author=author, body=body, kind=kind,
                           from_clinic=clinic_side, sent_at=utcnow() - timedelta(hours=hours_ago)))
    thread.message_count += 1 if kind != "note" else 0


def load(patients: dict[str, Patient], staff: dict[str, User]) -> None:
    """Teams with the demo staff in them, the clinic's pharmacies, some conversations."""
    if db.session.scalar(select(Team.id).limit(1)) is not None:
        return
    clinic = db.session.scalar(select(ClinicSettings).limit(1))
    clinic.pharmacies = PHARMACIES
    teams = []
    for position, (names, topics, members) in enumerate(TEAMS, start=1):
        team = Team(names=names, topics=topics, position=position, active=True)
        db.session.add(team)
        db.session.flush()
        db.session.add_all(TeamMember(team_id=team.id, user_id=staff[name].id)
                           for name in members if name in staff)
        teams.append(team)
    doctors, desk = teams[0], teams[1]
    oliver, sanne = patients["P-100001"], patients["P-100006"]
    now = utcnow()

    answered = Thread(patient=oliver, team=doctors, subject="Cholesterol result",
                      started_by_id=oliver.account.id, message_count=0,
                      created_at=now - timedelta(days=2), last_message_at=now - timedelta(hours=5),
                      unread_by_patient=True, unread_by_staff=False,
                      assigned_to_id=staff["dr.jansen"].id)
    db.session.add(answered)
    _say(answered, oliver.account, "Hello,\n\nMy cholesterol was marked high. Should I change "
         "anything before my next visit?\n\nThank you, Oliver", 48)
    _say(answered, staff["dr.jansen"], "Colleague note: diet advice first, recheck in 3 months.",
         6, clinic_side=True, kind="note")
    _say(answered, staff["dr.jansen"], "Dear Oliver,\n\nIt is a little high. Eat less saturated "
         "fat and walk every day; we will test again in three months. There is more advice at "
         "https://www.thuisarts.nl/cholesterol.\n\nDr Jansen", 5, clinic_side=True)

    waiting = Thread(patient=sanne, team=desk, subject="Brief voor de werkgever",
                     started_by_id=sanne.account.id, message_count=0,
                     created_at=now - timedelta(days=3), last_message_at=now - timedelta(days=3),
                     waiting_since=now - timedelta(days=3), unread_by_staff=True)
    db.session.add(waiting)
    _say(waiting, sanne.account, "Goedemiddag,\n\nKunt u een brief maken dat ik vorige week bij "
         "de huisarts was? Mijn werkgever vraagt erom.\n\nMet vriendelijke groet,\nSanne", 72)
    _say(waiting, None, "", 72, clinic_side=True, kind=AUTO_REPLY)

    medicine = db.session.scalar(select(RecordItem).where(
        RecordItem.patient_id == oliver.id, RecordItem.kind == "medication",
        RecordItem.status == "active").limit(1))
    if medicine is not None:
        db.session.add(RepeatRequest(patient_id=oliver.id, medication_id=medicine.id,
                                     medication=medicine.title, pharmacy=PHARMACIES[0],
                                     note="I have one week left.",
                                     requested_by_id=oliver.account.id,
                                     requested_at=now - timedelta(days=1)))
