"""Pure mappings from the hospital's rows to FHIR R4 resources (JSON-ready dicts), and from a
posted Patient or Appointment to the values the services take. No queries here: the caller
passes what a mapping needs (`Context`: the hospital's code, people's names).

Identifier systems are URNs per hospital, stable for good: `urn:hms:<CODE>:mrn` for the
MRN, `urn:hms:<CODE>:national-id`, `:insurance`, `:passport`, `:other` for the other
numbers a patient is known by, `urn:hms:<CODE>:licence` for a practitioner's licence and
`urn:hms:hospital` for the hospital's code (docs/api.md, "FHIR").
"""

import datetime
import decimal
from dataclasses import dataclass, field
from typing import Any

from django.utils import timezone

from hms.encounters.icd10 import CODE_SETS
from hms.encounters.models import (
    Allergy,
    Diagnosis,
    Encounter,
    NoKnownAllergies,
    Observation,
    ProblemListItem,
)
from hms.encounters.vitals import BP_PANEL, SYSTOLIC, VITALS, vital_code_system, vital_name
from hms.hospitals.models import Hospital
from hms.orders.lab_catalogue import TEST_OF_CODE
from hms.orders.models import LabOrder, LabResult, Prescription
from hms.patients.models import Patient, PatientIdentifier
from hms.scheduling.models import Appointment
from hms.staff.models import Department, StaffMember

LOINC = "http://loinc.org"
UCUM = "http://unitsofmeasure.org"
SNOMED = "http://snomed.info/sct"
ICD10CM = "http://hl7.org/fhir/sid/icd-10-cm"
OBSERVATION_CATEGORY = "http://terminology.hl7.org/CodeSystem/observation-category"
CONDITION_CATEGORY = "http://terminology.hl7.org/CodeSystem/condition-category"
CONDITION_VERIFICATION = "http://terminology.hl7.org/CodeSystem/condition-ver-status"
CONDITION_CLINICAL = "http://terminology.hl7.org/CodeSystem/condition-clinical"
ENCOUNTER_DIAGNOSIS, PROBLEM_LIST_ITEM = "encounter-diagnosis", "problem-list-item"
CONDITION_CATEGORIES = {ENCOUNTER_DIAGNOSIS: "Encounter Diagnosis", PROBLEM_LIST_ITEM: "Problem List Item"}
ALLERGY_CLINICAL = "http://terminology.hl7.org/CodeSystem/allergyintolerance-clinical"
ALLERGY_VERIFICATION = "http://terminology.hl7.org/CodeSystem/allergyintolerance-verification"
INTERPRETATION = "http://terminology.hl7.org/CodeSystem/v3-ObservationInterpretation"
DIAGNOSTIC_SERVICE = "http://terminology.hl7.org/CodeSystem/v2-0074"
ACT_CODE = "http://terminology.hl7.org/CodeSystem/v3-ActCode"
IDENTIFIER_TYPE = "http://terminology.hl7.org/CodeSystem/v2-0203"
HOSPITAL_SYSTEM = "urn:hms:hospital"

IDENTIFIER_SYSTEM_NAMES = {
    PatientIdentifier.System.NATIONAL_ID: "national-id",
    PatientIdentifier.System.INSURANCE: "insurance",
    PatientIdentifier.System.PASSPORT: "passport",
    PatientIdentifier.System.OTHER: "other",
}
VITAL_SIGNS, LABORATORY = "vital-signs", "laboratory"
VITAL_PREFIX, LAB_PREFIX = "vital-", "lab-"
PROBLEM_PREFIX = "problem-"  # a Condition of the problem list (an encounter diagnosis has no prefix)
NKA_PREFIX = "nka-"  # an AllergyIntolerance stating no known allergies (an allergy has no prefix)
# SNOMED CT 716186003 |No known allergy (situation)|: the code the International Patient Summary
# and US Core give an AllergyIntolerance that states the patient has none.
NO_KNOWN_ALLERGY = {"system": SNOMED, "code": "716186003", "display": "No known allergy (situation)"}
# HL7 v3 ActCode's display names of the encounter classes (FHIR R4 Encounter.class).
ENCOUNTER_CLASS_DISPLAY = {
    Encounter.Class.AMBULATORY: "ambulatory",
    Encounter.Class.EMERGENCY: "emergency",
    Encounter.Class.INPATIENT: "inpatient encounter",
    Encounter.Class.HOME_HEALTH: "home health",
    Encounter.Class.VIRTUAL: "virtual",
}

