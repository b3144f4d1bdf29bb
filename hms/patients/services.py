"""Writes of patient data; each writes its audit row in the same transaction."""

import datetime
import difflib
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from hms.accounts.models import Role, User
from hms.accounts.permissions import Action, Resource, permission_require
from hms.audit.records import audit_row
from hms.core.exceptions import ApplicationError
from hms.core.locking import atomic_write, row_locked
from hms.core.text import CONTROL_CHARACTERS_MESSAGE, control_characters_refuse, has_control_characters
from hms.core.validation import model_valid, validation_errors
from hms.patients.dates import hospital_today, hospital_zone
from hms.patients.models import MrnCounter, NextOfKin, Patient, PatientIdentifier
from hms.patients.normalise import name_normalise
from hms.tenancy.context import current_tenant

MRN_SEQUENCE_DIGITS = 8
# "given family" names at least this similar (difflib ratio) on the same birth date are likely duplicates.
DUPLICATE_NAME_RATIO = 0.85
NUMBERS = re.compile(r"\d+")
NOT_REGISTERED = "This patient is not registered here."


@dataclass(frozen=True)
class DuplicateCandidate:
    mrn: str
    name: str


class PossibleDuplicate(ApplicationError):
    """A patient with the same birth date and the same or a similar name is already registered."""

    code = "possible_duplicate"

    def __init__(self, candidates: list[DuplicateCandidate]) -> None:
        listed = ", ".join(f"{c.name} (MRN {c.mrn})" for c in candidates)
        super().__init__(
            f"This may be a patient who is already registered: {listed}. "
            "Check, and confirm it is not the same person to register anyway.",
            details={"candidates": [{"mrn": c.mrn, "name": c.name} for c in candidates]},
        )
        self.candidates = candidates


def mrn_check_digit(*, digits: str) -> str:
    """The Luhn check digit for a string of decimal digits."""
    total = 0
    for position, char in enumerate(reversed(digits)):
        value = int(char)
        if position % 2 == 0:  # the check digit will sit to the right, so these are doubled
            value *= 2
            if value > 9:
                value -= 9
        total += value
    return str((10 - total % 10) % 10)


def mrn_has_valid_check_digit(*, mrn: str) -> bool:
    """True for an all-digit MRN whose last digit is its Luhn check digit."""
    if not (mrn.isascii() and mrn.isdigit()) or len(mrn) < 2:
        return False
    return mrn_check_digit(digits=mrn[:-1]) == mrn[-1]


def mrn_for_sequence(number: int) -> str:
    """The MRN of a sequence number: 8 digits and their Luhn check digit."""
    sequence = f"{number:0{MRN_SEQUENCE_DIGITS}d}"
    return sequence + mrn_check_digit(digits=sequence)


def mrn_generate() -> str:
    """The next MRN of the current hospital: an 8-digit sequence number and its Luhn check digit.

    Locks the hospital's counter row until the caller's transaction ends, so call it in
    the transaction that stores the patient: two registrations never get the same
    number, and a registration that rolls back gives its number back. Numbers already
    taken (an MRN typed in by hand) are skipped.
    """
    alias = current_tenant().alias
    with transaction.atomic(using=alias, savepoint=False):
        counter, _ = MrnCounter.objects.select_for_update().get_or_create(pk=1)
        while True:
            counter.last_sequence += 1
            if counter.last_sequence >= 10**MRN_SEQUENCE_DIGITS:
                raise ApplicationError("This hospital has issued every MRN of its 8-digit sequence.")
            mrn = mrn_for_sequence(counter.last_sequence)
            if not Patient.objects.filter(mrn=mrn).exists():
                break
        counter.save(update_fields=["last_sequence"])
    return mrn


