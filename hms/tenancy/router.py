"""Sends shared apps to the default database and tenant apps to the current hospital's.

Fails closed: a tenant model used with no hospital selected raises NoHospitalSelected;
it never falls back to the default database.
"""

from typing import Any

from django.db import DEFAULT_DB_ALIAS
from django.db.models import Model

from hms.tenancy.connections import is_tenant_alias
from hms.tenancy.context import current_tenant
from hms.tenancy.exceptions import CrossHospitalWrite, HospitalReadOnly
from hms.tenancy.schema import tenant_app_labels


def is_tenant_model(model: type[Model]) -> bool:
    return model._meta.app_label in tenant_app_labels()


class HospitalRouter:
    def db_for_read(self, model: type[Model], **hints: Any) -> str:
        if not is_tenant_model(model):
            return DEFAULT_DB_ALIAS
        return current_tenant().alias

    def db_for_write(self, model: type[Model], **hints: Any) -> str:
        if not is_tenant_model(model):
            return DEFAULT_DB_ALIAS
        tenant = current_tenant()
        alias = tenant.alias
        if tenant.read_only:
            raise HospitalReadOnly(
                f"Hospital {tenant.code} is read-only while it is moved to another server; "
                "try again in a few minutes."
            )
        instance = hints.get("instance")
        loaded_from = getattr(getattr(instance, "_state", None), "db", None)
        if loaded_from is not None and loaded_from != alias:
            raise CrossHospitalWrite(
                f"{model._meta.label} loaded from {loaded_from} cannot be written to {alias}."
            )
        return alias

    def allow_relation(self, obj1: Model, obj2: Model, **hints: Any) -> bool | None:
        db1, db2 = obj1._state.db, obj2._state.db
        if db1 is None or db2 is None:
            return None
        return db1 == db2

    def allow_migrate(self, db: str, app_label: str, model_name: str | None = None, **hints: Any) -> bool:
        if is_tenant_alias(db):
            return app_label in tenant_app_labels()
        return app_label not in tenant_app_labels()
