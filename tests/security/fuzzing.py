"""What the form fuzzer sends, how it sends it, and what it checks in what was stored.

Each field gets a plausible value (so that submissions get past validation and are
stored) or a hostile one: any unicode, right-to-left and zero-width marks, NUL, lone
surrogates and invalid UTF-8, emoji, text of 100 KB and more, empty, text where a date
or number belongs; sometimes a list where one value belongs, sometimes nothing at all.
"""

from __future__ import annotations

import io
import os
import unicodedata
from contextlib import contextmanager
from datetime import date, timedelta
from urllib.parse import quote_plus

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from sqlalchemy import JSON, String, event

from portal.extensions import db
from tests.security.forms import Field, Form

#: Examples per route: few, so the whole run stays within about two minutes on two
#: cores. PORTAL_FUZZ_EXAMPLES raises it for a longer hunt, e.g. before a release.
EXAMPLES = int(os.environ.get("PORTAL_FUZZ_EXAMPLES", "15"))
_CI = os.environ.get("CI", "").lower() == "true"

#: The same inputs every CI run (a red build must be reproducible), new ones locally.
FUZZ_SETTINGS = settings(
    max_examples=EXAMPLES,
    deadline=None,
    derandomize=_CI,
    database=None if _CI else settings.default.database,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow,
                           HealthCheck.data_too_large, HealthCheck.filter_too_much],
    print_blob=True,
)

HOSTILE = [
    "", " ", "\x00", "a\x00b", "\u202eevil\u202c", "\u200b", "\u200d\u200c", "\ufeff",
    "e\u0301", "😀", "👩🏽‍⚕️", "\r\n\r\n", "\t", "<script>alert(1)</script>",
    "' OR 1=1 --", "%s%n%x", "{{ 7*7 }}", "../../etc/passwd", "\ud800", "x\udfffy",
    "NaN", "-1", "0", "1e309", "9" * 40, "-" + "9" * 30, "１２３", "İı", "ß", "ﬀ",
    "مرحبا بالعالم", "שלום עולם", "Zürich", "null", "[]", "{}", "true", "2026-02-30",
    "31-12-2026", "25:61", "\u0000\u0001\u001f\u007f",
]
#: Building blocks of 100 KB+ values: cheap to make, unlike drawing 100 000 characters.
#: Mostly ASCII, which travels unescaped: percent-encoding (and decoding) 100 KB of
#: emoji is most of a run's time, so those come less often.
_HUGE_UNITS = ["A", "A", "A", "A", "Lorem ipsum ", "1", "<b>é", "😀", "\u200bمر"]


