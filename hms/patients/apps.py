from django.apps import AppConfig


class PatientsConfig(AppConfig):
    name = "hms.patients"
    label = "patients"
    verbose_name = "Patients"

    def ready(self) -> None:
        from hms.audit.patients import PatientDirectory, patient_directory_set
        from hms.patients.directory import patient_id_for_mrn, patient_labels

        # The audit log filters by MRN and names the patients of its rows through this.
        patient_directory_set(PatientDirectory(id_for_mrn=patient_id_for_mrn, labels=patient_labels))
