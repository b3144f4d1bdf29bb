"""Encounters and what is recorded in them: start and finish an encounter; vital signs (record,
void), diagnoses (add), the patient's allergies (record; "no known allergies"), problem list (add,
status, void) and SOAP notes (write, sign, amend); every
read through the encounter page's selectors. Care scope applies as on the pages: a doctor reaches
only the patients in their care (others answer 404), a patient their own record (signed notes
only, nothing voided)."""

from decimal import Decimal
from typing import Any

from django.urls import path
from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response

from hms.api.appointments import PersonRefSerializer
from hms.api.base import HospitalAPIView
from hms.api.conflicts import conflict_naming
from hms.api.pagination import page_serializer
from hms.api.patients import CURSOR
from hms.api.serializers import InputSerializer, validated
from hms.core.exceptions import ApplicationError
from hms.core.ids import MAX_ID
from hms.encounters.models import Allergy, ClinicalNote, Diagnosis, Encounter, Observation, ProblemListItem
from hms.encounters.selectors import (
    EncounterDetail,
    ProblemRow,
    allergy_list_for_patient,
    allergy_record_for_patient,
    encounter_detail,
    encounter_list_for_patient,
    note_detail,
    problem_list_for_patient,
)
from hms.encounters.services import (
    allergy_record,
    diagnosis_add,
    encounter_finish,
    encounter_start,
    nka_record,
    note_amend,
    note_create,
    note_sign,
    observation_record_vitals,
    observation_void,
    problem_add,
    problem_status_set,
    problem_void,
)
from hms.encounters.services.observations import VitalsQualifiers

# --- what the API answers ----------------------------------------------------------------


class EncounterSerializer(serializers.Serializer):
    id = serializers.IntegerField(source="encounter.pk")
    patient = serializers.IntegerField(source="encounter.patient_id", help_text="The patient's id.")
    practitioner = serializers.SerializerMethodField()
    status = serializers.ChoiceField(source="encounter.status", choices=Encounter.Status.choices)
    encounter_class = serializers.ChoiceField(
        source="encounter.encounter_class",
        choices=Encounter.Class.choices,
        help_text="HL7 v3 ActCode: AMB outpatient, EMER emergency, IMP inpatient, HH home, VR virtual.",
    )
    started_at = serializers.DateTimeField(source="encounter.started_at")
    ended_at = serializers.DateTimeField(source="encounter.ended_at", allow_null=True)
    reason = serializers.CharField(source="encounter.reason")
    appointment = serializers.IntegerField(source="encounter.appointment_id", allow_null=True)
    voided = serializers.BooleanField(source="encounter.is_voided")

    @extend_schema_field(PersonRefSerializer)
    def get_practitioner(self, row: Any) -> dict[str, Any]:
        return {"id": row.encounter.practitioner_user_id, "name": row.practitioner_name}


EncounterPageSerializer = page_serializer("EncounterPageSerializer", EncounterSerializer)


class VitalSerializer(serializers.Serializer):
    id = serializers.IntegerField(source="observation.pk")
    code = serializers.CharField(source="observation.loinc_code", help_text="LOINC.")
    name = serializers.SerializerMethodField()
    value = serializers.DecimalField(
        source="observation.value",
        max_digits=12,
        decimal_places=4,
        allow_null=True,
        help_text="Null for a coded value (answer) or a blood pressure panel (its components have them).",
    )
    answer = serializers.CharField(
        source="observation.value_code", help_text="A coded value: ACVPU's A, C, V, P or U."
    )
    unit = serializers.CharField(source="observation.unit", help_text="UCUM.")
    text = serializers.CharField(source="value_text", help_text="As the page shows it: '37.0 °C'.")
    flag = serializers.ChoiceField(
        source="observation.abnormal_flag",
        choices=Observation.Flag.choices,
        allow_blank=True,
        help_text="Against the band for the patient's age and sex: L/H, LL/HH critical.",
    )
    centile = serializers.DecimalField(
        source="observation.centile",
        max_digits=4,
        decimal_places=1,
        allow_null=True,
        help_text="A child's BMI.",
    )
    panel = serializers.IntegerField(
        source="observation.panel_id", allow_null=True, help_text="The blood pressure panel of a pressure."
    )
    body_position = serializers.CharField(source="observation.body_position")
    body_site = serializers.CharField(source="observation.body_site")
    taken_at = serializers.DateTimeField(source="observation.effective_at")
    recorded_at = serializers.DateTimeField(source="observation.recorded_at")
    recorded_by = serializers.CharField(source="recorded_by_name")
    voided = serializers.BooleanField(source="observation.is_voided")

    def get_name(self, row: Any) -> str:
        return row.vital.display if row.vital is not None else row.observation.loinc_code


