"""FHIR creates and updates of Patient and Appointment: the posted resource read into the values
the pages' services take, then the service itself (hms.patients.services,
hms.scheduling.services), so every rule of the pages holds here too."""

import datetime
from typing import Any

from django.db.models import Q

from hms.accounts.models import User
from hms.accounts.permissions import Action, Resource
from hms.care.access import patient_access
from hms.core.exceptions import ApplicationError, NotFound
from hms.fhir import mappers
from hms.fhir.http import FhirError, bad_request
from hms.fhir.search import reference_id
from hms.patients.models import Patient
from hms.patients.services import CONTACT_FIELDS, PossibleDuplicate, patient_register, patient_update
from hms.scheduling.models import FREE_STATUSES, Appointment
from hms.scheduling.services import appointment_book, appointment_reschedule, appointment_status_set
from hms.tenancy.context import current_tenant


def _expect(body: dict[str, Any], resource_type: str, resource_id: str | None) -> None:
    if body.get("resourceType") != resource_type:
        raise bad_request(f"The body must be a {resource_type} resource.")
    if resource_id is not None and str(body.get("id", "")) != resource_id:
        raise bad_request("The resource's id must be the id in the address.")


def _string(value: Any, what: str) -> str:
    if value is None:
        return ""
    if not isinstance(value, str):
        raise bad_request(f"{what} must be a string.")
    return value


def patient_values(body: dict[str, Any]) -> dict[str, Any]:
    """The demographics of a posted Patient, as patient_register and patient_update take them."""
    names = body.get("name") or []
    if not isinstance(names, list) or not names or not isinstance(names[0], dict):
        raise bad_request("Patient.name is required: a family name, given names, or both.")
    official = next((n for n in names if isinstance(n, dict) and n.get("use") == "official"), names[0])
    given = official.get("given") or []
    if not isinstance(given, list):
        raise bad_request("Patient.name.given must be a list.")
    values: dict[str, Any] = {
        "given_name": " ".join(_string(g, "Patient.name.given") for g in given).strip(),
        "family_name": _string(official.get("family"), "Patient.name.family").strip(),
    }
    birth = body.get("birthDate")
    try:
        values["birth_date"] = (
            datetime.date.fromisoformat(birth) if isinstance(birth, str) and len(birth) == 10 else None
        )
    except ValueError:
        values["birth_date"] = None
    if values["birth_date"] is None:
        raise bad_request("Patient.birthDate is required, as yyyy-mm-dd.")
    values["birth_date_estimated"] = (
        _extension_value(
            body.get("_birthDate"), mappers.BIRTH_DATE_ESTIMATED, "valueBoolean", "Patient._birthDate"
        )
        is True
    )
    values["sex_for_clinical_use"] = _sex_for_clinical_use(body.get("extension"))
    gender = body.get("gender", "unknown")
    if gender not in Patient.Sex.values:
        raise bad_request("Patient.gender must be male, female, other or unknown.")
    values["sex"] = gender
    telecom = body.get("telecom") or []
    if not isinstance(telecom, list):
        raise bad_request("Patient.telecom must be a list.")
    for kind, field in (("phone", "phone"), ("email", "email")):
        found = [t for t in telecom if isinstance(t, dict) and t.get("system") == kind]
        values[field] = _string(found[0].get("value"), f"Patient.telecom ({kind})") if found else ""
    addresses = body.get("address") or []
    if not isinstance(addresses, list):
        raise bad_request("Patient.address must be a list.")
    address = addresses[0] if addresses and isinstance(addresses[0], dict) else {}
    lines = address.get("line") or []
    parts = [*(lines if isinstance(lines, list) else [lines])]
    parts += [address.get(key) for key in ("city", "postalCode", "country")]
    text = _string(address.get("text"), "Patient.address.text")
    values["address"] = text or ", ".join(str(part) for part in parts if part)
    return values


def _extension_value(element: Any, url: str, key: str, what: str) -> Any:
    """The `key` value of the extension `url` of `element` (a dict with "extension"), or None."""
    if element is None:
        return None
    extensions = element.get("extension") if isinstance(element, dict) else None
    if not isinstance(extensions, list):
        raise bad_request(f"{what}.extension must be a list.")
    found = [e for e in extensions if isinstance(e, dict) and e.get("url") == url]
    return found[0].get(key) if found else None


