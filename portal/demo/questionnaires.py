"""Demo forms, loaded by `flask portal demo` (safe to run twice: it adds nothing then)."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from sqlalchemy import select

from portal.appointments.models import AppointmentType
from portal.extensions import db
from portal.models import Patient, User
from portal.questionnaires.answers import snapshot
from portal.questionnaires.models import FormResponse, Question, Questionnaire
from portal.types import utcnow

OFTEN = [("Not at all", "Helemaal niet", "Wcale"),
         ("On a few days", "Op een paar dagen", "Przez kilka dni"),
         ("On more than half of the days", "Op meer dan de helft van de dagen",
          "Przez ponad połowę dni"),
         ("Nearly every day", "Bijna elke dag", "Prawie codziennie")]


def _w(en: str, nl: str, pl: str) -> dict:
    return {"en": en, "nl": nl, "pl": pl}


def _options(rows) -> list:
    return [{"code": str(n), "text": _w(*row)} for n, row in enumerate(rows, start=1)]


def _first_visit() -> Questionnaire:
    form = Questionnaire(status="active", titles=_w(
        "Before your first visit", "Voor uw eerste bezoek", "Przed pierwszą wizytą"),
        intros=_w("These questions help your doctor prepare. It takes about five minutes.",
                  "Met deze vragen kan uw arts zich voorbereiden. Het duurt ongeveer vijf "
                  "minuten.", "Te pytania pomogą lekarzowi przygotować się do wizyty. "
                  "Zajmie to około pięciu minut."))
    form.questions = [
        Question(position=1, kind="long_text", required=True, wording=_w(
            "What would you like to talk about at your visit?",
            "Waarover wilt u tijdens uw bezoek praten?",
            "O czym chcesz porozmawiać podczas wizyty?")),
        Question(position=2, kind="yes_no", required=True, wording=_w(
            "Do you take any medicines at the moment?", "Gebruikt u op dit moment medicijnen?",
            "Czy obecnie przyjmujesz jakieś leki?"),
            help=_w("Include medicines you buy without a prescription.",
                    "Ook medicijnen die u zonder recept koopt.",
                    "Również leki kupowane bez recepty.")),
        Question(position=3, kind="multiple_choice", wording=_w(
            "Has anyone in your family had any of these?",
            "Heeft iemand in uw familie een van deze aandoeningen gehad?",
            "Czy ktoś w Twojej rodzinie miał którąś z tych chorób?"),
            options=_options([("Heart disease", "Hartziekte", "Choroba serca"),
                              ("Diabetes", "Diabetes", "Cukrzyca"),
                              ("Cancer", "Kanker", "Nowotwór"),
                              ("Asthma", "Astma", "Astma")])),
        Question(position=4, kind="single_choice", required=True, wording=_w(
            "Do you smoke?", "Rookt u?", "Czy palisz?"),
            options=_options([("Never", "Nooit gerookt", "Nigdy nie paliłem/am"),
                              ("I used to", "Vroeger wel", "Kiedyś paliłem/am"),
                              ("Yes", "Ja", "Tak")])),
        Question(position=5, kind="number", wording=_w(
            "Your height in centimetres", "Uw lengte in centimeters", "Twój wzrost w centymetrach"),
            min_value=Decimal("40"), max_value=Decimal("250")),
        Question(position=6, kind="date", wording=_w(
            "When did you last see a doctor?", "Wanneer was u voor het laatst bij een arts?",
            "Kiedy ostatnio byłeś/aś u lekarza?")),
        Question(position=7, kind="text", wording=_w(
            "Your previous GP practice", "Uw vorige huisartsenpraktijk",
            "Twoja poprzednia przychodnia")),
    ]
    return form


def _wellbeing() -> Questionnaire:
    form = Questionnaire(status="active", titles=_w(
        "How have you been feeling?", "Hoe voelt u zich de laatste tijd?",
        "Jak się ostatnio czujesz?"),
        intros=_w("Two short questions about the past two weeks.",
                  "Twee korte vragen over de afgelopen twee weken.",
                  "Dwa krótkie pytania o ostatnie dwa tygodnie."))
    form.questions = [
        Question(position=1, kind="single_choice", required=True, options=_options(OFTEN),
                 wording=_w("In the past two weeks, how often did you feel tense or restless?",
                            "Hoe vaak voelde u zich de afgelopen twee weken gespannen of onrustig?",
                            "Jak często w ostatnich dwóch tygodniach czułeś/aś napięcie lub "
                            "niepokój?")),
        Question(position=2, kind="single_choice", required=True, options=_options(OFTEN),
                 wording=_w("In the past two weeks, how often did worries keep going round in "
                            "your head?", "Hoe vaak bleven zorgen de afgelopen twee weken door "
                            "uw hoofd malen?", "Jak często w ostatnich dwóch tygodniach "
                            "zmartwienia nie dawały Ci spokoju?")),
    ]
    return form


def _travel_draft() -> Questionnaire:
    form = Questionnaire(status="draft", titles=_w(
        "Travel health check", "Reisgezondheidscheck", "Zdrowie w podróży"))
    form.questions = [
        Question(position=1, kind="text", required=True, wording=_w(
            "Which countries will you visit?", "Welke landen gaat u bezoeken?",
            "Jakie kraje odwiedzisz?")),
        Question(position=2, kind="date", required=True, wording=_w(
            "When do you leave?", "Wanneer vertrekt u?", "Kiedy wyjeżdżasz?")),
    ]
    return form


def load(patients: dict[str, Patient], staff: dict[str, User]) -> None:
    """Add this area's demo data; `patients` by patient number, `staff` by username."""
    if db.session.scalar(select(Questionnaire.id).limit(1)) is not None:
        return
    author = staff.get("dr.jansen")
    first, wellbeing = _first_visit(), _wellbeing()
    for form in (first, wellbeing):
        form.created_by_id = author.id if author else None
    visit_types = list(db.session.scalars(select(AppointmentType).order_by(AppointmentType.id)))
    if visit_types:
        first.appointment_types = [next((t for t in visit_types if "first" in str(
            (t.names or {}).get("en", "")).lower()), visit_types[0])]
    db.session.add_all([first, wellbeing, _travel_draft()])
    db.session.flush()
    oliver, sanne = patients.get("P-100001"), patients.get("P-100006")
    now = utcnow()
    if oliver is not None:
        db.session.add(FormResponse(patient_id=oliver.id, questionnaire_id=first.id, answers={},
                                    requested_by_id=author.id if author else None))
        answers = {str(wellbeing.questions[0].id): "2", str(wellbeing.questions[1].id): "1"}
        db.session.add(FormResponse(
            patient_id=oliver.id, questionnaire_id=wellbeing.id, status="sent",
            answers=answers, requested_at=now - timedelta(days=12),
            started_at=now - timedelta(days=10), updated_at=now - timedelta(days=10),
            submitted_at=now - timedelta(days=10), submitted_by_id=oliver.account.id
            if oliver.account else None,
            snapshot=snapshot(wellbeing.titles["en"], wellbeing.questions, answers, "en")))
    daan = patients.get("P-100007")  # for his mother to fill in (the family demo)
    if daan is not None:
        db.session.add(FormResponse(patient_id=daan.id, questionnaire_id=wellbeing.id,
                                    answers={}, requested_by_id=author.id if author else None))
    if sanne is not None:
        db.session.add(FormResponse(patient_id=sanne.id, questionnaire_id=wellbeing.id,
                                    answers={}, requested_by_id=author.id if author else None))