class DiagnosisSerializer(serializers.ModelSerializer):
    voided = serializers.BooleanField(source="is_voided")

    class Meta:
        model = Diagnosis
        fields = ["id", "encounter", "icd10_code", "description", "kind", "certainty", "voided"]
        read_only_fields = fields


class AllergySerializer(serializers.ModelSerializer):
    voided = serializers.BooleanField(source="is_voided")

    class Meta:
        model = Allergy
        fields = [
            "id",
            "substance",
            "allergen_code",
            "type",
            "category",
            "severity",
            "criticality",
            "reaction",
            "status",
            "voided",
        ]
        read_only_fields = fields


class AllergyStatusSerializer(serializers.Serializer):
    """What is recorded about the patient's allergies when none is active."""

    summary = serializers.CharField(
        help_text="'' (allergies are active), 'No known allergies' or 'Allergies not recorded'."
    )
    no_known_allergies = serializers.SerializerMethodField(
        help_text="The current statement: when, and who stated it; null if none."
    )

    def get_no_known_allergies(self, record: Any) -> dict[str, Any] | None:
        statement = record.no_known
        if statement is None:
            return None
        return {
            "id": statement.pk,
            "recorded_at": serializers.DateTimeField().to_representation(statement.created_at),
            "recorded_by": record.no_known_by,
        }


class ProblemSerializer(serializers.Serializer):
    id = serializers.IntegerField(source="problem.pk")
    code = serializers.CharField(source="problem.code")
    code_system = serializers.CharField(source="problem.code_system", help_text="icd10-who or icd10-cm.")
    code_system_version = serializers.CharField(source="problem.code_system_version")
    description = serializers.CharField(source="problem.description")
    onset_date = serializers.DateField(source="problem.onset_date", allow_null=True)
    status = serializers.ChoiceField(source="problem.status", choices=ProblemListItem.Status.choices)
    resolved_date = serializers.DateField(source="problem.resolved_date", allow_null=True)
    diagnosis = serializers.IntegerField(
        source="problem.diagnosis_id", allow_null=True, help_text="The encounter diagnosis it came from."
    )
    encounter = serializers.IntegerField(source="encounter_id", allow_null=True)
    recorded_by = serializers.CharField(source="recorded_by_name")
    voided = serializers.BooleanField(source="problem.is_voided")


class AmendmentSerializer(serializers.Serializer):
    id = serializers.IntegerField(source="amendment.pk")
    text = serializers.CharField(source="amendment.text")
    reason = serializers.CharField(source="amendment.reason")
    created_at = serializers.DateTimeField(source="amendment.created_at")
    author = serializers.CharField(source="author_name")


class NoteSerializer(serializers.Serializer):
    id = serializers.IntegerField(source="note.pk")
    encounter = serializers.IntegerField(source="note.encounter_id")
    status = serializers.ChoiceField(source="note.status", choices=ClinicalNote.Status.choices)
    subjective = serializers.CharField(source="note.subjective")
    objective = serializers.CharField(source="note.objective")
    assessment = serializers.CharField(source="note.assessment")
    plan = serializers.CharField(source="note.plan")
    author = serializers.CharField(source="author_name")
    signed_at = serializers.DateTimeField(source="note.signed_at", allow_null=True)
    signed_by = serializers.CharField(source="signed_by_name")
    voided = serializers.BooleanField(source="note.is_voided")
    amendments = AmendmentSerializer(many=True)


