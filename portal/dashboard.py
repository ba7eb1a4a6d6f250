"""Panels on the patient's home page: each area adds its own.

An area registers a loader with `@panel("messages", "messages/_dashboard.html")`; the home
page shows the panel when the clinic has the feature on, rendering the template with the
loader's result as `panel`. A loader runs a fixed number of queries.

A panel that shows figures (a count, a sum) names them instead: `figures` maps a name to
the area's statement of one value for the patient `bindparam("patient_id")`. The home page
reads the figures of all its panels in one statement and calls `load(patient, figures)`
with their values.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache

from sqlalchemy import Select, select

from portal.extensions import db
from portal.models import Patient


@dataclass(frozen=True, eq=False)
class Panel:
    feature: str
    template: str
    load: Callable[..., dict]
    figures: dict[str, Select] = field(default_factory=dict)


PANELS: list[Panel] = []


def panel(feature: str, template: str, figures: dict[str, Select] | None = None):
    """Register `load(patient) -> dict` as the home-page panel of `feature`; with `figures`,
    `load(patient, values) -> dict`, where `values` holds each figure's value by name."""

    def decorator(load):
        PANELS.append(Panel(feature, template, load, dict(figures or {})))
        return load

    return decorator


def panels_for(patient: Patient, shown: Sequence[Panel]) -> list[tuple[str, dict]]:
    """(template, data) for each panel of `shown`, their figures read in one statement."""
    statement = _figures_statement(tuple(shown))
    values = (db.session.execute(statement, {"patient_id": patient.id}).one()
              if statement is not None else ())
    found, at = [], 0
    for p in shown:
        if p.figures:
            figures = dict(zip(p.figures, values[at:at + len(p.figures)], strict=True))
            at += len(p.figures)
            found.append((p.template, p.load(patient, figures)))
        else:
            found.append((p.template, p.load(patient)))
    return found


@lru_cache(maxsize=64)
def _figures_statement(shown: tuple[Panel, ...]) -> Select | None:
    """One SELECT of every figure of `shown`, in their order; built once per set of panels."""
    columns = [figure.scalar_subquery() for p in shown for figure in p.figures.values()]
    return select(*columns) if columns else None
