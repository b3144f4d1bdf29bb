from django.apps import AppConfig


class StaffConfig(AppConfig):
    name = "hms.staff"
    label = "staff"
    verbose_name = "Staff"

    def ready(self) -> None:
        from hms.staff.accounts import hospital_first_admin_create
        from hms.tenancy.first_admin import first_admin_maker_set

        # The operator's create_hospital command and hospitals admin make the first ADMIN here.
        first_admin_maker_set(hospital_first_admin_create)