class EncounterDetailSerializer(EncounterSerializer):
    """The encounter with what the caller may see of it (null: a kind of record they may not see)."""

    vitals = VitalSerializer(many=True, allow_null=True)
    diagnoses = DiagnosisSerializer(many=True, allow_null=True)
    allergies = AllergySerializer(many=True, allow_null=True, help_text="The patient's, active first.")
    notes = NoteSerializer(many=True, allow_null=True, help_text="A patient sees signed notes only.")


# --- what the API takes --------------------------------------------------------------------


class EncounterStartInput(InputSerializer):
    appointment = serializers.IntegerField(
        min_value=1,
        max_value=MAX_ID,
        required=False,
        help_text="The appointment with you it starts from; leave out for a walk-in.",
    )
    reason = serializers.CharField(max_length=255, required=False, allow_blank=True, default="")
    encounter_class = serializers.ChoiceField(
        choices=Encounter.Class.choices, required=False, default=Encounter.Class.AMBULATORY
    )


class VitalInput(InputSerializer):
    value = serializers.DecimalField(max_digits=12, decimal_places=4, required=False)
    answer = serializers.CharField(
        max_length=32, required=False, help_text="A coded value (ACVPU: 'A'), not a value."
    )
    unit = serializers.CharField(
        max_length=32,
        required=False,
        allow_blank=True,
        default="",
        help_text="A unit the vital accepts ('Cel', '[degF]', 'kg'); required where it has units.",
    )

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if ("value" in attrs) == ("answer" in attrs):
            raise serializers.ValidationError("Give a value or, for a coded observation, an answer.")
        return attrs


class VitalsInput(InputSerializer):
    values = serializers.DictField(
        child=VitalInput(),
        allow_empty=False,
        help_text="By LOINC code: {'8310-5': {'value': 37.2, 'unit': 'Cel'}, '67775-7': {'answer': 'A'}}.",
    )
    taken_at = serializers.DateTimeField(
        required=False, help_text="When they were measured; now if left out."
    )
    body_position = serializers.ChoiceField(
        choices=Observation.BodyPosition.choices, required=False, allow_blank=True, default=""
    )
    temperature_site = serializers.ChoiceField(
        choices=Observation.BodySite.choices, required=False, allow_blank=True, default=""
    )
    confirm = serializers.BooleanField(
        required=False, default=False, help_text="Record very unusual values (the refusal says which)."
    )


class ReasonInput(InputSerializer):
    reason = serializers.CharField(max_length=255)


class DiagnosisInput(InputSerializer):
    icd10_code = serializers.CharField(max_length=10)
    kind = serializers.ChoiceField(choices=Diagnosis.Kind.choices, default=Diagnosis.Kind.SECONDARY)
    certainty = serializers.ChoiceField(
        choices=Diagnosis.Certainty.choices, default=Diagnosis.Certainty.CONFIRMED
    )


class AllergyInput(InputSerializer):
    substance = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")
    allergen_code = serializers.CharField(
        max_length=64, required=False, allow_blank=True, default="", help_text="A known allergen's code."
    )
    category = serializers.ChoiceField(choices=Allergy.Category.choices)
    severity = serializers.ChoiceField(choices=Allergy.Severity.choices)
    type = serializers.ChoiceField(
        choices=Allergy.Type.choices,
        required=False,
        default=Allergy.Type.ALLERGY,
        help_text="An intolerance warns when prescribing; an allergy refuses.",
    )
    criticality = serializers.ChoiceField(
        choices=Allergy.Criticality.choices, required=False, default=Allergy.Criticality.UNABLE_TO_ASSESS
    )
    reaction = serializers.CharField(max_length=255, required=False, allow_blank=True, default="")