def huge_text() -> st.SearchStrategy[str]:
    """Text of 100 to 110 KB (in UTF-8)."""
    return st.builds(lambda unit, kb: unit * (kb * 1024 // len(unit.encode()) + 1),
                     st.sampled_from(_HUGE_UNITS), st.integers(100, 110))


def hostile_text() -> st.SearchStrategy[str]:
    return st.one_of(st.sampled_from(HOSTILE), st.text(max_size=300), huge_text())


def _plausible(field: Field) -> st.SearchStrategy[str]:
    """A value a person might send: an option offered, the value the page filled in, or
    one of the field's kind."""
    if field.kind in ("radio", "select", "checkbox") and field.options:
        return st.sampled_from(field.options)
    if field.kind == "hidden":
        return st.just(field.value)
    of_kind = _of_kind(field)
    return st.one_of(st.just(field.value), of_kind) if field.value.strip() else of_kind


def _of_kind(field: Field) -> st.SearchStrategy[str]:
    today = date.today()
    name = field.name.lower()
    if field.kind == "date" or name.endswith(("_on", "_day", "date")) and field.kind != "text":
        return st.dates(today - timedelta(days=400), today + timedelta(days=400)).map(
            date.isoformat)
    if field.kind == "time":
        return st.sampled_from(["08:00", "09:30", "12:15", "16:50"])
    if field.kind == "number" or name in ("amount", "charged", "insurance_paid") or \
            name.endswith(("-charged", "-insurance_paid", "_value")):
        return st.sampled_from(["1", "10", "24", "3", "12.50", "0"])
    if field.kind == "email" or "email" in name:
        return st.sampled_from(["new.address@mail.example", "grace.thompson@mail.example"])
    if field.kind == "password":
        return st.sampled_from(["demo-portal-2026", "a much longer passphrase for tests 2026"])
    # Letters, digits, punctuation, spaces and symbols of any script; often long enough
    # (20+) for the check that what was stored is what was sent.
    letters = st.characters(codec="utf-8", categories=("L", "M", "N", "P", "Zs", "So"))
    return st.one_of(st.text(letters, min_size=1, max_size=19),
                     st.text(letters, min_size=20, max_size=120))


def hostile_values(field: Field) -> st.SearchStrategy[list]:
    """What an attacker or a broken client sends for `field`: any text, a list where one
    value belongs, or nothing at all."""
    if field.kind == "file":
        return file_values()
    one = hostile_text()
    return st.one_of(one.map(lambda value: [value]), st.lists(one, min_size=2, max_size=3),
                     st.just([]))


def plausible_values(field: Field) -> st.SearchStrategy[list]:
    if field.kind == "file":
        return st.one_of(st.just([]), st.just([(b"%PDF-1.4\n%%EOF\n", "scan.pdf")]))
    return _plausible(field).map(lambda value: [value])


def file_values() -> st.SearchStrategy[list[tuple[bytes, str]]]:
    content = st.one_of(st.just(b"%PDF-1.4\n%%EOF\n"), st.just(b"\x89PNG\r\n\x1a\n" + b"0" * 32),
                        st.just(b""), st.binary(max_size=256))
    name = st.one_of(st.sampled_from(["scan.pdf", "photo.png", "../../etc/passwd", "",
                                      "\u202efdp.exe", "报告.pdf", "a" * 300 + ".pdf"]),
                     st.text(max_size=20))
    return st.tuples(content, name).map(lambda pair: [pair])


def payloads(form: Form) -> st.SearchStrategy[dict]:
    """Field name -> the values sent. Mostly a plausible form with one field hostile (so
    that the hostile value gets past the other fields' checks and may be stored);
    sometimes anything in any field, any field left out."""
    fields = [f for f in form.fields.values() if f.name != "csrf_token"]
    if not fields:
        return st.just({})

    def one_hostile(target: Field):
        return st.fixed_dictionaries({f.name: hostile_values(f) if f is target
                                      else plausible_values(f) for f in fields})

    anything = st.fixed_dictionaries({}, optional={
        f.name: st.one_of(plausible_values(f), hostile_values(f)) for f in fields})
    targeted = st.sampled_from(fields).flatmap(one_hostile)
    return st.one_of(targeted, targeted, anything)


def as_received(value: str) -> str:
    """`value` as the server decodes it: invalid UTF-8 (lone surrogates) becomes U+FFFD."""
    return value.encode("utf-8", "surrogatepass").decode("utf-8", "replace")


def post(client, path: str, form: Form, payload: dict, token: str, htmx: bool):
    """Send `payload` the way a browser sends `form`: urlencoded bytes, or multipart."""
    headers = {"HX-Request": "true"} if htmx else {}
    if form.enctype.startswith("multipart"):
        data = [("csrf_token", token)]
        for name, values in payload.items():
            for value in values:
                if isinstance(value, tuple):
                    data.append((name, (io.BytesIO(value[0]), as_received(value[1]))))
                else:
                    data.append((name, as_received(value)))
        from werkzeug.datastructures import MultiDict

        return client.post(path, data=MultiDict(data), headers=headers,
                           content_type="multipart/form-data")
    pairs = [("csrf_token", token)] + [(name, v) for name, values in payload.items()
                                       for v in values]
    body = "&".join(f"{quote_plus(k)}={quote_plus(v.encode('utf-8', 'surrogatepass'))}"
                    for k, v in pairs)
    return client.post(path, data=body, headers=headers,
                       content_type="application/x-www-form-urlencoded")


# -- what was stored -----------------------------------------------------------------------


class Writes:
    """Every value the app sent to the database in INSERT and UPDATE statements, and the
    statements of any kind given a NUL character (PostgreSQL refuses those)."""

    def __init__(self):
        self.values: list[tuple[str, str, object]] = []  # (table, column, value)
        self.with_nul: list[str] = []
        #: Stored values found equal to a submitted one (so the comparison did happen).
        self.matched = 0

    def listener(self, conn, cursor, statement, parameters, context, executemany):
        if any("\x00" in text for text in _strings(parameters)):
            self.with_nul.append(statement.split(None, 3)[:3])
        compiled = getattr(context, "compiled", None)
        if compiled is None or not (compiled.isinsert or compiled.isupdate):
            return
        table = compiled.statement.table
        for params in context.compiled_parameters or []:
            for key, value in params.items():
                if key in table.c and value is not None:
                    self.values.append((table.name, key, value))


@contextmanager
def recording_writes():
    writes = Writes()
    event.listen(db.engine, "before_cursor_execute", writes.listener)
    try:
        yield writes
    finally:
        event.remove(db.engine, "before_cursor_execute", writes.listener)


def _strings(value) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [s for v in value.values() for s in _strings(v)]
    if isinstance(value, list | tuple):
        return [s for v in value for s in _strings(v)]
    return []


def normalised(submitted: str) -> set[str]:
    """The forms a submitted value may be stored in: as sent, trimmed, with newlines made
    plain, with runs of space made one, in NFC."""
    received = as_received(submitted)
    forms = {received, received.strip(), received.replace("\r\n", "\n"),
             received.replace("\r\n", "\n").strip(), " ".join(received.split())}
    return forms | {unicodedata.normalize("NFC", f) for f in forms}


def storage_problems(writes: Writes, payload: dict) -> list[str]:
    """What no database would keep (NUL, longer than the column) and what was stored cut
    short or changed compared with what was submitted."""
    problems = [f"{' '.join(words)}...: a NUL character among the parameters, which "
                "PostgreSQL refuses (a 500 there)" for words in writes.with_nul[:1]]
    submitted = [normalised(v) for values in payload.values() for v in values
                 if isinstance(v, str) and len(v.strip()) >= 20]
    for table_name, column_name, value in writes.values:
        column = db.metadata.tables[table_name].c[column_name]
        where = f"{table_name}.{column_name}"
        if isinstance(column.type, String) and isinstance(value, str):
            if "\x00" in value:
                problems.append(f"{where}: stores NUL, which PostgreSQL refuses (a 500 there)")
            length = column.type.length
            if length and len(value) > length:
                problems.append(f"{where}: stores {len(value)} characters in a column of "
                                f"{length} (PostgreSQL refuses: a 500 there)")
        if not isinstance(column.type, String | JSON):
            continue
        for stored in _strings(value):
            if len(stored) < 20:
                continue
            if any(stored in forms or any(f and f in stored for f in forms)
                   for forms in submitted):
                writes.matched += 1  # stored as sent (after normalisation), or within more
                continue
            cut = [max(map(len, forms)) for forms in submitted
                   if any(stored in f for f in forms)]
            if cut:
                problems.append(f"{where}: stored {len(stored)} characters of a {cut[0]}-"
                                "character value: cut short or changed")
    return problems