def _sex_for_clinical_use(extensions: Any) -> str:
    """female, male or "" from Patient.extension's sex parameter for clinical use; "specified" and
    "unknown" say no one sex's ranges apply, as "" does."""
    concept = _extension_value(
        {"extension": extensions} if extensions is not None else None,
        mappers.SEX_FOR_CLINICAL_USE,
        "extension",
        "Patient",
    )
    value = (
        _extension_value({"extension": concept}, "value", "valueCodeableConcept", "Patient.extension")
        if concept
        else None
    )
    codings = value.get("coding") if isinstance(value, dict) else None
    codes = {c.get("code") for c in codings if isinstance(c, dict)} if isinstance(codings, list) else set()
    for sex in ("female", "male"):
        if f"{sex}-typical" in codes:
            return sex
    return ""


def _identifiers(body: dict[str, Any]) -> tuple[str | None, list[tuple[str, str]]]:
    """The MRN (if given) and the other identifiers of a posted Patient, in this hospital's systems."""
    systems = mappers.identifier_systems(current_tenant().code)
    mrn, others = None, []
    identifiers = body.get("identifier") or []
    if not isinstance(identifiers, list):
        raise bad_request("Patient.identifier must be a list.")
    for identifier in identifiers:
        if not isinstance(identifier, dict):
            raise bad_request("Each Patient.identifier must be an object.")
        system, value = identifier.get("system"), identifier.get("value")
        if not isinstance(value, str) or not isinstance(system, str) or system not in systems:
            raise bad_request(
                f"Identifier system {system!r} is not one of this hospital's: {', '.join(sorted(systems))}."
            )
        if systems[system] == "MRN":
            mrn = value
        else:
            others.append((systems[system], value))
    return mrn, others


def patient_create(*, user: User, body: dict[str, Any], client_address: str | None) -> Patient:
    _expect(body, "Patient", None)
    mrn, identifiers = _identifiers(body)
    try:
        return patient_register(
            acting_user=user,
            mrn=mrn,
            identifiers=identifiers,
            client_address=client_address,
            **patient_values(body),
        )
    except PossibleDuplicate as duplicate:
        raise FhirError(409, "duplicate", duplicate.message) from duplicate


def patient_replace(
    *, user: User, resource_id: str, body: dict[str, Any], client_address: str | None
) -> Patient:
    """PUT Patient/<id>: its demographics and contact details; the MRN and other identifiers stay."""
    _expect(body, "Patient", resource_id)
    patient = patient_access(
        user=user, patient_id=resource_id, resource=Resource.PATIENT, action=Action.UPDATE
    )
    mrn, identifiers = _identifiers(body)
    if mrn not in (None, patient.mrn):
        raise FhirError(422, "business-rule", "A patient's MRN never changes.")
    changes = {key: value for key, value in patient_values(body).items() if key in CONTACT_FIELDS}
    return patient_update(acting_user=user, patient=patient, client_address=client_address, **changes)


def _instant(value: Any, what: str) -> datetime.datetime:
    try:
        moment = datetime.datetime.fromisoformat(value) if isinstance(value, str) else None
    except ValueError:
        moment = None
    if moment is None or moment.tzinfo is None:
        raise bad_request(f"{what} must be a FHIR instant with its time zone (2026-12-05T10:30:00Z).")
    return moment


def _participants(body: dict[str, Any]) -> tuple[int | None, int | None]:
    patient_pk = practitioner_pk = None
    participants = body.get("participant") or []
    if not isinstance(participants, list):
        raise bad_request("Appointment.participant must be a list.")
    for participant in participants:
        actor = participant.get("actor") if isinstance(participant, dict) else None
        ref = actor.get("reference") if isinstance(actor, dict) else None
        if not isinstance(ref, str):
            raise bad_request("Each Appointment.participant needs an actor reference.")
        if "Patient/" in ref:
            patient_pk = reference_id(ref, "Patient") or 0
        elif "Practitioner/" in ref:
            practitioner_pk = reference_id(ref, "Practitioner") or 0
        else:
            raise bad_request(f"Participant {ref!r} is neither a Patient nor a Practitioner.")
    return patient_pk, practitioner_pk