class ProblemInput(InputSerializer):
    code = serializers.CharField(
        max_length=16, required=False, help_text="A code of the hospital's system (or give `diagnosis`)."
    )
    diagnosis = serializers.IntegerField(
        min_value=1, max_value=MAX_ID, required=False, help_text="An encounter diagnosis of this patient."
    )
    onset_date = serializers.DateField(required=False, allow_null=True, default=None)

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if ("code" in attrs) == ("diagnosis" in attrs):
            raise serializers.ValidationError("Give a code or a diagnosis.")
        return attrs


class ProblemStatusInput(InputSerializer):
    status = serializers.ChoiceField(choices=ProblemListItem.Status.choices)
    resolved_date = serializers.DateField(required=False, allow_null=True, default=None)


class NoteInput(InputSerializer):
    subjective = serializers.CharField(required=False, allow_blank=True, default="", max_length=20000)
    objective = serializers.CharField(required=False, allow_blank=True, default="", max_length=20000)
    assessment = serializers.CharField(required=False, allow_blank=True, default="", max_length=20000)
    plan = serializers.CharField(required=False, allow_blank=True, default="", max_length=20000)


class AmendInput(InputSerializer):
    text = serializers.CharField(max_length=20000)
    reason = serializers.CharField(max_length=255)


# --- the endpoints -------------------------------------------------------------------------


class _EncounterView(HospitalAPIView):
    def _detail(self, encounter_id: int) -> EncounterDetail:
        return encounter_detail(
            user=self.acting_user, encounter_id=encounter_id, client_address=self.client_address
        )

    def _note(self, note_id: int) -> Any:
        return NoteSerializer(
            note_detail(user=self.acting_user, note_id=note_id, client_address=self.client_address)
        ).data


class PatientEncounters(_EncounterView):
    @extend_schema(
        operation_id="encounters_list",
        parameters=[CURSOR],
        responses={200: EncounterPageSerializer},
        summary="A patient's encounters, newest first",
    )
    def get(self, request: Request, hospital_code: str, patient_id: int) -> Response:
        page = encounter_list_for_patient(
            user=self.acting_user,
            patient_id=patient_id,
            page_number=self.paginator.page_number(request),
            client_address=self.client_address,
        )
        return self.paginator.response(page, EncounterSerializer(page.object_list, many=True).data)

    @extend_schema(
        operation_id="encounters_create",
        request=EncounterStartInput,
        responses={201: EncounterDetailSerializer},
        summary="Start an encounter now (a doctor, the patient in care; 409 if one is in progress)",
    )
    def post(self, request: Request, hospital_code: str, patient_id: int) -> Response:
        data = validated(EncounterStartInput, request.data)
        try:
            encounter = encounter_start(
                acting_user=self.acting_user,
                patient=patient_id,
                appointment=data.get("appointment"),
                reason=data["reason"],
                encounter_class=data["encounter_class"],
                client_address=self.client_address,
            )
        except ApplicationError as error:
            raise conflict_naming(error, "encounter_id") from error
        return Response(EncounterDetailSerializer(self._detail(encounter.pk)).data, status=201)


class EncounterRead(_EncounterView):
    @extend_schema(
        operation_id="encounters_retrieve",
        responses={200: EncounterDetailSerializer},
        summary="One encounter with its vital signs, diagnoses, notes and the patient's allergies",
    )
    def get(self, request: Request, hospital_code: str, encounter_id: int) -> Response:
        return Response(EncounterDetailSerializer(self._detail(encounter_id)).data)


class EncounterFinish(_EncounterView):
    @extend_schema(
        operation_id="encounters_finish",
        request=None,
        responses={200: EncounterDetailSerializer},
        summary="Finish an encounter in progress (its doctor); its appointment becomes completed",
    )
    def post(self, request: Request, hospital_code: str, encounter_id: int) -> Response:
        encounter_finish(
            acting_user=self.acting_user, encounter=encounter_id, client_address=self.client_address
        )
        return Response(EncounterDetailSerializer(self._detail(encounter_id)).data)


