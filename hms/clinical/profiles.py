"""The hospital's clinical profile: read it (with the country's defaults until it is saved), change it.

A hospital starts from the conventions of its country (data/countries.toml over its
`[default]`), the country being the one of the hospital's time zone until the ADMIN names
another. Every clinical service reads the profile through `clinical_profile()`.
"""

from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from typing import Any

from django.db import models, transaction

from hms.accounts.models import User
from hms.accounts.permissions import Action, Resource, permission_require
from hms.audit.records import audit_row
from hms.clinical.models import ClinicalProfile, CodeSystem, LabUnits
from hms.core.countries import zone_country
from hms.core.datafiles import data_file
from hms.core.exceptions import ApplicationError
from hms.tenancy.context import current_tenant, get_hospital

# Code systems whose code set ships with this version; the others may be named but not chosen.
INSTALLED_CODE_SYSTEMS = frozenset({CodeSystem.ICD10_WHO, CodeSystem.ICD10_CM})
WEEKDAYS = range(1, 8)  # ISO: 1 = Monday ... 7 = Sunday
# The settings chosen from a list: the values their model fields list (the code system has its own rule).
LISTED_SETTINGS = ("lab_units", "weight_unit", "height_unit", "temperature_unit", "growth_reference")

_DATA = data_file("hms.clinical", "data/countries.toml")


@dataclass(frozen=True)
class ProfileDefaults:
    lab_units: str
    weight_unit: str
    height_unit: str
    temperature_unit: str
    diagnosis_code_system: str
    working_days: tuple[int, ...]
    growth_reference: str
    lab_unit_overrides: dict[str, str] = field(default_factory=dict)


def country_defaults(country: str | None) -> ProfileDefaults:
    """The conventions a hospital in `country` (ISO 3166 alpha-2, any case) starts with."""
    values: dict[str, Any] = {**_DATA["default"], **_DATA["country"].get((country or "").upper(), {})}
    values["working_days"] = tuple(values["working_days"])
    return ProfileDefaults(**values)


def countries_with_defaults() -> list[str]:
    """The countries that have conventions of their own in the data (the rest take the default)."""
    return sorted(_DATA["country"])


def _new_profile(country: str) -> ClinicalProfile:
    settings = asdict(country_defaults(country))  # copies: the profile shares no value with the defaults
    settings["working_days"] = list(settings["working_days"])
    return ClinicalProfile(pk=1, country=country, **settings)


def clinical_profile() -> ClinicalProfile:
    """The current hospital's profile; until it is saved, its country's defaults (not saved)."""
    tenant = current_tenant()
    row = ClinicalProfile.objects.using(tenant.alias).filter(pk=1).first()
    if row is not None:
        return row
    return _new_profile(zone_country(get_hospital(tenant.code).time_zone) or "")


def _checked(values: dict[str, Any]) -> dict[str, str]:
    """Field errors of a profile change (empty when it may be saved)."""
    errors: dict[str, str] = {}
    country = values.get("country")
    if (
        country is not None
        and country != ""
        and not (len(country) == 2 and country.isascii() and country.isalpha())
    ):
        errors["country"] = "Give the country as its two-letter ISO code (BD, GB, US)."
    system = values.get("diagnosis_code_system")
    if system is not None and system not in INSTALLED_CODE_SYSTEMS:
        label = CodeSystem(system).label if system in CodeSystem.values else system
        errors["diagnosis_code_system"] = f"{label} has no code set installed in this version."
    days = values.get("working_days")
    if days is not None and (
        not days or any(day not in WEEKDAYS for day in days) or len(set(days)) != len(days)
    ):
        errors["working_days"] = "Choose at least one working day, each once."
    overrides = values.get("lab_unit_overrides")
    if overrides is not None and any(unit not in LabUnits.values for unit in overrides.values()):
        errors["lab_unit_overrides"] = "A test's units are SI or CONVENTIONAL."
    for name in LISTED_SETTINGS:
        if name in values and values[name] not in _listed(name):
            errors[name] = "Choose one of the listed values."
    return errors


def _listed(name: str) -> list[str]:
    """The values the model field of the setting `name` lists."""
    column = ClinicalProfile._meta.get_field(name)
    assert isinstance(column, models.CharField)
    return [value for value, _label in column.flatchoices]


PROFILE_FIELDS = (
    "country",
    "lab_units",
    "lab_unit_overrides",
    "weight_unit",
    "height_unit",
    "temperature_unit",
    "diagnosis_code_system",
    "working_days",
    "growth_reference",
)


def clinical_profile_update(
    *, acting_user: User, client_address: str | None = None, **changes: Any
) -> ClinicalProfile:
    """Change the hospital's profile (ADMIN); what is not named keeps its value. Audited with the
    values before and after. Values recorded earlier keep their own units."""
    permission_require(user=acting_user, resource=Resource.CLINICAL_PROFILE, action=Action.UPDATE)
    unknown = sorted(set(changes) - set(PROFILE_FIELDS))
    if unknown:
        raise ApplicationError(f"No such profile setting: {', '.join(unknown)}.")
    if "country" in changes:
        changes["country"] = (changes["country"] or "").strip().upper()
    if "working_days" in changes:
        changes["working_days"] = _days(changes["working_days"])
    errors = _checked(changes)
    if errors:
        # Listed by field, as every service's refusal is (pages show each beside its field).
        details = {name: [message] for name, message in errors.items()}
        raise ApplicationError("The clinical profile was not changed.", details=details)
    alias = current_tenant().alias
    with transaction.atomic(using=alias):
        row = (
            ClinicalProfile.objects.using(alias).select_for_update().filter(pk=1).first()
            or clinical_profile()
        )
        before = {name: getattr(row, name) for name in changes}
        for name, value in changes.items():
            setattr(row, name, value)
        row.save(using=alias)
        audit_row(
            acting_user,
            "clinical_profile.update",
            row,
            client_address,
            changed={
                name: [before[name], changes[name]] for name in changes if before[name] != changes[name]
            },
        )
    return row


def _days(values: Iterable[Any]) -> list[int]:
    """ISO weekday numbers, in week order, from what a form or an API sent."""
    try:
        return sorted(int(value) for value in values)
    except (TypeError, ValueError) as error:
        raise ApplicationError(
            "The clinical profile was not changed.",
            details={"working_days": ["Working days are ISO weekday numbers, 1 = Monday ... 7 = Sunday."]},
        ) from error


def working_day(iso_weekday: int) -> bool:
    """Whether the current hospital works on that day of the week (ISO: 1 = Monday)."""
    return iso_weekday in clinical_profile().working_days