def patient_register(
    *,
    acting_user: User,
    given_name: str,
    family_name: str,
    birth_date: datetime.date,
    mrn: str | None = None,
    birth_date_estimated: bool = False,
    sex: str = Patient.Sex.UNKNOWN,
    sex_for_clinical_use: str = Patient.ClinicalSex.NOT_RECORDED,
    phone: str = "",
    email: str = "",
    address: str = "",
    identifiers: Iterable[tuple[str, str]] = (),
    next_of_kin: Iterable[Mapping[str, str]] = (),
    confirm_not_duplicate: bool = False,
    client_address: str | None = None,
) -> Patient:
    """Register a patient in the current hospital, with their other identifiers and next of kin.

    Without `mrn` the next MRN is generated; an all-digit `mrn` must carry a valid check
    digit. A patient may have one name only (either name empty, not both); a birth date
    after the hospital's today is refused. A patient with the same birth date and the
    same or a similar name raises PossibleDuplicate unless `confirm_not_duplicate`.
    Nothing is written unless all is.
    `next_of_kin` items are mappings with `name`, `relationship` and optionally `phone`.
    """
    permission_require(user=acting_user, resource=Resource.PATIENT, action=Action.CREATE)
    control_characters_refuse(
        given_name=given_name,
        family_name=family_name,
        mrn=mrn,
        sex=sex,
        phone=phone,
        email=email,
        address=address,
    )
    alias = current_tenant().alias
    patient = Patient(
        mrn=mrn if mrn is not None else "0",  # a placeholder for validation; generated below
        given_name=given_name.strip(),
        family_name=family_name.strip(),
        birth_date=birth_date,
        birth_date_estimated=birth_date_estimated,
        sex=sex,
        sex_for_clinical_use=sex_for_clinical_use,
        phone=phone,
        email=email,
        address=address,
        given_name_norm=name_normalise(given_name),
        family_name_norm=name_normalise(family_name),
    )
    errors = _record_errors(patient)
    validation_errors(patient, errors, validate_unique=False, validate_constraints=False)
    if mrn and mrn.isascii() and mrn.isdigit() and not mrn_has_valid_check_digit(mrn=mrn):
        errors.setdefault("mrn", []).append(f"MRN {mrn} has a wrong check digit.")
    identifier_rows, identifier_errors = _identifiers_build(identifiers)
    kin_rows, kin_errors = _next_of_kin_build(next_of_kin)
    errors.update(identifier_errors)
    errors.update(kin_errors)
    if errors:
        raise ApplicationError("The patient's details are not valid.", details=errors)

    try:
        with transaction.atomic(using=alias):
            # Registrations of one hospital take turns from here to commit (the MRN counter
            # row is the lock; SQLite's IMMEDIATE transactions already serialise), so two
            # desks registering the same person at once cannot both pass the duplicate check.
            MrnCounter.objects.select_for_update().get_or_create(pk=1)
            if mrn is not None and Patient.objects.filter(mrn=mrn).exists():
                raise ApplicationError(f"A patient with MRN {mrn} is already registered here.")
            _identifiers_check_free(identifier_rows)
            if not confirm_not_duplicate:
                candidates = _duplicate_candidates(patient)
                if candidates:
                    raise PossibleDuplicate(candidates)
            if mrn is None:
                patient.mrn = mrn_generate()
            patient.save(using=alias)
            for identifier in identifier_rows:
                identifier.patient = patient
            for kin in kin_rows:
                kin.patient = patient
            PatientIdentifier.objects.bulk_create(identifier_rows)
            NextOfKin.objects.bulk_create(kin_rows)
            audit_row(
                acting_user,
                "patient.create",
                patient,
                client_address,
                identifiers=len(identifier_rows),
                next_of_kin=len(kin_rows),
            )
    except PossibleDuplicate as warning:
        # The warning shows other patients' names and MRNs: that read is audited too.
        with transaction.atomic(using=alias):
            audit_row(
                acting_user,
                "patient.duplicate_warning",
                Patient,
                client_address,
                candidate_mrns=[c.mrn for c in warning.candidates],
            )
        raise
    except IntegrityError as exc:
        # Another registration took the MRN or an identifier between our check and our insert.
        raise ApplicationError(
            "The MRN or one of the identifiers was registered by someone else at the same moment; try again."
        ) from exc
    return patient


NAME_NEEDED = "Give the patient's name: a given name, a family name or both (one is enough)."


def _record_errors(patient: Patient) -> dict[str, list[str]]:
    """What the rules of a patient record refuse in `patient` as it stands, by field: no name at all,
    a birth date after the hospital's today or after the recorded death."""
    errors: dict[str, list[str]] = {}
    if not patient.given_name.strip() and not patient.family_name.strip():
        errors["given_name"] = errors["family_name"] = [NAME_NEEDED]
    birth = patient.birth_date
    if isinstance(birth, datetime.date):
        today = hospital_today()
        if birth > today:
            errors["birth_date"] = [
                f"The birth date {birth.isoformat()} is in the future (today is {today.isoformat()} here)."
            ]
        elif (
            patient.deceased_at is not None
            and birth > timezone.localtime(patient.deceased_at, hospital_zone()).date()
        ):
            errors["birth_date"] = ["The birth date is after the recorded date of death."]
    return errors