class EncounterVitals(_EncounterView):
    @extend_schema(
        operation_id="vitals_list",
        responses={200: VitalSerializer(many=True)},
        summary="The vital signs recorded in an encounter",
    )
    def get(self, request: Request, hospital_code: str, encounter_id: int) -> Response:
        return Response(VitalSerializer(self._detail(encounter_id).vitals or [], many=True).data)

    @extend_schema(
        operation_id="vitals_create",
        request=VitalsInput,
        responses={201: VitalSerializer(many=True)},
        summary="Record vital signs in an encounter in progress (all or none; BMI added when it can be)",
    )
    def post(self, request: Request, hospital_code: str, encounter_id: int) -> Response:
        data = validated(VitalsInput, request.data)
        values: dict[str, tuple[Decimal | str, str]] = {
            code: (given["value"] if "value" in given else given["answer"], given["unit"])
            for code, given in data["values"].items()
        }
        made = observation_record_vitals(
            acting_user=self.acting_user,
            encounter=encounter_id,
            values=values,
            qualifiers=VitalsQualifiers(
                taken_at=data.get("taken_at"),
                body_position=data["body_position"],
                temperature_site=data["temperature_site"],
                confirmed=data["confirm"],
            ),
            client_address=self.client_address,
        )
        ids = {row.pk for row in made}
        rows = [row for row in self._detail(encounter_id).vitals or [] if row.observation.pk in ids]
        return Response(VitalSerializer(rows, many=True).data, status=201)


class VitalVoid(_EncounterView):
    @extend_schema(
        operation_id="vitals_void",
        request=ReasonInput,
        responses={200: VitalSerializer},
        summary="Void a vital sign entered in error, with the reason (its recorder, or a nurse)",
    )
    def post(self, request: Request, hospital_code: str, observation_id: int) -> Response:
        data = validated(ReasonInput, request.data)
        voided = observation_void(
            acting_user=self.acting_user,
            observation=observation_id,
            reason=data["reason"],
            client_address=self.client_address,
        )
        detail = encounter_detail(
            user=self.acting_user,
            encounter_id=voided.encounter_id,
            include_voided=True,
            client_address=self.client_address,
        )
        (row,) = [row for row in detail.vitals or [] if row.observation.pk == voided.pk]
        return Response(VitalSerializer(row).data)


class EncounterDiagnoses(_EncounterView):
    @extend_schema(
        operation_id="diagnoses_list",
        responses={200: DiagnosisSerializer(many=True)},
        summary="The diagnoses of an encounter",
    )
    def get(self, request: Request, hospital_code: str, encounter_id: int) -> Response:
        return Response(DiagnosisSerializer(self._detail(encounter_id).diagnoses or [], many=True).data)

    @extend_schema(
        operation_id="diagnoses_create",
        request=DiagnosisInput,
        responses={201: DiagnosisSerializer},
        summary="Add an ICD-10-CM diagnosis (a billable code; one primary per encounter)",
    )
    def post(self, request: Request, hospital_code: str, encounter_id: int) -> Response:
        data = validated(DiagnosisInput, request.data)
        made = diagnosis_add(
            acting_user=self.acting_user, encounter=encounter_id, client_address=self.client_address, **data
        )
        (row,) = [row for row in self._detail(encounter_id).diagnoses or [] if row.pk == made.pk]
        return Response(DiagnosisSerializer(row).data, status=201)


