"""Errors raised by the tenancy engine.

Deliberately not ApplicationErrors: views catch those and show them beside a form, and
these (no hospital selected, a write across hospitals, a read-only hospital) must reach
HospitalMiddleware or the command that set the context, never a form.
"""


class TenancyError(Exception):
    """A failure of the hospital engine; `message` is safe to show to an operator."""

    code = "tenancy_error"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class NoHospitalSelected(TenancyError):
    """A tenant model was queried outside any hospital context (fail closed)."""

    code = "no_hospital_selected"


class InvalidHospitalCode(TenancyError, ValueError):
    code = "invalid_hospital_code"


class HospitalNotFound(TenancyError):
    code = "hospital_not_found"


class CrossHospitalWrite(TenancyError):
    """An object loaded in one hospital was about to be written in another."""

    code = "cross_hospital_write"


class ProvisioningError(TenancyError):
    code = "provisioning_failed"


class StorageError(TenancyError):
    code = "storage_error"


class DatabaseExists(StorageError):
    """A database with the wanted name is already there; it is never overwritten."""

    code = "database_exists"


class ConnectionLimitReached(TenancyError):
    """This process may open no more connections to a database server right now."""

    code = "connection_limit_reached"


class HospitalReadOnly(TenancyError):
    """The hospital is read-only (being moved); writes are refused until it is done."""

    code = "hospital_read_only"
