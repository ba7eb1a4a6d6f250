"""Importing bundles: one database transaction per bundle, a fixed number of statements.

Per bundle: find or create the patient, load the fhir id and content hash of every item
the patient already has (one query), insert the new items (one executemany) and update
the changed ones by primary key (one executemany). Unchanged items cost no statement, so
importing the same bundle again writes nothing. Items no longer in a bundle are left
alone: a bundle may hold only part of a record.
"""

from __future__ import annotations

import sys
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from resource import RUSAGE_SELF, getrusage

from sqlalchemy import insert, select, update
from sqlalchemy.exc import DBAPIError

from portal import audit
from portal.extensions import db
from portal.fhir.bundles import Bundle, BundleError, bundle_files, parse_bundle, read_bundle
from portal.fhir.mapping import KIND_OF, record_row
from portal.fhir.patients import save_patient
from portal.models import ClinicSettings
from portal.records.models import RecordItem
from portal.types import utcnow

#: Kinds that are results: they show once released.
RESULT_KINDS = ("observation", "report")

#: Columns that identify an item: an update never needs to set them.
IDENTITY = ("patient_id", "kind", "fhir_id")


@dataclass
class FileResult:
    """What importing one file did: counts per kind, or why it was skipped."""

    path: Path
    size: int = 0
    seconds: float = 0.0
    patient_number: str | None = None
    new_patient: bool = False
    #: kind -> Counter with "new", "changed" and "unchanged"
    counts: dict[str, Counter] = field(default_factory=dict)
    error: str | None = None
    #: (code system, code) -> a name, of every coded item, reason and reaction in the bundle
    codes: dict[tuple[str, str], str] = field(default_factory=dict)

    def total(self, outcome: str) -> int:
        """How many items of all kinds had `outcome` ("new", "changed", "unchanged")."""
        return sum(counter[outcome] for counter in self.counts.values())


@dataclass
class ImportRun:
    """The results of one `import-fhir` run, with its time and memory."""

    files: list[FileResult]
    seconds: float
    #: The process's peak resident memory before and after the run, in MB.
    peak_mb_before: float
    peak_mb_after: float


def import_files(paths: list[Path]) -> ImportRun:
    """Import every bundle file in `paths` (folders give their *.json files), one by one.

    One bundle at a time is held in memory, so the peak stays that of the largest bundle.
    """
    before, started = peak_memory_mb(), time.perf_counter()
    files = [import_file(path) for path in bundle_files(paths)]
    return ImportRun(files, time.perf_counter() - started, before, peak_memory_mb())


def peak_memory_mb() -> float:
    """The process's peak resident memory so far, in MB (Linux reports KB, macOS bytes)."""
    peak = getrusage(RUSAGE_SELF).ru_maxrss
    return peak / (1024 * 1024 if sys.platform == "darwin" else 1024)


def import_file(path: Path) -> FileResult:
    """Import one bundle file in one transaction; on any problem roll back and say why."""
    return _import(path, lambda: read_bundle(path), lambda: path.stat().st_size)


def import_data(data: dict, name: str) -> FileResult:
    """Import a bundle made in the portal (the demo records) exactly as a file is imported.

    `name` stands for the file name in the result and the audit line.
    """
    return _import(Path(name), lambda: parse_bundle(data), lambda: 0)


def _import(path: Path, read, size) -> FileResult:
    """Read a bundle with `read` and store it in one transaction; on any problem say why."""
    started = time.perf_counter()
    result = FileResult(path=path)
    try:
        result.size = size()
        bundle = read()
        bundle.check_subjects(KIND_OF)
        _store(bundle, result)
        db.session.commit()
    except BundleError as exc:
        db.session.rollback()
        result.error = str(exc)
    except OSError as exc:
        db.session.rollback()
        result.error = f"could not be read ({exc.strerror})"
    except Exception as exc:  # noqa: BLE001 - whatever failed, nothing may stay half-done
        db.session.rollback()
        # A database error's own text lists the statement's values: health data. The
        # driver's message names only the table, columns and constraint.
        cause = exc.orig if isinstance(exc, DBAPIError) else exc
        result.error = f"could not be stored ({type(cause).__name__}: {str(cause)[:200]})"
    if result.error:
        result.counts = {}
        result.codes = {}
    result.seconds = time.perf_counter() - started
    return result