class PatientAllergies(HospitalAPIView):
    @extend_schema(
        operation_id="allergies_list",
        responses={200: AllergySerializer(many=True)},
        summary="A patient's allergies, active first",
    )
    def get(self, request: Request, hospital_code: str, patient_id: int) -> Response:
        rows = allergy_list_for_patient(
            user=self.acting_user, patient_id=patient_id, client_address=self.client_address
        )
        return Response(AllergySerializer(rows, many=True).data)

    @extend_schema(
        operation_id="allergies_create",
        request=AllergyInput,
        responses={201: AllergySerializer},
        summary="Record an active allergy (one active allergy per substance)",
    )
    def post(self, request: Request, hospital_code: str, patient_id: int) -> Response:
        data = validated(AllergyInput, request.data)
        made = allergy_record(
            acting_user=self.acting_user, patient=patient_id, client_address=self.client_address, **data
        )
        rows = allergy_list_for_patient(
            user=self.acting_user, patient_id=patient_id, client_address=self.client_address
        )
        (row,) = [row for row in rows if row.pk == made.pk]
        return Response(AllergySerializer(row).data, status=201)


class PatientAllergyStatus(HospitalAPIView):
    @extend_schema(
        operation_id="allergy_status_retrieve",
        responses={200: AllergyStatusSerializer},
        summary="'No known allergies' (stated when, by whom) or 'Allergies not recorded', if none is active",
    )
    def get(self, request: Request, hospital_code: str, patient_id: int) -> Response:
        return Response(AllergyStatusSerializer(self._record(patient_id)).data)

    @extend_schema(
        operation_id="no_known_allergies_create",
        request=None,
        responses={201: AllergyStatusSerializer},
        summary="State that the patient has no known allergies (refused while an allergy is active)",
    )
    def post(self, request: Request, hospital_code: str, patient_id: int) -> Response:
        nka_record(acting_user=self.acting_user, patient=patient_id, client_address=self.client_address)
        return Response(AllergyStatusSerializer(self._record(patient_id)).data, status=201)

    def _record(self, patient_id: int) -> Any:
        return allergy_record_for_patient(
            user=self.acting_user, patient_id=patient_id, client_address=self.client_address
        )


class _ProblemView(HospitalAPIView):
    def _row(self, problem: ProblemListItem) -> Any:
        rows = problem_list_for_patient(
            user=self.acting_user,
            patient_id=problem.patient_id,
            include_voided=True,
            client_address=self.client_address,
        )
        (row,) = [row for row in rows if row.problem.pk == problem.pk]
        return ProblemSerializer(row).data


class PatientProblems(_ProblemView):
    @extend_schema(
        operation_id="problems_list",
        responses={200: ProblemSerializer(many=True)},
        summary="A patient's problem list: active, inactive, then resolved",
    )
    def get(self, request: Request, hospital_code: str, patient_id: int) -> Response:
        rows: list[ProblemRow] = problem_list_for_patient(
            user=self.acting_user, patient_id=patient_id, client_address=self.client_address
        )
        return Response(ProblemSerializer(rows, many=True).data)

    @extend_schema(
        operation_id="problems_create",
        request=ProblemInput,
        responses={201: ProblemSerializer},
        summary="Add a problem: a code of the hospital's system, or an encounter diagnosis of the patient",
    )
    def post(self, request: Request, hospital_code: str, patient_id: int) -> Response:
        data = validated(ProblemInput, request.data)
        made = problem_add(
            acting_user=self.acting_user, patient=patient_id, client_address=self.client_address, **data
        )
        return Response(self._row(made), status=201)


class ProblemStatus(_ProblemView):
    @extend_schema(
        operation_id="problems_status",
        request=ProblemStatusInput,
        responses={200: ProblemSerializer},
        summary="Mark a problem active, inactive, or resolved (on resolved_date, today if left out)",
    )
    def post(self, request: Request, hospital_code: str, problem_id: int) -> Response:
        data = validated(ProblemStatusInput, request.data)
        changed = problem_status_set(
            acting_user=self.acting_user, problem=problem_id, client_address=self.client_address, **data
        )
        return Response(self._row(changed))