APPOINTMENT_STATUS = {
    Appointment.Status.BOOKED: "booked",
    Appointment.Status.ARRIVED: "arrived",
    Appointment.Status.IN_CONSULTATION: "checked-in",
    Appointment.Status.COMPLETED: "fulfilled",
    Appointment.Status.CANCELLED: "cancelled",
    Appointment.Status.NO_SHOW: "noshow",
}
APPOINTMENT_STATUS_FROM_FHIR = {fhir: ours for ours, fhir in APPOINTMENT_STATUS.items()}
ENCOUNTER_STATUS = {Encounter.Status.IN_PROGRESS: "in-progress", Encounter.Status.FINISHED: "finished"}
LAB_FLAGS = {"N": "N", "L": "L", "H": "H", "LL": "LL", "HH": "HH", "A": "A"}
MEDICATION_STATUS = {
    Prescription.Status.ACTIVE: "active",
    Prescription.Status.COMPLETED: "completed",
    Prescription.Status.STOPPED: "stopped",
}


LAB_REPORT_STATUS: dict[str, str] = {
    LabOrder.Status.ORDERED: "registered",
    LabOrder.Status.COLLECTED: "registered",
    LabOrder.Status.RESULTED: "preliminary",
    LabOrder.Status.VERIFIED: "final",
    LabOrder.Status.CANCELLED: "cancelled",
}
LAB_REQUEST_STATUS: dict[str, str] = {
    LabOrder.Status.ORDERED: "active",
    LabOrder.Status.COLLECTED: "active",
    LabOrder.Status.RESULTED: "active",
    LabOrder.Status.VERIFIED: "completed",
    LabOrder.Status.CANCELLED: "revoked",
}


@dataclass(frozen=True)
class Context:
    """What mappings need besides the row: the hospital's code and people's display names by id."""

    code: str
    names: dict[int, str] = field(default_factory=dict)


def mrn_system(code: str) -> str:
    return f"urn:hms:{code}:mrn"


def identifier_system(code: str, system: str) -> str:
    return f"urn:hms:{code}:{IDENTIFIER_SYSTEM_NAMES[PatientIdentifier.System(system)]}"


def identifier_systems(code: str) -> dict[str, str]:
    """Our identifier system of each FHIR system URI of this hospital (the MRN's is "MRN")."""
    systems = {identifier_system(code, system): str(system) for system in IDENTIFIER_SYSTEM_NAMES}
    return {mrn_system(code): "MRN", **systems}


def licence_system(code: str) -> str:
    return f"urn:hms:{code}:licence"


def instant(value: datetime.datetime) -> str:
    return value.astimezone(datetime.UTC).isoformat().replace("+00:00", "Z")


def _head(resource_type: str, row: Any, resource_id: str = "") -> dict[str, Any]:
    """What a resource made from a row begins with: its type, its id (the row's, unless given)
    and its meta (when the row last changed, if it keeps that)."""
    updated = getattr(row, "updated_at", None)
    meta = {"lastUpdated": instant(updated)} if updated else {}
    return {"resourceType": resource_type, "id": resource_id or str(row.pk), "meta": meta}


def reference(resource_type: str, pk: int, display: str = "") -> dict[str, str]:
    ref = {"reference": f"{resource_type}/{pk}"}
    if display:
        ref["display"] = display
    return ref


def _decimal(value: decimal.Decimal) -> float | int:
    normal = value.normalize()
    return int(normal) if normal == normal.to_integral_value() else float(normal)


def _text(text: str) -> dict[str, str]:
    return {"text": text}


# No HL7 extension marks an estimated birth date (national guides each define their own): ours, on
# the birthDate element, so a reader that knows none of them still reads the date.
BIRTH_DATE_ESTIMATED = "urn:hms:fhir:birth-date-estimated"
# HL7 Gender Harmony's sex parameter for clinical use (FHIR extensions pack), a complex extension.
SEX_FOR_CLINICAL_USE = "http://hl7.org/fhir/StructureDefinition/patient-sexParameterForClinicalUse"
SEX_FOR_CLINICAL_USE_CODES = "http://terminology.hl7.org/CodeSystem/sex-parameter-for-clinical-use"