def _store(bundle: Bundle, result: FileResult) -> None:
    """Write the bundle's patient and items into the open transaction; fill in the counts."""
    rows = _rows(bundle)  # mapped before any write: a mapping error leaves nothing to undo
    result.codes = _codes(rows)
    patient, created = save_patient(bundle.patient, bundle.patient_id)
    patient_changed = created or db.session.is_modified(patient)  # before the next autoflush
    result.patient_number, result.new_patient = patient.patient_number, created
    existing = {(kind, fhir_id): rest for kind, fhir_id, *rest in db.session.execute(
        select(RecordItem.kind, RecordItem.fhir_id, RecordItem.id, RecordItem.content_hash,
               RecordItem.released_at, RecordItem.released_by_id)
        .where(RecordItem.patient_id == patient.id))}
    clinic = db.session.execute(select(ClinicSettings.results_need_release,
                                       ClinicSettings.currency, ClinicSettings.payment_days)
                                .limit(1)).first()
    hold_results = bool(clinic and clinic.results_need_release)
    now = utcnow()
    new, changed = [], []
    for row in rows:
        counts = result.counts.setdefault(row["kind"], Counter())
        found = existing.get((row["kind"], row["fhir_id"]))
        if found is None:
            counts["new"] += 1
            released = now if row["kind"] in RESULT_KINDS and not hold_results else None
            new.append({**row, "patient_id": patient.id, "imported_at": now,
                        "released_at": released, "released_by_id": None,
                        "confidential": False})
            continue
        item_id, digest, released_at, released_by_id = found
        if digest == row["content_hash"]:
            counts["unchanged"] += 1
            continue
        counts["changed"] += 1
        # A corrected result waits for a clinician again when the clinic reviews results;
        # otherwise it stays as visible as it was.
        keep = row["kind"] in RESULT_KINDS and not hold_results
        changed.append({**{k: v for k, v in row.items() if k not in IDENTITY},
                        "id": item_id, "imported_at": now,
                        "released_at": (released_at or now) if keep else None,
                        "released_by_id": released_by_id if keep else None})
    if new:
        # render_nulls keeps one statement for all rows, whichever columns are empty.
        db.session.execute(insert(RecordItem).execution_options(render_nulls=True), new)
    if changed:
        db.session.execute(update(RecordItem), changed)
    # Claims become statements (billing); none without a clinic to know its currency.
    # Imported here: the billing package loads forms that load the records package.
    from portal.billing.claims import store_claims

    billed = (store_claims(bundle, patient.id, clinic.currency, clinic.payment_days)
              if clinic else 0)
    if billed:
        result.counts.setdefault("statement", Counter())["new"] += billed
    # Referrals (appointments area): top-level ServiceRequests only, by the rule there.
    from portal.appointments.fhir import store_referrals

    referred = store_referrals(bundle, patient.id)
    if referred:
        result.counts["referral"] = referred
    referrals_written = referred["new"] + referred["changed"]
    if new or changed or patient_changed or billed or referrals_written:
        audit.record(audit.Action.RECORD_IMPORTED, patient=patient.id,
                     target=f"file:{result.path.name}; new:{len(new)} changed:{len(changed)}"
                     + (f" statements:{billed}" if billed else "")
                     + (f" referrals:{referrals_written}" if referrals_written else ""))


def _rows(bundle: Bundle) -> list[dict]:
    """The RecordItem rows of every resource of an imported kind, in bundle order."""
    report_of: dict[str, str] = {}
    for fhir_id, resource in bundle.entries:
        if resource["resourceType"] == "DiagnosticReport":
            for reference in resource.get("result") or []:
                report_of.setdefault(bundle.resolve_id(reference), fhir_id)
    rows, seen = [], set()
    for fhir_id, resource in bundle.entries:
        if resource["resourceType"] not in KIND_OF:
            continue  # Claim, CarePlan, Organization, ...: read only for references
        row = record_row(fhir_id, resource, bundle, report_of)
        if (row["kind"], fhir_id) in seen:
            raise BundleError(f"two {resource['resourceType']} resources have the id {fhir_id}")
        seen.add((row["kind"], fhir_id))
        rows.append(row)
    return rows


def _codes(rows: list[dict]) -> dict[tuple[str, str], str]:
    """The codes of the rows' items, reasons and reactions, with a name for each."""
    codes: dict[tuple[str, str], str] = {}
    for row in rows:
        details = row["details"] or {}
        named = [({"system": row["code_system"], "code": row["code"]}, row["title"]),
                 (details.get("reason_coding"), details.get("reason")),
                 *zip(details.get("reaction_codings") or [], details.get("reactions") or [],
                      strict=False)]
        for coding, name in named:
            if coding and coding.get("system") and coding.get("code"):
                codes.setdefault((coding["system"], coding["code"]), name or "")
    return codes