def _span(body: dict[str, Any]) -> tuple[datetime.datetime, int]:
    start = _instant(body.get("start"), "Appointment.start")
    if body.get("end") is not None:
        minutes = (_instant(body.get("end"), "Appointment.end") - start).total_seconds() / 60
    else:
        minutes = body.get("minutesDuration", 15)
    if isinstance(minutes, bool) or not isinstance(minutes, int | float) or int(minutes) != minutes:
        raise bad_request("Appointment.end or minutesDuration must give a whole number of minutes.")
    return start, int(minutes)


def _clash_or_refusal(
    error: ApplicationError,
    patient_pk: int,
    practitioner_pk: int,
    start: datetime.datetime,
    minutes: int,
    exclude: int | None = None,
) -> FhirError:
    """409 when the time is taken (the doctor's or the patient's), 422 for any other rule."""
    end = start + datetime.timedelta(minutes=minutes)
    taken = (
        Appointment.objects.filter(starts_at__lt=end, ends_at__gt=start)
        .filter(Q(practitioner_user_id=practitioner_pk) | Q(patient_id=patient_pk))
        .exclude(status__in=FREE_STATUSES)
        .exclude(pk=exclude or 0)
        .exists()
    )
    return FhirError(409 if taken else 422, "conflict" if taken else "business-rule", error.message)


def appointment_create(*, user: User, body: dict[str, Any], client_address: str | None) -> Appointment:
    _expect(body, "Appointment", None)
    if body.get("status", "booked") != "booked":
        raise FhirError(422, "business-rule", "A new appointment is booked: its status must be booked.")
    patient_pk, practitioner_pk = _participants(body)
    if not patient_pk or practitioner_pk is None:
        raise bad_request("An appointment needs a Patient and a Practitioner participant.")
    start, minutes = _span(body)
    patient = Patient.objects.filter(pk=patient_pk).first()
    if patient is None:
        raise NotFound("No such patient here.")
    reason = _string(body.get("description"), "Appointment.description")
    try:
        return appointment_book(
            acting_user=user,
            patient=patient,
            practitioner_user_id=practitioner_pk,
            starts_at=start,
            duration_minutes=minutes,
            reason=reason,
            client_address=client_address,
        )
    except ApplicationError as error:
        raise _clash_or_refusal(error, patient.pk, practitioner_pk, start, minutes) from error


def appointment_replace(
    *, user: User, resource_id: str, body: dict[str, Any], client_address: str | None
) -> Appointment:
    """PUT Appointment/<id>: a new status (cancelled needs cancelationReason.text) or a new time."""
    _expect(body, "Appointment", resource_id)
    current = Appointment.objects.filter(pk=resource_id if resource_id.isdigit() else 0).first()
    if current is None:
        raise NotFound("No such appointment here.")
    patient_access(
        user=user, patient_id=current.patient_id, resource=Resource.APPOINTMENT, action=Action.UPDATE
    )
    status = mappers.APPOINTMENT_STATUS_FROM_FHIR.get(_string(body.get("status"), "Appointment.status"))
    if status is None:
        raise bad_request(
            f"Appointment.status must be one of {', '.join(mappers.APPOINTMENT_STATUS_FROM_FHIR)}."
        )
    start, minutes = _span(body)
    if (start, minutes) != (current.starts_at, current.duration_minutes):
        try:
            current = appointment_reschedule(
                acting_user=user,
                appointment_id=current.pk,
                starts_at=start,
                duration_minutes=minutes,
                client_address=client_address,
            )
        except ApplicationError as error:
            raise _clash_or_refusal(
                error, current.patient_id, current.practitioner_user_id, start, minutes, current.pk
            ) from error
    if status != current.status:
        reason = body.get("cancelationReason") or {}
        current = appointment_status_set(
            acting_user=user,
            appointment_id=current.pk,
            new_status=status,
            reason=_string(
                reason.get("text") if isinstance(reason, dict) else None, "Appointment.cancelationReason.text"
            ),
            client_address=client_address,
        )
    return current
