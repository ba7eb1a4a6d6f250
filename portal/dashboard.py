"""Panels on the patient's home page: each area adds its own.

An area registers a loader with `@panel("messages", "messages/_dashboard.html")`; the home
page shows the panel when the clinic has the feature on, rendering the template with the
loader's result as `panel`. A loader runs a fixed number of queries.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from portal.clinic import current_clinic
from portal.models import Patient


@dataclass(frozen=True)
class Panel:
    feature: str
    template: str
    load: Callable[[Patient], dict]


PANELS: list[Panel] = []


def panel(feature: str, template: str):
    """Register `load(patient) -> dict` as the home-page panel of `feature`."""

    def decorator(load):
        PANELS.append(Panel(feature, template, load))
        return load

    return decorator


def panels_for(patient: Patient) -> list[tuple[str, dict]]:
    """(template, data) for every panel whose feature the clinic has switched on."""
    clinic = current_clinic()
    return [(p.template, p.load(patient)) for p in PANELS if clinic.feature_on(p.feature)]
