"""What `flask portal import-fhir` prints: per file, per kind, and optional statistics."""

from __future__ import annotations

from collections.abc import Iterator

from portal.fhir.importer import ImportRun
from portal.records.models import KINDS
from portal.terminology.services import missing

MB = 1024 * 1024


def _codes_without_entry(run: ImportRun) -> Iterator[str]:
    """Lines naming the codes seen that patients would read in the source's words, because
    the terminology has no entry for them (staff add them under "Names patients read")."""
    seen: dict[tuple[str, str], str] = {}
    for result in run.files:
        for key, name in result.codes.items():
            seen.setdefault(key, name)
    lacking = sorted(missing(seen))
    if not lacking:
        if seen:
            yield "Every code seen has a patient-friendly name."
        return
    yield (f"{len(lacking)} code(s) seen without a patient-friendly name "
           "(add them in the staff console, Names patients read):")
    for system, code in lacking:
        yield f"  {system} {code} {seen[(system, code)]}"


def report_lines(run: ImportRun, stats: bool = False) -> Iterator[str]:
    """Lines for the administrator: what each file imported or why it was skipped."""
    for result in run.files:
        if result.error:
            yield f"{result.path.name}: SKIPPED, {result.error}"
            continue
        state = "new patient" if result.new_patient else "existing patient"
        yield f"{result.path.name}: imported for patient {result.patient_number} ({state})"
        for kind in (*KINDS, "referral"):
            counts = result.counts.get(kind)
            if counts:
                yield (f"  {kind:<13} new {counts['new']:>4}  changed {counts['changed']:>4}"
                       f"  unchanged {counts['unchanged']:>4}")
        if stats:
            yield f"  {result.size / MB:.2f} MB in {result.seconds:.2f} s"
    skipped = sum(1 for result in run.files if result.error)
    yield f"{len(run.files) - skipped} file(s) imported, {skipped} skipped."
    yield from _codes_without_entry(run)
    if stats:
        size = sum(result.size for result in run.files) / MB
        per_mb = f", {run.seconds / size:.2f} s per MB" if size else ""
        yield f"Stats: {size:.2f} MB in {run.seconds:.2f} s{per_mb}; peak memory of the " \
              f"process {run.peak_mb_after:.0f} MB (before the import {run.peak_mb_before:.0f} MB)."