def _identifiers_build(
    identifiers: Iterable[tuple[str, str]],
) -> tuple[list[PatientIdentifier], dict[str, list[str]]]:
    rows: list[PatientIdentifier] = []
    problems: list[str] = []
    seen: set[tuple[str, str]] = set()
    for system, value in identifiers:
        value = value.strip()
        if has_control_characters(value):
            problems.append(f"{system}: {CONTROL_CHARACTERS_MESSAGE}")
            continue
        if system not in PatientIdentifier.System.values:
            problems.append(f"Unknown identifier system {system!r}.")
            continue
        if (system, value) in seen:
            problems.append(f"{system} {value} is given twice.")
            continue
        seen.add((system, value))
        row = PatientIdentifier(system=system, value=value)
        try:
            row.full_clean(exclude=["patient"], validate_unique=False, validate_constraints=False)
        except ValidationError as exc:
            problems.extend(
                f"{system}: {message}" for messages in exc.message_dict.values() for message in messages
            )
            continue
        rows.append(row)
    return rows, ({"identifiers": problems} if problems else {})


def _next_of_kin_build(
    next_of_kin: Iterable[Mapping[str, str]],
) -> tuple[list[NextOfKin], dict[str, list[str]]]:
    rows: list[NextOfKin] = []
    problems: list[str] = []
    for number, item in enumerate(next_of_kin, start=1):
        unknown = set(item) - {"name", "relationship", "phone"}
        if unknown:
            problems.append(f"Next of kin {number}: unknown field(s) {', '.join(sorted(unknown))}.")
            continue
        if any(has_control_characters(str(text)) for text in item.values()):
            problems.append(f"Next of kin {number}: {CONTROL_CHARACTERS_MESSAGE}")
            continue
        row = NextOfKin(
            name=item.get("name", "").strip(),
            relationship=item.get("relationship", "").strip(),
            phone=item.get("phone", "").strip(),
        )
        try:
            row.full_clean(exclude=["patient"], validate_unique=False)
        except ValidationError as exc:
            problems.extend(
                f"Next of kin {number}, {field}: {message}"
                for field, messages in exc.message_dict.items()
                for message in messages
            )
            continue
        rows.append(row)
    return rows, ({"next_of_kin": problems} if problems else {})


def _identifiers_check_free(rows: list[PatientIdentifier]) -> None:
    if not rows:
        return
    taken = []
    for row in rows:
        if PatientIdentifier.objects.filter(system=row.system, value=row.value).exists():
            taken.append(f"{row.system} {row.value}")
    if taken:
        raise ApplicationError(
            f"Already registered here for another patient: {', '.join(taken)}.",
            details={"identifiers": taken},
        )


def _duplicate_candidates(patient: Patient) -> list[DuplicateCandidate]:
    """Patients born the same day whose normalised "given family" name is the same or similar.

    Names that differ in their numbers are never similar: numbered placeholder names
    ("Unknown Male 1", "Unknown Male 2", "Twin 1 Rahman") mark people registered as
    distinct on purpose, often with the same placeholder birth date.
    """
    wanted = f"{patient.given_name_norm} {patient.family_name_norm}"
    wanted_numbers = NUMBERS.findall(wanted)
    candidates = []
    same_day = Patient.objects.filter(birth_date=patient.birth_date).only(
        "mrn", "given_name", "family_name", "given_name_norm", "family_name_norm"
    )
    for other in same_day.order_by("id"):
        name = f"{other.given_name_norm} {other.family_name_norm}"
        if NUMBERS.findall(name) != wanted_numbers:
            continue
        if name == wanted or difflib.SequenceMatcher(None, wanted, name).ratio() >= DUPLICATE_NAME_RATIO:
            candidates.append(DuplicateCandidate(mrn=other.mrn, name=other.full_name))
    return candidates


def _patient_locked(patient: Patient) -> Patient:
    """The patient's row as it is now, locked until the write's transaction ends; refused if it
    is not registered in this hospital."""
    return row_locked(Patient, ApplicationError(NOT_REGISTERED), pk=patient.pk)


