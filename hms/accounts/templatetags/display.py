"""Template filters for words people read: `{{ user|display_name }}` ("Dr Habib Ullah"),
`{{ unit|unit_label }}` ("°C" for UCUM "Cel"), `{{ code|lab_test_name:name }}` ("White blood cells"),
`{{ moment|zone_abbreviation }}` ("UTC+6" where the tz database says "+06")."""

import datetime

from django import template

from hms.accounts import display
from hms.accounts.models import User
from hms.core.display import lab_test_name as lab_name
from hms.core.display import unit_label as unit_text
from hms.core.display import zone_abbreviation as zone_text

register = template.Library()


@register.filter
def display_name(user: object) -> str:
    return display.display_name(user) if isinstance(user, User) else ""


@register.filter
def display_name_with_role(user: object) -> str:
    return display.display_name_with_role(user) if isinstance(user, User) else ""


@register.filter
def unit_label(unit: object) -> str:
    return unit_text(unit) if isinstance(unit, str) else ""


@register.filter
def lab_test_name(code: object, fallback: object = "") -> str:
    return lab_name(code if isinstance(code, str) else "", fallback if isinstance(fallback, str) else "")


@register.filter
def zone_abbreviation(moment: object) -> str:
    return zone_text(moment) if isinstance(moment, datetime.datetime) else ""
