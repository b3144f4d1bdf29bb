"""Signals the tenancy engine sends for layers above it to act on (the security log listens)."""

from django.dispatch import Signal

# A signed-in user asked for a hospital page they may not enter: another hospital's, or
# a code that names none (both answer the same 404). Sent with `request` and `code`.
foreign_hospital_requested = Signal()