CONTACT_FIELDS = (
    "given_name",
    "family_name",
    "birth_date",
    "birth_date_estimated",
    "sex",
    "sex_for_clinical_use",
    "phone",
    "email",
    "address",
)


def patient_update(
    *,
    acting_user: User,
    patient: Patient,
    client_address: str | None = None,
    **changes: str | datetime.date | bool,
) -> Patient:
    """Change a patient's demographics or contact details; the audit row names the fields changed.

    The MRN never changes. Only the fields in CONTACT_FIELDS may be given. The rules of
    registration hold (a name, a birth date not in the future); a new birth date given
    without `birth_date_estimated` is taken as known, no longer estimated.
    """
    permission_require(user=acting_user, resource=Resource.PATIENT, action=Action.UPDATE)
    control_characters_refuse(**changes)
    unknown = set(changes) - set(CONTACT_FIELDS)
    if unknown:
        raise ApplicationError(f"These details cannot be changed here: {', '.join(sorted(unknown))}.")
    alias = current_tenant().alias
    with transaction.atomic(using=alias):
        current = _patient_locked(patient)
        new_birth = changes.get("birth_date", current.birth_date)
        if "birth_date_estimated" not in changes and new_birth != current.birth_date:
            changes["birth_date_estimated"] = False
        changed = []
        for field, value in changes.items():
            if isinstance(value, str):
                value = value.strip()
            if getattr(current, field) != value:
                setattr(current, field, value)
                changed.append(field)
        if not changed:
            return current
        errors = _record_errors(current)
        if errors:
            raise ApplicationError("The patient's details are not valid.", details=errors)
        model_valid(
            current, "The patient's details are not valid.", validate_unique=False, validate_constraints=False
        )
        current.given_name_norm = name_normalise(current.given_name)
        current.family_name_norm = name_normalise(current.family_name)
        current.save(
            using=alias, update_fields=[*changed, "given_name_norm", "family_name_norm", "updated_at"]
        )
        audit_row(acting_user, "patient.update", current, client_address, fields=sorted(changed))
    return current


def patient_identifier_add(
    *, acting_user: User, patient: Patient, system: str, value: str, client_address: str | None = None
) -> PatientIdentifier:
    """Record another number the patient is known by; unique per system in the hospital."""
    permission_require(user=acting_user, resource=Resource.PATIENT, action=Action.UPDATE)
    control_characters_refuse(system=system, value=value)
    rows, errors = _identifiers_build([(system, value)])
    if errors:
        raise ApplicationError("The identifier is not valid.", details=errors)
    (row,) = rows
    alias = current_tenant().alias
    with atomic_write(
        using=alias, raced="This identifier was registered by someone else at the same moment."
    ):
        _identifiers_check_free(rows)
        row.patient = patient
        row.save(using=alias)
        audit_row(
            acting_user,
            "patient.identifier_add",
            row,
            client_address,
            identifier_id=row.pk,
            system=row.system,
        )
    return row


def patient_next_of_kin_add(
    *,
    acting_user: User,
    patient: Patient,
    name: str,
    relationship: str,
    phone: str = "",
    client_address: str | None = None,
) -> NextOfKin:
    """Add a next of kin to the patient's record."""
    permission_require(user=acting_user, resource=Resource.PATIENT, action=Action.UPDATE)
    control_characters_refuse(name=name, relationship=relationship, phone=phone)
    rows, errors = _next_of_kin_build([{"name": name, "relationship": relationship, "phone": phone}])
    if errors:
        raise ApplicationError("The next of kin's details are not valid.", details=errors)
    (row,) = rows
    alias = current_tenant().alias
    with transaction.atomic(using=alias):
        row.patient = patient
        row.save(using=alias)
        audit_row(acting_user, "patient.next_of_kin_add", row, client_address, next_of_kin_id=row.pk)
    return row


