"""Reading FHIR R4 bundles: the JSON, its validation, and the references between resources.

fhir.resources 8 ships R5 as its default package, plus `R4B` and `STU3`, but no R4
package. R4B is R4 with a few additions (mostly new resources and medication-knowledge
changes); the resources a clinic's system sends (Patient, Encounter, Observation, ...) read
the same in both, so the R4 bundles are validated with the R4B models.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from pathlib import Path

from fhir.resources.R4B.bundle import Bundle as BundleModel

#: Bundle types whose entries are resources to store. A batch, search set or history
#: would need request semantics or paging that a clinic's export does not use.
SUPPORTED_TYPES = ("transaction", "collection")


class BundleError(Exception):
    """A bundle that cannot be imported. The message says why, without health content."""


def bundle_files(paths: Iterable[Path]) -> list[Path]:
    """The files to import: each file given, and the `*.json` files of each folder given."""
    files: list[Path] = []
    for path in paths:
        files.extend(sorted(path.glob("*.json")) if path.is_dir() else [path])
    return files


def read_bundle(path: Path) -> Bundle:
    """Read, validate and index the bundle in `path`, or raise BundleError saying why."""
    try:
        data = json.loads(path.read_bytes())
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise BundleError(f"invalid JSON: {exc}") from None
    return parse_bundle(data)


def parse_bundle(data) -> Bundle:
    """Validate and index a bundle already read from JSON, or raise BundleError saying why."""
    _check_envelope(data)
    _validate(data)
    bundle = Bundle(data)
    bundle.check_references()
    return bundle


def _check_envelope(data) -> None:
    """Refuse what the FHIR models let through: another type, an entry of no resource type."""
    if not isinstance(data, dict) or data.get("resourceType") != "Bundle":
        raise BundleError("not a FHIR Bundle")
    if data.get("type") not in SUPPORTED_TYPES:
        raise BundleError(f"bundle type {data.get('type')!r} is not one of "
                          + ", ".join(SUPPORTED_TYPES))
    for number, entry in enumerate(data.get("entry") or []):
        resource = entry.get("resource") if isinstance(entry, dict) else None
        if resource is not None and not isinstance(resource.get("resourceType"), str):
            raise BundleError(f"entry {number} holds a resource without a resourceType")


def _validate(data: dict) -> None:
    """Validate every resource with the FHIR models; name the first problem and where it is.

    Only the location and the library's message are reported, never the offending value:
    it may be a patient's result.
    """
    try:
        BundleModel.model_validate(data)
    except KeyError as exc:  # the library's lookup of an unknown resource type
        raise BundleError(f"unknown resource type {exc}") from None
    except ValueError as exc:  # pydantic's ValidationError is a ValueError
        errors = exc.errors(include_url=False, include_input=False) if hasattr(
            exc, "errors") else [{"loc": (), "msg": str(exc)}]
        first = errors[0]
        raise BundleError(f"fails FHIR validation at {_where(data, first['loc'])}: "
                          f"{first['msg']} ({len(errors)} problem(s) in all)") from None


def _where(data: dict, loc: tuple) -> str:
    """A readable location for a validation error: the entry's resource, then the path."""
    if len(loc) >= 3 and loc[0] == "entry" and isinstance(loc[1], int):
        resource = data["entry"][loc[1]].get("resource") or {}
        path = ".".join(str(part) for part in loc[3:]) or "(resource)"
        return f"entry {loc[1]} ({resource.get('resourceType')}/{resource.get('id')}) {path}"
    return ".".join(str(part) for part in loc) or "(bundle)"


class Bundle:
    """A validated bundle: its resources, with the id each is stored under, and references.

    A reference is resolved the way a FHIR server would within one bundle: `urn:uuid:...`
    and absolute URLs through the entries' fullUrl, `Type/id` through the entries' type
    and id, and `#id` through the resources contained in the referring resource.
    """

    def __init__(self, data: dict):
        """Index the entries; exactly one Patient is required, as the items belong to it."""
        #: (fhir id, resource) for every entry that holds a resource, in bundle order
        self.entries: list[tuple[str, dict]] = []
        self._by_url: dict[str, tuple[str, dict]] = {}
        for entry in data.get("entry") or []:
            resource = entry.get("resource")
            if resource is None:  # e.g. a DELETE request: nothing to store
                continue
            full_url = entry.get("fullUrl") or ""
            # Transaction bundles may leave out `id` on resources to be created; the
            # urn:uuid of the entry then identifies the resource instead.
            fhir_id = resource.get("id") or full_url.removeprefix("urn:uuid:")
            if not fhir_id or fhir_id == full_url:
                raise BundleError(f"a {resource['resourceType']} has neither an id nor a "
                                  "urn:uuid fullUrl")
            self.entries.append((fhir_id, resource))
            if full_url:
                self._by_url[full_url] = (fhir_id, resource)
            self._by_url[f"{resource['resourceType']}/{fhir_id}"] = (fhir_id, resource)
        patients = [item for item in self.entries if item[1]["resourceType"] == "Patient"]
        if len(patients) != 1:
            raise BundleError(f"the bundle holds {len(patients)} Patient resources, not one")
        self.patient_id, self.patient = patients[0]

    def _lookup(self, reference: str, container: dict | None) -> tuple[str | None, dict] | None:
        """The (fhir id, resource) `reference` points to; contained ones have no fhir id."""
        if reference.startswith("#"):
            if container is None:
                return None
            if reference == "#":  # a contained resource pointing back at its container
                return None, container
            wanted = reference[1:]
            for contained in container.get("contained") or ():
                if contained.get("id") == wanted:
                    return None, contained
            return None
        return self._by_url.get(reference.split("/_history/")[0])

    def resolve(self, reference: dict | None, container: dict | None = None) -> dict | None:
        """The resource a Reference element points to, or None when there is none."""
        if not reference or not isinstance(reference.get("reference"), str):
            return None
        found = self._lookup(reference["reference"], container)
        return found[1] if found else None

    def resolve_id(self, reference: dict | None) -> str | None:
        """The fhir id of the bundle resource a Reference element points to, or None."""
        if not reference or not isinstance(reference.get("reference"), str):
            return None
        found = self._lookup(reference["reference"], None)
        return found[0] if found else None

    def check_references(self) -> None:
        """Refuse a bundle with a reference that resolves to nothing in it.

        Such an item would point at a visit, report or prescriber the portal never
        receives; it is better to have the clinic's system send a complete bundle.
        """
        for _, resource in self.entries:
            for reference in _references(resource):
                if self._lookup(reference, resource) is None:
                    raise BundleError(f"a {resource['resourceType']} refers to {reference}, "
                                      "which is neither in the bundle nor contained")

    def check_subjects(self, resource_types: Iterable[str]) -> None:
        """Refuse a bundle in which an item of `resource_types` is about another patient."""
        wanted = set(resource_types)
        for _, resource in self.entries:
            if resource["resourceType"] not in wanted:
                continue
            about = resource.get("subject") or resource.get("patient")
            if about is not None and self.resolve(about, resource) is not self.patient:
                raise BundleError(f"a {resource['resourceType']} is about someone other "
                                  "than the bundle's patient")


def _references(node) -> Iterator[str]:
    """Every `reference` string in a resource, its contained resources included."""
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "reference" and isinstance(value, str):
                yield value
            elif isinstance(value, dict | list):
                yield from _references(value)
    elif isinstance(node, list):
        for value in node:
            if isinstance(value, dict | list):
                yield from _references(value)