def _human_name(patient: Patient) -> dict[str, Any]:
    """The patient's official name: a single-name patient has only the part they have."""
    name: dict[str, Any] = {"use": "official", "text": patient.full_name}
    if patient.family_name:
        name["family"] = patient.family_name
    if patient.given_name:
        name["given"] = [patient.given_name]
    return name


def _sex_for_clinical_use(sex: str) -> dict[str, Any]:
    code, display = f"{sex}-typical", f"{sex.capitalize()} typical"
    return {
        "url": SEX_FOR_CLINICAL_USE,
        "extension": [
            {
                "url": "value",
                "valueCodeableConcept": {
                    "coding": [{"system": SEX_FOR_CLINICAL_USE_CODES, "code": code, "display": display}]
                },
            }
        ],
    }


def patient_resource(patient: Patient, context: Context) -> dict[str, Any]:
    identifiers: list[dict[str, Any]] = [
        {
            "use": "usual",
            "type": {
                "coding": [{"system": IDENTIFIER_TYPE, "code": "MR", "display": "Medical record number"}],
                "text": "MRN",
            },
            "system": mrn_system(context.code),
            "value": patient.mrn,
        }
    ]
    identifiers += [
        {"system": identifier_system(context.code, row.system), "value": row.value}
        for row in patient.identifiers.all()
    ]
    resource: dict[str, Any] = {
        **_head("Patient", patient),
        "identifier": identifiers,
        "active": True,
        "name": [_human_name(patient)],
        "gender": patient.sex,
        "birthDate": patient.birth_date.isoformat(),
    }
    if patient.birth_date_estimated:
        resource["_birthDate"] = {"extension": [{"url": BIRTH_DATE_ESTIMATED, "valueBoolean": True}]}
    if patient.deceased_at is not None:
        resource["deceasedDateTime"] = patient.deceased_at.isoformat()
    if patient.sex_for_clinical_use:
        resource["extension"] = [_sex_for_clinical_use(patient.sex_for_clinical_use)]
    telecom = [{"system": "phone", "value": patient.phone}] if patient.phone else []
    telecom += [{"system": "email", "value": patient.email}] if patient.email else []
    if telecom:
        resource["telecom"] = telecom
    if patient.address:
        resource["address"] = [{"text": patient.address}]
    contacts = [
        {
            "relationship": [_text(kin.relationship)],
            "name": {"text": kin.name},
            **({"telecom": [{"system": "phone", "value": kin.phone}]} if kin.phone else {}),
        }
        for kin in patient.next_of_kin.all()
    ]
    if contacts:
        resource["contact"] = contacts
    return resource


def _patient_ref(row: Any) -> dict[str, str]:
    patient = row.patient
    return reference("Patient", patient.pk, patient.full_name)


def _practitioner_ref(user_id: int | None, context: Context) -> dict[str, str]:
    assert user_id is not None
    return reference("Practitioner", user_id, context.names.get(user_id, ""))


def encounter_resource(encounter: Encounter, context: Context) -> dict[str, Any]:
    period = {"start": instant(encounter.started_at)}
    if encounter.ended_at:
        period["end"] = instant(encounter.ended_at)
    resource: dict[str, Any] = {
        **_head("Encounter", encounter),
        "status": ENCOUNTER_STATUS[Encounter.Status(encounter.status)],
        "class": {
            "system": ACT_CODE,
            "code": encounter.encounter_class,
            "display": ENCOUNTER_CLASS_DISPLAY[Encounter.Class(encounter.encounter_class)],
        },
        "subject": _patient_ref(encounter),
        "participant": [{"individual": _practitioner_ref(encounter.practitioner_user_id, context)}],
        "period": period,
    }
    if encounter.appointment_id:
        resource["appointment"] = [reference("Appointment", encounter.appointment_id)]
    if encounter.reason:
        resource["reasonCode"] = [_text(encounter.reason)]
    return resource


def _category(code: str, display: str) -> list[dict[str, Any]]:
    return [{"coding": [{"system": OBSERVATION_CATEGORY, "code": code, "display": display}]}]


def _quantity(value: decimal.Decimal, unit: str, label: str) -> dict[str, Any]:
    return {"value": _decimal(value), "unit": label or unit, "system": UCUM, "code": unit}