def patient_portal_link(
    *, acting_user: User, patient: Patient, user: User, client_address: str | None = None
) -> Patient:
    """Let `user` (a PATIENT account of this hospital) see this record as their own.

    A record already linked is refused: it is unlinked first (patient_portal_unlink), its
    own audited step, so a patient is never cut off by one silent POST.
    """
    permission_require(user=acting_user, resource=Resource.PATIENT, action=Action.UPDATE)
    tenant = current_tenant()
    if user.role != Role.PATIENT or user.hospital is None or user.hospital.code != tenant.code:
        # Any other account (another hospital's, a staff one) is answered as one that does not exist.
        raise ApplicationError(
            f"There is no patient account named {user.get_username()} in this hospital.",
            details={"username": ["Choose a patient account of this hospital."]},
        )
    with atomic_write(
        using=tenant.alias, raced=f"User {user.get_username()} was linked to another patient just now."
    ):
        current = _patient_locked(patient)
        if current.user_id is not None:
            raise ApplicationError(
                "This record is already linked to a patient account: unlink it first, then link the new one."
            )
        if Patient.objects.filter(user_id=user.pk).exists():
            raise ApplicationError(
                f"User {user.get_username()} is already linked to another patient's record."
            )
        Patient.objects.filter(pk=patient.pk).update(user_id=user.pk)
        audit_row(
            acting_user,
            "patient.portal_link",
            patient,
            client_address,
            user_id=user.pk,
            username=user.username,
        )
    patient.user_id = user.pk
    return patient


def patient_portal_unlink(
    *, acting_user: User, patient: Patient, client_address: str | None = None
) -> Patient:
    """End the link between the record and its patient account: they no longer see it."""
    permission_require(user=acting_user, resource=Resource.PATIENT, action=Action.UPDATE)
    tenant = current_tenant()
    with transaction.atomic(using=tenant.alias):
        current = _patient_locked(patient)
        if current.user_id is None:
            raise ApplicationError("This record is not linked to a patient account.")
        Patient.objects.filter(pk=patient.pk).update(user_id=None)
        audit_row(acting_user, "patient.portal_unlink", patient, client_address, user_id=current.user_id)
    patient.user_id = None
    return patient


# Who may record a death (a clinical act) and who may take a mistaken record back.
def patient_death_record(
    *,
    acting_user: User,
    patient: Patient,
    deceased_at: datetime.datetime,
    confirm: bool = False,
    client_address: str | None = None,
) -> Patient:
    """Record that the patient has died, at `deceased_at` (aware; not in the future, not before
    the birth date). A doctor or the administrator, who must `confirm`; audited. From then on the
    patient cannot be booked, and every page about them says so."""
    permission_require(user=acting_user, resource=Resource.DEATH, action=Action.CREATE)
    if not confirm:
        message = "Confirm that the patient has died: tick the box."
        raise ApplicationError(message, details={"confirm": [message]})
    if timezone.is_naive(deceased_at):
        raise ApplicationError("Give the time of death with its time zone.")
    if deceased_at > timezone.now():
        message = "The time of death is in the future."
        raise ApplicationError(message, details={"deceased_at": [message]})
    alias = current_tenant().alias
    with transaction.atomic(using=alias):
        current = _patient_locked(patient)
        if current.deceased_at is not None:
            raise ApplicationError(
                "This patient's death is already recorded; "
                "the administrator takes back a mistaken record first."
            )
        current.deceased_at = deceased_at
        current.deceased_recorded_by = acting_user.pk
        errors = _record_errors(current)
        if errors:
            message = "The time of death is before the patient's birth date."
            raise ApplicationError(message, details={"deceased_at": [message]})
        current.save(using=alias, update_fields=["deceased_at", "deceased_recorded_by", "updated_at"])
        audit_row(
            acting_user, "patient.death_record", current, client_address, deceased_at=deceased_at.isoformat()
        )
    return current


def patient_death_undo(
    *, acting_user: User, patient: Patient, reason: str, client_address: str | None = None
) -> Patient:
    """Take back a death recorded by mistake (the administrator only, with the reason); audited with
    the time that was recorded and by whom."""
    permission_require(user=acting_user, resource=Resource.DEATH, action=Action.VOID)
    control_characters_refuse(reason=reason)
    reason = reason.strip()
    if not reason:
        message = "Say why the recorded death is taken back."
        raise ApplicationError(message, details={"reason": [message]})
    alias = current_tenant().alias
    with transaction.atomic(using=alias):
        current = _patient_locked(patient)
        if current.deceased_at is None:
            raise ApplicationError("This patient has no recorded death to take back.")
        was_at, was_by = current.deceased_at, current.deceased_recorded_by
        current.deceased_at = current.deceased_recorded_by = None
        current.save(using=alias, update_fields=["deceased_at", "deceased_recorded_by", "updated_at"])
        audit_row(
            acting_user,
            "patient.death_undo",
            current,
            client_address,
            reason=reason,
            deceased_at=was_at.isoformat(),
            recorded_by=was_by,
        )
    return current
