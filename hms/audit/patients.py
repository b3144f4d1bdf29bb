"""Patients as the audit log names them: by MRN in its filter, by name and MRN in its rows.

The patients app sits above this one (import-linter layers), so it registers its directory
here at start-up (hms.patients.apps), as the staff app registers the first-admin maker with
the engine. With none registered the log refuses an MRN filter rather than find nothing.
"""

from collections.abc import Callable, Iterable
from dataclasses import dataclass

from django.core.exceptions import ImproperlyConfigured


@dataclass(frozen=True)
class PatientDirectory:
    """`id_for_mrn(mrn)`: the id of the current hospital's patient with that MRN, or None;
    `labels(ids)`: "Karim Uddin (MRN 000000018)" by id, for the current hospital's patients."""

    id_for_mrn: Callable[[str], int | None]
    labels: Callable[[Iterable[int]], dict[int, str]]


_directories: list[PatientDirectory] = []


def patient_directory_set(directory: PatientDirectory) -> None:
    _directories[:] = [directory]


def patient_directory() -> PatientDirectory:
    if not _directories:
        raise ImproperlyConfigured(
            "No application registered a patient directory for the audit log (hms.patients)."
        )
    return _directories[0]