# SNOMED CT codes of a blood pressure's position (FHIR's observation-bodyPosition extension).
BODY_POSITIONS = {"sitting": "33586001", "standing": "10904000", "lying": "102538003"}
BODY_POSITION_EXTENSION = "http://hl7.org/fhir/StructureDefinition/observation-bodyPosition"


def _vital_value(observation: Observation) -> dict[str, Any]:
    """valueQuantity, or valueCodeableConcept for a coded answer (ACVPU); none for a panel."""
    vital = VITALS.get(observation.loinc_code)
    if vital is not None and vital.coded:
        answer = vital.answer_find(observation.value_code)
        coding = (
            [{"system": SNOMED, "code": answer.snomed, "display": answer.label}]
            if answer and answer.snomed
            else []
        )
        return {"valueCodeableConcept": {"coding": coding, "text": observation.value_code}}
    if observation.value is None:
        return {}
    return {
        "valueQuantity": _quantity(observation.value, observation.unit, vital.unit_label if vital else "")
    }


def _interpretation(flag: str) -> dict[str, Any]:
    return {"interpretation": [{"coding": [{"system": INTERPRETATION, "code": flag}]}]} if flag else {}


def _vital_code(observation: Observation) -> dict[str, Any]:
    """A vital sign's code (LOINC, or ours where LOINC has none), with its name."""
    display = vital_name(observation.loinc_code)
    system = vital_code_system(observation.loinc_code)
    return {
        "coding": [{"system": system, "code": observation.loinc_code, "display": display}],
        "text": display,
    }


def _component(observation: Observation) -> dict[str, Any]:
    return {
        "code": _vital_code(observation),
        **_vital_value(observation),
        **_interpretation(observation.abnormal_flag),
    }


def vital_resource(observation: Observation, context: Context) -> dict[str, Any]:
    """A vital sign; a blood pressure as the panel (LOINC 85354-9) with its systolic and diastolic
    as components and its position, as the FHIR vital-signs profile has it."""
    resource: dict[str, Any] = {
        **_head("Observation", observation, f"{VITAL_PREFIX}{observation.pk}"),
        "status": "final",
        "category": _category(VITAL_SIGNS, "Vital Signs"),
        "code": _vital_code(observation),
        "subject": _patient_ref(observation),
        "encounter": reference("Encounter", observation.encounter_id),
        "effectiveDateTime": instant(observation.effective_at),
        "issued": instant(observation.recorded_at),
        "performer": [_practitioner_ref(observation.recorded_by_id, context)],
        **_vital_value(observation),
        **_interpretation(observation.abnormal_flag),
    }
    if observation.loinc_code == BP_PANEL:
        parts = sorted(observation.components.all(), key=lambda row: row.loinc_code != SYSTOLIC)
        resource["component"] = [_component(row) for row in parts]
    if observation.body_position:
        position = observation.get_body_position_display()
        resource["extension"] = [
            {
                "url": BODY_POSITION_EXTENSION,
                "valueCodeableConcept": {
                    "coding": [{"system": SNOMED, "code": BODY_POSITIONS[observation.body_position]}],
                    "text": position,
                },
            }
        ]
    if observation.body_site:
        resource["bodySite"] = {"text": observation.get_body_site_display()}
    derived = [{"reference": f"Observation/{VITAL_PREFIX}{row.pk}"} for row in observation.derived_from.all()]
    if derived:
        resource["derivedFrom"] = derived
    return resource


def _result_code(result: LabResult) -> dict[str, Any]:
    """The LOINC code the result was stored with, the one its unit matches (glucose in mmol/L is
    14749-6, in mg/dL 2345-7), named as LOINC names it."""
    order = result.order
    test = TEST_OF_CODE.get(result.loinc_code)
    form = test.form_of_code(result.loinc_code) if test is not None else None
    display = form.name if form is not None else order.test_name
    return {"coding": [{"system": LOINC, "code": result.loinc_code, "display": display}], "text": display}


