"""What the demo's clinicians record through the services once the history is written, so that
the demo opens on them: the laboratory's results of the panels held back for the critical cases
(entered by the nurse, validated by the laboratory scientist, which raises the critical alert;
the older one already read back, acknowledged and noted by the doctor), the long-term conditions
of the patients seen on their problem lists, and "no known allergies" stated for a few of the
patients who have none. Each call is one of the clinical apps' own services, audited as it goes.
"""

import datetime
import random
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal

from hms.accounts.models import User
from hms.alerts.selectors import critical_alerts_to_acknowledge
from hms.alerts.services import CRITICAL_FLAGS, critical_alert_acknowledge
from hms.clinical.ages import age_on
from hms.clinical.profiles import clinical_profile
from hms.demo import clinical
from hms.demo.data.conditions import CHRONIC_RISKS, CONDITIONS
from hms.demo.data.critical import CRITICAL_CASES, CriticalCase
from hms.encounters.icd10 import code_set
from hms.encounters.models import Allergy, ClinicalNote, Diagnosis, Encounter
from hms.encounters.services import nka_record, note_amend, problem_add
from hms.orders.lab_catalogue import TESTS
from hms.orders.models import LabOrder, LabResult
from hms.orders.services import lab_panel_results_enter, lab_result_verify
from hms.orders.services.lab_results import CREATININE
from hms.patients.models import Patient
from hms.scheduling.wallclock import hospital_zone


def result_text(result: LabResult) -> str:
    """A result as a note says it: "TSH 7.21 mIU/L (high)"."""
    name = result.order.test_name.split(" [")[0]
    return f"{name} {result.display_value} ({result.get_flag_display().lower()})"


@dataclass(frozen=True)
class HeldPanel:
    """A critical case's panel, ordered at the patient's visit and collected, with no result yet."""

    case: CriticalCase
    orders: list[LabOrder]
    doctor: User  # who ordered it


def critical_results_report(
    *, nurse: User, lab: User | None, panels: Sequence[HeldPanel], today: datetime.date
) -> None:
    """Each held panel's results entered by the nurse (the whole panel at once) and validated by the
    laboratory scientist (the ordering doctor where the hospital has none), in the order of the
    cases: its critical value raises the alert to the doctor. A case with a read-back is then
    acknowledged from the doctor's start page and the visit's note amended with what was done."""
    units_for = clinical_profile().lab_units_for
    for panel in sorted(panels, key=lambda held: CRITICAL_CASES.index(held.case)):
        patient = Patient.objects.get(pk=panel.orders[0].patient_id)
        years = age_on(patient.birth_date, today).years
        typed = {}
        for order in panel.orders:
            test = TESTS[order.test_code]
            if test.code == CREATININE and panel.case.egfr is not None:
                value = clinical.creatinine_for_egfr(age_years=years, sex=patient.sex, band=panel.case.egfr)
            else:
                value = Decimal(panel.case.values[test.code])
            form, reported = clinical.lab_reported(test, value, units_for(test.code))
            typed[test.code] = (f"{reported:f}", form.unit)
        entered = lab_panel_results_enter(acting_user=nurse, order_id=panel.orders[0].pk, values=typed)
        validated = [
            lab_result_verify(acting_user=lab or panel.doctor, result_id=result.pk) for result in entered
        ]
        if panel.case.read_back:
            _acknowledge(panel, [r for r in validated if r.flag in CRITICAL_FLAGS])


def _acknowledge(panel: HeldPanel, critical: list[LabResult]) -> None:
    said = "; ".join(result_text(result) for result in critical)
    listed = critical_alerts_to_acknowledge(user=panel.doctor)  # the doctor's start page
    waiting = {entry.alert.record_id: entry.alert for entry in listed}
    for result in critical:
        critical_alert_acknowledge(
            acting_user=panel.doctor,
            alert_id=waiting[result.pk].pk,
            read_back=panel.case.read_back.format(result=result_text(result)),
        )
    note = ClinicalNote.objects.live().get(
        encounter_id=panel.orders[0].encounter_id, status=ClinicalNote.Status.SIGNED
    )
    note_amend(
        acting_user=panel.doctor,
        note=note.pk,
        text=panel.case.amendment.format(result=said),
        reason="Critical result acknowledged",
    )


def problem_lists_seed(
    rng: random.Random,
    *,
    doctors: Mapping[int, User],
    chronic: Mapping[int, Sequence[str]],
    born: Mapping[int, datetime.date],
) -> int:
    """Put the long-term conditions of each patient a doctor has seen on the patient's problem list:
    from the latest diagnosis of it, by the doctor who made it ("Add to the problem list" on the
    encounter), else with its code in the hospital's system by the doctor who saw the patient
    last. The onset is drawn from years back (before the first visit here). Returns how many."""
    codes = code_set()
    seen: dict[int, tuple[datetime.date, int]] = {}  # patient -> (first visit's day, last doctor)
    visits = (
        Encounter.objects.live()
        .filter(patient_id__in=[pk for pk, conditions in chronic.items() if conditions])
        .order_by("started_at", "id")
        .values_list("patient_id", "practitioner_user_id", "started_at")
    )
    zone = hospital_zone()
    for patient_id, doctor_id, started in visits:
        first = seen[patient_id][0] if patient_id in seen else started.astimezone(zone).date()
        seen[patient_id] = (first, doctor_id)
    diagnosed: dict[tuple[int, str], tuple[int, int]] = {}  # (patient, code) -> the latest (id, doctor)
    latest_first = (
        Diagnosis.objects.live()
        .filter(patient_id__in=list(seen), code_system=codes.key)
        .order_by("encounter__started_at", "id")
        .values_list("patient_id", "icd10_code", "pk", "recorded_by_id")
    )
    for patient_id, code, pk, doctor_id in latest_first:
        diagnosed[(patient_id, code)] = (pk, doctor_id)
    added = 0
    for patient_id in sorted(seen):
        first_visit, last_doctor = seen[patient_id]
        for key in chronic[patient_id]:
            condition = CONDITIONS[key]
            risk = CHRONIC_RISKS.get(key)
            onset = clinical.onset_date(
                rng,
                born=born[patient_id],
                before=first_visit,
                min_age=risk.min_age if risk is not None else condition.min_age,
            )
            code = condition.code_in(codes.key)
            source = diagnosed.get((patient_id, code))
            if source is not None and source[1] in doctors:
                problem_add(acting_user=doctors[source[1]], diagnosis=source[0], onset_date=onset)
            else:
                problem_add(acting_user=doctors[last_doctor], patient=patient_id, code=code, onset_date=onset)
            added += 1
    return added


def nka_seed(rng: random.Random, *, nurse: User, allergy_free: Sequence[int], share: float) -> int:
    """State "no known allergies" (asked at triage, by the nurse) for the patients being seen today
    and `share` of the others a doctor has seen, among `allergy_free` (none recorded). Returns how many."""
    free = set(allergy_free) - set(
        Allergy.objects.live().filter(status=Allergy.Status.ACTIVE).values_list("patient_id", flat=True)
    )
    encounters = Encounter.objects.live().filter(patient_id__in=free)
    today = set(encounters.filter(status=Encounter.Status.IN_PROGRESS).values_list("patient_id", flat=True))
    others = sorted(set(encounters.values_list("patient_id", flat=True)) - today)
    chosen = sorted(today) + sorted(rng.sample(others, round(len(others) * share)))
    for patient_id in chosen:
        nka_record(acting_user=nurse, patient=patient_id)
    return len(chosen)