class ProblemVoid(_ProblemView):
    @extend_schema(
        operation_id="problems_void",
        request=ReasonInput,
        responses={200: ProblemSerializer},
        summary="Mark a problem entered in error, with the reason",
    )
    def post(self, request: Request, hospital_code: str, problem_id: int) -> Response:
        data = validated(ReasonInput, request.data)
        voided = problem_void(
            acting_user=self.acting_user,
            problem=problem_id,
            reason=data["reason"],
            client_address=self.client_address,
        )
        return Response(self._row(voided))


class EncounterNotes(_EncounterView):
    @extend_schema(
        operation_id="notes_list",
        responses={200: NoteSerializer(many=True)},
        summary="The notes of an encounter (a patient: signed ones only)",
    )
    def get(self, request: Request, hospital_code: str, encounter_id: int) -> Response:
        return Response(NoteSerializer(self._detail(encounter_id).notes or [], many=True).data)

    @extend_schema(
        operation_id="notes_create",
        request=NoteInput,
        responses={201: NoteSerializer},
        summary="Write a draft SOAP note in an encounter",
    )
    def post(self, request: Request, hospital_code: str, encounter_id: int) -> Response:
        data = validated(NoteInput, request.data)
        note = note_create(
            acting_user=self.acting_user, encounter=encounter_id, client_address=self.client_address, **data
        )
        return Response(self._note(note.pk), status=201)


class NoteRead(_EncounterView):
    @extend_schema(operation_id="notes_retrieve", responses={200: NoteSerializer}, summary="One note")
    def get(self, request: Request, hospital_code: str, note_id: int) -> Response:
        return Response(self._note(note_id))


class NoteSign(_EncounterView):
    @extend_schema(
        operation_id="notes_sign",
        request=None,
        responses={200: NoteSerializer},
        summary="Sign a draft note (its author); from then on it is only amended",
    )
    def post(self, request: Request, hospital_code: str, note_id: int) -> Response:
        note_sign(acting_user=self.acting_user, note=note_id, client_address=self.client_address)
        return Response(self._note(note_id))


class NoteAmend(_EncounterView):
    @extend_schema(
        operation_id="notes_amend",
        request=AmendInput,
        responses={201: NoteSerializer},
        summary="Amend a signed note, with the reason; the note as signed stays beside it",
    )
    def post(self, request: Request, hospital_code: str, note_id: int) -> Response:
        data = validated(AmendInput, request.data)
        note_amend(acting_user=self.acting_user, note=note_id, client_address=self.client_address, **data)
        return Response(self._note(note_id), status=201)


urlpatterns = [
    path("patients/<id:patient_id>/encounters", PatientEncounters.as_view(), name="patient-encounters"),
    path("patients/<id:patient_id>/allergies", PatientAllergies.as_view(), name="patient-allergies"),
    path(
        "patients/<id:patient_id>/no-known-allergies",
        PatientAllergyStatus.as_view(),
        name="patient-allergy-status",
    ),
    path("patients/<id:patient_id>/problems", PatientProblems.as_view(), name="patient-problems"),
    path("problems/<id:problem_id>/status", ProblemStatus.as_view(), name="problem-status"),
    path("problems/<id:problem_id>/void", ProblemVoid.as_view(), name="problem-void"),
    path("encounters/<id:encounter_id>", EncounterRead.as_view(), name="encounter"),
    path("encounters/<id:encounter_id>/finish", EncounterFinish.as_view(), name="encounter-finish"),
    path("encounters/<id:encounter_id>/vitals", EncounterVitals.as_view(), name="encounter-vitals"),
    path("encounters/<id:encounter_id>/diagnoses", EncounterDiagnoses.as_view(), name="encounter-diagnoses"),
    path("encounters/<id:encounter_id>/notes", EncounterNotes.as_view(), name="encounter-notes"),
    path("vitals/<id:observation_id>/void", VitalVoid.as_view(), name="vital-void"),
    path("notes/<id:note_id>", NoteRead.as_view(), name="note"),
    path("notes/<id:note_id>/sign", NoteSign.as_view(), name="note-sign"),
    path("notes/<id:note_id>/amend", NoteAmend.as_view(), name="note-amend"),
]