def lab_resource(result: LabResult, context: Context) -> dict[str, Any]:
    order = result.order
    status = ("corrected" if result.supersedes_id else "final") if result.is_verified else "preliminary"
    resource: dict[str, Any] = {
        **_head("Observation", result, f"{LAB_PREFIX}{result.pk}"),
        "status": status,
        "category": _category(LABORATORY, "Laboratory"),
        "code": _result_code(result),
        "subject": reference("Patient", order.patient_id, order.patient.full_name),
        "encounter": reference("Encounter", order.encounter_id),
        "effectiveDateTime": instant(order.collected_at or result.entered_at),
        "issued": instant(result.verified_at or result.entered_at),
        "performer": [_practitioner_ref(result.verified_by_id or result.entered_by_id, context)],
    }
    if result.value_numeric is not None:
        resource["valueQuantity"] = _quantity(result.value_numeric, result.unit, result.unit)
        if not result.unit:
            del (
                resource["valueQuantity"]["system"],
                resource["valueQuantity"]["code"],
                resource["valueQuantity"]["unit"],
            )
    else:
        resource["valueString"] = result.value_text
    if result.flag:
        resource["interpretation"] = [
            {"coding": [{"system": INTERPRETATION, "code": LAB_FLAGS[result.flag]}]}
        ]
    ranges: dict[str, Any] = {}
    if result.reference_low is not None:
        ranges["low"] = _quantity(result.reference_low, result.unit, result.unit)
    if result.reference_high is not None:
        ranges["high"] = _quantity(result.reference_high, result.unit, result.unit)
    if result.reference_text:
        ranges["text"] = result.reference_text
    if ranges and result.unit:
        resource["referenceRange"] = [ranges]
    if result.comment:
        resource["note"] = [{"text": result.comment}]
    return resource


def code_system_uri(system: str) -> str:
    """The FHIR URI of the code system a diagnosis or problem was coded in (the WHO's ICD-10 or
    ICD-10-CM)."""
    codes = CODE_SETS.get(system)
    return codes.system_uri if codes is not None else ICD10CM


def _condition_category(code: str) -> list[dict[str, Any]]:
    return [{"coding": [{"system": CONDITION_CATEGORY, "code": code, "display": CONDITION_CATEGORIES[code]}]}]


def _condition_code(system: str, code: str, description: str) -> dict[str, Any]:
    return {
        "coding": [{"system": code_system_uri(system), "code": code, "display": description}],
        "text": description,
    }


def condition_resource(diagnosis: Diagnosis, context: Context) -> dict[str, Any]:
    return {
        **_head("Condition", diagnosis),
        "verificationStatus": {"coding": [{"system": CONDITION_VERIFICATION, "code": diagnosis.certainty}]},
        "category": _condition_category(ENCOUNTER_DIAGNOSIS),
        "code": _condition_code(diagnosis.code_system, diagnosis.icd10_code, diagnosis.description),
        "subject": _patient_ref(diagnosis),
        "encounter": reference("Encounter", diagnosis.encounter_id),
        "recordedDate": instant(diagnosis.created_at),
        "recorder": _practitioner_ref(diagnosis.recorded_by_id, context),
    }


def problem_resource(problem: ProblemListItem, context: Context) -> dict[str, Any]:
    """A problem of the problem list: a Condition of category problem-list-item (US Core's
    Condition Problems and Health Concerns), its clinical status ours (active, inactive, resolved)."""
    resource: dict[str, Any] = {
        **_head("Condition", problem, f"{PROBLEM_PREFIX}{problem.pk}"),
        "clinicalStatus": {"coding": [{"system": CONDITION_CLINICAL, "code": problem.status}]},
        "verificationStatus": {"coding": [{"system": CONDITION_VERIFICATION, "code": "confirmed"}]},
        "category": _condition_category(PROBLEM_LIST_ITEM),
        "code": _condition_code(problem.code_system, problem.code, problem.description),
        "subject": _patient_ref(problem),
        "recordedDate": instant(problem.created_at),
        "recorder": _practitioner_ref(problem.recorded_by_id, context),
    }
    if problem.onset_date is not None:
        resource["onsetDateTime"] = problem.onset_date.isoformat()
    if problem.resolved_date is not None:
        resource["abatementDateTime"] = problem.resolved_date.isoformat()
    if problem.diagnosis_id is not None:
        resource["evidence"] = [{"detail": [reference("Condition", problem.diagnosis_id)]}]
    return resource


