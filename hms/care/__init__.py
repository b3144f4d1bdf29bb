"""What every clinical app shares, below them all: who may reach which patient's records
(`access`) and the one audited way to void a record (`voiding`).

Not an app (no models): it sits above patients and audit and below staff, scheduling,
encounters, orders and billing, which register what puts a patient in a doctor's care.
"""