def no_known_allergies_resource(statement: NoKnownAllergies, context: Context) -> dict[str, Any]:
    """ "No known allergies" as an AllergyIntolerance coded SNOMED CT 716186003; active while it is
    the patient's current statement, inactive once an allergy recorded after it superseded it."""
    return {
        **_head("AllergyIntolerance", statement, f"{NKA_PREFIX}{statement.pk}"),
        "clinicalStatus": {
            "coding": [
                {"system": ALLERGY_CLINICAL, "code": "inactive" if statement.superseded_at else "active"}
            ]
        },
        "verificationStatus": {"coding": [{"system": ALLERGY_VERIFICATION, "code": "confirmed"}]},
        "code": {"coding": [NO_KNOWN_ALLERGY], "text": "No known allergies"},
        "patient": _patient_ref(statement),
        "recordedDate": instant(statement.created_at),
        "recorder": _practitioner_ref(statement.recorded_by_id, context),
    }


def allergy_resource(allergy: Allergy, context: Context) -> dict[str, Any]:
    resource: dict[str, Any] = {
        **_head("AllergyIntolerance", allergy),
        "clinicalStatus": {"coding": [{"system": ALLERGY_CLINICAL, "code": allergy.status}]},
        "verificationStatus": {"coding": [{"system": ALLERGY_VERIFICATION, "code": "confirmed"}]},
        "type": allergy.type,
        "criticality": allergy.criticality,
        "code": _text(allergy.substance),
        "patient": _patient_ref(allergy),
        "recordedDate": instant(allergy.created_at),
        "recorder": _practitioner_ref(allergy.recorded_by_id, context),
    }
    if allergy.category != Allergy.Category.OTHER:
        resource["category"] = [allergy.category]
    if allergy.reaction:
        resource["reaction"] = [{"manifestation": [_text(allergy.reaction)], "severity": allergy.severity}]
    return resource


def medication_request_resource(prescription: Prescription, context: Context) -> dict[str, Any]:
    dose = f"{prescription.dose.normalize():f} {prescription.dose_unit}"
    text = ", ".join(
        part
        for part in (
            dose,
            prescription.get_route_display(),
            prescription.get_frequency_display(),
            f"for {prescription.duration_days} days" if prescription.duration_days else "",
            prescription.instructions,
        )
        if part
    )
    return {
        **_head("MedicationRequest", prescription),
        # As the pages show it: an active course whose last day has passed is completed.
        "status": MEDICATION_STATUS[Prescription.Status(prescription.current_status(timezone.now()))],
        "intent": "order",
        "medicationCodeableConcept": _text(f"{prescription.drug_name} {prescription.strength}".strip()),
        "subject": _patient_ref(prescription),
        "encounter": reference("Encounter", prescription.encounter_id),
        "authoredOn": instant(prescription.starts_at),
        "requester": _practitioner_ref(prescription.prescriber_id, context),
        "dosageInstruction": [{"text": text}],
    }


def appointment_resource(appointment: Appointment, context: Context) -> dict[str, Any]:
    resource: dict[str, Any] = {
        **_head("Appointment", appointment),
        "status": APPOINTMENT_STATUS[Appointment.Status(appointment.status)],
        "start": instant(appointment.starts_at),
        "end": instant(appointment.ends_at),
        "minutesDuration": appointment.duration_minutes,
        "created": instant(appointment.created_at),
        "participant": [
            {"actor": _patient_ref(appointment), "status": "accepted"},
            {"actor": _practitioner_ref(appointment.practitioner_user_id, context), "status": "accepted"},
        ],
    }
    if appointment.reason:
        resource["description"] = appointment.reason
    if appointment.cancel_reason:
        resource["cancelationReason"] = _text(appointment.cancel_reason)
    return resource


def practitioner_resource(user: Any, context: Context, licence: str = "") -> dict[str, Any]:
    resource: dict[str, Any] = {
        "resourceType": "Practitioner",
        "id": str(user.pk),
        "active": bool(user.is_active),
        "name": [{"text": context.names.get(user.pk) or user.get_username()}],
    }
    if user.last_name or user.first_name:
        name = resource["name"][0]
        if user.last_name:
            name["family"] = user.last_name
        if user.first_name:
            name["given"] = [user.first_name]
    if licence:
        resource["identifier"] = [{"system": licence_system(context.code), "value": licence}]
    return resource


def organization_id(hospital: Hospital) -> str:
    return hospital.code.lower().replace("_", "-")


def organization_resource(hospital: Hospital) -> dict[str, Any]:
    return {
        "resourceType": "Organization",
        "id": organization_id(hospital),
        "identifier": [{"system": HOSPITAL_SYSTEM, "value": hospital.code}],
        "active": hospital.status == Hospital.Status.ACTIVE,
        "type": [
            {
                "coding": [
                    {"system": "http://terminology.hl7.org/CodeSystem/organization-type", "code": "prov"}
                ]
            }
        ],
        "name": hospital.name,
    }


def _lab_code(order: LabOrder) -> dict[str, Any]:
    return {
        "coding": [{"system": LOINC, "code": order.test_code, "display": order.test_name}],
        "text": order.test_name,
    }


def diagnostic_report_resource(order: LabOrder, context: Context) -> dict[str, Any]:
    """A lab order's report: its status, and the results the reader may see (`fhir_results`)."""
    results = [r for r in getattr(order, "fhir_results", []) if r.is_current]
    resource: dict[str, Any] = {
        **_head("DiagnosticReport", order),
        "status": LAB_REPORT_STATUS[LabOrder.Status(order.status)],
        "category": [{"coding": [{"system": DIAGNOSTIC_SERVICE, "code": "LAB", "display": "Laboratory"}]}],
        "code": _lab_code(order),
        "subject": _patient_ref(order),
        "encounter": reference("Encounter", order.encounter_id),
        "effectiveDateTime": instant(order.collected_at or order.ordered_at),
        "basedOn": [reference("ServiceRequest", order.pk)],
    }
    verified = [r.verified_at for r in results if r.verified_at]
    if verified:
        resource["issued"] = instant(max(verified))
    if results:
        resource["result"] = [{"reference": f"Observation/{LAB_PREFIX}{r.pk}"} for r in results]
    return resource


def service_request_resource(order: LabOrder, context: Context) -> dict[str, Any]:
    resource: dict[str, Any] = {
        **_head("ServiceRequest", order),
        "status": LAB_REQUEST_STATUS[LabOrder.Status(order.status)],
        "intent": "order",
        "priority": order.priority,
        "code": _lab_code(order),
        "subject": _patient_ref(order),
        "encounter": reference("Encounter", order.encounter_id),
        "authoredOn": instant(order.ordered_at),
        "requester": _practitioner_ref(order.ordered_by_id, context),
    }
    if order.clinical_note:
        resource["note"] = [{"text": order.clinical_note}]
    return resource


ROLE_CODES = {"DOCTOR": "doctor", "NURSE": "nurse"}
PRACTITIONER_ROLE = "http://terminology.hl7.org/CodeSystem/practitioner-role"


def practitioner_role_resource(member: StaffMember, context: Context, hospital: Hospital) -> dict[str, Any]:
    """A staff member's place in the hospital: who, their role, specialty and department."""
    role: dict[str, Any] = {"text": member.get_role_display()}
    if member.role in ROLE_CODES:
        role["coding"] = [{"system": PRACTITIONER_ROLE, "code": ROLE_CODES[member.role]}]
    resource: dict[str, Any] = {
        **_head("PractitionerRole", member),
        "active": member.is_active,
        "practitioner": _practitioner_ref(member.user_id, context),
        "organization": reference_to("Organization", organization_id(hospital), hospital.name),
        "code": [role],
    }
    if member.specialty:
        resource["specialty"] = [_text(member.specialty)]
    if member.department is not None:
        resource["location"] = [reference("Location", member.department.pk, member.department.name)]
    return resource


def location_resource(department: Department, hospital: Hospital) -> dict[str, Any]:
    """A department of the hospital, as the place its staff work."""
    return {
        **_head("Location", department),
        "status": "active" if department.is_active else "inactive",
        "identifier": [{"system": f"urn:hms:{hospital.code}:department", "value": department.code}],
        "name": department.name,
        "mode": "instance",
        "type": [
            {"coding": [{"system": ROLE_TYPE, "code": "HOSP", "display": "Hospital"}], "text": "Department"}
        ],
        "managingOrganization": reference_to("Organization", organization_id(hospital), hospital.name),
    }


ROLE_TYPE = "http://terminology.hl7.org/CodeSystem/v3-RoleCode"


def reference_to(resource_type: str, ident: str, display: str = "") -> dict[str, str]:
    ref = {"reference": f"{resource_type}/{ident}"}
    if display:
        ref["display"] = display
    return ref
